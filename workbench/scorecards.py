"""The figures a dashboard or a supplier's scorecard shows, from the domain's and the EDI channel's KPIs.

Both read through ``KpiQuery`` and the actor, so the portal can show a supplier its own scorecard
by calling ``supplier_scorecard`` with the supplier's actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from edi.kpis import functional_ack_kpis
from gateway.actors import Actor
from materials.kpis import materials_sync_rows
from procurement import kpis
from procurement.kpis import Chart, KpiQuery, kpi_reading


def sync_kpis(*, actor: Actor, q: KpiQuery, now: dt.datetime | None = None) -> Chart:
    """Sync SLAs by object type: the procurement record's types, then the materials' (inventory, BOM)."""
    rows = kpis.procurement_sync_rows(actor=actor, q=q, now=now) + materials_sync_rows(actor=actor, q=q, now=now)
    return kpis.sync_chart(rows, q)


CHARTS: dict[str, Callable[..., Chart]] = {
    "acknowledgements": kpis.acknowledgement_kpis,
    "promise_dates": kpis.promise_date_kpis,
    "asn": kpis.asn_kpis,
    "asn_packs": kpis.asn_pack_kpis,
    "invoices": kpis.invoice_kpis,
    "exceptions": kpis.exception_kpis,
    "integration": kpis.integration_kpis,
    "functional_acks": functional_ack_kpis,
    "sync": sync_kpis,
}
NEEDS_NOW = {"acknowledgements", "exceptions", "sync"}


def chart_for(*, actor: Actor, q: KpiQuery, key: str, now: dt.datetime | None = None) -> Chart | None:
    """One figure by its key (None for a key no figure has): what a chart's CSV download holds."""
    if key not in CHARTS:
        return None
    with kpi_reading():
        return _chart(actor=actor, q=q, key=key, now=now)


def _chart(*, actor: Actor, q: KpiQuery, key: str, now: dt.datetime | None) -> Chart:
    build = CHARTS[key]
    return build(actor=actor, q=q, now=now) if key in NEEDS_NOW else build(actor=actor, q=q)


def dashboard_charts(*, actor: Actor, q: KpiQuery, now: dt.datetime | None = None) -> list[Chart]:
    """Every figure, in the dashboard's order: one grouped aggregate query each."""
    with kpi_reading():
        return _charts(actor=actor, q=q, now=now)


def _charts(*, actor: Actor, q: KpiQuery, now: dt.datetime | None) -> list[Chart]:
    return [_chart(actor=actor, q=q, key=key, now=now) for key in CHARTS]


def supplier_scorecard(
    *, actor: Actor, supplier_code: str, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> tuple[list[Chart], list[Chart]]:
    """One supplier's figures over a period: the period's totals, and the same month by month.

    ``actor`` decides what is counted (a buyer: their companies' business with the supplier; the
    supplier itself: all of its own).
    """
    totals = KpiQuery(start=start, end=end, supplier=supplier_code, group="all")
    monthly = KpiQuery(start=start, end=end, supplier=supplier_code, group="month")
    with kpi_reading():
        return _charts(actor=actor, q=totals, now=now), _charts(actor=actor, q=monthly, now=now)


UNITS = {"count": "", "percent": "%", "hours": "h"}


@dataclass(frozen=True)
class Headline:
    """One number of a scorecard's period totals: which figure, which measure, its value."""

    figure: str
    measure: str
    value: object
    unit: str


def scorecard_headlines(totals: list[Chart]) -> list[Headline]:
    """The period totals (charts grouped by ``all``, or per channel/partner) as lines to read."""
    lines: list[Headline] = []
    for chart in totals:
        for row in chart.rows:
            figure = (
                chart.title if len(chart.rows) == 1 and row["group"] == "all" else f"{chart.title} ({row['group']})"
            )
            lines.extend(Headline(figure, m.label, row[m.key], UNITS[m.unit]) for m in chart.measures)
    return lines
