"""Material requirements: demand exploded through the BOMs in effect, netted per (plant, item) on a time axis.

Everything is loaded in bulk first (``PlanInputs.load``: a fixed number of queries, whatever the
size), then planned in plain Python over those rows (``plan``); the service layer stores the result.

**Levels.** Items are netted in low-level-code order (an item after every item that uses it, in
any revision), so each item is netted once, with all its gross requirements known.

**Gross requirements** of (plant, item): master-schedule and independent demands for it, the
components of production orders (needed on the order's need date; the order's own item is not
netted), and the components of the planned make orders of its parents (needed on the parent
order's release date). Components come from the BOM in effect at the plant on that date
(``materials.explosion.Structures``: effectivity, plant chains, phantoms passed through, scrap and
units applied, alternates reduced to the primary in effect).

**Netting.** ``projected = previous + receipts + in_transit − demand`` per date, starting from the
stock available for planning (``materials.inventory.available_for_planning``). ``receipts`` are the
open PO lines at the supplier's promised date (the acknowledged date when it differs from the
buyer's need-by; a line's schedule lines when it has them), for what is confirmed and not shipped;
``in_transit`` is what ship notices shipped and receipts have not received, at the notice's
expected arrival. A line the supplier rejected brings nothing. ``projected`` excludes planned
orders: it is what the firm supply does, and where it goes negative is a **shortage**.

**Planned orders.** Where firm supply plus earlier planned orders falls below safety stock, an
order is planned on that date for what keeps it at safety stock through the batch window
(``BATCH_DAYS`` from that date, frePPLe's default), raised to the minimum order quantity and then
to a multiple; it is released ``lead time`` calendar days earlier (no factory calendar is kept:
offsets are calendar days). A buy item's order names its approved supplier of best priority (the
supplier's own lead time and MOQ when it has them).

**Pegging** is first in, first out: supplies (stock, firm receipts, planned orders, in date order)
are matched against requirements in date order, so each PO line and planned order names the
demands it covers, and a make order's components carry the same demands down (the first
``PEG_LIMIT`` of them by name; the rest of the quantity goes down unnamed, so a component used by
thousands of orders does not carry each of them through every level).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from itertools import islice, pairwise

from django.db.models import QuerySet

from materials.explosion import DATE_MAX, DATE_MIN, Structures, chunks, no_cycle_collection
from materials.models import ApprovedSupplier, Demand, ItemPlanning, ItemPlantPlanning
from procurement.inputs import LINE_REJECT
from procurement.models import Item, Plant, POLine, ScheduleLine, ShipmentLine

ZERO = Decimal(0)
ONE = Decimal(1)
PLACES = Decimal("0.0001")  # the results' four decimal places
NO_DEMAND = 0  # the peg of a quantity no demand asked for (safety stock, lot size), or of pegs past PEG_LIMIT
# Demands a make order passes down to its components by name; the rest of its quantity goes down unnamed.
# Without a bound, every end-item order would be carried to every part below it (demands × descendants).
PEG_LIMIT = 5
# A planned order covers the requirements of this many days from its date (frePPLe's default batch window).
BATCH_DAYS = 7
# The open PO lines a shortage names as arriving after it: the soonest.
LATE_LINES = 10
# The most orders one need is split into by a maximum lot size; the last one takes what is left.
MAX_LOTS = 1000
# Up to this many items, their parameters are read by item (net change); beyond, the company's at once.
FEW_ITEMS = 2000
# ``plan``'s ``flush`` is handed the results once they reach this many projection rows and shortages.
FLUSH_ROWS = 20_000


@dataclass(frozen=True)
class Params:
    """Planning parameters of one item at one plant."""

    make: bool = False
    lead_time_days: int = 0
    moq: Decimal = Decimal(1)
    multiple: Decimal = Decimal(1)
    safety_stock: Decimal = ZERO
    supplier_id: int | None = None
    max_lot: Decimal | None = None
    inspection_days: int = 0


@dataclass(frozen=True, slots=True)
class Supply:
    """A firm receipt: ``kind`` is ``po`` (a PO or schedule line still to ship), ``asn`` (in transit)
    or ``qi`` (stock in quality inspection, released on ``date``: no PO line)."""

    date: dt.date
    quantity: Decimal
    kind: str
    po_line_id: int | None


@dataclass(slots=True)
class Planned:
    plant_id: int
    item_id: int
    make: bool
    supplier_id: int | None
    quantity: Decimal
    net_quantity: Decimal
    need_date: dt.date
    release_date: dt.date
    pegs: list[tuple[int, Decimal]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Substitution:
    """An alternate standing in for a primary on ``date``: ``quantity`` of the primary's requirement of
    ``demand`` covered by ``alternate_quantity`` of the alternate."""

    plant_id: int
    primary_id: int
    alternate_id: int
    date: dt.date
    demand_id: int
    quantity: Decimal
    alternate_quantity: Decimal


@dataclass(slots=True)
class Row:
    plant_id: int
    item_id: int
    date: dt.date
    opening: Decimal
    receipts: Decimal
    in_transit: Decimal
    demand: Decimal
    planned: Decimal
    safety_stock: Decimal
    projected: Decimal
    pegs: list[tuple[int, Decimal]]
    allocated: Decimal = ZERO
    quality_inspection: Decimal = ZERO
    for_primaries: Decimal = ZERO
    by_alternates: Decimal = ZERO
    substitutions: list[Substitution] = field(default_factory=list)


SHORT = "short"
BELOW_SAFETY = "below_safety"


@dataclass(slots=True)
class ShortageResult:
    plant_id: int
    item_id: int
    date: dt.date
    quantity: Decimal
    pegs: list[tuple[int, Decimal]]
    po_lines: list[int]
    planned: Planned | None
    kind: str = SHORT


@dataclass
class PlanResult:
    rows: list[Row] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    shortages: list[ShortageResult] = field(default_factory=list)
    # (plant, item, po line or None for stock, demand, quantity)
    supply_pegs: list[tuple[int, int, int | None, int, Decimal]] = field(default_factory=list)
    planned_keys: set[tuple[int, int]] = field(default_factory=set)
    substitutions: list[Substitution] = field(default_factory=list)
    # What ``take`` moved out already (projection rows, planned orders, shortages): the run's counts.
    taken: tuple[int, int, int] = (0, 0, 0)

    def take(self) -> PlanResult:
        """The rows, planned orders, shortages, pegs and substitutions so far, moved out into a result of
        their own (``plan``'s ``flush`` writes them while planning goes on); this one keeps their count."""
        out = PlanResult(self.rows, self.planned, self.shortages, self.supply_pegs, substitutions=self.substitutions)
        rows, planned, shortages = self.taken
        self.taken = (rows + len(self.rows), planned + len(self.planned), shortages + len(self.shortages))
        self.rows, self.planned, self.shortages, self.supply_pegs, self.substitutions = [], [], [], [], []
        return out

    def counts(self) -> tuple[int, int, int]:
        """Projection rows, planned orders and shortages planned, those taken out included."""
        rows, planned, shortages = self.taken
        return rows + len(self.rows), planned + len(self.planned), shortages + len(self.shortages)


Needs = dict[tuple[dt.date, int], Decimal]  # (date, demand id) → quantity
# The part of a primary's needs that came through a line with alternates: (date, demand id, the
# alternates in priority order as (item id, quantity per unit of the primary)) → quantity.
Routed = dict[tuple[dt.date, int, tuple[tuple[int, Decimal], ...]], Decimal]


@dataclass
class PlanInputs:
    """What one company's plan is made of, loaded in bulk."""

    company_id: int
    today: dt.date
    plant_codes: dict[int, str]
    parts: dict[int, str]
    item_ids: dict[str, int]
    params: dict[tuple[int, int], Params]
    demands: list[tuple[int, int, int, str, Decimal, dt.date]]  # id, plant, item, kind, quantity, need date
    references: dict[int, str]
    supplies: dict[tuple[int, int], list[Supply]]
    stock: dict[tuple[int, int], Decimal]  # available: on hand less allocated
    structures: Structures
    allocated: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    # (plant, item) → (day it went into quarantine, quantity) per lot
    inspection: dict[tuple[int, int], tuple[tuple[dt.date, Decimal], ...]] = field(default_factory=dict)
    _firm: dict[tuple[int, int], list[Supply]] = field(default_factory=dict, repr=False)

    def firm(self, key: tuple[int, int]) -> list[Supply]:
        """The firm receipts of (plant, item) in the order netting reads them: PO lines, ship notices, and
        stock in quality inspection at its release date."""
        found = self._firm.get(key)
        if found is None:
            found = list(self.supplies.get(key, ()))
            found += inspection_supplies(self.inspection.get(key, ()), self.params.get(key) or Params(), self.today)
            found.sort(key=lambda s: (s.date, s.kind, s.po_line_id or 0))
            self._firm[key] = found
        return found

    @classmethod
    def load(cls, *, company_id: int, today: dt.date) -> PlanInputs:
        """Every open demand, open PO line, ship notice in transit, stock figure and BOM of the company."""
        plant_codes = dict(Plant.objects.filter(company_id=company_id).values_list("pk", "code"))
        parts = dict(Item.objects.filter(company_id=company_id).values_list("pk", "part_number"))
        demands, references = [], {}
        for pk, plant, item, kind, quantity, need, reference, source_id in Demand.objects.filter(
            company_id=company_id, cancelled=False
        ).values_list("pk", "plant_id", "item_id", "kind", "quantity", "need_date", "reference", "source_id"):
            demands.append((pk, plant, item, kind, quantity, need))
            references[pk] = reference or source_id
        supplies = supplies_load(company_id=company_id)
        keys = {(p, i) for _, p, i, _, _, _ in demands} | set(supplies)
        structures = Structures(company_id, "manufacturing", set(plant_codes.values()))
        structures.load({parts[i] for _, _, i, _, _, _ in demands})
        item_ids = {part: pk for pk, part in parts.items()}
        below = {item_ids[p] for p in structures.revisions if p in item_ids}
        keys |= {(plant, item) for plant in plant_codes for item in below}
        return cls.gather(
            company_id=company_id,
            today=today,
            plant_codes=plant_codes,
            parts=parts,
            item_ids=item_ids,
            structures=structures,
            demands=demands,
            references=references,
            supplies=supplies,
            keys=keys,
        )

    @classmethod
    def gather(
        cls,
        *,
        company_id: int,
        today: dt.date,
        plant_codes: dict[int, str],
        parts: dict[int, str],
        item_ids: dict[str, int],
        structures: Structures,
        demands: list[tuple[int, int, int, str, Decimal, dt.date]],
        references: dict[int, str],
        supplies: dict[tuple[int, int], list[Supply]],
        keys: set[tuple[int, int]],
        stock_terms: tuple[dict, dict, dict] | None = None,
        params: dict[tuple[int, int], Params] | None = None,
    ) -> PlanInputs:
        """The inputs of a full run or a net change: what both read the same way (stock terms and
        planning parameters of the (plant, item) pairs ``keys``, unless read already: ``stock_terms``,
        ``params``) added to what each reads its own way."""
        stock, allocated, inspection = stock_terms or stock_terms_load(company_id=company_id, keys=keys)
        if params is None:
            params = params_load(company_id=company_id, item_ids={i for _, i in keys}, plant_ids=set(plant_codes))
        return cls(
            company_id=company_id,
            today=today,
            plant_codes=plant_codes,
            parts=parts,
            item_ids=item_ids,
            params=params,
            demands=demands,
            references=references,
            supplies=supplies,
            stock=stock,
            structures=structures,
            allocated=allocated,
            inspection=inspection,
        )


def supplies_load(
    *, company_id: int, keys: Iterable[tuple[int, int]] | None = None
) -> dict[tuple[int, int], list[Supply]]:
    """The firm receipts per (plant, item): open PO lines at their promised dates, ship notices in transit.

    ``keys``: only these (plant, item) pairs (for re-planning a few items); all of the company's otherwise.
    """
    if keys is not None:
        keys = set(keys)
        if not keys:
            return {}
        lines, schedules, shipments = supplies_queries(company_id=company_id, keys=keys)
        return supplies_from(list(lines), list(schedules), list(shipments), keys=keys)
    rows = list(_lines_query(POLine.objects.filter(po__company_id=company_id, cancelled=False)))
    ids = [r[0] for r in rows]
    schedule_rows: list[tuple] = []
    shipment_rows: list[tuple] = []
    for chunk in chunks(ids):
        schedule_rows += _schedules_query(ScheduleLine.objects.filter(po_line_id__in=chunk))
        shipment_rows += _shipments_query(ShipmentLine.objects.filter(po_line_id__in=chunk))
    return supplies_from(rows, schedule_rows, shipment_rows, keys=None)


def supplies_queries(*, company_id: int, keys: set[tuple[int, int]]) -> tuple[QuerySet, QuerySet, QuerySet]:
    """The reads of ``supplies_from`` for the (plant, item) pairs ``keys`` (not empty): their open PO
    lines, and those lines' schedule lines and shipped lines, each by the lines' own filter (so all
    three may be sent at once)."""
    items, plants = {i for _, i in keys}, {p for p, _ in keys}
    lines = POLine.objects.filter(
        po__company_id=company_id, cancelled=False, item_id__in=items, po__ship_to_id__in=plants
    )
    of_lines = {
        "po_line__po__company_id": company_id,
        "po_line__cancelled": False,
        "po_line__item_id__in": items,
        "po_line__po__ship_to_id__in": plants,
    }
    return (
        _lines_query(lines),
        _schedules_query(ScheduleLine.objects.filter(**of_lines)),
        _shipments_query(ShipmentLine.objects.filter(**of_lines)),
    )


def _lines_query(lines: QuerySet) -> QuerySet:
    return lines.values_list(
        "pk",
        "po__ship_to_id",
        "item_id",
        "quantity",
        "confirmed_quantity",
        "shipped_quantity",
        "received_quantity",
        "need_by",
        "promised_date",
        "ack_response",
        "change_state",
    )


def _schedules_query(schedules: QuerySet) -> QuerySet:
    return schedules.values_list("po_line_id", "quantity", "date")


def _shipments_query(shipments: QuerySet) -> QuerySet:
    return shipments.values_list("po_line_id", "quantity", "shipment__expected_delivery", "shipment__ship_date")


def supplies_from(
    rows: list[tuple], schedule_rows: Iterable[tuple], shipment_rows: Iterable[tuple], *, keys: set | None
) -> dict[tuple[int, int], list[Supply]]:
    """``supplies_load`` of the rows its queries read (of the pairs ``keys``; None: all)."""
    schedules: dict[int, list[tuple[Decimal, dt.date]]] = defaultdict(list)
    shipped: dict[int, list[tuple[Decimal, dt.date]]] = defaultdict(list)
    for line_id, quantity, date in schedule_rows:
        schedules[line_id].append((quantity, date))
    for line_id, quantity, expected, ship_date in shipment_rows:
        shipped[line_id].append((quantity, expected or ship_date))
    result: dict[tuple[int, int], list[Supply]] = defaultdict(list)
    for pk, plant, item, quantity, confirmed, shipped_qty, received, need_by, promised, response, change in rows:
        if keys is not None and (plant, item) not in keys:
            continue
        result[(plant, item)].extend(
            line_supplies(
                pk, quantity, confirmed, shipped_qty, received, need_by, promised, response, change,
                schedules.get(pk, ()), shipped.get(pk, ()),
            )
        )  # fmt: skip
    return result


def line_supplies(
    pk: int,
    quantity: Decimal,
    confirmed: Decimal | None,
    shipped_qty: Decimal,
    received: Decimal,
    need_by: dt.date,
    promised: dt.date | None,
    response: str,
    change_state: str,
    schedule: Iterable[tuple[Decimal, dt.date]],
    shipments: Iterable[tuple[Decimal, dt.date]],
) -> list[Supply]:
    """What one PO line still brings, and when (see the module's docstring)."""
    supplies = []
    if not (response == LINE_REJECT and change_state != POLine.ChangeState.DECLINED):
        target = confirmed if confirmed is not None else quantity
        left = shipped_qty
        if schedule:
            for each, date in sorted(schedule, key=lambda s: s[1]):
                taken = min(each, left)
                left -= taken
                if each - taken > ZERO:
                    supplies.append(Supply(date, each - taken, "po", pk))
        elif target - shipped_qty > ZERO:
            supplies.append(Supply(promised or need_by, target - shipped_qty, "po", pk))
    left = received
    for each, date in sorted(shipments, key=lambda s: s[1]):
        taken = min(each, left)
        left -= taken
        if each - taken > ZERO:
            supplies.append(Supply(date, each - taken, "asn", pk))
    return supplies


def stock_load(*, company_id: int, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Decimal]:
    """The stock available for planning per (plant, item), by the inventory policy's rule."""
    return stock_terms_load(company_id=company_id, keys=keys)[0]


def stock_terms_load(
    *, company_id: int, keys: Iterable[tuple[int, int]]
) -> tuple[
    dict[tuple[int, int], Decimal],
    dict[tuple[int, int], Decimal],
    dict[tuple[int, int], tuple[tuple[dt.date, Decimal], ...]],
]:
    """Per (plant, item): the stock available for planning, what was allocated of it, and the stock in
    quality inspection (``materials.inventory.planning_stock``)."""
    try:
        from materials.inventory import balances_query, policy_for
    except ImportError:  # the inventory ledger is not installed: no stock is known
        return {}, {}, {}
    by_plant = _items_by_plant(keys)
    policy = policy_for(company_id)
    rows: list[tuple] = []
    for plant, items in by_plant.items():
        rows += balances_query(company_id=company_id, plant_ids=[plant], item_ids=sorted(items), policy=policy)
    return stock_terms_from(company_id=company_id, keys=keys, policy=policy, rows=rows)


def stock_terms_queries(*, company_id: int, keys: Iterable[tuple[int, int]]) -> list[QuerySet]:
    """The reads of ``stock_terms_from`` for the pairs ``keys``: the inventory policy and the balances
    (of every source, the policy not known yet); none when the inventory ledger is not installed."""
    try:
        from materials.inventory import balances_query
        from materials.models import InventoryPolicy
    except ImportError:
        return []
    by_plant = _items_by_plant(keys)
    items = sorted({i for found in by_plant.values() for i in found})
    return [
        InventoryPolicy.objects.filter(company_id=company_id),
        balances_query(company_id=company_id, plant_ids=sorted(by_plant), item_ids=items),
    ]


def stock_terms_from(
    *, company_id: int, keys: Iterable[tuple[int, int]], policy, rows: list[tuple]
) -> tuple[
    dict[tuple[int, int], Decimal],
    dict[tuple[int, int], Decimal],
    dict[tuple[int, int], tuple[tuple[dt.date, Decimal], ...]],
]:
    """``stock_terms_load`` of what its queries read (``policy``: the company's, or None for the default)."""
    from materials.inventory import planning_stock_from
    from materials.models import InventoryPolicy

    policy = policy or InventoryPolicy(company_id=company_id)
    stock: dict[tuple[int, int], Decimal] = {}
    allocated: dict[tuple[int, int], Decimal] = {}
    inspection: dict[tuple[int, int], tuple[tuple[dt.date, Decimal], ...]] = {}
    for plant, items in _items_by_plant(keys).items():
        found_items = planning_stock_from(
            policy, company_id=company_id, plant_id=plant, item_ids=sorted(items), rows=rows
        )
        for item, found in found_items.items():
            stock[(plant, item)] = found.available
            if found.allocated:
                allocated[(plant, item)] = found.allocated
            if found.inspection:
                inspection[(plant, item)] = found.inspection
    return stock, allocated, inspection


def _items_by_plant(keys: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    by_plant: dict[int, set[int]] = defaultdict(set)
    for plant, item in keys:
        by_plant[plant].add(item)
    return by_plant


def inspection_supplies(lots: Iterable[tuple[dt.date, Decimal]], params: Params, today: dt.date) -> list[Supply]:
    """Stock in quality inspection as receipts: each lot on the day it went in plus the item's
    inspection days, today at the earliest (an inspection running late is still expected).

    None for an item without inspection days (0, the default): a planner who has not said how long
    its inspection takes does not plan on its quarantine, which may as well end in scrap.
    """
    if params.inspection_days <= 0:
        return []
    found = []
    for since, quantity in lots:
        release = today if since == dt.date.min else since + dt.timedelta(days=params.inspection_days)
        found.append(Supply(max(release, today), quantity, "qi", None))
    return found


def params_load(*, company_id: int, item_ids: set[int], plant_ids: set[int]) -> dict[tuple[int, int], Params]:
    """Each (plant, item)'s parameters: the plant's values over the item's, the best approved supplier's
    lead time and MOQ over both for a buy item."""
    planning, plant_planning, approvals = params_queries(company_id=company_id, item_ids=item_ids)
    return params_from(list(planning), list(plant_planning), list(approvals), item_ids=item_ids, plant_ids=plant_ids)


def params_queries(*, company_id: int, item_ids: set[int]) -> tuple[QuerySet, QuerySet, QuerySet]:
    """The reads of ``params_from``: the items' planning values, their plants', their approved suppliers."""
    # A few items (net change): read just theirs, by index; many: the company's, in one pass.
    few = len(item_ids) <= FEW_ITEMS
    planning = ItemPlanning.objects.filter(item__company_id=company_id)
    plant_planning = ItemPlantPlanning.objects.filter(item__company_id=company_id)
    approvals = ApprovedSupplier.objects.filter(item__company_id=company_id)
    if few:
        planning = planning.filter(item_id__in=item_ids)
        plant_planning = plant_planning.filter(item_id__in=item_ids)
        approvals = approvals.filter(item_id__in=item_ids)
    return (
        planning.values_list(
            "item_id",
            "make_or_buy",
            "lead_time_days",
            "moq",
            "order_multiple",
            "safety_stock",
            "max_lot",
            "inspection_days",
        ),
        plant_planning.values_list(
            "plant_id",
            "item_id",
            "lead_time_days",
            "safety_stock",
            "moq",
            "order_multiple",
            "max_lot",
            "inspection_days",
        ),
        approvals.values_list(
            "item_id", "priority", "supplier_item__supplier_id", "supplier_item__lead_time_days", "supplier_item__moq"
        ),
    )


def params_from(
    planning: list[tuple],
    plant_planning: list[tuple],
    approvals: list[tuple],
    *,
    item_ids: set[int],
    plant_ids: set[int],
) -> dict[tuple[int, int], Params]:
    """``params_load`` of the rows its queries read."""
    items = {row[0]: row[1:] for row in planning}
    plants = {(row[0], row[1]): row[2:] for row in plant_planning}
    best: dict[int, tuple[int, int, int | None, Decimal]] = {}
    for item, priority, approved, lead, moq in approvals:
        if item not in best or priority < best[item][0]:
            best[item] = (priority, approved, lead, moq)
    params = {}
    for plant in plant_ids:
        for item in item_ids:
            make_or_buy, lead, moq, multiple, safety, max_lot, inspection_days = items.get(
                item, ("buy", 0, Decimal(1), Decimal(1), ZERO, None, 0)
            )
            p_lead, p_safety, p_moq, p_multiple, p_max, p_inspection = plants.get(
                (plant, item), (None, None, None, None, None, None)
            )
            make = make_or_buy == "make"
            supplier: int | None = None
            lead = p_lead if p_lead is not None else lead
            moq = p_moq if p_moq is not None else moq
            if not make and item in best:
                _, supplier, s_lead, s_moq = best[item]
                if p_lead is None and s_lead is not None:
                    lead = s_lead
                moq = max(moq, s_moq or ZERO)
            params[(plant, item)] = Params(
                make=make,
                lead_time_days=lead,
                moq=moq or Decimal(1),
                multiple=(p_multiple if p_multiple is not None else multiple) or Decimal(1),
                safety_stock=p_safety if p_safety is not None else safety,
                supplier_id=supplier,
                max_lot=p_max if p_max is not None else max_lot,
                inspection_days=p_inspection if p_inspection is not None else inspection_days,
            )
    return params


def lot_size(net: Decimal, params: Params) -> Decimal:
    """``net`` raised to the minimum order quantity, then up to a multiple of the order multiple."""
    quantity = max(net, params.moq)
    steps = (quantity / params.multiple).to_integral_value(rounding=ROUND_CEILING)
    return steps * params.multiple


def lot_sizes(net: Decimal, params: Params) -> list[tuple[Decimal, Decimal]]:
    """The orders (quantity, the part of ``net`` it covers) that cover ``net``: one ``lot_size`` order, or,
    when that is above the maximum lot size, full orders of the largest multiple within the maximum
    and a last one for the rest (itself raised to the minimum and a multiple). At most ``MAX_LOTS``
    orders: past that, the last one takes all that is left, above the maximum."""
    quantity = lot_size(net, params)
    if params.max_lot is None or quantity <= params.max_lot:
        return [(quantity, net)]
    steps = (params.max_lot / params.multiple).to_integral_value(rounding=ROUND_FLOOR)
    cap = max(steps * params.multiple, lot_size(ZERO, params))  # never below what one order must be
    if cap <= 0:  # no order fits under the maximum: one order, as without it
        return [(quantity, net)]
    # Full lots while more than one is left, at most MAX_LOTS - 1 of them; the last order takes the rest.
    full = max(0, min(int(((net - cap) / cap).to_integral_value(rounding=ROUND_CEILING)), MAX_LOTS - 1))
    left = net - full * cap
    return [(cap, cap)] * full + [(lot_size(left, params), left)]


def levels(structures: Structures, parts: dict[int, str], extra: dict[str, set[str]] | None = None) -> list[str]:
    """Every part number the structures know, parents before children (low-level-code order).

    The graph is the union of every revision's lines, so an item used at two depths (or at a
    different depth on another date) comes after the deepest parent and is netted once.
    """
    children: dict[str, set[str]] = defaultdict(set)
    for part, revisions in structures.revisions.items():
        for revision in revisions:
            children[part].update(line.part_number for line in structures.lines.get(revision.release_id, ()))
    for before, after in (extra or {}).items():
        children[before].update(after)
    incoming: dict[str, int] = defaultdict(int)
    nodes = set(structures.revisions) | set(parts.values())
    for below in children.values():
        for child in below:
            incoming[child] += 1
    ready = sorted(n for n in nodes if not incoming[n])
    order = []
    while ready:
        part = ready.pop()
        order.append(part)
        for child in sorted(children.get(part, ())):
            incoming[child] -= 1
            if not incoming[child]:
                ready.append(child)
    return order


def descendants(structures: Structures, parts: set[str]) -> set[str]:
    """Every part below ``parts`` in any revision of the structures loaded."""
    found: set[str] = set()
    stack = list(parts)
    while stack:
        part = stack.pop()
        for revision in structures.revisions.get(part, ()):
            for line in structures.lines.get(revision.release_id, ()):
                if line.part_number not in found:
                    found.add(line.part_number)
                    stack.append(line.part_number)
    return found


def alternate_groups(structures: Structures) -> dict[str, set[str]]:
    """Every primary → the parts that may stand in for it, in any revision of the structures loaded."""
    groups: dict[tuple[int, str], list] = defaultdict(list)
    for release_id, lines in structures.lines.items():
        for line in lines:
            if line.alternate_group:
                groups[(release_id, line.alternate_group)].append(line)
    found: dict[str, set[str]] = defaultdict(set)
    for lines in groups.values():
        lines.sort(key=lambda line: (line.alternate_priority, line.part_number))
        for other in lines[1:]:
            if other.part_number != lines[0].part_number:
                found[lines[0].part_number].add(other.part_number)
    return found


def plan_order(structures: Structures, parts: dict[int, str]) -> tuple[list[str], set[tuple[str, str]]]:
    """``levels`` with what alternates need: each alternate after its primaries, each primary after
    every parent of its alternates, primaries sharing an alternate in part-number order. Returns the
    order and the (primary, alternate) pairs left out because they would make a cycle (not used)."""
    groups = alternate_groups(structures)
    if not groups:
        return levels(structures, parts), set()
    parents: dict[str, set[str]] = defaultdict(set)
    for part, revisions in structures.revisions.items():
        for revision in revisions:
            for line in structures.lines.get(revision.release_id, ()):
                parents[line.part_number].add(part)
    pairs = {(primary, alternate) for primary, alternates in groups.items() for alternate in alternates}
    left_out: set[tuple[str, str]] = set()
    while True:
        extra: dict[str, set[str]] = defaultdict(set)
        primaries: dict[str, list[str]] = defaultdict(list)
        for primary, alternate in sorted(pairs - left_out):
            extra[primary].add(alternate)
            for parent in parents.get(alternate, ()):
                if parent != primary:
                    extra[parent].add(primary)
            primaries[alternate].append(primary)
        for sharing in primaries.values():
            for first, then in pairwise(sharing):
                extra[first].add(then)
        order = levels(structures, parts, extra)
        placed = set(order)
        stuck = {pair for pair in pairs - left_out if pair[0] not in placed or pair[1] not in placed}
        if not stuck:
            return order, left_out
        left_out |= stuck


@no_cycle_collection()  # why: a plan makes millions of short-lived objects and no reference cycles
def plan(
    inputs: PlanInputs,
    *,
    only: set[tuple[int, int]] | None = None,
    outside: dict[tuple[int, int], Needs] | None = None,
    outside_routed: dict[tuple[int, int], Routed] | None = None,
    flush: Callable[[PlanResult], None] | None = None,
) -> PlanResult:
    """Net every (plant, item) in low-level-code order; see the module's docstring.

    ``only``: plan just these (plant, item) pairs (net change); their requirements from parents
    outside them come in ``outside`` (and, of those, what came through lines with alternates, in
    ``outside_routed``). ``flush``: called with the result whenever ``FLUSH_ROWS`` rows are planned,
    between two item-locations, and at the end; it may ``take`` them (a full run writes them as it
    plans, so its memory does not grow with the plan): an item-location's results no longer change once netted.
    """
    needs: dict[tuple[int, int], Needs] = defaultdict(lambda: defaultdict(Decimal))
    routed: dict[tuple[int, int], Routed] = defaultdict(lambda: defaultdict(Decimal))
    plant_ids = {code: pk for pk, code in inputs.plant_codes.items()}
    for pk, plant, item, kind, quantity, need in inputs.demands:
        if kind == Demand.Kind.PRODUCTION_ORDER:
            explode_into(needs, inputs, plant, inputs.parts[item], need, quantity, [(pk, quantity)], plant_ids, routed)
        else:
            needs[(plant, item)][(need, pk)] += quantity
    if outside:
        for key, entries in outside.items():
            for entry, quantity in entries.items():
                needs[key][entry] += quantity
    if outside_routed:
        for key, through in outside_routed.items():
            for route, quantity in through.items():
                routed[key][route] += quantity
    result = PlanResult()
    planned_items = {i for _, i in needs} | {i for _, i in inputs.supplies} | {i for _, i in inputs.stock}
    planned_items |= {i for _, i in inputs.inspection}
    order, left_out = plan_order(inputs.structures, inputs.parts)
    ordered = [inputs.item_ids[p] for p in order if p in inputs.item_ids]
    seen = set(ordered)
    ordered = sorted(i for i in planned_items if i not in seen) + ordered
    state = _State(inputs, result, needs, routed, plant_ids, only, left_out)
    for item in ordered:
        for plant in sorted(inputs.plant_codes):
            key = (plant, item)
            if only is not None and key not in only:
                continue
            if key in needs or key in inputs.supplies or key in inputs.stock or key in inputs.inspection:
                _net(state, plant, item)
                # Netted: nothing reads an item-location's requirements again (those of the items below
                # and of its alternates are others'), so a full run does not keep every one to the end.
                needs.pop(key, None)
                routed.pop(key, None)
                if flush is not None and len(result.rows) + len(result.shortages) >= FLUSH_ROWS:
                    flush(result)
    if flush is not None:
        flush(result)
    return result


@dataclass
class _State:
    """What netting one item reads and adds to for the items after it."""

    inputs: PlanInputs
    result: PlanResult
    needs: dict[tuple[int, int], Needs]
    routed: dict[tuple[int, int], Routed]
    plant_ids: dict[str, int]
    only: set[tuple[int, int]] | None
    left_out: set[tuple[str, str]]
    given: dict[tuple[int, int], dict[dt.date, Decimal]] = field(default_factory=lambda: defaultdict(dict))
    notes: dict[tuple[int, int], dict[dt.date, list[Substitution]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )


def _net(state: _State, plant: int, item: int) -> None:
    """Net one (plant, item): projection rows, planned orders, shortages, pegs; a make order's components
    are added to ``needs`` of the items below, what alternates give to theirs."""
    inputs, result = state.inputs, state.result
    params = inputs.params.get((plant, item)) or Params()
    mine = state.needs.get((plant, item), {})
    supplies = inputs.firm((plant, item))
    stock = inputs.stock.get((plant, item), ZERO)
    allocated = inputs.allocated.get((plant, item), ZERO)
    given = state.given.get((plant, item), {})
    result.planned_keys.add((plant, item))
    entries = sorted(mine.items())  # by date, then demand: each date's list below comes out in demand order
    by_date: dict[dt.date, list[tuple[int, Decimal]]] = defaultdict(list)
    demands: dict[dt.date, Decimal] = {}  # each date's total, added up in the order of its list
    for (date, demand_id), quantity in entries:
        by_date[date].append((demand_id, quantity))
        demands[date] = demands.get(date, ZERO) + quantity
    receipts: dict[dt.date, list[Decimal]] = {}  # each date's PO lines, in transit, out of inspection
    for supply in supplies:
        sums = receipts.get(supply.date)
        if sums is None:
            sums = receipts[supply.date] = [ZERO, ZERO, ZERO]
        kind = _KIND_INDEX[supply.kind]
        sums[kind] = sums[kind] + supply.quantity
    through: dict[dt.date, list[tuple[int, tuple, Decimal]]] = defaultdict(list)
    for (date, demand_id, alternates), quantity in state.routed.get((plant, item), {}).items():
        through[date].append((demand_id, alternates, quantity))
    dates = sorted(set(by_date) | set(receipts))
    safety = params.safety_stock
    terms = []
    covered: dict[tuple[dt.date, int], Decimal] = defaultdict(Decimal)
    firm = stock
    for date in dates:
        po, transit, inspected = receipts.get(date, _NO_RECEIPTS)
        due = by_date.get(date, [])
        demand = demands.get(date, ZERO)
        firm += po + transit + inspected - demand
        by_alternates = ZERO
        if firm < ZERO and date in through:
            by_alternates = _substitute(state, plant, item, date, sorted(through[date]), -firm, covered)
            firm += by_alternates
        if covered:
            net_due = [(d, n) for d, q in due if (n := q - covered.get((date, d), ZERO)) > ZERO]
        else:
            net_due = [(d, n) for d, q in due if (n := q - ZERO) > ZERO]  # why: ``- ZERO`` sets the scale as before
        terms.append((date, po, transit, inspected, due, net_due, demand, by_alternates, firm))
    supply_dates = [s.date for s in supplies]
    notes = state.notes.get((plant, item), {})  # complete: only netting this item or an earlier one adds to it
    lates: dict[int, list[int]] = {}  # by where the supplies after a date start: most shortages share one
    planned_total = ZERO
    planned_here: list[Planned] = []
    for index, (date, po, transit, inspected, due, net_due, demand, by_alternates, firm) in enumerate(terms):
        planned_qty = ZERO
        planned = None
        needed = demand - by_alternates
        if firm + planned_total < safety and needed > ZERO:
            # One order covers what the batch window needs (frePPLe's batchwindow, OCA's mrp_nbr_days).
            until = date + dt.timedelta(days=BATCH_DAYS)
            lowest = firm
            for later in islice(terms, index + 1, None):  # in date order: stop past the window
                if later[0] >= until:
                    break
                if later[8] < lowest:
                    lowest = later[8]
            net = safety - (lowest + planned_total)
            release = date - dt.timedelta(days=params.lead_time_days)
            supplier = None if params.make else params.supplier_id
            for quantity, part in lot_sizes(net, params):
                order = Planned(plant, item, params.make, supplier, quantity, part, date, release)
                planned = planned or order  # a shortage names the first order of its date
                planned_here.append(order)
                planned_qty += quantity
            planned_total += planned_qty
        for_primaries = given.get(date, ZERO)
        result.rows.append(
            Row(
                plant,
                item,
                date,
                stock + allocated if index == 0 else ZERO,
                po,
                transit,
                demand - for_primaries,
                planned_qty,
                safety,
                firm,
                due,
                allocated if index == 0 else ZERO,
                inspected,
                for_primaries,
                by_alternates,
                notes.get(date, []),
            )
        )
        if needed > ZERO and firm < safety:
            start = bisect.bisect_right(supply_dates, date)
            late = lates.get(start)
            if late is None:
                late = lates[start] = _late_lines(supplies, start)
            if firm < ZERO:
                short = min(needed, -firm)
                result.shortages.append(ShortageResult(plant, item, date, short, net_due, late, planned))
            else:
                below = safety - firm
                result.shortages.append(ShortageResult(plant, item, date, below, net_due, late, planned, BELOW_SAFETY))
    result.planned.extend(planned_here)
    net_mine = {k: q - covered.get(k, ZERO) for k, q in entries}
    _peg(state, plant, item, stock, supplies, planned_here, {k: q for k, q in net_mine.items() if q > ZERO})


_KIND_INDEX = {"po": 0, "asn": 1, "qi": 2}
_NO_RECEIPTS = (ZERO, ZERO, ZERO)


def _late_lines(supplies: list[Supply], start: int) -> list[int]:
    """The first ``LATE_LINES`` PO lines of ``supplies[start:]``, each once, in order."""
    late: dict[int, None] = {}
    for supply in islice(supplies, start, None):
        if supply.po_line_id is not None:
            late[supply.po_line_id] = None
            if len(late) == LATE_LINES:
                break
    return list(late)


def _substitute(
    state: _State,
    plant: int,
    item: int,
    date: dt.date,
    entries: list[tuple[int, tuple, Decimal]],
    short: Decimal,
    covered: dict[tuple[dt.date, int], Decimal],
) -> Decimal:
    """Cover up to ``short`` of the primary ``item``'s requirements on ``date`` that came through lines
    with alternates, from those alternates in priority order; returns how much of the primary is covered."""
    inputs = state.inputs
    part = inputs.parts.get(item)
    total = ZERO
    for demand_id, alternates, quantity in entries:
        wanted = min(quantity, short - total)
        for alternate, ratio in alternates:
            if wanted <= ZERO:
                break
            key = (plant, alternate)
            if (part, inputs.parts.get(alternate)) in state.left_out or key in state.result.planned_keys:
                continue  # left out of the order, or already netted: it cannot give without going short
            if state.only is not None and key not in state.only:
                continue
            spare = _spare(state, key, date)
            if spare <= ZERO:
                continue
            take = min(wanted, spare / ratio)
            if ratio != ONE:
                take = take.quantize(PLACES, rounding=ROUND_FLOOR)
                if take <= ZERO:
                    continue
            gives = take * ratio
            state.needs[key][(date, demand_id)] += gives
            state.given[key][date] = state.given[key].get(date, ZERO) + gives
            note = Substitution(plant, item, alternate, date, demand_id, take, gives)
            state.notes[(plant, item)][date].append(note)
            state.notes[key][date].append(note)
            state.result.substitutions.append(note)
            covered[(date, demand_id)] += take
            wanted -= take
            total += take
        if total >= short:
            break
    return total


def _spare(state: _State, key: tuple[int, int], date: dt.date) -> Decimal:
    """What (plant, alternate) has over its safety stock on ``date`` and every later date: its firm
    supply against every requirement it has so far."""
    inputs = state.inputs
    safety = (inputs.params.get(key) or Params()).safety_stock
    moves: dict[dt.date, Decimal] = defaultdict(Decimal)
    for supply in inputs.firm(key):
        moves[supply.date] += supply.quantity
    for (day, _), quantity in state.needs.get(key, {}).items():
        moves[day] -= quantity
    level = inputs.stock.get(key, ZERO)
    lowest: Decimal | None = None
    for day in sorted(moves):
        if day > date and lowest is None:
            lowest = level  # what it has on ``date`` itself, before a later move
        level += moves[day]
        if day >= date:
            lowest = level if lowest is None else min(lowest, level)
    if lowest is None:
        lowest = level
    return max(lowest - safety, ZERO)


def _peg(
    state: _State,
    plant: int,
    item: int,
    stock: Decimal,
    supplies: list[Supply],
    planned: list[Planned],
    mine: Needs,
) -> None:
    """First in, first out: supplies in date order against requirements in date order (``mine``: in
    (date, demand) order)."""
    inputs, result = state.inputs, state.result
    queue: list[tuple[dt.date, int, object, Decimal]] = []
    if stock > ZERO:
        queue.append((DATE_MIN, 0, None, stock))
    queue += [(s.date, 1, s, s.quantity) for s in supplies]
    queue += [(p.need_date, 2, p, p.quantity) for p in planned]
    queue.sort(key=lambda q: (q[0], q[1]))
    demands = [demand for (_, demand), _ in mine.items() if demand != NO_DEMAND]
    open_quantities = [quantity for (_, demand), quantity in mine.items() if demand != NO_DEMAND]
    index, count = 0, len(demands)
    supply_pegs = result.supply_pegs
    for _, _, supply, amount in queue:
        if index >= count:
            break  # every requirement is covered: the later supplies peg nothing
        order = supply if isinstance(supply, Planned) else None
        line = supply.po_line_id if isinstance(supply, Supply) else None
        left = amount
        while left > ZERO and index < count:
            demand, still = demands[index], open_quantities[index]
            taken = still if still < left else left  # ``min(left, still)``: the first of two equal
            left -= taken
            still -= taken
            open_quantities[index] = still
            if still <= ZERO:
                index += 1
            if order is not None:
                order.pegs.append((demand, taken))
            else:
                supply_pegs.append((plant, item, line, demand, taken))
    for order in planned:
        if order.make:
            pegged = sum((q for _, q in order.pegs), ZERO)
            pegs = [*order.pegs, (NO_DEMAND, order.quantity - pegged)] if order.quantity > pegged else order.pegs
            explode_into(
                state.needs,
                inputs,
                plant,
                inputs.parts[item],
                order.release_date,
                order.quantity,
                pegs,
                state.plant_ids,
                state.routed,
            )


def explode_into(
    needs: dict[tuple[int, int], Needs],
    inputs: PlanInputs,
    plant: int,
    part: str,
    on: dt.date,
    quantity: Decimal,
    pegs: list[tuple[int, Decimal]],
    plant_ids: dict[str, int],
    routed: dict[tuple[int, int], Routed] | None = None,
) -> None:
    """Add what ``quantity`` of ``part`` needs one level down at ``plant`` on ``on`` (through phantoms);
    what a primary with alternates needs also to ``routed``."""
    code = inputs.plant_codes[plant]
    named = [peg for peg in pegs if peg[0] != NO_DEMAND]
    if len(named) > PEG_LIMIT:
        unnamed = sum((q for _, q in pegs), ZERO) - sum((q for _, q in named[:PEG_LIMIT]), ZERO)
        pegs = [*named[:PEG_LIMIT], (NO_DEMAND, unnamed)]
    alternates = inputs.structures.alternates(part, code, on) if routed is not None else {}
    for child, per_unit, passes_through in inputs.structures.below(part, code, on, [DATE_MIN, DATE_MAX]):
        child_pegs = [(demand, q * per_unit) for demand, q in pegs]
        if passes_through:
            explode_into(needs, inputs, plant, child, on, quantity * per_unit, child_pegs, plant_ids, routed)
            continue
        child_id = inputs.item_ids.get(child)
        if child_id is None:
            continue
        entries = needs[(plant, child_id)]
        for demand, q in child_pegs:
            if q:
                entries[(on, demand)] += q
        if child in alternates and routed is not None:
            route = tuple((inputs.item_ids[a], ratio) for a, ratio in alternates[child] if a in inputs.item_ids)
            if route:
                through = routed[(plant, child_id)]
                for demand, q in child_pegs:
                    if q and demand != NO_DEMAND:
                        through[(on, demand, route)] += q
