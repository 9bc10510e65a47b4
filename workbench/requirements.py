"""The planner's view of a requirements run: shortages with the demands they hit and the purchase that
would cover them, an item's projection as a chart and as a table of its terms, the PO lines behind its
receipts, and an exception's requirement trace.

Every read starts from ``materials.selectors`` (scoped to the actor: another company's rows are
never there) and only enriches what they returned; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from django.db import connection
from django.db.models import BooleanField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from gateway.actors import Actor
from materials import requirements as engine
from materials import selectors
from materials.explosion import chunks
from materials.models import Demand, PlannedPurchase, ProjectionRow, Shortage
from materials.severity import shortage_key
from procurement.models import Item, Plant, POLine, ProcurementException

ZERO = Decimal(0)
STOPPING_KINDS = frozenset({Demand.Kind.PRODUCTION_ORDER, Demand.Kind.MASTER_SCHEDULE})

# The projection's terms, in the order a planner reads them; a term the plan does not store (yet) is left out.
# Opening stock and allocations are the first date's only.
FIRST_ONLY = frozenset({"opening", "allocated"})
# Terms most items never have: a column only when some date of the item has one (the API always has them).
WHEN_USED = frozenset({"allocated", "quality_inspection", "for_primaries", "by_alternates"})
TERMS = (
    ("opening", "On hand"),
    ("allocated", "Allocations"),
    ("receipts", "PO receipts"),
    ("in_transit", "ASNs in transit"),
    ("quality_inspection", "Released from quality inspection"),
    ("demand", "Demand"),
    ("for_primaries", "Given as an alternate"),
    ("by_alternates", "Covered by alternates"),
    ("planned", "Planned receipts"),
    ("safety_stock", "Safety stock"),
    ("projected", "Projected"),
)


def terms() -> list[tuple[str, str]]:
    """The terms the stored projection has, as (field, heading)."""
    names = {f.name for f in ProjectionRow._meta.get_fields()}
    return [(name, heading) for name, heading in TERMS if name in names]


@dataclass(frozen=True)
class DemandHit:
    """A demand a shortage or planned purchase serves: the order people know, its kind, the end item."""

    reference: str
    kind: str
    kind_label: str
    end_item: str
    need_date: dt.date | None
    quantity: Decimal


@dataclass(frozen=True)
class LateLine:
    po_number: str
    line_no: str
    supplier: str
    promised: dt.date | None


@dataclass(frozen=True)
class ShortageRow:
    shortage: Shortage
    severity: str
    hits: list[DemandHit]
    late_lines: list[LateLine]
    planned: PlannedPurchase | None
    # The buyer's open material shortage exception of the row's plant and item, if one was raised.
    exception: ProcurementException | None = None

    @property
    def severity_label(self) -> str:
        """What the shortage hits (the exception, if any, carries its own severity)."""
        if self.shortage.kind == Shortage.Kind.BELOW_SAFETY:
            return "Below safety stock"
        return "Stops production" if self.severity == "production_stop" else "Independent demand short"


# A list page shows its first ``ROWS_SHOWN`` rows, read a page at a time from the database, and counts
# the rows that match only up to ``COUNT_CAP``: a full run leaves millions of shortages, and counting
# them all to print "2,434,052" cost more than the page ("more than 10,000" tells a planner as much).
ROWS_SHOWN = 500
COUNT_CAP = 10_000
# Ids looked up in one statement: a page's pegs can name more demands than a statement takes values.
IDS_PER_READ = 10_000


T = TypeVar("T")


@dataclass(frozen=True)
class Listed(Generic[T]):
    """The first rows of a list, and how many rows match: ``total``, counted up to ``COUNT_CAP`` when
    not every match is shown; ``more``: more than that."""

    rows: list[T]
    total: int
    more: bool

    @property
    def shown(self) -> int:
        return len(self.rows)

    @property
    def total_text(self) -> str:
        return f"{self.total:,}"


def _counted(found: QuerySet) -> tuple[int, bool]:
    total = found[: COUNT_CAP + 1].count()
    return min(total, COUNT_CAP), total > COUNT_CAP


def _hits(pegs_lists: list[list[dict]], company_ids: set[int]) -> dict[int, Demand]:
    ids = {int(p["demand"]) for pegs in pegs_lists for p in pegs if str(p.get("demand", "")).isdigit()}
    return {
        d.pk: d
        for chunk in chunks(sorted(ids), IDS_PER_READ)
        for d in Demand.objects.filter(pk__in=chunk, company_id__in=company_ids).select_related("item")
    }


def _stops_production() -> RawSQL:
    """Whether a shortage's pegs name a demand that stops production when unmet (a production order or
    the master schedule), worked out in the database: a page of shortages that stop production is then
    chosen from millions without reading them. A shortage row's own table is the statement's base table."""
    shortage, demand = Shortage._meta.db_table, Demand._meta.db_table
    if connection.vendor == "postgresql":
        pegs = f"jsonb_array_elements({shortage}.pegs) AS peg"
        demand_id = "CASE WHEN jsonb_typeof(peg -> 'demand') = 'number' THEN (peg ->> 'demand')::bigint END"
    else:
        pegs = f"json_each({shortage}.pegs) AS peg"
        demand_id = "json_extract(peg.value, '$.demand')"
    kinds = sorted(STOPPING_KINDS)
    # Only the models' own table names go in; the demand kinds are bound.
    sql = (
        f"EXISTS (SELECT 1 FROM {pegs} JOIN {demand} ON {demand}.id = {demand_id}"  # noqa: S608
        f" AND {demand}.company_id = {shortage}.company_id WHERE {demand}.kind IN ({', '.join(['%s'] * len(kinds))}))"
    )
    return RawSQL(sql, kinds, output_field=BooleanField())  # noqa: S611


def hits_of(pegs: list[dict], demands: dict[int, Demand]) -> list[DemandHit]:
    found = []
    for peg in pegs:
        demand = demands.get(int(peg["demand"])) if str(peg.get("demand", "")).isdigit() else None
        found.append(
            DemandHit(
                reference=peg.get("reference") or (demand.label if demand else ""),
                kind=demand.kind if demand else "",
                kind_label=demand.get_kind_display() if demand else "",
                end_item=demand.item.part_number if demand else "",
                need_date=demand.need_date if demand else None,
                quantity=Decimal(str(peg.get("quantity", "0"))),
            )
        )
    return found


def shortages(
    *,
    actor: Actor,
    company_code: str,
    plant_code: str = "",
    part_number: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    severity: str = "",
    limit: int | None = None,
) -> Listed[ShortageRow]:
    """The company's current shortages by plant, date and item, narrowed as asked: the first ``limit``
    (``ROWS_SHOWN`` unless given), each with the demands it hits, the PO lines arriving after it and its
    planned purchase, and how many match. Read plant by plant (a plant's shortages come by date from its
    index), so the first page of millions costs what a page of a few does."""
    limit = ROWS_SHOWN if limit is None else limit
    found: QuerySet[Shortage] = selectors.shortages_for(actor=actor, company_code=company_code)
    if part_number:
        found = found.filter(item__part_number=part_number)
    if start:
        found = found.filter(date__gte=start)
    if end:
        found = found.filter(date__lte=end)
    # Below safety stock nothing stops yet: the buffer is being used (the procurement delay).
    found = found.annotate(stops=_stops_production())
    if severity == "production_stop":
        found = found.filter(kind=Shortage.Kind.SHORT, stops=True)
    elif severity == "procurement_delay":
        found = found.exclude(kind=Shortage.Kind.SHORT, stops=True)
    plants = Plant.objects.filter(company__code=company_code, company_id__in=sorted(actor.company_ids))
    if plant_code:
        found = found.filter(plant__code=plant_code)
        plants = plants.filter(code=plant_code)
    found = found.select_related("planned_purchase__po")
    rows: list[Shortage] = []
    for plant_id in plants.order_by("code").values_list("pk", flat=True):
        if len(rows) >= limit:
            break
        rows += found.filter(plant_id=plant_id).order_by("date", "item__part_number", "pk")[: limit - len(rows)]
    total, more = _counted(found) if len(rows) >= limit else (len(rows), False)
    demands = _hits([s.pegs for s in rows], set(actor.company_ids))
    lines = {
        line.pk: line
        for chunk in chunks(sorted({int(i) for s in rows for i in s.po_lines}), IDS_PER_READ)
        for line in POLine.objects.filter(pk__in=chunk, po__company_id__in=actor.company_ids).select_related(
            "po__supplier"
        )
    }
    raised = {
        (e.evidence.get("plant_id"), e.evidence.get("item_id")): e
        for e in ProcurementException.objects.open().filter(
            company_id__in=sorted(actor.company_ids),
            dedup_key__in=sorted({shortage_key(s.company_id, s.plant_id, s.item_id) for s in rows}),
        )
    }
    result = []
    for s in rows:
        stops = s.kind == Shortage.Kind.SHORT and s.stops  # type: ignore[attr-defined]  # annotated: _stops_production
        level = "production_stop" if stops else "procurement_delay"
        late = [
            LateLine(line.po.number, line.line_no, line.po.supplier.code, line.promised_date)
            for line in (lines.get(int(i)) for i in s.po_lines)
            if line is not None
        ]
        result.append(
            ShortageRow(
                s, level, hits_of(s.pegs, demands), late, s.planned_purchase, raised.get((s.plant_id, s.item_id))
            )
        )
    return Listed(result, total, more)


def first_shortage(planned: PlannedPurchase) -> Shortage | None:
    """The first date the planned purchase's item is still short at its plant, as the plan stands now."""
    return (
        Shortage.objects.filter(
            company_id=planned.company_id, plant_id=planned.plant_id, item_id=planned.item_id, kind=Shortage.Kind.SHORT
        )
        .order_by("date", "pk")
        .first()
    )


@dataclass(frozen=True)
class PlannedRow:
    planned: PlannedPurchase
    hits: list[DemandHit]


def planned_purchases(
    *,
    actor: Actor,
    company_code: str,
    plant_code: str = "",
    part_number: str = "",
    state: str = "",
    limit: int | None = None,
) -> Listed[PlannedRow]:
    """The company's planned purchases and make orders by release date: the first ``limit`` (``ROWS_SHOWN``
    unless given), each with the demands it serves, and how many match."""
    limit = ROWS_SHOWN if limit is None else limit
    found = selectors.planned_purchases_for(actor=actor, company_code=company_code)
    if plant_code:
        found = found.filter(plant__code=plant_code)
    if part_number:
        found = found.filter(item__part_number=part_number)
    if state:
        found = found.filter(state=state)
    rows = list(found.order_by("release_date", "plant__code", "item__part_number", "pk")[:limit])
    total, more = _counted(found) if len(rows) >= limit else (len(rows), False)
    demands = _hits([p.pegs for p in rows], set(actor.company_ids))
    return Listed([PlannedRow(p, hits_of(p.pegs, demands)) for p in rows], total, more)


@dataclass(frozen=True)
class ReceiptLine:
    """A firm receipt in the projection and the PO line behind it."""

    date: dt.date
    kind: str
    po_number: str
    line_no: str
    supplier: str
    quantity: Decimal
    need_by: dt.date | None
    promised: dt.date | None


@dataclass
class Projection:
    item: Item
    plant: Plant
    rows: list[ProjectionRow]
    terms: list[tuple[str, str]]
    receipts: list[ReceiptLine] = field(default_factory=list)
    planned: list[PlannedRow] = field(default_factory=list)

    def table(self) -> list[tuple[ProjectionRow, list[Decimal | None], list[DemandHit]]]:
        demands = _hits([r.pegs for r in self.rows], {self.item.company_id})
        # "On hand" is the stock the first date starts from; later dates start from the one before.
        return [
            (
                row,
                [getattr(row, name) if name not in FIRST_ONLY or i == 0 else None for name, _ in self.terms],
                hits_of(row.pegs, demands),
            )
            for i, row in enumerate(self.rows)
        ]

    def chart(self) -> dict:
        """The chart's numbers: stock after each date as a step line from what is on hand, the safety stock,
        demands and receipts as marks on their dates (None where a date has none)."""
        if not self.rows:
            return {}
        labels = ["On hand", *(r.date.isoformat() for r in self.rows)]
        firm = [r.receipts + r.in_transit + r.quality_inspection for r in self.rows]
        taken = [r.demand + r.for_primaries - r.by_alternates for r in self.rows]
        first = self.rows[0]
        return {
            "labels": labels,
            "uom": self.item.base_uom,
            "projected": [float(first.opening - first.allocated), *(float(r.projected) for r in self.rows)],
            "safety": [float(self.rows[0].safety_stock), *(float(r.safety_stock) for r in self.rows)],
            # What each date takes of this item's stock: its demand, with what it gives as an alternate and
            # less what its alternates cover (the table has each apart).
            "demand": [None, *(float(q) if q else None for q in taken)],
            "receipts": [None, *(float(q) if q else None for q in firm)],
            "planned": [None, *(float(r.planned) if r.planned else None for r in self.rows)],
        }


def projection(*, actor: Actor, company_code: str, part_number: str, plant_code: str) -> Projection | None:
    """An item's projection at a plant, the PO lines behind its firm receipts and its planned purchases;
    None when the actor may not see the item or the plant."""
    item = selectors.inventory_item_for(actor=actor, company_code=company_code, part_number=part_number)
    if item is None:
        return None
    plant = Plant.objects.filter(company_id=item.company_id, code=plant_code).first()
    if plant is None:
        return None
    rows = selectors.projection_for(
        actor=actor, company_code=company_code, part_number=part_number, plant_code=plant_code
    )
    used = [
        (name, heading) for name, heading in terms() if name not in WHEN_USED or any(getattr(r, name) for r in rows)
    ]
    found = Projection(item=item, plant=plant, rows=rows, terms=used)
    if rows:
        key = (plant.pk, item.pk)
        supplies = engine.supplies_load(company_id=item.company_id, keys=[key]).get(key, [])
        lines = {
            line.pk: line
            for line in POLine.objects.filter(
                pk__in=sorted({s.po_line_id for s in supplies if s.po_line_id is not None}),
                po__company_id=item.company_id,
            ).select_related("po__supplier")
        }
        for supply in sorted(supplies, key=lambda s: (s.date, s.po_line_id or 0)):
            line = lines.get(supply.po_line_id) if supply.po_line_id is not None else None
            if line is None:
                continue
            found.receipts.append(
                ReceiptLine(
                    date=supply.date,
                    kind="Ship notice in transit" if supply.kind == "asn" else "PO line",
                    po_number=line.po.number,
                    line_no=line.line_no,
                    supplier=line.po.supplier.code,
                    quantity=supply.quantity,
                    need_by=line.need_by,
                    promised=line.promised_date,
                )
            )
    found.planned = planned_purchases(
        actor=actor, company_code=company_code, plant_code=plant_code, part_number=part_number
    ).rows
    return found


@dataclass(frozen=True)
class Trace:
    """Why the projection set an exception's severity: what would stop, when, how short, cover lost."""

    severity: str
    plant: str
    part_number: str
    uom: str
    date: str
    orders: list[DemandHit]
    short: str
    days_of_cover_lost: int | None
    below_safety_stock: str
    rule_severity: str
    company_code: str
    # A material shortage's own reason: the planned purchase that would cover it, and whether it is late.
    cover: str = ""


def exception_trace(exception: ProcurementException) -> Trace | None:
    """The requirement trace of an exception the actor already may see; None when no projection ranked it.

    A material shortage is the projection's own finding: its evidence is the trace, and the planned
    purchase that would cover it (late or not, or none) is why it is a production stop or a delay.
    """
    shortage = exception.kind == ProcurementException.Kind.MATERIAL_SHORTAGE
    finding = exception.evidence if shortage else (exception.evidence or {}).get("requirements")
    if not isinstance(finding, dict) or "item_id" not in finding or "plant_id" not in finding:
        return None
    item = Item.objects.filter(pk=finding["item_id"], company_id=exception.company_id).first()
    plant = Plant.objects.filter(pk=finding["plant_id"], company_id=exception.company_id).first()
    if item is None or plant is None:
        return None
    references = [str(o) for o in finding.get("orders", [])]
    demands = {
        d.reference or d.source_id: d
        for d in Demand.objects.filter(company_id=exception.company_id, plant=plant, reference__in=references)
        .select_related("item")
        .order_by("pk")
    }
    orders = [
        DemandHit(
            reference=ref,
            kind=demands[ref].kind if ref in demands else "",
            kind_label=demands[ref].get_kind_display() if ref in demands else "",
            end_item=demands[ref].item.part_number if ref in demands else "",
            need_date=demands[ref].need_date if ref in demands else None,
            quantity=demands[ref].quantity if ref in demands else ZERO,
        )
        for ref in references
    ]
    rule = (exception.evidence or {}).get("rule_severity", "")
    labels = dict(ProcurementException.Severity.choices)
    lost = finding.get("days_of_cover_lost")
    return Trace(
        severity=exception.severity,
        plant=plant.code,
        part_number=item.part_number,
        uom=item.base_uom,
        date=str(finding.get("date", "")),
        orders=orders,
        short=str(finding.get("short", "")),
        days_of_cover_lost=int(lost) if lost is not None else None,
        below_safety_stock=str(finding.get("below_safety_stock", "")),
        rule_severity=str(labels.get(rule, rule)),
        company_code=exception.company.code,
        cover=_cover_words(exception.evidence.get("planned_purchase")) if shortage else "",
    )


def _cover_words(planned: object) -> str:
    """Why a material shortage is ranked as it is, in the words of ``materials.severity.shortages_raise``."""
    if not isinstance(planned, dict):
        return "Nothing planned covers it: production stops unless a purchase is placed."
    due = f"a planned purchase of {planned.get('quantity', '')} due {planned.get('need_date', '')}"
    if planned.get("late"):
        return (
            f"Only {due} would cover it, and it was to be released by {planned.get('release_date', '')}: "
            "already late, so production stops unless it is expedited."
        )
    return (
        f"{due[0].upper()}{due[1:]} covers it if it is released by {planned.get('release_date', '')}: "
        "a procurement delay until it is ordered."
    )


def exception_planned_purchase(exception: ProcurementException) -> PlannedPurchase | None:
    """The planned purchase a material shortage's evidence names, still to be ordered, if this run keeps it.

    Every run writes its planned purchases anew, so it is found by what it is (plant, item, need date,
    quantity), not by row; None when the exception is no shortage or the plan no longer proposes it.
    """
    evidence = exception.evidence or {}
    planned = evidence.get("planned_purchase")
    if exception.kind != ProcurementException.Kind.MATERIAL_SHORTAGE or not isinstance(planned, dict):
        return None
    return (
        PlannedPurchase.objects.filter(
            company_id=exception.company_id,
            plant_id=evidence.get("plant_id", 0),
            item_id=evidence.get("item_id", 0),
            need_date=str(planned.get("need_date", "")),
            quantity=Decimal(str(planned.get("quantity", "0"))),
        )
        .select_related("supplier", "po", "item")
        .order_by("-pk")
        .first()
    )


@dataclass(frozen=True)
class RequirementCounts:
    """The home page's figures: shortages by kind, and the plan's proposals still open: purchases to order
    (each a "Create PO" away) and make items to build in-house, late ones apart."""

    short: int
    below_safety: int
    to_order: int
    to_make: int
    late: int

    @property
    def planned(self) -> int:
        return self.to_order + self.to_make


def requirement_counts(*, actor: Actor) -> RequirementCounts:
    """Counts over every company ``actor`` plans for, in two aggregate queries (no rows read)."""
    companies = sorted(actor.company_ids)
    shortages = Shortage.objects.filter(company_id__in=companies).aggregate(
        short=Count("pk", filter=Q(kind=Shortage.Kind.SHORT)),
        below_safety=Count("pk", filter=Q(kind=Shortage.Kind.BELOW_SAFETY)),
    )
    planned = PlannedPurchase.objects.filter(company_id__in=companies, state=PlannedPurchase.State.PROPOSED).aggregate(
        to_order=Count("pk", filter=Q(make=False)),
        to_make=Count("pk", filter=Q(make=True)),
        late=Count("pk", filter=Q(late=True)),
    )
    return RequirementCounts(**shortages, **planned)
