"""The figures a dashboard or a supplier's scorecard shows, from the domain's and the EDI channel's KPIs.

Both read through ``KpiQuery`` and the actor, so the portal can show a supplier its own scorecard
by calling ``supplier_scorecard`` with the supplier's actor.
"""

from __future__ import annotations

import datetime as dt
import queue
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone

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
    return _read_charts(actor=actor, queries=[q], now=now)[0]


def _charts(*, actor: Actor, q: KpiQuery, now: dt.datetime | None) -> list[Chart]:
    return [_chart(actor=actor, q=q, key=key, now=now) for key in CHARTS]


# The figures' statements are independent: outside a transaction, on PostgreSQL, up to
# ``GATEWAY_KPI_CONNECTIONS`` of them run at once, each on its own connection and all in the
# request's snapshot (``pg_export_snapshot``), so the page reads one moment of the record as a
# single transaction would. Inside a transaction (a caller's write, a test's rollback) the other
# connections could not see its rows: there they run one after another, as on SQLite.
# The slowest figures go first, so the last to start are the short ones.
SLOWEST_FIRST = (
    "sync",
    "asn_packs",
    "asn",
    "exceptions",
    "acknowledgements",
    "integration",
    "invoices",
    "promise_dates",
    "functional_acks",
)
# A figure whose statements are read in parts, each part on whichever connection is free, then put
# together as the figure itself puts them (``sync_kpis``): the sync SLAs are the longest figure.
IN_PARTS: dict[str, tuple[Callable[..., list], ...]] = {
    "sync": (kpis.procurement_sync_rows, materials_sync_rows),
}
PUT_TOGETHER: dict[str, Callable[[list, KpiQuery], Chart]] = {"sync": kpis.sync_chart}
READ_ONLY_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"
SNAPSHOT_NAME = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")
_helpers: dict[int, ThreadPoolExecutor] = {}
_helpers_lock = threading.Lock()


def _helper_pool(size: int) -> ThreadPoolExecutor:
    """The process's threads that read figures beside the request's own (each keeps its connection,
    recycled as a request's is: ``CONN_MAX_AGE`` and the health check)."""
    with _helpers_lock:
        if size not in _helpers:
            _helpers[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="kpi-reader")
        return _helpers[size]


def helpers_close() -> None:
    """Close the connection each helper thread keeps (before the database it reads is dropped, as a
    test database is at the end of a run): every thread of a pool takes one of as many tasks, each
    waiting for the others, so no thread is left holding its connection."""
    with _helpers_lock:
        pools = list(_helpers.items())
    for size, pool in pools:
        barrier = threading.Barrier(size)
        for done in [pool.submit(_connection_close, barrier) for _ in range(size)]:
            done.result()


def _connection_close(barrier: threading.Barrier) -> None:
    try:
        barrier.wait(timeout=10)
    finally:
        connections.close_all()


def _read_charts(*, actor: Actor, queries: list[KpiQuery], now: dt.datetime | None) -> list[list[Chart]]:
    """Every figure for each of ``queries`` (the dashboard's one, a scorecard's two), in order."""
    now = now or timezone.now()
    width = settings.GATEWAY_KPI_CONNECTIONS
    if width < 2 or connection.vendor != "postgresql" or connection.in_atomic_block:
        with kpi_reading():
            return [_charts(actor=actor, q=q, now=now) for q in queries]
    work: queue.SimpleQueue[tuple[int, str, int | None]] = queue.SimpleQueue()
    for key in SLOWEST_FIRST:
        for index in range(len(queries)):
            for part in range(len(IN_PARTS[key])) if key in IN_PARTS else (None,):
                work.put((index, key, part))
    found: dict[tuple[int, str], Chart] = {}
    parts: dict[tuple[int, str, int], list] = {}

    def drain() -> None:
        while True:
            try:
                index, key, part = work.get_nowait()
            except queue.Empty:
                return
            if part is None:
                found[index, key] = _chart(actor=actor, q=queries[index], key=key, now=now)
            else:
                parts[index, key, part] = IN_PARTS[key][part](actor=actor, q=queries[index], now=now)

    def helper(snapshot: str) -> None:
        # Recycled before and after as a request's connection is (CONN_MAX_AGE, errors).
        close_old_connections()
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    # SET takes no bound value; the name is PostgreSQL's own (checked by SNAPSHOT_NAME).
                    cursor.execute(f"{READ_ONLY_SNAPSHOT}; SET TRANSACTION SNAPSHOT '{snapshot}'")
                with kpi_reading():
                    drain()
        finally:
            close_old_connections()

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(READ_ONLY_SNAPSHOT)
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        if not SNAPSHOT_NAME.fullmatch(snapshot):
            raise ValueError(f"Unexpected snapshot name {snapshot!r}")
        with kpi_reading():
            pool = _helper_pool(width - 1)
            helpers: list[Future[None]] = [pool.submit(helper, snapshot) for _ in range(width - 1)]
            try:
                drain()
            except BaseException:
                while not work.empty():  # nothing more to start: the page fails anyway
                    work.get_nowait()
                raise
            finally:
                # The helpers read in this transaction's snapshot: it stays open until they are done.
                wait(helpers)
            for done in helpers:
                done.result()
    for index, key in [(index, key) for index in range(len(queries)) for key in IN_PARTS]:
        rows = [row for part in range(len(IN_PARTS[key])) for row in parts[index, key, part]]
        found[index, key] = PUT_TOGETHER[key](rows, queries[index])
    return [[found[index, key] for key in CHARTS] for index in range(len(queries))]


def supplier_scorecard(
    *, actor: Actor, supplier_code: str, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> tuple[list[Chart], list[Chart]]:
    """One supplier's figures over a period: the period's totals, and the same month by month.

    ``actor`` decides what is counted (a buyer: their companies' business with the supplier; the
    supplier itself: all of its own).
    """
    totals = KpiQuery(start=start, end=end, supplier=supplier_code, group="all")
    monthly = KpiQuery(start=start, end=end, supplier=supplier_code, group="month")
    total_charts, monthly_charts = _read_charts(actor=actor, queries=[totals, monthly], now=now)
    return total_charts, monthly_charts


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
