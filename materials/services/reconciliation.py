"""Reconciliation: do the ERP, the WMS and the MES agree on what is in stock?

The systems disagree on purpose for a while — the WMS books a pallet the moment it arrives, the
ERP posts the receipt after quality inspection — so a difference is only a variance when it goes
beyond the company's ``InventoryTolerance``. Each variance is an ``inventory_variance`` exception
whose summary says, in words, which events explain it; a variance that clears by itself closes its
exception.

What is compared, per position (plant, item, lot, stock status; locations summed), over each
source's ``InventoryBalance``:

- **physical** between the sources that keep physical stock of the item at the plant: a source
  that has a non-zero physical quantity there, or that posts nothing there (a WMS at zero is still
  a WMS). A position one of them lacks counts as zero for it.
- **posted** between the sources that post the item at the plant (a non-zero posted quantity).
- **physical against posted**: the largest physical quantity against the largest posted one,
  where the item is posted at all ("received, not posted yet").

The gateway's own receipts journal (source ``PROCUREMENT``: PO receipts posted to the ledger) is
not one of the systems: it only ever adds stock (issues are the systems' to report), so comparing
it would flag every receipt since consumed. Only the company's systems are compared.

The comparison is one set-based query; only the positions that differ at all come back to Python,
which applies the tolerance and explains the variances.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from materials.models import (
    InventoryBalance,
    InventoryEvent,
    InventoryReconciliation,
    InventoryTolerance,
    ItemPlanning,
)
from materials.variance_severity import variances_reassess
from procurement.models import Company, Item, Plant, ProcurementException
from procurement.services import WriteSource, exceptions_clear
from procurement.services.raising import exception_draft, exception_raise

from .errors import NotFound
from .inventory import RECEIPT_SOURCE

log = logging.getLogger(__name__)

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity
Status = InventoryEvent.StockStatus
State = InventoryReconciliation.State
ZERO = Decimal("0.0000")
PLACES = Decimal("0.0001")  # balances' four decimal places, whichever database summed them
HUNDRED = Decimal(100)

PHYSICAL = "physical"
POSTED = "posted"
UNPOSTED = "physical_vs_posted"


# The default severity of a variance, by what it puts at risk: usable stock the systems disagree on
# misleads planning (a buy too late or too early); a receipt not posted yet is a matter for
# finance; the rest (quarantine, blocked stock the systems count differently) is data quality.
# Requirements rank a variance higher when the item is needed soon (``materials.variance_severity``).
def variance_severity(check: str, stock_status: str) -> str:
    """The severity of a variance found by ``check`` on stock of ``stock_status``."""
    if check == UNPOSTED:
        return Severity.FINANCIAL_MISMATCH
    if stock_status == Status.USABLE:
        return Severity.PROCUREMENT_DELAY
    return Severity.DATA_QUALITY


VERBS = {
    InventoryEvent.Kind.RECEIPT: "received",
    InventoryEvent.Kind.ISSUE: "issued",
    InventoryEvent.Kind.TRANSFER: "moved",
    InventoryEvent.Kind.ADJUSTMENT: "adjusted by",
    InventoryEvent.Kind.SCRAP: "scrapped",
    InventoryEvent.Kind.STATUS_CHANGE: "changed status of",
    InventoryEvent.Kind.COUNT: "counted",
    InventoryEvent.Kind.RESERVATION: "reserved",
}
EXPLAINING_EVENTS = 3


@dataclass(frozen=True)
class Tolerance:
    """The limits that apply to one item; ``rule`` is the ``InventoryTolerance`` id, None for none (strict)."""

    percent: Decimal | None = ZERO
    amount: Decimal | None = ZERO
    rule: int | None = None

    def allows(self, deviation: Decimal, reference: Decimal) -> bool:
        if deviation == 0:
            return True
        if self.amount is not None and deviation > self.amount:
            return False
        if self.percent is not None:
            return reference != 0 and deviation * HUNDRED <= self.percent * reference
        return True

    def describe(self) -> dict:
        return {"rule": self.rule, "percent": self.percent, "amount": self.amount}


@dataclass(frozen=True)
class Check:
    """One comparison of a position that went beyond tolerance: ``high`` sources against ``low`` ones."""

    check: str
    high: tuple[str, ...]
    low: tuple[str, ...]
    high_quantity: Decimal
    low_quantity: Decimal
    high_side: str  # ``physical`` or ``posted``: which side the high sources' quantity is

    @property
    def deviation(self) -> Decimal:
        return abs(self.high_quantity - self.low_quantity)


@dataclass
class Variance:
    plant_id: int
    item_id: int
    lot: str
    stock_status: str
    sources: dict[str, dict[str, Decimal]]
    checks: list[Check]
    tolerance: Tolerance
    explanation: str = ""
    events: list[dict] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, int, str, str]:
        return (self.plant_id, self.item_id, self.lot, self.stock_status)

    @property
    def principal(self) -> Check:
        return max(self.checks, key=lambda c: c.deviation)


@dataclass(frozen=True)
class ReconciliationResult:
    positions: int
    differing: int
    variances: list[Variance]
    raised: int
    cleared: int


def dedup_key(company_id: int, plant_id: int, item_id: int, lot: str, stock_status: str) -> str:
    """One open variance per position; the lot comes last so no other part can be mistaken for it."""
    return f"{Kind.INVENTORY_VARIANCE}:{company_id}:{plant_id}:{item_id}:{stock_status}:{lot}"


# Positions where the sources differ at all, with the largest and smallest quantity of each side.
# Portable SQL (PostgreSQL and SQLite): aggregates ignore NULL, which is how a source that takes no
# part in a comparison is left out of it.
DIFFERING_SQL = """
WITH per_source AS (
    SELECT plant_id, item_id, lot, stock_status, source_system,
           SUM(physical) AS physical, SUM(posted) AS posted
    FROM materials_inventorybalance
    WHERE company_id = %(company)s AND source_system <> %(journal)s
    GROUP BY plant_id, item_id, lot, stock_status, source_system
), participants AS (
    SELECT plant_id, item_id, source_system,
           MAX(CASE WHEN physical <> 0 THEN 1 ELSE 0 END) AS keeps_physical,
           MAX(CASE WHEN posted <> 0 THEN 1 ELSE 0 END) AS posts
    FROM per_source
    GROUP BY plant_id, item_id, source_system
), positions AS (
    SELECT DISTINCT plant_id, item_id, lot, stock_status FROM per_source
), grid AS (
    SELECT p.plant_id, p.item_id, p.lot, p.stock_status,
           CASE WHEN s.keeps_physical = 1 OR s.posts = 0 THEN COALESCE(b.physical, 0) END AS physical,
           CASE WHEN s.posts = 1 THEN COALESCE(b.posted, 0) END AS posted
    FROM positions p
    JOIN participants s ON s.plant_id = p.plant_id AND s.item_id = p.item_id
    LEFT JOIN per_source b
      ON b.plant_id = p.plant_id AND b.item_id = p.item_id AND b.lot = p.lot
     AND b.stock_status = p.stock_status AND b.source_system = s.source_system
)
SELECT plant_id, item_id, lot, stock_status
FROM grid
GROUP BY plant_id, item_id, lot, stock_status
HAVING MAX(physical) <> MIN(physical)
    OR MAX(posted) <> MIN(posted)
    OR (COUNT(posted) > 0 AND COUNT(physical) > 0 AND MAX(physical) <> MAX(posted))
ORDER BY plant_id, item_id, lot, stock_status
"""

POSITIONS_SQL = """
SELECT COUNT(*) FROM (
    SELECT DISTINCT plant_id, item_id, lot, stock_status
    FROM materials_inventorybalance WHERE company_id = %(company)s AND source_system <> %(journal)s
) AS positions
"""


def _differing(company_id: int) -> tuple[int, list[tuple[int, int, str, str]]]:
    with connection.cursor() as cursor:
        params: dict[str, int | str] = {"company": company_id, "journal": RECEIPT_SOURCE}
        cursor.execute(POSITIONS_SQL, params)
        positions = cursor.fetchone()[0]
        cursor.execute(DIFFERING_SQL, params)
        rows = [(int(p), int(i), lot, status) for p, i, lot, status in cursor.fetchall()]
    return positions, rows


def _per_source(company_id: int, keys: list[tuple[int, int, str, str]]) -> dict[tuple, dict[str, dict[str, Decimal]]]:
    """Per differing position: each source's physical and posted; per (plant, item): which sources take part."""
    wanted = set(keys)
    item_ids = sorted({k[1] for k in keys})
    result: dict[tuple, dict[str, dict[str, Decimal]]] = {}
    for start in range(0, len(item_ids), 500):
        rows = (
            InventoryBalance.objects.filter(company_id=company_id, item_id__in=item_ids[start : start + 500])
            .exclude(source_system=RECEIPT_SOURCE)
            .values("plant_id", "item_id", "lot", "stock_status", "source_system")
            .annotate(physical=Sum("physical"), posted=Sum("posted"))
        )
        for row in rows:
            key = (row["plant_id"], row["item_id"], row["lot"], row["stock_status"])
            pair = (row["plant_id"], row["item_id"])
            result.setdefault(pair, {}).setdefault(row["source_system"], {PHYSICAL: ZERO, POSTED: ZERO})
            bucket = result[pair][row["source_system"]]
            bucket["keeps_physical"] = bucket.get("keeps_physical", ZERO) or Decimal(row["physical"] != 0)
            bucket["posts"] = bucket.get("posts", ZERO) or Decimal(row["posted"] != 0)
            if key in wanted:
                result.setdefault(key, {})[row["source_system"]] = {
                    PHYSICAL: Decimal(row["physical"]).quantize(PLACES),
                    POSTED: Decimal(row["posted"]).quantize(PLACES),
                }
    return result


def _checks(position: dict[str, dict[str, Decimal]], roles: dict[str, dict[str, Decimal]]) -> list[Check]:
    """The comparisons of one position that differ at all, each with its high and low sources."""
    physical = {
        source: position.get(source, {}).get(PHYSICAL, ZERO)
        for source, role in roles.items()
        if role["keeps_physical"] or not role["posts"]
    }
    posted = {source: position.get(source, {}).get(POSTED, ZERO) for source, role in roles.items() if role["posts"]}
    checks = []
    for name, side in ((PHYSICAL, physical), (POSTED, posted)):
        if len(side) > 1 and max(side.values()) != min(side.values()):
            high, low = max(side.values()), min(side.values())
            checks.append(
                Check(
                    name,
                    tuple(sorted(s for s, q in side.items() if q == high)),
                    tuple(sorted(s for s, q in side.items() if q == low)),
                    high,
                    low,
                    name,
                )
            )
    if physical and posted:
        top_physical, top_posted = max(physical.values()), max(posted.values())
        if top_physical != top_posted:
            physical_side = tuple(sorted(s for s, q in physical.items() if q == top_physical))
            posted_side = tuple(sorted(s for s, q in posted.items() if q == top_posted))
            unposted = top_physical > top_posted
            checks.append(
                Check(
                    UNPOSTED,
                    physical_side if unposted else posted_side,
                    posted_side if unposted else physical_side,
                    max(top_physical, top_posted),
                    min(top_physical, top_posted),
                    PHYSICAL if unposted else POSTED,
                )
            )
    return checks


def _tolerances(company_id: int, item_ids: list[int]) -> dict[int, Tolerance]:
    rules = {r.category: r for r in InventoryTolerance.objects.filter(company_id=company_id)}
    categories = dict(ItemPlanning.objects.filter(item_id__in=item_ids).values_list("item_id", "category"))
    result = {}
    for item_id in item_ids:
        rule = rules.get(categories.get(item_id, "")) or rules.get("")
        result[item_id] = (
            Tolerance(percent=rule.percent, amount=rule.amount, rule=rule.pk) if rule is not None else Tolerance()
        )
    return result


def _describe(event: InventoryEvent, uom: str) -> str:
    quantity = f"{event.base_quantity.normalize():f} {uom}".strip()
    verb = VERBS.get(InventoryEvent.Kind(event.kind), event.kind)
    if event.kind == InventoryEvent.Kind.STATUS_CHANGE:
        verb = f"moved to {event.to_status}"
    if event.posting == InventoryEvent.Posting.POSTED and event.kind == InventoryEvent.Kind.RECEIPT:
        verb = "posted a receipt of"
    return f"{event.source_system} {verb} {quantity} on {timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M}"


def _explain(variance: Variance, uom: str, now: dt.datetime) -> None:
    """Words and the events behind them: the latest events of the sources with more, against the others."""
    check = variance.principal
    events = list(
        InventoryEvent.objects.filter(
            Q(stock_status=variance.stock_status) | Q(to_status=variance.stock_status),
            plant_id=variance.plant_id,
            item_id=variance.item_id,
            lot=variance.lot,
            source_system__in=[*check.high, *check.low],
        )
        # A reservation moves neither goods nor books: it explains no difference between them.
        .exclude(kind=InventoryEvent.Kind.RESERVATION)
        .order_by("-occurred_at", "-id")[: EXPLAINING_EVENTS * 2]
    )
    high_events = [e for e in events if e.source_system in check.high][:EXPLAINING_EVENTS]
    low_events = [e for e in events if e.source_system in check.low][:1]
    low = "/".join(check.low)
    parts = []
    if high_events:
        parts.append(_describe(high_events[0], uom))
    else:
        parts.append(f"{'/'.join(check.high)} has {check.high_quantity.normalize():f} {uom}".rstrip())
    if check.check == UNPOSTED and check.high_side == PHYSICAL:
        since = high_events[0].occurred_at if high_events else None
        text = f"{low} has not posted" if check.low_quantity == 0 else f"{low} has posted only {_q(check.low_quantity)}"
        if variance.stock_status == Status.QUARANTINE and since is not None:
            days = (now - since).days
            text += f": in quality inspection {days} day{'' if days == 1 else 's'}"
        elif since is not None:
            text += f" for {_age(now - since)}"
        parts.append(text)
    else:
        what = "posted" if check.check == POSTED else "on hand"  # the low side's
        text = f"{low} has {_q(check.low_quantity)} {what}"
        if low_events:
            text += f" (last: {_describe(low_events[0], uom)})"
        else:
            text += " and no event for it"
        parts.append(text)
    variance.explanation = "; ".join(parts)
    variance.events = [
        {
            "source_system": e.source_system,
            "source_event_id": e.source_event_id,
            "kind": e.kind,
            "posting": e.posting,
            "base_quantity": e.base_quantity,
            "location": e.location,
            "occurred_at": e.occurred_at,
        }
        for e in [*high_events, *low_events]
    ]


def _q(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _age(delta: dt.timedelta) -> str:
    if delta.days >= 1:
        return f"{delta.days} day{'' if delta.days == 1 else 's'}"
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hour{'' if hours == 1 else 's'}"


def variances_find(
    *, company_id: int, now: dt.datetime | None = None, explain: bool = True
) -> tuple[int, int, list[Variance]]:
    """The positions compared, those that differ at all, and the variances (beyond tolerance).

    Reads only; nothing is raised. With ``explain``, each variance gets its words and the events
    behind them; ``now`` dates the ages in them ("2 days").
    """
    now = now or timezone.now()
    positions, differing = _differing(company_id)
    if not differing:
        return positions, 0, []
    per_source = _per_source(company_id, differing)
    tolerances = _tolerances(company_id, sorted({k[1] for k in differing}))
    variances = []
    for key in differing:
        plant_id, item_id, lot, status = key
        roles = per_source.get((plant_id, item_id), {})
        tolerance = tolerances[item_id]
        checks = [
            c
            for c in _checks(per_source.get(key, {}), roles)
            if not tolerance.allows(c.deviation, max(abs(c.high_quantity), abs(c.low_quantity)))
        ]
        if checks:
            sources = {
                source: {PHYSICAL: values[PHYSICAL], POSTED: values[POSTED]}
                for source, values in sorted(per_source.get(key, {}).items())
            }
            variances.append(Variance(plant_id, item_id, lot, status, sources, checks, tolerance))
    if explain:
        items = {i.pk: i for i in Item.objects.filter(pk__in={v.item_id for v in variances})}
        for variance in variances:
            _explain(variance, items[variance.item_id].base_uom, now)
    return positions, len(differing), variances


def _raise(
    company: Company, variance: Variance, item: Item, plant: Plant, source: WriteSource, now: dt.datetime
) -> ProcurementException:
    check = variance.principal
    where = f"{item.part_number} at {plant.code}" + (f" lot {variance.lot}" if variance.lot else "")
    status = "" if variance.stock_status == Status.USABLE else f" ({variance.stock_status})"
    draft = exception_draft(
        company=company,
        kind=Kind.INVENTORY_VARIANCE,
        severity=variance_severity(check.check, variance.stock_status),
        dedup_key=dedup_key(company.pk, variance.plant_id, variance.item_id, variance.lot, variance.stock_status),
        summary=f"{where}{status}: {variance.explanation}",
        evidence={
            "plant_id": variance.plant_id,
            "plant": plant.code,
            "item_id": variance.item_id,
            "part_number": item.part_number,
            "lot": variance.lot,
            "stock_status": variance.stock_status,
            "check": check.check,
            "deviation": check.deviation,
            "high": {"sources": list(check.high), "quantity": check.high_quantity, "side": check.high_side},
            "low": {"sources": list(check.low), "quantity": check.low_quantity},
            "checks": [
                {"check": c.check, "high": list(c.high), "low": list(c.low), "deviation": c.deviation}
                for c in variance.checks
            ],
            "sources": variance.sources,
            "tolerance": variance.tolerance.describe(),
            "explanation": variance.explanation,
            "events": variance.events,
        },
        source=source,
        now=now,
    )
    return exception_raise(draft, source=source, action="inventory_variance.raised")


def inventory_reconcile(
    *, company_id: int, source: WriteSource, now: dt.datetime | None = None
) -> ReconciliationResult:
    """Compare the company's systems' balances; raise a variance exception per position beyond tolerance,
    and close (``auto_cleared``) the open ones whose position agrees again, or is within tolerance now.

    Idempotent: a variance already open is not raised again (its dedup key is the position), so
    running twice raises nothing new. Each exception raised or closed is audited.
    """
    now = now or timezone.now()
    company = Company.objects.get(pk=company_id)
    # Explained only when raised: a variance already open keeps the words it was raised with.
    positions, differing, variances = variances_find(company_id=company_id, now=now, explain=False)
    open_keys = dict(
        ProcurementException.objects.open()
        .filter(company_id=company_id, kind=Kind.INVENTORY_VARIANCE)
        .values_list("dedup_key", "pk")
    )
    items = {i.pk: i for i in Item.objects.filter(pk__in={v.item_id for v in variances})}
    plants = {p.pk: p for p in Plant.objects.filter(pk__in={v.plant_id for v in variances})}
    raised = 0
    current = set()
    fresh: set[int] = set()
    for variance in variances:
        key = dedup_key(company_id, *variance.key)
        current.add(key)
        if key in open_keys:
            continue
        _explain(variance, items[variance.item_id].base_uom, now)
        fresh.add(_raise(company, variance, items[variance.item_id], plants[variance.plant_id], source, now).pk)
        raised += 1
    cleared = 0
    for key in sorted(set(open_keys) - current):
        plant_id, item_id, status, lot = key.split(":", 5)[2:]
        closed = exceptions_clear(
            company_id=company_id,
            kind=Kind.INVENTORY_VARIANCE,
            dedup_key_prefix=key,
            evidence={"plant_id": int(plant_id), "item_id": int(item_id), "lot": lot, "stock_status": status},
            reason="the systems agree again on this position, within tolerance",
            source=source,
        )
        cleared += len(closed)
    # The projection moves between runs: the variances still open are ranked by it again (the new
    # ones were ranked when raised).
    variances_reassess(company_id=company_id, source=source, skip=frozenset(fresh))
    return ReconciliationResult(positions, differing, variances, raised, cleared)


def inventory_reconciliation_request(
    *, company_id: int, requested_by: str, correlation_id: str = ""
) -> tuple[InventoryReconciliation, bool]:
    """A queued run for the company, or the one already queued or running (``created`` False).

    A run left ``running`` longer than ``GATEWAY_INVENTORY_RECONCILE_STALE_SECONDS`` belongs to a
    worker that died: it is marked failed, so the company is not blocked for good. The caller
    queues ``materials.tasks.inventory_reconciliation_run`` after commit for a created run.
    """
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.GATEWAY_INVENTORY_RECONCILE_STALE_SECONDS)
    InventoryReconciliation.objects.filter(
        company_id=company_id, state__in=[State.QUEUED, State.RUNNING], requested_at__lt=stale
    ).update(state=State.FAILED, finished_at=now, error="abandoned: no worker finished it in time")
    try:
        with transaction.atomic():
            run = InventoryReconciliation.objects.create(
                company_id=company_id, requested_by=requested_by[:120], correlation_id=correlation_id, requested_at=now
            )
        return run, True
    except IntegrityError:
        active = InventoryReconciliation.objects.filter(
            company_id=company_id, state__in=[State.QUEUED, State.RUNNING]
        ).first()
        if active is None:  # finished between the insert and this read: ask again
            return inventory_reconciliation_request(
                company_id=company_id, requested_by=requested_by, correlation_id=correlation_id
            )
        return active, False


def inventory_reconciliation_execute(*, run_id: int) -> InventoryReconciliation:
    """Run a queued reconciliation: claimed with a conditional UPDATE (queued → running), so a run
    delivered twice runs once. Its figures, or the error that stopped it, are kept on the row."""
    claimed = InventoryReconciliation.objects.filter(pk=run_id, state=State.QUEUED).update(
        state=State.RUNNING, started_at=timezone.now()
    )
    run = InventoryReconciliation.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"no reconciliation {run_id}")
    if not claimed:
        return run
    source = WriteSource(
        channel="system", label=f"inventory reconciliation #{run.pk}", correlation_id=run.correlation_id
    )
    try:
        with transaction.atomic():
            result = inventory_reconcile(company_id=run.company_id, source=source)
    except Exception as error:  # recorded on the run; the scheduler's next run tries again
        log.exception("inventory reconciliation %s failed", run.pk)
        run.state, run.error, run.finished_at = State.FAILED, f"{type(error).__name__}: {error}", timezone.now()
        run.save(update_fields=["state", "error", "finished_at"])
        return run
    run.state, run.finished_at = State.DONE, timezone.now()
    run.positions, run.differing = result.positions, result.differing
    run.variances, run.raised, run.cleared = len(result.variances), result.raised, result.cleared
    run.save(update_fields=["state", "finished_at", "positions", "differing", "variances", "raised", "cleared"])
    return run
