"""What planning may count as on hand: the company's ``InventoryPolicy`` applied to the balances.

Other code (requirements, workbench) calls ``available_for_planning``; it reads projections only.
The actor-scoped reads of the ledger (balances, as of a time; an item's history) are here too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Q, QuerySet

from gateway.actors import Actor
from materials.models import InventoryBalance, InventoryEvent, InventoryPolicy
from materials.services.inventory import REPROJECT_CHUNK, fold
from procurement.models import Plant
from procurement.selectors import company_get_for

ZERO = Decimal(0)


def policy_for(company_id: int) -> InventoryPolicy:
    """The company's policy, or the default (all sources, physical, usable only) unsaved."""
    policy = InventoryPolicy.objects.filter(company_id=company_id).first()
    return policy or InventoryPolicy(company_id=company_id)


def available_for_planning(*, company_id: int, plant_id: int, item_ids: list[int]) -> dict[int, Decimal]:
    """Item id → quantity (item's base unit) planning may count on at the plant, for every asked item:
    ``planning_stock``'s on hand less what it allocates. Two queries; items without balances get ``0``."""
    found = planning_stock(company_id=company_id, plant_id=plant_id, item_ids=item_ids)
    return {item_id: stock.available for item_id, stock in found.items()}


@dataclass(frozen=True)
class PlanningStock:
    """One item's stock at a plant as planning reads it: ``on_hand`` less ``allocated`` is what it may
    count on now; ``inspection`` is stock in quality inspection, (since, quantity) per lot, that it may
    count on once inspected."""

    on_hand: Decimal = ZERO
    allocated: Decimal = ZERO
    inspection: tuple[tuple[dt.date, Decimal], ...] = ()

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.allocated


def planning_stock(*, company_id: int, plant_id: int, item_ids: list[int]) -> dict[int, PlanningStock]:
    """Item id → its ``PlanningStock`` at the plant, for every asked item.

    The rule (documented on ``InventoryPolicy``): usable stock, plus quarantine when the policy says
    so; the policy's basis (physical or posted); the policy's planning source, or with none, per
    position (location, lot, status) the largest of the sources' quantities; positions below zero
    count as zero. With ``subtract_reserved``, ``allocated`` is what is reserved of the counted stock —
    per position the largest of the same sources' reservations (a reservation two systems both
    report is taken off once; below zero counts as zero) — summed over the item and never more than
    its on hand (a reservation of a bin without stock still takes from the item's stock elsewhere).

    Quality inspection: when the policy does not count quarantine, the quarantined stock (by the same
    source rule, its *physical* quantity whatever the basis: the ERP posts a receipt only after
    inspection) is ``inspection``, per lot with the day of the latest event that put stock into
    quarantine there (a receipt, count or adjustment into quarantine, a transfer within it, a status
    change to it). Two queries, three when something is in inspection; items without balances get
    nothing.
    """
    policy = policy_for(company_id)
    rows = balances_query(company_id=company_id, plant_ids=[plant_id], item_ids=item_ids, policy=policy)
    return planning_stock_from(policy, company_id=company_id, plant_id=plant_id, item_ids=item_ids, rows=rows)


def balances_query(
    *, company_id: int, plant_ids: list[int], item_ids: list[int], policy: InventoryPolicy | None = None
) -> QuerySet:
    """The balance rows ``planning_stock_from`` reads, as (plant, item, location, lot, status, posted,
    physical, reserved, source). Without ``policy``, those of every source (for a read sent before the
    policy is known: ``planning_stock_from`` keeps its source's)."""
    rows = InventoryBalance.objects.filter(
        company_id=company_id,
        plant_id__in=plant_ids,
        item_id__in=item_ids,
        stock_status__in=[InventoryEvent.StockStatus.USABLE, InventoryEvent.StockStatus.QUARANTINE],
    )
    if policy is not None and policy.planning_source:
        rows = rows.filter(source_system=policy.planning_source)
    return rows.values_list(
        "plant_id", "item_id", "location", "lot", "stock_status", "posted", "physical", "reserved", "source_system"
    )


def planning_stock_from(
    policy: InventoryPolicy, *, company_id: int, plant_id: int, item_ids: list[int], rows: Iterable[tuple]
) -> dict[int, PlanningStock]:
    """``planning_stock`` of the balance rows ``rows`` (``balances_query``'s; those of other plants or
    sources than the policy's are passed over). A third query when something is in inspection."""
    quarantine = InventoryEvent.StockStatus.QUARANTINE
    posted = policy.basis == InventoryEvent.Posting.POSTED
    best: dict[tuple[int, str, str, str], Decimal] = defaultdict(lambda: ZERO)
    reserved: dict[tuple[int, str, str, str], Decimal] = defaultdict(lambda: ZERO)
    inspected: dict[tuple[int, str, str], Decimal] = defaultdict(lambda: ZERO)
    for plant, item_id, location, lot, status, posted_qty, physical, held, source in rows:
        if plant != plant_id or (policy.planning_source and source != policy.planning_source):
            continue
        if status == quarantine and not policy.include_quarantine:
            inspected[(item_id, location, lot)] = max(inspected[(item_id, location, lot)], physical)
            continue
        key = (item_id, location, lot, status)
        best[key] = max(best[key], posted_qty if posted else physical)
        reserved[key] = max(reserved[key], held)
    on_hand = dict.fromkeys(item_ids, ZERO)
    for (item_id, _location, _lot, _status), value in best.items():
        on_hand[item_id] += value
    allocated = dict.fromkeys(item_ids, ZERO)
    if policy.subtract_reserved:
        for (item_id, _location, _lot, _status), held in reserved.items():
            allocated[item_id] += held
        allocated = {
            i: min(max(held, ZERO), on_hand[i]) if on_hand[i] > ZERO else ZERO for i, held in allocated.items()
        }
    by_lot: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for (item_id, _location, lot), quantity in inspected.items():
        if quantity > ZERO:
            by_lot[(item_id, lot)] += quantity
    inspection: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    if by_lot:
        since = _quarantined_since(company_id, plant_id, sorted({i for i, _ in by_lot}), policy.planning_source)
        for (item_id, lot), quantity in sorted(by_lot.items()):
            day = since.get((item_id, lot))
            inspection[item_id].append((day if day is not None else dt.date.min, quantity))
    return {
        item_id: PlanningStock(on_hand[item_id], allocated[item_id], tuple(inspection.get(item_id, ())))
        for item_id in item_ids
    }


def _quarantined_since(
    company_id: int, plant_id: int, item_ids: list[int], source: str
) -> dict[tuple[int, str], dt.date]:
    """(item, lot) → the day of the latest event that put stock into quarantine at the plant."""
    quarantine = InventoryEvent.StockStatus.QUARANTINE
    Kind = InventoryEvent.Kind
    events = InventoryEvent.objects.filter(company_id=company_id, plant_id=plant_id, item_id__in=item_ids).filter(
        Q(stock_status=quarantine, kind__in=[Kind.RECEIPT, Kind.COUNT, Kind.ADJUSTMENT, Kind.TRANSFER])
        | Q(kind=Kind.STATUS_CHANGE, to_status=quarantine)
    )
    if source:
        events = events.filter(source_system=source)
    return {
        (item_id, lot): latest.date()
        for item_id, lot, latest in events.order_by().values_list("item_id", "lot").annotate(latest=Max("occurred_at"))
    }


# --- Reads for an actor ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceRow:
    """One source's balance of one stock position."""

    plant: str
    part_number: str
    location: str
    lot: str
    stock_status: str
    source_system: str
    physical: Decimal
    posted: Decimal
    last_sequence: int
    reserved: Decimal = ZERO


def inventory_balances_for(
    *,
    actor: Actor,
    company_code: str,
    plant_code: str,
    part_number: str | None = None,
    location: str | None = None,
    lot: str | None = None,
    source_system: str | None = None,
    as_of: dt.datetime | None = None,
) -> list[BalanceRow]:
    """The balances at a plant the actor may see (none for another company's plant), per source.

    Without ``as_of``: the projections as they stand. With ``as_of``: the events that occurred up
    to then, folded in source order per (item, source) — the same rule as the projections, read in
    chunks. Ordered by part number, source, location, lot, status.
    """
    company = company_get_for(actor=actor, code=company_code)
    plant = Plant.objects.filter(company=company, code=plant_code).first() if company else None
    if plant is None:
        return []
    filters: dict[str, object] = {"plant": plant}
    if part_number is not None:
        filters["item__part_number"] = part_number
    if source_system is not None:
        filters["source_system"] = source_system
    rows: list[BalanceRow] = []
    if as_of is None:
        for b in InventoryBalance.objects.filter(**filters).select_related("item"):
            rows.append(
                BalanceRow(
                    plant.code,
                    b.item.part_number,
                    b.location,
                    b.lot,
                    b.stock_status,
                    b.source_system,
                    b.physical,
                    b.posted,
                    b.last_sequence,
                    b.reserved,
                )
            )
    else:
        positions: dict[tuple[str, str], dict] = defaultdict(dict)
        last: dict[tuple[str, str], int] = {}
        events = (
            InventoryEvent.objects.filter(occurred_at__lte=as_of, **filters)
            .select_related("item")
            .order_by("item_id", "source_system", "source_sequence", "source_event_id")
        )
        for event in events.iterator(chunk_size=REPROJECT_CHUNK):
            key = (event.item.part_number, event.source_system)
            fold(positions[key], event)
            last[key] = event.source_sequence
        for (part, source), held in positions.items():
            for (loc, lot_code, status), (physical, posted, reserved) in held.items():
                sequence = last[(part, source)]
                rows.append(
                    BalanceRow(plant.code, part, loc, lot_code, status, source, physical, posted, sequence, reserved)
                )
    rows = [r for r in rows if (location is None or r.location == location) and (lot is None or r.lot == lot)]
    return sorted(rows, key=lambda r: (r.part_number, r.source_system, r.location, r.lot, r.stock_status))


def inventory_events_for(
    *,
    actor: Actor,
    company_code: str,
    part_number: str,
    plant_code: str | None = None,
    source_system: str | None = None,
) -> QuerySet[InventoryEvent]:
    """An item's ledger events the actor may see, newest occurrence first (none for another company's item)."""
    company = company_get_for(actor=actor, code=company_code)
    if company is None:
        return InventoryEvent.objects.none()
    events = InventoryEvent.objects.filter(company=company, item__part_number=part_number).select_related(
        "plant", "item"
    )
    if plant_code is not None:
        events = events.filter(plant__code=plant_code)
    if source_system is not None:
        events = events.filter(source_system=source_system)
    return events.order_by("-occurred_at", "-id")
