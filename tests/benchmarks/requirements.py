"""Material requirements on a generated model: full regeneration beside loading its inputs, and net change.

The model (frePPLe's "medium" size by default): ``items`` item-locations at one plant on five BOM
levels (assemblies of 3-6 items of the level below, made; the last level bought from one of two
approved suppliers), ``po_lines`` open PO lines of bought items (a third with a supplier-promised
date off the need-by date), and ``demands`` demands (production orders of the top levels, the rest
independent demand of any item). Items go through the materials services; BOM releases (first
revisions, written as the service applies them), PO lines and demands are bulk-inserted, so the full
size is built in minutes.

Figures: the full regeneration (load, plan, store) beside the time to load the same inputs from
PostgreSQL alone (``PlanInputs.load``), as a ratio (target ≤ 3×), and beside it what bounds that
ratio from below: the planning alone, in memory, and a floor no planner can go under, PostgreSQL
accepting the run's results by COPY with no index and no Python (``_bare_copy``); net change after one PO line's
promised date moves (the line's item re-planned and its deviations re-assessed: ``po_lines_replan``),
p95 over ``moves`` moves (target ≤ 100 ms); peak RSS of the process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import resource
import statistics
import sys
import time
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from gateway.actors import Actor
from materials import inputs, services
from materials.explosion import no_cycle_collection
from materials.models import BomComponent, BomPlantRevision, BomRelease, BomReleaseEffectivity, Demand
from materials.requirements import PlanInputs, plan
from materials.services.releases import content_hashes
from materials.services.requirements import RESULT_MODELS, po_lines_replan
from procurement import factories
from procurement.models import Company, Item, Plant, POLine, PurchaseOrder

PLANT = "DET"
TODAY = dt.date(2027, 1, 4)
SHARES = (0.02, 0.08, 0.15, 0.25, 0.50)  # of the items, per BOM level, top first


def _reset() -> None:
    tables = ", ".join(connection.introspection.django_table_names(only_existing=True, include_views=False))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def _structures_write(company: Company, releases: list[inputs.BomReleaseInput], ids: dict[str, int]) -> None:
    """First revisions of manufacturing BOMs at one plant, written as ``bom_release_receive`` applies them
    (the release, its effectivity, its lines linked to their items, the plant's revision chain), in bulk:
    each release through the service checks its revision chain and the structure for cycles, which grows
    with the model (the full size took hours). The benchmark measures planning, not receiving BOMs, which
    the materials benchmark measures."""
    now = timezone.now()
    rows = []
    for release in releases:
        content_hash, structure_hash = content_hashes(release)
        rows.append(
            BomRelease(
                company=company,
                parent_item_id=ids[release.parent_part_number],
                parent_part_number=release.parent_part_number,
                bom_type=release.bom_type,
                source_system=release.source_system,
                release_id=release.release_id,
                revision=release.revision,
                status=release.status,
                base_quantity=release.base_quantity,
                state=BomRelease.State.APPLIED,
                raw=b"{}",
                sha256=hashlib.sha256(b"{}").hexdigest(),
                content_hash=content_hash,
                structure_hash=structure_hash,
                correlation_id="bench",
                received_at=now,
                applied_at=now,
                settled_at=now,
            )
        )
    BomRelease.objects.bulk_create(rows, batch_size=2000)
    BomReleaseEffectivity.objects.bulk_create(
        (BomReleaseEffectivity(release=row, plant_code=PLANT) for row in rows), batch_size=5000
    )
    BomComponent.objects.bulk_create(
        (
            BomComponent(
                release=row,
                position=c.position,
                part_number=c.part_number,
                item_id=ids[c.part_number],
                quantity_per=c.quantity_per,
            )
            for row, release in zip(rows, releases, strict=True)
            for c in release.components
        ),
        batch_size=5000,
    )
    BomPlantRevision.objects.bulk_create(
        (
            BomPlantRevision(
                company=company,
                parent_part_number=row.parent_part_number,
                bom_type=row.bom_type,
                plant_code=PLANT,
                sequence=1,
                release=row,
                revision=row.revision,
                applied_at=now,
            )
            for row in rows
        ),
        batch_size=5000,
    )


def build(*, items: int, po_lines: int, demands: int, rng: random.Random) -> Company:
    """The generated model, through the services where it is master data."""
    company = factories.CompanyFactory(code="ACME")
    plant = factories.PlantFactory(company=company, code=PLANT)
    suppliers = [factories.SupplierFactory(code=f"S{n}") for n in range(2)]
    actor = Actor.for_system(company_ids={company.pk}, label="bench ERP")
    levels, number = [], 0
    for share in SHARES:
        size = max(1, int(items * share))
        levels.append([f"R-{number + i:06d}" for i in range(size)])
        number += size
    leaves = set(levels[-1])
    parts = [p for level in levels for p in level]
    for start in range(0, len(parts), 1000):
        batch = tuple(
            inputs.ItemInput(
                part_number=p,
                make_or_buy="buy" if p in leaves else "make",
                lead_time_days=rng.randint(1, 20),
                moq=Decimal(rng.choice((1, 10, 50))),
                order_multiple=Decimal(rng.choice((1, 5))),
                safety_stock=Decimal(rng.choice((0, 0, 10))),
                approved_suppliers=(
                    (inputs.ApprovedSupplierInput(rng.choice(suppliers).code, lead_time_days=rng.randint(5, 30)),)
                    if p in leaves
                    else ()
                ),
            )
            for p in parts[start : start + 1000]
        )
        services.items_upsert(actor=actor, batch=inputs.ItemBatchInput("ACME", "ERP", batch))
    ids = dict(Item.objects.filter(company=company).values_list("part_number", "pk"))
    for depth, assemblies in enumerate(levels[:-1]):
        below = levels[depth + 1]
        releases = []
        for index, parent in enumerate(assemblies):
            picked = {below[(index * len(below)) // len(assemblies)]} | set(rng.sample(below, min(len(below), 5)))
            releases.append(
                inputs.BomReleaseInput(
                    company_code="ACME",
                    source_system="ERP",
                    bom_type="manufacturing",
                    release_id=f"{parent}-A",
                    parent_part_number=parent,
                    revision="A",
                    previous_revision=None,
                    status="approved_for_production",
                    effectivity=(inputs.EffectivityInput(plant_code=PLANT),),
                    components=tuple(
                        inputs.BomComponentInput(
                            position=f"{10 * (i + 1)}", part_number=c, quantity_per=Decimal(rng.randint(1, 3))
                        )
                        for i, c in enumerate(sorted(picked))
                    ),
                )
            )
        _structures_write(company, releases, ids)
        print(f"  … level {depth + 1} structures applied", file=sys.stderr)
    bought = [ids[p] for p in levels[-1]]
    now = timezone.now()
    orders = PurchaseOrder.objects.bulk_create(
        PurchaseOrder(
            company=company,
            supplier=suppliers[n % 2],
            ship_to=plant,
            number=f"PO-{n:06d}",
            currency="USD",
            order_date=TODAY,
            published_at=now,
            updated_at=now,
        )
        for n in range(max(1, po_lines // 20))
    )
    lines = []
    for n in range(po_lines):
        need = TODAY + dt.timedelta(days=rng.randint(0, 120))
        promised = need + dt.timedelta(days=rng.randint(-5, 15)) if n % 3 == 0 else None
        lines.append(
            POLine(
                po=orders[n % len(orders)],
                line_no=str(n // len(orders) + 1),
                item_id=rng.choice(bought),
                quantity=Decimal(rng.randint(10, 500)),
                uom="EA",
                unit_price=Decimal("1.00"),
                need_by=need,
                promised_date=promised,
                ack_response="RESCHEDULE" if promised else "",
            )
        )
    POLine.objects.bulk_create(lines, batch_size=5000)
    tops = [ids[p] for level in levels[:2] for p in level]
    every = list(ids.values())
    Demand.objects.bulk_create(
        (
            Demand(
                company=company,
                plant=plant,
                item_id=rng.choice(tops) if n % 2 == 0 else rng.choice(every),
                kind="production_order" if n % 2 == 0 else "independent",
                source_system="ERP",
                source_id=f"D-{n:07d}",
                reference=f"D-{n:07d}",
                quantity=Decimal(rng.randint(1, 20)),
                need_date=TODAY + dt.timedelta(days=rng.randint(0, 150)),
                content_hash="-",
                updated_at=now,
            )
            for n in range(demands)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    assert Plant.objects.count() == 1
    return company


def _plan_only(company: Company) -> float:
    """The planning alone: the inputs loaded first (not timed), every result made and then dropped."""
    loaded = PlanInputs.load(company_id=company.pk, today=TODAY)
    started = time.perf_counter()
    with no_cycle_collection():
        plan(loaded, flush=lambda result: result.take())
    return time.perf_counter() - started


def _bare_copy(company: Company) -> dict[str, tuple[int, float]]:
    """What PostgreSQL alone takes to accept the full run's results, per result table (rows, seconds):
    its rows taken out as COPY text beforehand (not timed), copied into a temporary table of the same
    columns: no index, no key, no write-ahead log, no Python making the text. Whatever plans them, a
    run that stores these results takes at least this on top of reading its inputs."""
    texts = []
    with connection.cursor() as cursor:
        for model in RESULT_MODELS:
            table = model._meta.db_table
            with cursor.cursor.copy(f"COPY (SELECT * FROM {table} WHERE company_id = {company.pk}) TO STDOUT") as out:
                texts.append((table, b"".join(bytes(block) for block in out)))
    taken = {}
    with connection.cursor() as cursor:
        for table, text in texts:
            cursor.execute(f"CREATE TEMP TABLE bare_{table} (LIKE {table})")
            started = time.perf_counter()
            with cursor.cursor.copy(f"COPY bare_{table} FROM STDIN") as into:
                for offset in range(0, len(text), 1 << 20):
                    into.write(text[offset : offset + (1 << 20)])
            taken[table] = (text.count(b"\n"), time.perf_counter() - started)
            cursor.execute(f"DROP TABLE bare_{table}")
    return taken


def run(*, rounds: int, items: int, po_lines: int, demands: int, moves: int) -> None:
    print(
        f"\nRequirements on PostgreSQL: {items:,} item-locations on {len(SHARES)} BOM levels, {po_lines:,} open PO "
        f"lines, {demands:,} demands (under load: the machine is shared)\n"
    )
    rng = random.Random(23)
    _reset()
    company = build(items=items, po_lines=po_lines, demands=demands, rng=rng)
    loads, fulls = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        PlanInputs.load(company_id=company.pk, today=TODAY)
        loads.append(time.perf_counter() - started)
        started = time.perf_counter()
        run = services.requirements_regenerate(company=company, today=TODAY)
        fulls.append(time.perf_counter() - started)
        print(f"  … full run {run.counts} in {fulls[-1]:.1f} s", file=sys.stderr)
    line_ids = list(POLine.objects.filter(po__company=company).values_list("pk", flat=True))
    timings, cpu = [], []
    for _ in range(moves):
        line = POLine.objects.get(pk=rng.choice(line_ids))
        line.promised_date = line.need_by + dt.timedelta(days=rng.randint(1, 30))
        line.save(update_fields=["promised_date"])
        started, used = time.perf_counter(), time.process_time()
        po_lines_replan(company.pk, [line.pk])
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    load, full = statistics.median(loads), statistics.median(fulls)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # After the peak is read: the floor below holds every result's text in memory at once.
    plans = [_plan_only(company) for _ in range(rounds)]
    copies = [_bare_copy(company) for _ in range(rounds)]
    print(f"  {'load the inputs from PostgreSQL (PlanInputs.load)':<60}{load:>10.2f} s")
    print(f"  {'full regeneration (load, plan, store)':<60}{full:>10.2f} s")
    ratio = full / load
    print(f"  {'ratio, target <= 3x':<60}{ratio:>10.1f} x  {'met' if ratio <= 3 else 'NOT met'}")
    alone = statistics.median(plans)
    label = "  of which: plan alone, in memory (results made, not kept)"
    print(f"  {label:<60}{alone:>10.2f} s  {alone / load:.1f} x load")
    floor = 0.0
    for table in copies[0]:
        rows, seconds = copies[0][table][0], statistics.median(taken[table][1] for taken in copies)
        floor += seconds
        label = f"  a floor: COPY of {rows:,} rows of {table}"
        print(f"  {label:<60}{seconds:>10.2f} s  {seconds / load:.1f} x load")
    label = "  the floor: load + COPY of every result, no index, no Python"
    print(f"  {label:<60}{load + floor:>10.2f} s  {(load + floor) / load:.1f} x load")
    print(
        f"  {'net change after one PO line date move, p95 (' + str(moves) + ' moves)':<60}"
        f"{p95 * 1000:>10.0f} ms  {'met' if p95 <= 0.1 else 'NOT met'} (target 100 ms; median "
        f"{statistics.median(timings) * 1000:.0f} ms; own CPU, median {statistics.median(cpu) * 1000:.0f} ms)"
    )
    print(f"  {'peak RSS':<60}{peak:>10.0f} MB")
    print(f"  (load average at the end: {' '.join(f'{n:.1f}' for n in os.getloadavg())})")
