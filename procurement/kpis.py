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
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Field,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
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
    Shipment,
    ShipmentLine,
    ShipmentPack,
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
INVOICE_PATHS = Paths(company="company_id", supplier="supplier", plant="po__ship_to__code", date="received_at")
EXCEPTION_PATHS = Paths(company="company_id", supplier="supplier", plant="po__ship_to__code", date="raised_at")
DOCUMENT_PATHS = Paths(company="company_id", supplier="supplier", plant=None, date="received_at", channel="channel")


def _sliced(qs: QuerySet, actor: Actor, q: KpiQuery, paths: Paths, *, scoped: bool = False) -> QuerySet:
    """``qs`` limited to what ``actor`` may see, to the period and to the chosen slices (``scoped``:
    the caller has limited it to what the actor may see)."""
    if scoped:
        pass
    elif actor.is_supplier and actor.supplier_id is not None:
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
    receipts = _sliced(Receipt.objects.filter(shipment__isnull=False), actor, q, RECEIPT_PATHS)
    scope = receipts.annotate(
        kpi_group=_group_expression(q, RECEIPT_PATHS), latency=duration("received_at", "shipment__received_at")
    ).values("pk", "shipment_id", "kpi_group", "latency")
    try:
        scope_sql, scope_params = scope.query.sql_with_params()
    except EmptyResultSet:  # an actor who may see nothing
        scope_sql, scope_params = "", ()
    shipment_line, receipt_line = ShipmentLine._meta.db_table, ReceiptLine._meta.db_table
    # A receipt is inaccurate when one of its lines differs from what its notice announced for that
    # PO line (all the notice's lines for it, summed). The announced quantities are summed once per
    # (notice, PO line) for the receipts asked about only, then joined to their lines: a supplier's
    # or a plant's slice reads only its own notices, and no lookup runs per receipt line.
    # Only the ORM's own compiled subquery and the models' table names go in; values are bound.
    sql = f"""
        WITH scope (id, shipment_id, kpi_group, latency) AS ({scope_sql}),
        announced AS (
            SELECT sl.shipment_id, sl.po_line_id, SUM(sl.quantity) AS quantity
            FROM {shipment_line} sl
            WHERE sl.shipment_id IN (SELECT shipment_id FROM scope)
            GROUP BY sl.shipment_id, sl.po_line_id),
        differing AS (
            SELECT DISTINCT rl.receipt_id
            FROM {receipt_line} rl JOIN scope ON scope.id = rl.receipt_id
            JOIN announced a ON a.shipment_id = scope.shipment_id AND a.po_line_id = rl.po_line_id
            WHERE a.quantity <> rl.quantity_received + rl.quantity_rejected)
        SELECT kpi_group, COUNT(*),
            SUM(CASE WHEN id IN (SELECT receipt_id FROM differing) THEN 0 ELSE 1 END), AVG(latency)
        FROM scope GROUP BY kpi_group ORDER BY kpi_group"""  # noqa: S608
    found = []
    if scope_sql:
        with connection.cursor() as cursor:
            cursor.execute(sql, scope_params)
            found = cursor.fetchall()
    rows = [
        {
            "group": _label(_month(group) if q.group == "month" else group),
            "receipts": receipts_count,
            "accuracy": percent(int(accurate), receipts_count),
            "latency_hours": hours(latency),
        }
        for group, receipts_count, accurate, latency in found
    ]
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


@contextmanager
def kpi_reading() -> Iterator[None]:
    """The figures' statements in one read transaction with settings for a few large aggregates:
    PostgreSQL's JIT off (compiling a statement that runs once cost more than it saved: a quarter
    second on the packs figure grouped by supplier); room to hash and sort a year's rows in memory
    rather than in temporary files; and each statement planned for its own period and slice. The
    connection prepares a statement run twice (``prepare_threshold``), and from its eighth run
    PostgreSQL would keep one plan for any values, made blind to how many rows a period holds: a
    steady dashboard read each figure up to 2.8× slower. All three end with the transaction."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true),"
                " set_config('plan_cache_mode', 'force_custom_plan', true)",
                [KPI_WORK_MEM],
            )
        yield


KPI_WORK_MEM = "32MB"


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


# --- sync SLAs by object type -------------------------------------------------------------------

# Hours an object may take to sync before it misses its SLA, per object type; a company's
# ``sla_hours`` overrides any of them under ``sync.<type>`` (``sync.asn``: 2). A PO's acknowledgement
# is due within the company's own ``ack_due_hours``.
SYNC_SLA_HOURS: dict[str, float] = {
    "change_answer": 48,
    "asn": 1,
    "invoice": 1,
    "inventory": 1,
    "bom_release": 24,
}
SYNC_LABELS = {
    "po_ack": "PO → acknowledgement",
    "change_answer": "Change → answer",
    "asn": "Ship notice",
    "invoice": "Invoice",
    "inventory": "Inventory sync",
    "bom_release": "BOM release",
}
SYNC_MEASURES = [
    Measure("objects", "Due or synced", "count"),
    Measure("met", "Met their SLA", "count"),
    Measure("met_rate", "Met their SLA", "percent"),
    Measure("p50_hours", "Time to sync p50", "hours"),
    Measure("p95_hours", "Time to sync p95", "hours"),
]
SYNC_GROUPS = ("plant", "supplier", "tier", "channel")


class Percentiles(Aggregate):
    """Several continuous percentiles of a duration from one sort of its values (linear
    interpolation between the two nearest values, as PostgreSQL's ``percentile_cont``): a list in
    the order of ``fractions``, or None over no values. PostgreSQL answers
    ``percentile_cont(ARRAY[…]) WITHIN GROUP (…)``, one sort for all of them; SQLite gets the same
    aggregate from ``sqlite_percentile_register`` (its values in microseconds, as ``hours`` reads)."""

    function = "percentile_cont"
    name = "Percentiles"
    template = "%(function)s(%(fractions)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fractions: tuple[float, ...], **extra: Any) -> None:
        self.fractions = tuple(float(f) for f in fractions)
        literal = ", ".join(repr(f) for f in self.fractions)
        super().__init__(
            expression, fractions=f"ARRAY[{literal}]::double precision[]", output_field=_PercentileList(), **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        clone = self.copy()
        clone.function = "percentiles_cont"
        clone.template = "%(function)s(%(expressions)s, '%(fractions)s')"
        clone.extra = {**clone.extra, "fractions": json.dumps(list(self.fractions))}
        return clone.as_sql(compiler, connection, **extra_context)


class _PercentileList(Field):
    """What ``Percentiles`` reads back: PostgreSQL's array as a list, SQLite's JSON text as one."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[Any] | None:
        if value is None:
            return None
        return json.loads(value) if isinstance(value, str) else list(value)


class _SqlitePercentiles:
    """``percentiles_cont(value, fractions)`` for SQLite: the values arrive as microseconds,
    the fractions as a JSON list; the answer is a JSON list (NULL over no values)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fractions: list[float] = []

    def step(self, value: float | None, fractions: str) -> None:
        self.fractions = json.loads(fractions)
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> str | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        return json.dumps([percentile_cont(ordered, fraction, ordered=True) for fraction in self.fractions])


def percentile_cont(values: list[float], fraction: float, *, ordered: bool = False) -> float | None:
    """The continuous percentile of ``values``: position ``fraction × (n − 1)`` in sorted order, interpolated."""
    if not values:
        return None
    ordered_values = values if ordered else sorted(values)
    position = fraction * (len(ordered_values) - 1)
    below = int(position)
    above = min(below + 1, len(ordered_values) - 1)
    return ordered_values[below] + (ordered_values[above] - ordered_values[below]) * (position - below)


def sqlite_percentile_register(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give each new SQLite connection the ``percentile_cont`` PostgreSQL has built in."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("percentiles_cont", 2, _SqlitePercentiles)


@dataclass(frozen=True)
class SyncSpec:
    """One object type's sync: where it starts and ends, which companies' allowances apply, and
    which rows count (synced, or still unsynced past their allowance)."""

    object_type: str
    paths: Paths
    start: str
    end: str
    scoped: bool = False
    # Rows whose end can never come (a duplicate, a refused release) are left out by the caller.


def sync_allowance(*, object_type: str, company_ids: set[int]) -> Any:
    """The SLA per company: the company's ``sync.<type>`` override, else the default. One value when
    every company allows the same (no per-row ``CASE``), else a ``CASE`` on ``sync_company``."""
    default = SYNC_SLA_HOURS.get(object_type, 0)
    overrides = Company.objects.filter(pk__in=sorted(company_ids)).values_list("pk", "sla_hours", "ack_due_hours")
    allowed = {
        pk: float(ack_due_hours if object_type == "po_ack" else (sla_hours or {}).get(f"sync.{object_type}", default))
        for pk, sla_hours, ack_due_hours in overrides
    }
    if len(set(allowed.values())) <= 1:
        hours_allowed = next(iter(allowed.values()), float(default))
        return Value(dt.timedelta(hours=hours_allowed), output_field=DurationField())
    whens = [When(sync_company=pk, then=Value(dt.timedelta(hours=h))) for pk, h in allowed.items()]
    return Case(*whens, default=Value(dt.timedelta(hours=float(default))), output_field=DurationField())


def _sliced_sync(qs: QuerySet, actor: Actor, q: KpiQuery, spec: SyncSpec) -> QuerySet:
    """``_sliced``, also for a type with no supplier (only buyers see those), with the company as
    ``sync_company``; a type the caller has already limited to the actor's companies and the plant
    slice (``spec.scoped``) is only limited to the period and the supplier slices here."""
    paths = spec.paths
    qs = qs.annotate(sync_company=F(paths.company))
    if spec.scoped:
        if actor.is_supplier and actor.supplier_id is not None:
            qs = qs.filter(**{f"{paths.supplier}_id": actor.supplier_id})
        elif not actor.is_buyer_side:
            return qs.none()
        return _sliced(qs, actor, replace(q, plant=""), paths, scoped=True)
    if paths.supplier:
        return _sliced(qs, actor, q, paths)
    if not actor.is_buyer_side or actor.is_supplier:
        return qs.none()
    qs = qs.filter(
        **{"sync_company__in": actor.company_ids, f"{paths.date}__gte": q.since, f"{paths.date}__lt": q.until}
    )
    if q.plant and paths.plant:
        qs = qs.filter(**{paths.plant: q.plant})
    if q.channel and paths.channel:
        qs = qs.filter(**{paths.channel: q.channel})
    return qs


def sync_rows(
    qs: QuerySet, *, actor: Actor, q: KpiQuery, spec: SyncSpec, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """One object type's sync SLA figures, one ``GROUP BY`` statement: rows per slice group (or one).

    Counted: objects that started in the period and have synced, or have not synced and are past
    their SLA (a miss). ``met`` synced within the SLA; p50/p95 of the time to sync over the synced.
    ``qs`` must already hold only this type's countable rows; a slice the type does not carry (a
    supplier for an inventory event) leaves nothing of it.
    """
    now = now or timezone.now()
    paths = spec.paths
    if (q.supplier or q.tier) and not paths.supplier:
        return []
    if q.plant and not paths.plant:
        return []
    if q.channel and not (paths.channel or paths.supplier):
        return []
    qs = _sliced_sync(qs, actor, q, spec)
    companies = (
        set(actor.company_ids)
        if actor.is_buyer_side
        else set(qs.order_by().values_list("sync_company", flat=True).distinct())
    )
    qs = qs.annotate(
        sync_due_at=ExpressionWrapper(
            F(spec.start) + sync_allowance(object_type=spec.object_type, company_ids=companies),
            output_field=DateTimeField(),
        )
    )
    synced = Q(**{f"{spec.end}__isnull": False})
    took = duration(spec.end, spec.start)
    group = q.group if q.group in SYNC_GROUPS else "all"
    grouped = KpiQuery(start=q.start, end=q.end, group=group)
    carried = group == "all" or {"plant": paths.plant, "channel": paths.channel or paths.supplier}.get(
        group, paths.supplier
    )
    rows = (
        qs.annotate(kpi_group=_group_expression(grouped, paths) if carried else Value(""))
        .values("kpi_group")
        .annotate(
            objects=Count("pk", filter=synced | Q(sync_due_at__lt=now)),
            met=Count("pk", filter=synced & Q(**{f"{spec.end}__lte": F("sync_due_at")})),
            # p50 and p95 from one sort of the times.
            took_percentiles=Percentiles(took, (0.5, 0.95), filter=synced),
        )
        .order_by("kpi_group")
    )
    label = SYNC_LABELS[spec.object_type]
    return [
        {
            "group": label if group == "all" else f"{label} · {_label(r['kpi_group'])}",
            "objects": r["objects"],
            "met": r["met"],
            "met_rate": percent(r["met"], r["objects"]),
            "p50_hours": hours((r["took_percentiles"] or (None, None))[0]),
            "p95_hours": hours((r["took_percentiles"] or (None, None))[1]),
        }
        for r in rows
        if r["objects"]
    ]


def _shipment_first_line(field: str) -> Subquery:
    # A ship notice goes to one ship-to (lines may span POs of one company): its first line says where.
    lines = ShipmentLine.objects.filter(shipment=OuterRef("pk")).order_by("pk")
    return Subquery(lines.values(f"po_line__po__{field}")[:1])


SHIPMENT_PATHS = Paths(company="company_id", supplier="supplier", plant="asn_plant", date="received_at")
# Through a notice's first line: the write path refuses a notice whose lines belong to several
# companies' POs, so that line's PO names the plant the notice is grouped under.
FIRST_LINE_PATHS = Paths(
    company="shipment__company_id",
    supplier="shipment__supplier",
    plant="po_line__po__ship_to__code",
    date="shipment__received_at",
)


def _shipments_scoped(actor: Actor, q: KpiQuery) -> tuple[QuerySet, SyncSpec]:
    """Ship notices stored as documents of one of the actor's companies (a buyer's) and with a line
    at the plant slice, one row each, and where to find their dimensions.

    The notice's own company (a notice has one once it has a line) limits them, by the index on
    (company, arrival); only grouping by plant reads each notice through its first line, which names
    the plant by plain joins (a lookup per notice instead took seconds over a year)."""
    if q.group != "plant":
        shipments = Shipment.objects.filter(inbound_document__isnull=False, company__isnull=False)
        if not actor.is_supplier:
            shipments = shipments.filter(company_id__in=sorted(actor.company_ids))
        if q.plant:
            at_plant = ShipmentLine.objects.filter(po_line__po__ship_to__code=q.plant)
            shipments = shipments.filter(pk__in=at_plant.values("shipment_id"))
        shipments = shipments.annotate(asn_plant=_shipment_first_line("ship_to__code"))
        return shipments, SyncSpec("asn", SHIPMENT_PATHS, "received_at", "inbound_document__processed_at", scoped=True)
    earlier = ShipmentLine.objects.filter(shipment_id=OuterRef("shipment_id"), pk__lt=OuterRef("pk"))
    first_lines = ShipmentLine.objects.filter(~Exists(earlier), shipment__inbound_document__isnull=False)
    if not actor.is_supplier:
        first_lines = first_lines.filter(shipment__company_id__in=sorted(actor.company_ids))
    if q.plant:
        at_plant = ShipmentLine.objects.filter(po_line__po__ship_to__code=q.plant)
        first_lines = first_lines.filter(shipment_id__in=at_plant.values("shipment_id"))
    spec = SyncSpec(
        "asn", FIRST_LINE_PATHS, "shipment__received_at", "shipment__inbound_document__processed_at", scoped=True
    )
    return first_lines, spec


def procurement_sync_rows(*, actor: Actor, q: KpiQuery, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Sync SLA rows of the procurement record's object types, in order: a PO's acknowledgement
    (publication → first acknowledgement, within the company's ``ack_due_hours``), a supplier's
    change proposal's answer (proposed → decided), a ship notice and an invoice (arrival → applied
    to the record, the stored document's ``processed_at``)."""
    changes = ChangeRequest.objects.exclude(state=ChangeRequest.State.SUPERSEDED, decided_at__isnull=True)
    shipments, shipment_spec = _shipments_scoped(actor, q)
    invoices = Invoice.objects.filter(inbound_document__isnull=False)
    specs = (
        (PurchaseOrder.objects.all(), SyncSpec("po_ack", PO_PATHS, "published_at", "first_ack_at")),
        (changes, SyncSpec("change_answer", CHANGE_PATHS, "created_at", "decided_at")),
        (shipments, shipment_spec),
        (invoices, SyncSpec("invoice", INVOICE_PATHS, "received_at", "inbound_document__processed_at")),
    )
    return [row for qs, spec in specs for row in sync_rows(qs, actor=actor, q=q, spec=spec, now=now)]


def sync_chart(rows: list[dict[str, Any]], q: KpiQuery) -> Chart:
    """The sync SLA figure from every object type's rows (the procurement record's and the materials')."""
    group = GROUP_LABELS[q.group] if q.group in SYNC_GROUPS else "Object"
    return Chart(
        "sync",
        "Sync SLAs by object type",
        "Object" if group == "Object" else f"Object · {group.lower()}",
        SYNC_MEASURES,
        rows,
    )


# --- ASN accuracy by SSCC -----------------------------------------------------------------------


def _month(value: Any) -> Any:
    # A month read back through a raw cursor: a datetime (PostgreSQL) or its text (SQLite).
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def asn_pack_kpis(*, actor: Actor, q: KpiQuery) -> Chart:
    """Ship notices judged pack by pack (SSCC) against the receipts against them in the period.

    A pack is **received as announced** when every PO line it announced was received under its
    SSCC in that quantity (accepted plus rejected) and nothing else was received under it;
    **missing** when no receipt line names its SSCC; a received SSCC the notice never named is
    **not announced**. A pallet (a pack others travel on) received under its own SSCC is judged as
    one pack: the lines of its packs not received under their own SSCCs, against what came under
    the pallet's. A pack counts in the group (month, plant, …) of the first receipt against its
    notice.
    """
    receipts = _sliced(Receipt.objects.filter(shipment__isnull=False), actor, q, RECEIPT_PATHS)
    # Every receipt against one notice shares its supplier, plant and channel; the earliest is in
    # the earliest month: the smallest group is the first receipt's.
    first = receipts.values("shipment_id").annotate(kpi_group=Min(_group_expression(q, RECEIPT_PATHS)))
    try:
        first_sql, first_params = first.query.sql_with_params()
        scope_sql, scope_params = receipts.values("pk", "shipment_id").query.sql_with_params()
    except EmptyResultSet:  # an actor who may see nothing
        first_sql, first_params, scope_sql, scope_params = "", (), "", ()
    shipment_line, pack = ShipmentLine._meta.db_table, ShipmentPack._meta.db_table
    receipt_line = ReceiptLine._meta.db_table
    # Announced and received quantities per (notice, SSCC, PO line) side by side (a pack's lines
    # under its pallet's SSCC when the pallet was received by it and the pack was not), then per pack:
    # as announced when every line of it matches, missing when nothing came under it, and a
    # received SSCC with no announced line is not announced. One statement, whatever the volume.
    # Only the ORM's own compiled subqueries and the models' table names go in; values are bound.
    sql = f"""
        WITH first (shipment_id, kpi_group) AS ({first_sql}),
        scope (id, shipment_id) AS ({scope_sql}),
        received AS (
            SELECT scope.shipment_id, rl.sscc, rl.po_line_id,
                SUM(rl.quantity_received + rl.quantity_rejected) AS quantity
            FROM {receipt_line} rl JOIN scope ON scope.id = rl.receipt_id
            WHERE rl.sscc <> ''
            GROUP BY scope.shipment_id, rl.sscc, rl.po_line_id),
        scanned AS (SELECT DISTINCT shipment_id, sscc FROM received),
        announced AS (
            SELECT shipment_id, sscc, po_line_id, SUM(quantity) AS quantity FROM (
                SELECT sl.shipment_id, p.sscc, sl.po_line_id, sl.quantity
                FROM {shipment_line} sl JOIN {pack} p ON p.id = sl.pack_id
                WHERE p.parent_id IS NULL AND sl.shipment_id IN (SELECT shipment_id FROM first)
                UNION ALL
                SELECT sl.shipment_id,
                    CASE WHEN own.sscc IS NULL AND pallet.sscc IS NOT NULL THEN pallet.sscc ELSE p.sscc END,
                    sl.po_line_id, sl.quantity
                FROM {shipment_line} sl JOIN {pack} p ON p.id = sl.pack_id JOIN {pack} pp ON pp.id = p.parent_id
                LEFT JOIN scanned own ON own.shipment_id = sl.shipment_id AND own.sscc = p.sscc
                LEFT JOIN scanned pallet ON pallet.shipment_id = sl.shipment_id AND pallet.sscc = pp.sscc
                WHERE p.parent_id IS NOT NULL AND sl.shipment_id IN (SELECT shipment_id FROM first)
            ) packed GROUP BY shipment_id, sscc, po_line_id),
        lines AS (
            SELECT COALESCE(a.shipment_id, r.shipment_id) AS shipment_id, COALESCE(a.sscc, r.sscc) AS sscc,
                a.quantity AS announced, r.quantity AS received
            FROM announced a FULL OUTER JOIN received r
                ON r.shipment_id = a.shipment_id AND r.sscc = a.sscc AND r.po_line_id = a.po_line_id),
        packs AS (
            SELECT shipment_id, sscc, COUNT(announced) AS announced, COUNT(received) AS received,
                SUM(CASE WHEN announced = received THEN 1 ELSE 0 END) AS equal, COUNT(*) AS lines
            FROM lines GROUP BY shipment_id, sscc)
        SELECT first.kpi_group,
            SUM(CASE WHEN packs.announced > 0 THEN 1 ELSE 0 END),
            SUM(CASE WHEN packs.announced > 0 AND packs.equal = packs.lines THEN 1 ELSE 0 END),
            SUM(CASE WHEN packs.announced > 0 AND packs.received = 0 THEN 1 ELSE 0 END),
            SUM(CASE WHEN packs.announced = 0 THEN 1 ELSE 0 END)
        FROM packs JOIN first ON first.shipment_id = packs.shipment_id
        GROUP BY first.kpi_group ORDER BY first.kpi_group"""  # noqa: S608
    found = []
    if first_sql:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*first_params, *scope_params])
            found = cursor.fetchall()
    counts = {
        _month(group) if q.group == "month" else group: {
            "announced": int(a or 0),
            "accurate": int(b or 0),
            "missing": int(c or 0),
            "extra": int(d or 0),
        }
        for group, a, b, c, d in found
    }
    rows = [
        {
            "group": _label(group),
            "packs": c["announced"],
            "accuracy": percent(c["accurate"], c["announced"]),
            "missing": c["missing"],
            "unannounced": c["extra"],
        }
        for group, c in counts.items()
    ]
    return Chart(
        "asn_packs",
        "Ship notices by SSCC: packs received as announced",
        GROUP_LABELS[q.group],
        [
            Measure("packs", "Packs announced", "count"),
            Measure("accuracy", "Received as announced", "percent"),
            Measure("missing", "Packs not received", "count"),
            Measure("unannounced", "Packs received, not announced", "count"),
        ],
        rows,
    )
