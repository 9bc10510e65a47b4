"""Requirement runs: a full regeneration, or a net change that re-plans only the items an event touched.

The results of a company are one current set (projection rows, planned purchases, shortages, pegs),
each row naming the run that wrote it: a full run replaces them all, a net change the rows of the
(plant, item) pairs it re-planned. After either, open supplier deviations on those items have their
severity set again from the new projection (``materials.severity``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from materials import requirements as engine
from materials.explosion import Structures
from materials.models import (
    BomPlantRevision,
    Demand,
    PlannedPurchase,
    ProjectionRow,
    RequirementRun,
    Shortage,
    SupplyPeg,
)
from materials.severity import deviations_reassess
from procurement.inputs import decimal_text
from procurement.models import Company

RESULT_MODELS = (SupplyPeg, Shortage, PlannedPurchase, ProjectionRow)
PROJECTION_COLUMNS = [
    "run_id",
    "company_id",
    "plant_id",
    "item_id",
    "date",
    "opening",
    "receipts",
    "in_transit",
    "demand",
    "planned",
    "safety_stock",
    "projected",
    "pegs",
]


@transaction.atomic
def requirements_regenerate(*, company: Company, reason: str = "", today: dt.date | None = None) -> RequirementRun:
    """Plan every item of ``company`` from scratch and replace its results; returns the finished run.

    Deterministic: the same inputs give the same results. Open supplier deviations of the company
    are then re-assessed against the new projection (each change of severity audited).
    """
    today = today or timezone.localdate()
    run = RequirementRun.objects.create(
        company=company,
        mode=RequirementRun.Mode.FULL,
        reason=reason[:200],
        horizon_start=today,
        started_at=timezone.now(),
    )
    inputs = engine.PlanInputs.load(company_id=company.pk, today=today)
    result = engine.plan(inputs)
    for model in RESULT_MODELS:
        model.objects.filter(company=company).delete()
    _store(run, inputs, result)
    _finish(run, result)
    deviations_reassess(company=company, keys=None)
    return run


@transaction.atomic
def requirements_net_change(
    *, company: Company, keys: set[tuple[int, int]], reason: str = "", today: dt.date | None = None
) -> RequirementRun:
    """Re-plan the (plant, item) pairs ``keys`` and every component below them; keep the other results.

    What the items get from parents outside the re-planned set (their stored planned make orders,
    and production orders for those parents) is exploded again, so the result equals a full
    regeneration's for these items (tested property). Open deviations on the re-planned items are
    re-assessed. Idempotent: re-planning with unchanged inputs rewrites the same rows.
    """
    today = today or timezone.localdate()
    run = RequirementRun.objects.create(
        company=company,
        mode=RequirementRun.Mode.NET_CHANGE,
        reason=reason[:200],
        horizon_start=today,
        started_at=timezone.now(),
    )
    inputs, closure, outside = _net_change_inputs(company, keys, today)
    result = engine.plan(inputs, only=closure, outside=outside)
    for model in RESULT_MODELS:
        for plant, items in _by_plant(closure).items():
            model.objects.filter(company=company, plant_id=plant, item_id__in=items).delete()
    _store(run, inputs, result)
    run.items = sorted({item for _, item in closure})
    _finish(run, result)
    deviations_reassess(company=company, keys=closure)
    return run


def _net_change_inputs(
    company: Company, keys: set[tuple[int, int]], today: dt.date
) -> tuple[engine.PlanInputs, set[tuple[int, int]], dict]:
    """The inputs of the items ``keys`` name and everything below them, and what parents outside send down."""
    from procurement.models import Item, Plant

    plant_codes = dict(Plant.objects.filter(company=company).values_list("pk", "code"))
    item_ids = {i for _, i in keys}
    parts = dict(Item.objects.filter(company=company).values_list("pk", "part_number"))
    by_part = {part: pk for pk, part in parts.items()}
    structures = Structures(company.pk, "manufacturing", set(plant_codes.values()))
    structures.load({parts[i] for i in item_ids})
    below = {by_part[p] for p in engine.levels(structures, {i: parts[i] for i in item_ids}) if p in by_part}
    closure_items = item_ids | below
    closure_parts = [parts[i] for i in closure_items]
    parent_parts = set(
        BomPlantRevision.objects.filter(
            company=company,
            bom_type="manufacturing",
            release__components__part_number__in=closure_parts,
        ).values_list("parent_part_number", flat=True)
    ) - set(closure_parts)
    parent_ids = {by_part[p] for p in parent_parts if p in by_part}
    structures.load(parent_parts)
    closure = {(plant, item) for plant in plant_codes for item in closure_items}
    demands, references = [], {}
    for pk, plant, item, kind, quantity, need, reference, source_id in Demand.objects.filter(
        company=company, cancelled=False, item_id__in=closure_items | parent_ids
    ).values_list("pk", "plant_id", "item_id", "kind", "quantity", "need_date", "reference", "source_id"):
        references[pk] = reference or source_id
        if item in parent_ids and kind != Demand.Kind.PRODUCTION_ORDER:
            continue  # netted with the parent, which keeps its plan
        demands.append((pk, plant, item, kind, quantity, need))
    supplies = engine.supplies_load(company_id=company.pk, keys=closure)
    stock = engine.stock_load(company_id=company.pk, keys=closure)
    params = engine.params_load(company_id=company.pk, item_ids=closure_items, plant_ids=set(plant_codes))
    inputs = engine.PlanInputs(
        company.pk, today, plant_codes, parts, by_part, params, demands, references, supplies, stock, structures
    )
    outside: dict = defaultdict(lambda: defaultdict(Decimal))
    plant_ids = {code: pk for pk, code in plant_codes.items()}
    for order in PlannedPurchase.objects.filter(company=company, make=True, item_id__in=parent_ids):
        pegs = [(p["demand"], Decimal(p["quantity"])) for p in order.pegs]
        references.update({p["demand"]: p["reference"] for p in order.pegs})
        pegged = sum((q for _, q in pegs), Decimal(0))
        if order.quantity > pegged:
            pegs.append((engine.NO_DEMAND, order.quantity - pegged))
        engine.explode_into(
            outside, inputs, order.plant_id, parts[order.item_id], order.release_date, order.quantity, pegs, plant_ids
        )
    return inputs, closure, {k: v for k, v in outside.items() if k in closure}


def _by_plant(keys: set[tuple[int, int]]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for plant, item in keys:
        grouped[plant].append(item)
    return grouped


def _pegs(pegs: list[tuple[int, Decimal]], references: dict[int, str]) -> list[dict]:
    return [
        {"demand": demand, "reference": references.get(demand, ""), "quantity": decimal_text(quantity)}
        for demand, quantity in pegs
        if demand != engine.NO_DEMAND
    ]


def _store(run: RequirementRun, inputs: engine.PlanInputs, result: engine.PlanResult) -> None:
    """Write the results in bulk: rows, planned orders, shortages (naming their planned order), pegs."""
    company_id, refs = run.company_id, inputs.references
    _rows_write(
        ProjectionRow,
        PROJECTION_COLUMNS,
        (
            (
                run.pk,
                company_id,
                r.plant_id,
                r.item_id,
                r.date,
                r.opening,
                r.receipts,
                r.in_transit,
                r.demand,
                r.planned,
                r.safety_stock,
                r.projected,
                _pegs(r.pegs, refs),
            )
            for r in result.rows
        ),
    )
    stored = {}
    planned_rows = []
    for p in result.planned:
        row = PlannedPurchase(
            run=run,
            company_id=company_id,
            plant_id=p.plant_id,
            item_id=p.item_id,
            make=p.make,
            supplier_id=p.supplier_id,
            quantity=p.quantity,
            net_quantity=p.net_quantity,
            need_date=p.need_date,
            release_date=p.release_date,
            late=p.release_date < inputs.today,
            pegs=_pegs(p.pegs, refs),
        )
        stored[id(p)] = row
        planned_rows.append(row)
    PlannedPurchase.objects.bulk_create(planned_rows, batch_size=2000)
    _rows_write(
        Shortage,
        ["run_id", "company_id", "plant_id", "item_id", "date", "quantity", "pegs", "po_lines", "planned_purchase_id"],
        (
            (
                run.pk,
                company_id,
                sh.plant_id,
                sh.item_id,
                sh.date,
                sh.quantity,
                _pegs(sh.pegs, refs),
                sh.po_lines,
                stored[id(sh.planned)].pk if sh.planned is not None else None,
            )
            for sh in result.shortages
        ),
    )
    SupplyPeg.objects.bulk_create(
        (
            SupplyPeg(
                run=run,
                company_id=company_id,
                plant_id=plant,
                item_id=item,
                po_line_id=line,
                demand_id=demand,
                quantity=q,
            )
            for plant, item, line, demand, q in result.supply_pegs
            if demand != engine.NO_DEMAND
        ),
        batch_size=2000,
    )


def _rows_write(model: type[models.Model], columns: list[str], rows: Iterable[tuple]) -> None:
    """Insert result rows: with COPY on PostgreSQL (as frePPLe writes its plan: a run writes tens of
    thousands of rows, and building a model instance per row cost more than planning them), with
    ``bulk_create`` elsewhere. JSON columns are given as Python lists."""
    json_columns = {i for i, c in enumerate(columns) if c in ("pegs", "po_lines")}
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            (model(**dict(zip(columns, row, strict=True))) for row in rows),
            batch_size=2000,
        )
        return
    table = model._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN"  # only the model's own names are formatted in
        ) as copy,
    ):
        for row in rows:
            copy.write_row([json.dumps(v) if i in json_columns else v for i, v in enumerate(row)])


def _finish(run: RequirementRun, result: engine.PlanResult) -> None:
    run.state = RequirementRun.State.DONE
    run.finished_at = timezone.now()
    run.counts = {
        "item_locations": len(result.planned_keys),
        "projection_rows": len(result.rows),
        "planned_purchases": len(result.planned),
        "shortages": len(result.shortages),
    }
    run.save(update_fields=["state", "finished_at", "counts", "items"])


def po_lines_replan(company_id: int, po_line_ids: list[int]) -> None:
    """Net change for the items of PO lines whose supply changed; nothing when the company was never planned.

    Procurement calls it (through ``supply_listener_register``) inside the transaction that changed
    the lines, so the projection and the severity of what the change raised move together.
    """
    if not RequirementRun.objects.filter(company_id=company_id, mode=RequirementRun.Mode.FULL).exists():
        return
    from procurement.models import POLine

    keys = set(POLine.objects.filter(pk__in=po_line_ids).values_list("po__ship_to_id", "item_id"))
    if keys:
        company = Company.objects.get(pk=company_id)
        requirements_net_change(company=company, keys=keys, reason="supply changed on PO lines")


def requirements_replan(*, company: Company, keys: set[tuple[int, int]], reason: str) -> RequirementRun | None:
    """Net change for ``keys`` when the company has been planned in full before; None otherwise (a full
    run plans everything anyway)."""
    if not keys or not RequirementRun.objects.filter(company=company, mode=RequirementRun.Mode.FULL).exists():
        return None
    return requirements_net_change(company=company, keys=keys, reason=reason)
