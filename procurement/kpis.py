"""Key figures of the procurement record, read as a handful of grouped aggregate queries.

Every figure is one ``GROUP BY`` statement over one table (with its joins), never a loop over rows,
so a year of data costs what the database's aggregate costs. Each takes an ``Actor`` and a
``KpiQuery``: a buyer sees the companies they act for, a supplier its own rows (the portal's own
scorecard), anybody else nothing.

Slices: ``plant`` is the PO's ship-to plant, ``supplier`` and ``tier`` the PO's supplier, and
``channel`` the supplier's trading channel (portal, api, edi) — except for the integration figures,
which count each stored document under the channel it actually came through. A figure a slice does
not apply to (a plant for an inbound document nobody placed) is filtered on what it has.

Definitions (what a buyer reads on the dashboard; the tests pin each one):

- **acknowledgement cycle time**: hours from a PO's publication to its first acknowledgement, mean
  over the POs published in the period that are acknowledged;
- **acknowledgement on-time rate**: POs acknowledged within the company's ``ack_due_hours``, over
  the POs whose acknowledgement is in or due (acknowledged, or the due time has passed);
- **promise-date changes**: change requests raised in the period that propose a new need-by date;
- **ASN accuracy**: receipts against a ship notice where every received line's quantity (accepted
  plus rejected) equals what the notice announced for that PO line, over all such receipts (a
  received line for a PO line the notice never named is not judged: the ASN-without-ack and
  over-shipment exceptions speak for those);
- **ASN→receipt latency**: hours from the ship notice's arrival to the receipt's, mean;
- **invoice first-pass match rate**: invoices (not credit memos) that matched, or matched within
  tolerance, on arrival — an invoice a buyer had to release did not;
- **exceptions by severity**: raised in the period, still open, mean age of the open ones (hours
  until now), mean time to resolve or dismiss (hours);
- **integration failure rate**: stored inbound documents refused, rejected or failed, over all
  stored, per channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from gateway.actors import Actor
from procurement.models import (
    ChangeRequest,
    Company,
    InboundDocument,
    Invoice,
    ProcurementException,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
)

GROUPS = ("month", "plant", "supplier", "tier", "channel", "all")


@dataclass(frozen=True)
class KpiQuery:
    """The period (``start`` to ``end``, both days included), the slices, and what the bars group by."""

    start: dt.date
    end: dt.date
    plant: str = ""
    supplier: str = ""
    tier: str = ""
    channel: str = ""
    group: str = "month"

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=dt.UTC)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # "count", "percent" or "hours"


@dataclass
class Chart:
    """One figure: a row per group, a value per measure. ``rows`` is what the CSV holds."""

    key: str
    title: str
    group_label: str
    measures: list[Measure]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """What the page's chart script reads (through ``json_script``)."""
        return {
            "key": self.key,
            "title": self.title,
            "labels": [row["group"] for row in self.rows],
            "datasets": [
                {"label": m.label, "unit": m.unit, "data": [row[m.key] for row in self.rows]} for m in self.measures
            ],
        }

    def table(self) -> list[list[Any]]:
        """Header row, then one row per group: the CSV download."""
        return [
            [self.group_label, *(f"{m.label} ({m.unit})" for m in self.measures)],
            *([row["group"], *(row[m.key] for m in self.measures)] for row in self.rows),
        ]


@dataclass(frozen=True)
class Paths:
    """Where one table keeps the dimensions a slice filters and groups on."""

    company: str
    supplier: str
    plant: str | None
    date: str
    channel: str | None = None  # None: the supplier's trading channel


PO_PATHS = Paths(company="company_id", supplier="supplier", plant="ship_to__code", date="published_at")
CHANGE_PATHS = Paths(company="po__company_id", supplier="po__supplier", plant="po__ship_to__code", date="created_at")
RECEIPT_PATHS = Paths(company="company_id", supplier="po__supplier", plant="po__ship_to__code", date="received_at")
RECEIPT_LINE_PATHS = Paths(
    company="receipt__company_id",
    supplier="receipt__po__supplier",
    plant="receipt__po__ship_to__code",
    date="receipt__received_at",
)
INVOICE_PATHS = Paths(company="po__company_id", supplier="supplier", plant="po__ship_to__code", date="received_at")
EXCEPTION_PATHS = Paths(company="company_id", supplier="supplier", plant="po__ship_to__code", date="raised_at")
DOCUMENT_PATHS = Paths(company="company_id", supplier="supplier", plant=None, date="received_at", channel="channel")


def _sliced(qs: QuerySet, actor: Actor, q: KpiQuery, paths: Paths) -> QuerySet:
    """``qs`` limited to what ``actor`` may see, to the period and to the chosen slices."""
    if actor.is_supplier and actor.supplier_id is not None:
        qs = qs.filter(**{f"{paths.supplier}_id": actor.supplier_id})
    elif actor.is_buyer_side:
        qs = qs.filter(**{f"{paths.company}__in": actor.company_ids})
    else:
        return qs.none()
    qs = qs.filter(**{f"{paths.date}__gte": q.since, f"{paths.date}__lt": q.until})
    if q.plant and paths.plant:
        qs = qs.filter(**{paths.plant: q.plant})
    if q.supplier:
        qs = qs.filter(**{f"{paths.supplier}__code": q.supplier})
    if q.tier:
        qs = qs.filter(**{f"{paths.supplier}__tier": q.tier})
    if q.channel:
        qs = qs.filter(**{paths.channel or f"{paths.supplier}__channel": q.channel})
    return qs


def _group_expression(q: KpiQuery, paths: Paths) -> Any:
    return {
        "month": TruncMonth(paths.date, tzinfo=dt.UTC),
        "plant": F(paths.plant) if paths.plant else Value(""),
        "supplier": F(f"{paths.supplier}__code"),
        "tier": F(f"{paths.supplier}__tier"),
        "channel": F(paths.channel or f"{paths.supplier}__channel"),
        "all": Value("all"),
    }[q.group]


def _label(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m")
    return str(value) if value not in (None, "") else "—"


def hours(value: dt.timedelta | float | None) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value) / 1_000_000
    return round(seconds / 3600, 2)


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def duration(later: str | Any, earlier: str) -> ExpressionWrapper:
    later_expression = F(later) if isinstance(later, str) else later
    return ExpressionWrapper(later_expression - F(earlier), output_field=DurationField())


def _grouped(
    qs: QuerySet, q: KpiQuery, paths: Paths, aggregates: dict[str, Any], shape: Callable[[dict], dict[str, Any]]
) -> list[dict[str, Any]]:
    """One ``GROUP BY`` statement; ``shape`` turns each group's aggregates into the chart's values."""
    rows = qs.annotate(kpi_group=_group_expression(q, paths)).values("kpi_group").annotate(**aggregates)
    # Grouped by a constant ("all"), an empty set still gives one row of zeros: it is no group.
    counted = next(iter(aggregates))
    return [{"group": _label(row["kpi_group"]), **shape(row)} for row in rows.order_by("kpi_group") if row[counted]]


GROUP_LABELS = {
    "month": "Month",
    "plant": "Plant",
    "supplier": "Supplier",
    "tier": "Supplier tier",
    "channel": "Channel",
    "all": "Period",
}


def acknowledgement_kpis(*, actor: Actor, q: KpiQuery, now: dt.datetime | None = None) -> Chart:
    """Acknowledgement cycle time (hours) and on-time rate (%) of the POs published in the period."""
    now = now or timezone.now()
    qs = _sliced(PurchaseOrder.objects.all(), actor, q, PO_PATHS)
    companies = Company.objects.order_by()
    # A supplier's own scorecard counts every buyer it has POs from, each with its own allowance.
    companies = (
        companies.filter(pk__in=qs.values("company_id"))
        if actor.is_supplier
        else companies.filter(pk__in=sorted(actor.company_ids))
    )
    allowances = dict(companies.values_list("pk", "ack_due_hours"))
    allowance = Case(
        *(When(company_id=pk, then=Value(dt.timedelta(hours=allowed))) for pk, allowed in allowances.items()),
        default=Value(dt.timedelta(0)),
        output_field=DurationField(),
    )
    qs = qs.annotate(ack_due_at=ExpressionWrapper(F("published_at") + allowance, output_field=DateTimeField()))
    acked = Q(first_ack_at__isnull=False)
    rows = _grouped(
        qs,
        q,
        PO_PATHS,
        {
            "published": Count("id"),
            "acked": Count("id", filter=acked),
            "cycle": Avg(duration("first_ack_at", "published_at"), filter=acked),
            "on_time": Count("id", filter=acked & Q(first_ack_at__lte=F("ack_due_at"))),
            "due": Count("id", filter=acked | Q(ack_due_at__lt=now)),
        },
        lambda r: {
            "published": r["published"],
            "cycle_hours": hours(r["cycle"]),
            "on_time_rate": percent(r["on_time"], r["due"]),
        },
    )
    return Chart(
        "acknowledgements",
        "Acknowledgements: cycle time and on-time rate",
        GROUP_LABELS[q.group],
        [
            Measure("published", "POs published", "count"),
            Measure("cycle_hours", "Mean cycle time", "hours"),
            Measure("on_time_rate", "On time", "percent"),
        ],
        rows,
    )


def promise_date_kpis(*, actor: Actor, q: KpiQuery) -> Chart:
    """Change requests raised in the period that propose a new need-by date, and how many were accepted."""
    qs = _sliced(ChangeRequest.objects.filter(proposed__has_key="need_by"), actor, q, CHANGE_PATHS)
    rows = _grouped(
        qs,
        q,
        CHANGE_PATHS,
        {"changes": Count("id"), "accepted": Count("id", filter=Q(state=ChangeRequest.State.ACCEPTED))},
        lambda r: {"changes": r["changes"], "accepted": r["accepted"]},
    )
    return Chart(
        "promise_dates",
        "Promise-date changes",
        GROUP_LABELS[q.group],
        [Measure("changes", "Date changes proposed", "count"), Measure("accepted", "Accepted", "count")],
        rows,
    )


def asn_kpis(*, actor: Actor, q: KpiQuery) -> Chart:
    """ASN accuracy against the receipt (%) and ASN→receipt latency (hours), over receipts against a notice."""
    # The receipts with a line whose quantity differs from what their notice announced for that PO
    # line: one grouped join (receipt line → its PO line's lines on the receipt's notice) that the
    # database hashes once, not a lookup per receipt.
    lines = ReceiptLine.objects.filter(receipt__shipment__isnull=False)
    differing = (
        _sliced(lines, actor, q, RECEIPT_LINE_PATHS)
        .filter(po_line__shipment_lines__shipment_id=F("receipt__shipment_id"))
        .values("receipt_id", "pk")
        .annotate(announced=Sum("po_line__shipment_lines__quantity"))
        .exclude(announced=F("quantity_received") + F("quantity_rejected"))
        .values("receipt_id")
    )
    qs = _sliced(Receipt.objects.filter(shipment__isnull=False), actor, q, RECEIPT_PATHS)
    rows = _grouped(
        qs,
        q,
        RECEIPT_PATHS,
        {
            "receipts": Count("id"),
            "accurate": Count("id", filter=~Q(pk__in=differing)),
            "latency": Avg(duration("received_at", "shipment__received_at")),
        },
        lambda r: {
            "receipts": r["receipts"],
            "accuracy": percent(r["accurate"], r["receipts"]),
            "latency_hours": hours(r["latency"]),
        },
    )
    return Chart(
        "asn",
        "Ship notices: accuracy against receipts and latency",
        GROUP_LABELS[q.group],
        [
            Measure("receipts", "Receipts against a ship notice", "count"),
            Measure("accuracy", "ASN accurate", "percent"),
            Measure("latency_hours", "Mean ASN→receipt latency", "hours"),
        ],
        rows,
    )


FIRST_PASS = (Invoice.MatchStatus.MATCHED, Invoice.MatchStatus.WITHIN_TOLERANCE)


def invoice_kpis(*, actor: Actor, q: KpiQuery) -> Chart:
    """Invoices received in the period and the share that matched on arrival."""
    qs = _sliced(Invoice.objects.filter(purpose=Invoice.Purpose.INVOICE), actor, q, INVOICE_PATHS)
    rows = _grouped(
        qs,
        q,
        INVOICE_PATHS,
        {"invoices": Count("id"), "first_pass": Count("id", filter=Q(match_status__in=FIRST_PASS))},
        lambda r: {"invoices": r["invoices"], "first_pass_rate": percent(r["first_pass"], r["invoices"])},
    )
    return Chart(
        "invoices",
        "Invoices: first-pass match rate",
        GROUP_LABELS[q.group],
        [Measure("invoices", "Invoices", "count"), Measure("first_pass_rate", "Matched first time", "percent")],
        rows,
    )


def exception_kpis(*, actor: Actor, q: KpiQuery, now: dt.datetime | None = None) -> Chart:
    """Exceptions raised in the period by severity: volume, still open, mean open age, mean resolution time."""
    now = now or timezone.now()
    qs = _sliced(ProcurementException.objects.all(), actor, q, EXCEPTION_PATHS)
    is_open = Q(state__in=ProcurementException.OPEN_STATES)
    rows = (
        qs.values("severity", "severity_rank")
        .annotate(
            raised=Count("id"),
            still_open=Count("id", filter=is_open),
            age=Avg(duration(Value(now, output_field=DateTimeField()), "raised_at"), filter=is_open),
            resolution=Avg(duration("resolved_at", "raised_at"), filter=Q(resolved_at__isnull=False) & ~is_open),
        )
        .order_by("severity_rank")
    )
    labels = dict(ProcurementException.Severity.choices)
    return Chart(
        "exceptions",
        "Exceptions by severity",
        "Severity",
        [
            Measure("raised", "Raised", "count"),
            Measure("open", "Still open", "count"),
            Measure("age_hours", "Mean age of open", "hours"),
            Measure("resolution_hours", "Mean time to resolve", "hours"),
        ],
        [
            {
                "group": labels.get(r["severity"], r["severity"]),
                "raised": r["raised"],
                "open": r["still_open"],
                "age_hours": hours(r["age"]),
                "resolution_hours": hours(r["resolution"]),
            }
            for r in rows
        ],
    )


FAILED_DOCUMENT_STATES = (
    InboundDocument.State.REFUSED,
    InboundDocument.State.REJECTED,
    InboundDocument.State.FAILED,
)


def integration_kpis(*, actor: Actor, q: KpiQuery) -> Chart:
    """Stored inbound documents per channel, and the share refused, rejected or failed."""
    qs = _sliced(InboundDocument.objects.all(), actor, q, DOCUMENT_PATHS)
    rows = (
        qs.values("channel")
        .annotate(documents=Count("id"), failed=Count("id", filter=Q(state__in=FAILED_DOCUMENT_STATES)))
        .order_by("channel")
    )
    return Chart(
        "integration",
        "Integration failure rate by channel",
        "Channel",
        [Measure("documents", "Documents received", "count"), Measure("failure_rate", "Failed", "percent")],
        [
            {"group": r["channel"], "documents": r["documents"], "failure_rate": percent(r["failed"], r["documents"])}
            for r in rows
        ],
    )


def procurement_charts(*, actor: Actor, q: KpiQuery, now: dt.datetime | None = None) -> list[Chart]:
    """Every procurement-record figure for the dashboard or a scorecard, in the order they are shown."""
    return [
        acknowledgement_kpis(actor=actor, q=q, now=now),
        promise_date_kpis(actor=actor, q=q),
        asn_kpis(actor=actor, q=q),
        invoice_kpis(actor=actor, q=q),
        exception_kpis(actor=actor, q=q, now=now),
        integration_kpis(actor=actor, q=q),
    ]
