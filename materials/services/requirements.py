"""Requirement runs: a full regeneration, or a net change that re-plans only the items an event touched.

The results of a company are one current set (projection rows, planned purchases, shortages, pegs),
each row naming the run that last wrote it: a full run replaces them all, a net change the rows of the
(plant, item) pairs it re-planned that came out different (for a few items it compares the new rows
with the stored ones and writes only the difference). After either, open supplier deviations on those items have their
severity set again from the new projection (``materials.severity``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import DatabaseError, connection, models, transaction
from django.db.models.sql import InsertQuery
from django.utils import timezone

from materials import requirements as engine
from materials.explosion import Reached, Structures, no_cycle_collection
from materials.models import (
    BomPlantRevision,
    Demand,
    PlannedPurchase,
    ProjectionRow,
    RequirementRun,
    Shortage,
    SupplyPeg,
)
from materials.severity import deviations_reads, deviations_reassess, shortages_raise, shortages_reads
from procurement.inputs import decimal_text
from procurement.models import Company, ProcurementException
from procurement.services import compiled

logger = logging.getLogger(__name__)

NULL = "\\N"  # COPY's text format for a null
# Up to this many result rows, a net change writes them with INSERTs sent together; beyond, by COPY.
FEW_ROWS = 1000
# Up to this many (plant, item) pairs, a net change compares its new rows with the stored ones and writes
# only the rows that changed: one PO line's date moving changes the rows between its old and new date.
FEW_KEYS = 64
# Columns a result row is compared by: not the run that wrote it, its company (the same), or its key.
NOT_COMPARED = frozenset({"id", "run_id", "company_id", "state"})
RESULT_MODELS = (SupplyPeg, Shortage, PlannedPurchase, ProjectionRow)
DELETE_ORDER = (PlannedPurchase, SupplyPeg, Shortage, ProjectionRow)  # why: _delete_statements
PROJECTION_COLUMNS = [
    "run_id",
    "company_id",
    "plant_id",
    "item_id",
    "date",
    "opening",
    "allocated",
    "receipts",
    "in_transit",
    "quality_inspection",
    "demand",
    "for_primaries",
    "by_alternates",
    "planned",
    "safety_stock",
    "projected",
    "pegs",
    "substitutions",
]


def requirements_regenerate(
    *, company: Company, reason: str = "", today: dt.date | None = None, run: RequirementRun | None = None
) -> RequirementRun:
    """Plan every item of ``company`` from scratch and replace its results; returns the finished run.

    ``run``: a queued full run a worker has claimed (``materials.services.runs``), finished here
    instead of a new one. Deterministic: the same inputs give the same results. Then the items of
    net changes that ran while it planned are planned again over its results, and the open supplier
    deviations of the company are re-assessed against the new projection (each change of severity
    audited) — each step in a transaction of its own (called outside one), so a full run never holds
    the planning lock while it waits for an exception another write has locked.
    """
    today = today or timezone.localdate()
    run, since = _regenerate_write(company, reason, today, run)
    _net_changes_redo(company, since, today)
    with transaction.atomic():
        deviations_reassess(company=company, keys=None)
        changed, cleared = shortages_raise(company=company, keys=None, today=today)
    if changed + cleared >= EXCEPTIONS_ANALYZE:
        _exceptions_analyze()
    return run


# A full run that raises or clears this many shortage exceptions refreshes the planner's statistics of them.
EXCEPTIONS_ANALYZE = 1000


def _exceptions_analyze() -> None:
    """Refresh the planner's statistics of the exceptions after a full run raised (or cleared) thousands:
    planned with the old ones (a few exceptions), a net change's look for the deviations on an item's PO
    lines read every open exception of the company instead of the few on those lines' index, until the
    autovacuum came round."""
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"ANALYZE {ProcurementException._meta.db_table}"
            )  # only the model's own name is formatted in
    except DatabaseError:  # the run's results are written: statistics refreshed later are no failure of it
        logger.warning("requirements: statistics of the exceptions not refreshed after a full run", exc_info=True)


@transaction.atomic
def _regenerate_write(
    company: Company, reason: str, today: dt.date, run: RequirementRun | None
) -> tuple[RequirementRun, int]:
    """Plan every item and replace the company's results with the plan; returns the run and the net
    change barrier (``_net_changes_barrier``)."""
    if run is None:
        run = RequirementRun.objects.create(
            company=company,
            mode=RequirementRun.Mode.FULL,
            reason=reason[:200],
            horizon_start=today,
            started_at=timezone.now(),
        )
    else:
        run.horizon_start = today
        run.save(update_fields=["horizon_start"])
    since = _net_changes_barrier(company.pk)
    inputs = engine.PlanInputs.load(company_id=company.pk, today=today)
    copied = connection.vendor == "postgresql"
    with no_cycle_collection():
        # On PostgreSQL the results are copied in as they are planned (``_copy_planned``): seen by no one
        # else before the commit, they take no lock that a net change could wait for.
        result = engine.plan(inputs, flush=_copy_planned(run, inputs) if copied else None)
    # Planning takes long and holds no lock, so net changes go on meanwhile; from here to the commit
    # they wait (the lock taken alone), and those that ran since the barrier are planned again after.
    _plan_lock(company.pk, alone=True)
    if copied:
        _execute_together(_delete_statements(company.pk, None, keep_run=run.pk))
    else:
        _results_delete(company.pk, None)
        _store(run, inputs, result)
    _finish(run, result)
    # After the commit: ANALYZE holds its table lock to the end of the transaction, and this one holds
    # the planning lock alone; every change of the company would wait behind a vacuum of a result table.
    transaction.on_commit(_results_analyze, robust=True)
    return run, since


def _results_analyze() -> None:
    """Refresh the planner's statistics of the result tables a full run has just replaced: with the
    old ones a net change's reads by (company, plant, item) were planned as if the tables were nearly
    empty, and scanned every row of the plant (seconds, not milliseconds)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in RESULT_MODELS:
            cursor.execute(f"ANALYZE {model._meta.db_table}")  # only the model's own names are formatted in


# The first key of the advisory lock that orders a company's net changes with a full run's writing.
PLAN_LOCK_CLASS = 0x4D50  # "MP"


def _plan_lock(company_id: int, *, alone: bool = False) -> None:
    """Hold the company's planning lock until the transaction ends (PostgreSQL; SQLite has one writer).

    Net changes take it shared: they replace the results of their own items only, and may run side
    by side (a receipt and a stock event of one plant each take the plant's lock too, in either
    order). A full run's replacing of every result takes it ``alone``.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*_plan_lock_statement(company_id, alone=alone))


def _plan_lock_statement(company_id: int, *, alone: bool = False) -> tuple[str, list]:
    """``_plan_lock``'s statement (PostgreSQL), to send with others."""
    lock = "pg_advisory_xact_lock" if alone else "pg_advisory_xact_lock_shared"
    return f"SELECT {lock}(%s, %s)", [PLAN_LOCK_CLASS, company_id]


def _net_changes_barrier(company_id: int) -> int:
    """The last requirement run id before which every net change of the company has committed.

    A net change holds the planning lock from before its run row is made to its commit, so taking
    the lock alone here waits out those in flight: every net change not yet committed makes its run
    row (a higher id, from the same sequence: no clocks compared) after this, and a full run plans
    its items again over its own results.
    """

    def last() -> int:
        return RequirementRun.objects.aggregate(last=models.Max("pk"))["last"] or 0

    if connection.vendor != "postgresql":
        return last()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [PLAN_LOCK_CLASS, company_id])
        try:
            return last()
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [PLAN_LOCK_CLASS, company_id])


def _net_changes_redo(company: Company, since: int, today: dt.date) -> None:
    """Re-plan over a full run's results the items of net changes that ran while it planned (run ids
    above ``since``): their inputs changed after the full run read its own, and its delete-and-replace
    took their results. Those that waited for the full run's commit are planned again too, which
    changes nothing (a net change is idempotent)."""
    from procurement.models import Plant

    items: set[int] = set()
    for planned in RequirementRun.objects.filter(
        company=company, mode=RequirementRun.Mode.NET_CHANGE, state=RequirementRun.State.DONE, pk__gt=since
    ).values_list("items", flat=True):
        items.update(planned)
    if not items:
        return
    plants = Plant.objects.filter(company=company).values_list("pk", flat=True)
    keys = {(plant, item) for plant in plants for item in items}
    requirements_net_change(company=company, keys=keys, reason="changed while a full run planned", today=today)


@transaction.atomic
def requirements_net_change(
    *,
    company: Company,
    keys: set[tuple[int, int]],
    reason: str = "",
    today: dt.date | None = None,
    covered_by: str = "",
) -> RequirementRun:
    """Re-plan the (plant, item) pairs ``keys`` and every component below them; keep the other results.

    What the items get from parents outside the re-planned set (their stored planned make orders,
    and production orders for those parents) is exploded again, so the result equals a full
    regeneration's for these items (tested property). Open deviations on the re-planned items are
    re-assessed; a shortage exception of ``keys`` the run clears says ``covered_by`` (what changed:
    ``Covered by PO-1234 (Create PO by buyer-a)``) when given. Idempotent: re-planning with unchanged
    inputs rewrites the same rows. Holds the company's planning lock (shared) to its commit, so a full
    run writing its results is not overtaken.

    Lock order, kept by every path that re-plans, so two of them never wait on each other in a circle:
    the plants' inventory locks (a stock event, a goods receipt: ``po_lines_replan``), then the
    planning lock, then the result rows, then the deviations' rows in id order — those another
    transaction holds skipped and re-assessed after the commit (``severity.deviations_reassess``).
    """
    from procurement.models import Item, Plant

    today = today or timezone.localdate()
    run = RequirementRun(
        company=company,
        mode=RequirementRun.Mode.NET_CHANGE,
        reason=reason[:200],
        horizon_start=today,
        started_at=timezone.now(),
    )
    # The planning lock, the run's id (from its sequence, under the lock: ``_net_changes_barrier``) and
    # the plants and items named, in one round trip on PostgreSQL; the run's row is written with its results.
    postgresql = connection.vendor == "postgresql"
    if not postgresql:
        run.save(force_insert=True)
    answers, (plant_rows, part_rows) = compiled.statements_then_rows(
        [_plan_lock_statement(company.pk), _RUN_ID] if postgresql else [],
        Plant.objects.filter(company=company).values_list("pk", "code"),
        Item.objects.filter(company=company, pk__in={i for _, i in keys}).values_list("pk", "part_number"),
    )
    if postgresql:
        run.pk = answers[1][0][0]
    inputs, closure, outside, routed = _net_change_inputs(company, keys, today, dict(plant_rows), dict(part_rows))
    result = engine.plan(inputs, only=closure, outside=outside, outside_routed=routed)
    run.items = sorted({item for _, item in closure})
    deviations_found = shortages_found = None
    if postgresql and len(closure) <= FEW_KEYS:
        # The severity update's reads go with the results' writes (and see them): one round trip.
        reads = [
            *deviations_reads(company=company, keys=closure),
            *shortages_reads(company=company, keys=closure, today=today, named=True),
        ]
        found = _replace_changed(run, inputs, result, closure, reads)
        items = {item for _, item in closure}
        named = [[(pk, part) for pk, part in inputs.parts.items() if pk in items], list(inputs.plant_codes.items())]
        deviations_found, shortages_found = found[:2], [*found[2:], *named]
    else:
        if postgresql:
            run.save(force_insert=True)
        if postgresql and _row_count(result) <= FEW_ROWS:
            _replace_few(run, inputs, result, closure)
        else:
            _results_delete(company.pk, closure)
            _store(run, inputs, result)
            _finish(run, result)
    deviations_reassess(company=company, keys=closure, found=deviations_found)
    covered = dict.fromkeys(keys, covered_by) if covered_by else None
    shortages_raise(company=company, keys=closure, today=today, covered=covered, found=shortages_found)
    return run


_RUN_ID = ("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [RequirementRun._meta.db_table])


def _net_change_inputs(
    company: Company, keys: set[tuple[int, int]], today: dt.date, plant_codes: dict[int, str], parts: dict[int, str]
) -> tuple[engine.PlanInputs, set[tuple[int, int]], dict, dict]:
    """The inputs of the items ``keys`` name and everything below them — with every member of a group of
    alternates one of them is in, and everything below those — and what parents outside send down.
    ``plant_codes``: the company's plants; ``parts``: the part numbers of the items ``keys`` name (only
    the items of the chain are read, by index, never the company's whole item master)."""
    from procurement.models import Item

    item_ids = {i for _, i in keys}
    # The structures read with their parts' items and parents (``Reached``): no round trip of their own.
    structures = Structures(company.pk, "manufacturing", set(plant_codes.values()), reached=True)
    structures.load(set(parts.values()))
    reached = structures.reached or Reached()

    def known_items() -> dict[str, int]:
        known = set(structures.revisions) | {line.part_number for lines in structures.lines.values() for line in lines}
        missing = known - set(parts.values())
        parts.update({pk: part for part in missing if (pk := reached.items.get(part)) is not None})
        missing -= set(reached.items)
        if missing:
            parts.update(Item.objects.filter(company=company, part_number__in=missing).values_list("pk", "part_number"))
        return {part: pk for pk, part in parts.items()}

    by_part = known_items()
    below = engine.descendants(structures, {parts[i] for i in item_ids})
    closure_items = item_ids | {by_part[p] for p in below if p in by_part}
    parents_read = reached.parents  # of every part the first load reached, so of the first closure
    while True:
        closure_parts = {parts[i] for i in closure_items}
        if parents_read is not None and closure_parts <= reached.items.keys():
            using = set().union(*(parents_read.get(p, ()) for p in closure_parts))
        else:
            using = set(
                BomPlantRevision.objects.filter(
                    company=company,
                    bom_type="manufacturing",
                    release__components__part_number__in=sorted(closure_parts),
                ).values_list("parent_part_number", flat=True)
            )
        parents_read = None
        parent_parts = using - closure_parts
        structures.load(parent_parts)
        by_part = known_items()
        # An alternate re-planned changes what its primaries may take from it, and the other way round.
        joining: set[str] = set()
        for primary, alternates in engine.alternate_groups(structures).items():
            members = {primary} | alternates
            if members & closure_parts:
                joining |= members - closure_parts
        joining = {p for p in joining if p in by_part}
        if not joining:
            break
        joining |= engine.descendants(structures, joining)
        closure_items |= {by_part[p] for p in joining if p in by_part}
    parent_ids = {by_part[p] for p in parent_parts if p in by_part}
    closure = {(plant, item) for plant in plant_codes for item in closure_items}
    # Every other input depends only on the closure: read in one round trip on PostgreSQL.
    reads = [
        Demand.objects.filter(company=company, cancelled=False, item_id__in=closure_items | parent_ids).values_list(
            "pk", "plant_id", "item_id", "kind", "quantity", "need_date", "reference", "source_id"
        ),
        # By the (company, plant, item) index: every plant of the company is named.
        PlannedPurchase.objects.filter(
            company=company, plant_id__in=sorted(plant_codes), item_id__in=parent_ids, make=True
        ).values_list("plant_id", "item_id", "release_date", "quantity", "pegs"),
        *engine.supplies_queries(company_id=company.pk, keys=closure),
        *engine.params_queries(company_id=company.pk, item_ids=closure_items),
        *engine.stock_terms_queries(company_id=company.pk, keys=closure),
    ]
    found = compiled.rows_together(*reads)
    demand_rows, orders, lines, schedules, shipments, planning, plant_planning, approvals = found[:8]
    stock_terms = None
    if len(found) > 8:
        policies, balances = found[8:]
        stock_terms = engine.stock_terms_from(
            company_id=company.pk, keys=closure, policy=policies[0] if policies else None, rows=balances
        )
    demands, references = [], {}
    for pk, plant, item, kind, quantity, need, reference, source_id in demand_rows:
        references[pk] = reference or source_id
        if item in parent_ids and kind != Demand.Kind.PRODUCTION_ORDER:
            continue  # netted with the parent, which keeps its plan
        demands.append((pk, plant, item, kind, quantity, need))
    supplies = engine.supplies_from(lines, schedules, shipments, keys=closure)
    inputs = engine.PlanInputs.gather(
        company_id=company.pk,
        today=today,
        plant_codes=plant_codes,
        parts=parts,
        item_ids=by_part,
        structures=structures,
        demands=demands,
        references=references,
        supplies=supplies,
        keys=closure,
        stock_terms=stock_terms,
        params=engine.params_from(
            planning, plant_planning, approvals, item_ids=closure_items, plant_ids=set(plant_codes)
        ),
    )
    outside: dict = defaultdict(lambda: defaultdict(Decimal))
    routed: dict = defaultdict(lambda: defaultdict(Decimal))
    plant_ids = {code: pk for pk, code in plant_codes.items()}
    for plant, item, release, quantity, stored in orders:
        pegs = [(p["demand"], Decimal(p["quantity"])) for p in stored]
        references.update({p["demand"]: p["reference"] for p in stored})
        pegged = sum((q for _, q in pegs), Decimal(0))
        if quantity > pegged:
            pegs.append((engine.NO_DEMAND, quantity - pegged))
        engine.explode_into(outside, inputs, plant, parts[item], release, quantity, pegs, plant_ids, routed)
    return (
        inputs,
        closure,
        {k: v for k, v in outside.items() if k in closure},
        {k: v for k, v in routed.items() if k in closure},
    )


def _results_delete(company_id: int, keys: set[tuple[int, int]] | None) -> None:
    """Delete the stored results of the company (``keys`` None) or of its (plant, item) pairs ``keys``."""
    _execute_together(_delete_statements(company_id, keys))


def _delete_statements(
    company_id: int, keys: set[tuple[int, int]] | None, *, keep_run: int | None = None
) -> list[tuple[str, list]]:
    """``_results_delete``'s statements. Plain DELETEs: the ORM's would first read every row to find what
    points at it (nothing outside the results does, and their keys are unchecked), which cost more than
    the run. A net change keeps the planned purchases already ordered: the buyer's record of which PO
    each became (a second "Create PO" is told so) until a full run replaces every result.

    Planned purchases go first: "Create PO" locks its planned purchase's row, then re-plans the item.
    A re-plan of the same item beside it waits at that row before it deletes anything the other will
    delete after it, so neither holds what the other waits for. ``keep_run``: a full run's, whose rows
    are written already (``_copy_planned``): every other result of the company goes."""
    statements: list[tuple[str, list]] = []
    for model in DELETE_ORDER:
        table = model._meta.db_table  # only the model's own names are formatted in
        if keys is None and keep_run is not None:
            statements.append(
                (f"DELETE FROM {table} WHERE company_id = %s AND run_id <> %s", [company_id, keep_run])  # noqa: S608
            )
            continue
        if keys is None:
            statements.append((f"DELETE FROM {table} WHERE company_id = %s", [company_id]))  # noqa: S608
            continue
        proposed = " AND state = %s" if model is PlannedPurchase else ""
        for plant, items in _by_plant(keys).items():
            marks = ", ".join(["%s"] * len(items))
            statements.append(
                (
                    f"DELETE FROM {table} WHERE company_id = %s AND plant_id = %s AND item_id IN ({marks}){proposed}",  # noqa: S608
                    [company_id, plant, *items, *([PlannedPurchase.State.PROPOSED.value] if proposed else [])],
                )
            )
    return statements


def _execute_together(statements: list[tuple[str, list]]) -> list:
    """Run ``statements`` in order; on PostgreSQL sent in one round trip (psycopg's pipeline mode, as
    ``procurement.services.compiled.fetch_together`` sends reads): each still runs after the one before.
    Returns the first column of what the last statement answers, if it answers rows."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(statements) > 1:
            with connection.wrap_database_errors, connection.connection.pipeline():
                for sql, params in statements:
                    cursor.execute(sql, params)
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()] if cursor.description else []


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


def _substitutions(notes: list[engine.Substitution], inputs: engine.PlanInputs) -> list[dict]:
    """A row's substitutions as stored: which alternate covered how much of which primary, for which demand."""
    return [
        {
            "primary": inputs.parts.get(n.primary_id, ""),
            "alternate": inputs.parts.get(n.alternate_id, ""),
            "quantity": decimal_text(n.quantity),
            "alternate_quantity": decimal_text(n.alternate_quantity),
            "demand": n.demand_id,
            "reference": inputs.references.get(n.demand_id, ""),
        }
        for n in notes
    ]


class _PegText:
    """The ``pegs`` JSON of result rows as text, each demand's ``{"demand":..,"reference":..`` prefix
    made once (a run writes hundreds of thousands of pegs naming the same few thousand demands), without
    the spaces ``json.dumps`` puts in: the column keeps JSON parsed (jsonb), so they were only bytes to send."""

    def __init__(self, references: dict[int, str]) -> None:
        self.references = references
        self.prefixes: dict[int, str] = {}
        self.quantities: dict[Decimal, str] = {}

    def __call__(self, pegs: list[tuple[int, Decimal]]) -> str:
        parts = []
        for demand, quantity in pegs:
            if demand == engine.NO_DEMAND:
                continue
            prefix = self.prefixes.get(demand)
            if prefix is None:
                reference = json.dumps(self.references.get(demand, ""))
                prefix = self.prefixes[demand] = f'{{"demand":{demand},"reference":{reference},"quantity":"'
            text = self.quantities.get(quantity)
            if text is None:
                text = self.quantities[quantity] = decimal_text(quantity)
            parts.append(f'{prefix}{text}"}}')
        return "[" + ",".join(parts) + "]"


def _ids_reserve(model: type[models.Model], count: int) -> list[int]:
    """``count`` primary keys of ``model``'s identity, taken before its rows are copied in (others name them)."""
    statement = _ids_statement(model, count)
    return _execute_together([statement]) if statement else []


def _ids_statement(model: type[models.Model], count: int) -> tuple[str, list] | None:
    """The statement of ``_ids_reserve``; None for none."""
    if not count:
        return None
    return "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [model._meta.db_table, count]


def _store(run: RequirementRun, inputs: engine.PlanInputs, result: engine.PlanResult) -> None:
    """Write the results in bulk: rows, planned orders, shortages (naming their planned order), pegs."""
    if connection.vendor == "postgresql":
        _store_copied(run, inputs, result)
        return
    company_id, refs = run.company_id, inputs.references
    ProjectionRow.objects.bulk_create(
        (
            ProjectionRow(
                run_id=run.pk,
                company_id=company_id,
                plant_id=r.plant_id,
                item_id=r.item_id,
                date=r.date,
                opening=r.opening,
                allocated=r.allocated,
                receipts=r.receipts,
                in_transit=r.in_transit,
                quality_inspection=r.quality_inspection,
                demand=r.demand,
                for_primaries=r.for_primaries,
                by_alternates=r.by_alternates,
                planned=r.planned,
                safety_stock=r.safety_stock,
                projected=r.projected,
                pegs=_pegs(r.pegs, refs),
                substitutions=_substitutions(r.substitutions, inputs),
            )
            for r in result.rows
        ),
        batch_size=2000,
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
    Shortage.objects.bulk_create(
        (
            Shortage(
                run_id=run.pk,
                company_id=company_id,
                plant_id=sh.plant_id,
                item_id=sh.item_id,
                kind=sh.kind,
                date=sh.date,
                quantity=sh.quantity,
                pegs=_pegs(sh.pegs, refs),
                po_lines=sh.po_lines,
                planned_purchase_id=stored[id(sh.planned)].pk if sh.planned is not None else None,
            )
            for sh in result.shortages
        ),
        batch_size=2000,
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


def _store_copied(run: RequirementRun, inputs: engine.PlanInputs, result: engine.PlanResult) -> None:
    """``_store`` on PostgreSQL: each table one COPY of text made here (as frePPLe writes its plan: a
    run writes millions of values, and a model instance, or even a driver's per-value conversion, per
    row cost more than planning them). Only numbers, dates and JSON made by ``json.dumps`` go in, so
    the one character COPY's text format would read otherwise, the backslash, is the only one escaped."""

    ids = _ids_reserve(PlannedPurchase, len(result.planned))
    for model, columns, rows in _result_tables(run, inputs, result, ids, null=NULL, json_text=_copy_escaped):
        _copy(model, columns, ("\t".join(row) + "\n" for row in rows))


def _copy_planned(run: RequirementRun, inputs: engine.PlanInputs) -> Callable[[engine.PlanResult], None]:
    """``engine.plan``'s ``flush`` of a full run on PostgreSQL: each batch of results taken out of the plan
    and copied in under the run's id (``_store_copied``'s text), so the process keeps a few thousand
    item-locations' results at a time, not the whole plan (millions of rows), and the database reads
    each block of text while the next one is made. The company's other results are deleted after, under
    the planning lock (``_delete_statements``' ``keep_run``)."""
    pegs = _PegText(inputs.references)

    def flush(result: engine.PlanResult) -> None:
        taken = result.take()
        ids = _ids_reserve(PlannedPurchase, len(taken.planned))
        tables = _result_tables(run, inputs, taken, ids, null=NULL, json_text=_copy_escaped, pegs=pegs)
        for model, columns, rows in tables:
            _copy(model, columns, ("\t".join(row) + "\n" for row in rows))

    return flush


def _copy_escaped(text: str) -> str:
    """A JSON text in COPY's text format: the backslash is the one character it reads otherwise."""
    return text.replace("\\", "\\\\") if "\\" in text else text


def _replace_few(run: RequirementRun, inputs: engine.PlanInputs, result: engine.PlanResult, keys: set) -> None:
    """A net change's ``_results_delete``, ``_store`` and ``_finish`` on PostgreSQL in two round trips:
    the deletes with the planned purchases' ids, then every row in one INSERT per table with the run's
    update. For the few rows a net change writes, a COPY per table (a round trip to start it, one to
    end it) cost more than the rows."""
    reserve = _ids_statement(PlannedPurchase, len(result.planned))
    ids = _execute_together([*_delete_statements(run.company_id, keys), *([reserve] if reserve else [])])
    statements = []
    for model, columns, rows in _result_tables(run, inputs, result, ids, null=None, json_text=str):
        values = list(rows)
        if values:  # FEW_ROWS rows of at most 18 values: far from a statement's limit of 65,535
            marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(values))
            table = model._meta.db_table  # only the model's own names are formatted in
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {marks}"  # noqa: S608
            statements.append((sql, [value for row in values for value in row]))
    _finish_fields(run, result)
    table = RequirementRun._meta.db_table
    statements.append(
        (
            f"UPDATE {table} SET state = %s, finished_at = %s, counts = %s, items = %s WHERE id = %s",  # noqa: S608
            [run.state, run.finished_at, json.dumps(run.counts), json.dumps(run.items), run.pk],
        )
    )
    _execute_together(statements)


def _replace_changed(
    run: RequirementRun,
    inputs: engine.PlanInputs,
    result: engine.PlanResult,
    keys: set[tuple[int, int]],
    reads: list[models.QuerySet],
) -> list[list]:
    """A net change's ``_replace_few`` that writes only the difference from the stored rows of its items
    (``keys``: every plant of them): PostgreSQL compares the new rows (sent as one array per column) with
    the stored ones by value (amounts numerically, JSON as parsed, equal rows counted), deletes the
    stored rows the new plan does not have again and inserts the new rows it does not find; the rest
    is kept as it is, naming the run that wrote it; then the run's row is inserted, finished, and the
    querysets ``reads`` are read (their rows returned). One round trip, and no stored row sent back.

    The planned purchases of the items are locked first, as ``_delete_statements`` deletes them first;
    one a buyer turned into a PO meanwhile is kept. A new shortage names its planned purchase by the id
    that purchase keeps or gets, so the two tables are compared in one statement.
    """
    tokens = [str(n) for n in range(len(result.planned))]  # a planned purchase's number until it has an id
    tables = {model: (columns, list(rows)) for model, columns, rows in _result_tables(
        run, inputs, result, tokens, null=None, json_text=str
    )}  # fmt: skip
    plants, items = sorted({p for p, _ in keys}), sorted({i for _, i in keys})
    where = "o.company_id = %s AND o.plant_id = ANY(%s) AND o.item_id = ANY(%s)"
    scope = [run.company_id, plants, items]
    proposed = PlannedPurchase.State.PROPOSED.value
    planned = PlannedPurchase._meta.db_table  # only the models' own names and types are formatted in
    statements: list[tuple[str, list]] = [
        (f"SELECT 1 FROM {planned} o WHERE {where} AND o.state = %s FOR UPDATE", [*scope, proposed])  # noqa: S608
    ]
    # Planned purchases: the ids the new ones keep (``kept``) or get (``fresh``), which new shortages name.
    columns, rows = tables[PlannedPurchase]
    compared = [c for c in columns if c not in NOT_COMPARED]
    new_sql, new_params = _unnest(PlannedPurchase, columns, rows, text={"id"})
    sql = (
        f"WITH np AS (SELECT n.*, {_numbered(compared, 'n')} FROM ({new_sql}) n), "  # noqa: S608
        f"op AS (SELECT o.id, {', '.join('o.' + c for c in compared)}, {_numbered(compared, 'o', 'o.id')} "
        f"FROM {planned} o WHERE {where} AND o.state = %s), "
        f"kept AS (SELECT np.id AS token, op.id FROM np JOIN op ON {_same(compared, 'np', 'op')}), "
        f"fresh AS (SELECT np.*, nextval(pg_get_serial_sequence('{planned}', 'id')) AS new_id FROM np "
        "WHERE np.id NOT IN (SELECT token FROM kept)), "
        "ids AS (SELECT token, id FROM kept UNION ALL SELECT id, new_id FROM fresh), "
        f"pd AS (DELETE FROM {planned} t WHERE t.id IN (SELECT id FROM op EXCEPT SELECT id FROM kept) "
        "AND t.state = %s), "
        f"pi AS (INSERT INTO {planned} ({', '.join(columns)}) "
        f"SELECT new_id, {', '.join('fresh.' + c for c in columns[1:])} FROM fresh), "
    )
    params = [*new_params, *scope, proposed, proposed]
    # The tables in DELETE_ORDER (planned purchases locked above, then pegs, shortages, projection rows),
    # as every other writer of an item's results takes them: two net changes never wait on each other
    # in opposite orders.
    columns, rows = tables[SupplyPeg]
    diff_sql, diff_params = _diff_sql(SupplyPeg, columns, rows, where, scope)
    statements.append(("WITH " + diff_sql, diff_params))
    columns, rows = tables[Shortage]
    shortage_sql, shortage_params = _diff_sql(Shortage, columns, rows, where, scope, named="planned_purchase_id")
    statements.append((sql + shortage_sql, [*params, *shortage_params]))
    columns, rows = tables[ProjectionRow]
    diff_sql, diff_params = _diff_sql(ProjectionRow, columns, rows, where, scope)
    statements.append(("WITH " + diff_sql, diff_params))
    _finish_fields(run, result)
    statements.append(_insert_statement(run))
    found = compiled.statements_then_rows(statements, *reads)[1]
    run._state.adding, run._state.db = False, connection.alias
    return found


def _insert_statement(run: RequirementRun) -> tuple[str, list]:
    """The INSERT of ``run``'s row (its id reserved), to send with the statements of its results."""
    query = InsertQuery(RequirementRun)
    query.insert_values(RequirementRun._meta.concrete_fields, [run])
    ((sql, params),) = query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def _numbered(columns: list[str], alias: str, order: str = "") -> str:
    """Each row's number among the rows equal to it, so equal rows are matched one to one."""
    by = f" ORDER BY {order}" if order else ""
    return f"row_number() OVER (PARTITION BY {', '.join(alias + '.' + c for c in columns)}{by}) AS rn"


def _same(columns: list[str], left: str, right: str) -> str:
    """Two rows equal in ``columns`` and in their number among equal rows (null equal to null).

    Compared as the text of the typed rows (both sides of each column have its type, so an amount's
    scale and a JSON's form are the column's): an equality PostgreSQL hashes, where a row-wise
    ``IS NOT DISTINCT FROM`` can only be checked row against row (quadratic in an item's rows)."""
    both = [*columns, "rn"]
    return (
        f"ROW({', '.join(left + '.' + c for c in both)})::text = ROW({', '.join(right + '.' + c for c in both)})::text"
    )


def _unnest(
    model: type[models.Model], columns: list[str], rows: list[tuple], *, text: set[str] | None = None
) -> tuple[str, list]:
    """A SELECT of ``rows`` (text values, as ``_result_tables`` makes them) from one array per column, each
    cast to its column's type: a statement of as many placeholders as columns, whatever the rows.
    ``text``: columns kept as text (a planned purchase's number in place of its id)."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    arrays = ", ".join("%s::text[]" if c in (text or ()) else f"%s::{fields[c].db_type(connection)}[]" for c in columns)
    values = [_array_text(column) for column in zip(*rows, strict=True)] if rows else ["{}" for _ in columns]
    return f"SELECT * FROM unnest({arrays}) AS u({', '.join(columns)})", values  # noqa: S608


def _array_text(values: Iterable[str | None]) -> str:
    """An array's text (``{"1.5","[]",NULL}``) of text values: one string the driver quotes once, where a
    list would be quoted value by value (a net change sends thousands of them)."""
    return (
        "{"
        + ",".join(
            "NULL"
            if v is None
            else '"' + (v.replace("\\", "\\\\").replace('"', '\\"') if "\\" in v or '"' in v else v) + '"'
            for v in values
        )
        + "}"
    )


def _diff_sql(
    model: type[models.Model], columns: list[str], rows: list[tuple], where: str, scope: list, *, named: str = ""
) -> tuple[str, list]:
    """The CTEs and the INSERT that replace the stored rows of ``model`` in ``where`` (of the alias ``o``)
    by ``rows``, deleting and inserting only the rows that differ. ``named``: a column that holds a
    planned purchase's number, turned into its id by the ``ids`` CTE before it."""
    table = model._meta.db_table  # only the model's own names are formatted in
    prefix = f"{model._meta.model_name}_"
    compared = [c for c in columns if c not in NOT_COMPARED]
    new_sql, new_params = _unnest(model, columns, rows, text={named} if named else None)
    if named:
        picked = ", ".join("ids.id AS " + c if c == named else "n." + c for c in columns)
        new_sql = f"SELECT {picked} FROM ({new_sql}) n LEFT JOIN ids ON ids.token = n.{named}"  # noqa: S608
    new, old = prefix + "n", prefix + "o"
    sql = (
        f"{new} AS (SELECT n.*, {_numbered(compared, 'n')} FROM ({new_sql}) n), "  # noqa: S608
        f"{old} AS (SELECT o.id, {', '.join('o.' + c for c in compared)}, {_numbered(compared, 'o', 'o.id')} "
        f"FROM {table} o WHERE {where}), "
        f"{prefix}d AS (DELETE FROM {table} t WHERE t.id IN (SELECT {old}.id FROM {old} WHERE NOT EXISTS "
        f"(SELECT 1 FROM {new} WHERE {_same(compared, new, old)}))) "
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(new + '.' + c for c in columns)} FROM {new} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {old} WHERE {_same(compared, new, old)})"
    )
    return sql, [*new_params, *scope]


def _result_tables(
    run: RequirementRun,
    inputs: engine.PlanInputs,
    result: engine.PlanResult,
    ids: list[int] | list[str],
    *,
    null: str | None,
    json_text: Callable[[str], str],
    pegs: _PegText | None = None,
) -> list[tuple[type[models.Model], list[str], Iterable[tuple]]]:
    """Each result table's columns and rows (made as they are read), every value as the text PostgreSQL
    reads for it; ``null`` for a null, ``json_text`` applied to each JSON text; ``ids``: the planned
    purchases' primary keys (or numbers standing for them, ``_replace_changed``), in order; ``pegs``: the
    pegs' text maker, when one is kept across calls (``_copy_planned``)."""
    run_id, company_id = str(run.pk), str(run.company_id)
    pegs = pegs or _PegText(inputs.references)
    dates: dict[dt.date, str] = {}

    def day(value: dt.date) -> str:
        text = dates.get(value)
        if text is None:
            text = dates[value] = value.isoformat()
        return text

    stored = {id(p): str(pk) for p, pk in zip(result.planned, ids, strict=True)}
    today = inputs.today
    proposed = PlannedPurchase.State.PROPOSED.value
    return [
        (
            ProjectionRow,
            PROJECTION_COLUMNS,
            (
                (
                    run_id, company_id, str(r.plant_id), str(r.item_id), day(r.date), str(r.opening),
                    str(r.allocated), str(r.receipts), str(r.in_transit), str(r.quality_inspection), str(r.demand),
                    str(r.for_primaries), str(r.by_alternates), str(r.planned), str(r.safety_stock),
                    str(r.projected), json_text(pegs(r.pegs)),
                    json_text(json.dumps(_substitutions(r.substitutions, inputs))) if r.substitutions else "[]",
                )
                for r in result.rows
            ),
        ),
        (
            PlannedPurchase,
            ["id", "run_id", "company_id", "plant_id", "item_id", "make", "supplier_id", "quantity", "net_quantity",
             "need_date", "release_date", "late", "pegs", "state"],
            (
                (
                    stored[id(p)], run_id, company_id, str(p.plant_id), str(p.item_id), "t" if p.make else "f",
                    null if p.supplier_id is None else str(p.supplier_id), str(p.quantity), str(p.net_quantity),
                    day(p.need_date), day(p.release_date), "t" if p.release_date < today else "f",
                    json_text(pegs(p.pegs)), proposed,
                )
                for p in result.planned
            ),
        ),
        (
            Shortage,
            ["run_id", "company_id", "plant_id", "item_id", "kind", "date", "quantity", "pegs", "po_lines",
             "planned_purchase_id"],
            (
                (
                    run_id, company_id, str(sh.plant_id), str(sh.item_id), sh.kind, day(sh.date), str(sh.quantity),
                    json_text(pegs(sh.pegs)), f"[{', '.join(map(str, sh.po_lines))}]",
                    null if sh.planned is None else stored[id(sh.planned)],
                )
                for sh in result.shortages
            ),
        ),
        (
            SupplyPeg,
            ["run_id", "company_id", "plant_id", "item_id", "po_line_id", "demand_id", "quantity"],
            (
                (run_id, company_id, str(plant), str(item), null if line is None else str(line), str(demand), str(q))
                for plant, item, line, demand, q in result.supply_pegs
                if demand != engine.NO_DEMAND
            ),
        ),
    ]  # fmt: skip


def _copy(model: type[models.Model], columns: list[str], lines: Iterable[str], block: int = 5000) -> None:
    """COPY ``lines`` (text format, one row each) into ``model``'s table, ``block`` lines a write."""
    table = model._meta.db_table
    lines = iter(lines)
    buffer: list[str] = []
    for line in lines:  # the first line, if any: a net change often has no rows for a table
        buffer.append(line)
        break
    if not buffer:
        return
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN"  # only the model's own names are formatted in
        ) as copy,
    ):
        for line in lines:
            buffer.append(line)
            if len(buffer) >= block:
                copy.write("".join(buffer))
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))


def _finish(run: RequirementRun, result: engine.PlanResult) -> None:
    _finish_fields(run, result)
    run.save(update_fields=["state", "finished_at", "counts", "items"])


def _finish_fields(run: RequirementRun, result: engine.PlanResult) -> None:
    run.state = RequirementRun.State.DONE
    run.finished_at = timezone.now()
    rows, planned, shortages = result.counts()
    run.counts = {
        "item_locations": len(result.planned_keys),
        "projection_rows": rows,
        "planned_purchases": planned,
        "shortages": shortages,
    }


def _row_count(result: engine.PlanResult) -> int:
    return len(result.rows) + len(result.planned) + len(result.shortages) + len(result.supply_pegs)


def plan_lock_take(company_id: int) -> None:
    """Take the company's planning lock (shared, to the commit) before locking a result row that a
    re-plan later in the transaction rewrites: the order every path keeps (``requirements_net_change``)."""
    _plan_lock(company_id)


def _replans(company_id: int) -> bool:
    """Whether a change of the company is re-planned now (a net change): once a full run is done, or
    while one is running — a first full run plans the items of the net changes made meanwhile again
    over its results (``_net_changes_redo``), which it could not do for a change that ran none.

    Asked under the planning lock (shared, kept to the commit): a full run claimed to ``running``
    after this answered no takes its barrier after this transaction commits, so it reads this change.
    """
    return _replans_reading(company_id)[0]


def _replans_reading(company_id: int, *querysets: models.QuerySet) -> tuple[bool, list[list]]:
    """``_replans``, and the rows of ``querysets`` read after it in the same round trip (PostgreSQL)."""
    done, running, failed = RequirementRun.State.DONE, RequirementRun.State.RUNNING, RequirementRun.State.FAILED
    full = RequirementRun.Mode.FULL
    # Asked by every ship notice and answer: plain SQL, nothing to compile.
    states_sql = (
        f"SELECT DISTINCT state FROM {connection.ops.quote_name(RequirementRun._meta.db_table)} "  # noqa: S608
        "WHERE company_id = %s AND mode = %s AND state IN (%s, %s, %s)"
    )
    raw = [(states_sql, [company_id, full.value, done.value, running.value, failed.value])]
    if connection.vendor == "postgresql":
        raw.insert(0, _plan_lock_statement(company_id))
    answers, found = compiled.statements_then_rows(raw, *querysets)
    states = {row[0] for row in answers[-1]}
    if done in states or running in states:
        return True, found
    # A first full run that failed leaves what the net changes made while it planned: those results
    # (and the shortages they raised) are kept up to date by later changes until a run succeeds.
    return failed in states and ProjectionRow.objects.filter(company_id=company_id).exists(), found


def po_lines_replan(company_id: int, po_line_ids: list[int], *, received: bool = False) -> None:
    """Net change for the items of PO lines whose supply changed; nothing when the company was never planned.

    Procurement calls it (through ``supply_listener_register``) inside the transaction that changed
    the lines, so the projection and the severity of what the change raised move together.
    ``received``: goods were received on the lines, and their stock goes into the ledger later in the
    same transaction: the ship-to plants' inventory locks are taken here, before the result rows, as
    a stock event takes them (the order every path keeps, see ``requirements_net_change``).
    """
    from procurement.models import POLine

    def reads() -> tuple[models.QuerySet, ...]:
        """The lines' (plant, item) pairs, and the company (read with them: one round trip on PostgreSQL)."""
        return (
            POLine.objects.filter(pk__in=po_line_ids).values_list("po__ship_to_id", "item_id"),
            Company.objects.filter(pk=company_id),
        )

    if received:
        from materials.services.inventory import plants_lock

        lines, companies = compiled.rows_together(*reads())
        if not lines or not companies:
            return
        plants_lock({plant for plant, _ in lines})
        if not _replans(company_id):
            return
    else:
        # No plant lock to take first: whether anything is planned is asked, under the planning lock,
        # before the lines are read. Most ship notices and answers reach companies never planned: for
        # them, that one compiled question is all (the lines are read only for a company planned).
        if not _replans(company_id):
            return
        lines, companies = compiled.rows_together(*reads())
        if not lines or not companies:
            return
    keys, company = set(lines), companies[0]
    requirements_net_change(company=company, keys=keys, reason="supply changed on PO lines")


def requirements_replan(
    *, company: Company, keys: set[tuple[int, int]], reason: str, covered_by: str = ""
) -> RequirementRun | None:
    """Net change for ``keys`` when the company has been planned in full before; None otherwise (a full
    run plans everything anyway). ``covered_by``: see ``requirements_net_change``."""
    if not keys or not _replans(company.pk):
        return None
    return requirements_net_change(company=company, keys=keys, reason=reason, covered_by=covered_by)


def stock_replan(company_id: int, keys: set[tuple[int, int]]) -> RequirementRun | None:
    """Net change for the (plant, item) pairs whose stock an inventory event (or a re-projection) just
    moved; nothing when the company was never planned in full. Called inside the ledger's transaction."""
    if not keys or not _replans(company_id):
        return None
    company = Company.objects.get(pk=company_id)
    return requirements_net_change(company=company, keys=keys, reason="stock changed")


def structure_replan(company_id: int, parent_item_id: int | None, plant_codes: Iterable[str]) -> RequirementRun | None:
    """Net change for a parent whose manufacturing BOM just applied at ``plant_codes`` ("" is every
    plant): the parent and everything below it, old structure and new. Called inside the release's
    transaction; nothing when the company was never planned in full."""
    if parent_item_id is None or not _replans(company_id):
        return None
    from procurement.models import Plant

    codes = set(plant_codes)
    plants = Plant.objects.filter(company_id=company_id)
    if "" not in codes:
        plants = plants.filter(code__in=codes)
    keys = {(plant, parent_item_id) for plant in plants.values_list("pk", flat=True)}
    if not keys:
        return None
    company = Company.objects.get(pk=company_id)
    return requirements_net_change(company=company, keys=keys, reason="BOM release applied")
