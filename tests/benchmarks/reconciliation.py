"""Inventory reconciliation of 100,000 positions × 3 systems on PostgreSQL, beside its 30 s target.

The ledger's balances are generated with set-based SQL: 2 plants × 25,000 items × 2 lots = 100,000
(plant, item, lot, status) positions, each reported by the ERP (posted), the WMS (physical) and the
MES (physical): 300,000 balance rows. One position in 100 is a variance (the WMS has 50 more than
the others, with the receipt event that explains it); one in 50 differs within tolerance (the MES
counts one fewer). The company's tolerance is 5 units and 1 %.

Three runs of ``inventory_reconcile`` are timed: the first raises every variance (an exception
each, audited), the second finds the same and raises nothing (the steady state, what the hourly
run costs), the third runs after the WMS agrees again and closes every exception. Medians over
rounds of the steady state.
"""

from __future__ import annotations

import statistics
import time

from django.db import connection, transaction

from materials.services.reconciliation import inventory_reconcile
from procurement import factories
from procurement.models import ProcurementException
from procurement.services import WriteSource

PLANTS = 2
ITEMS = 25_000
LOTS = 2
TARGET_SECONDS = 30.0
SOURCE = WriteSource(channel="system", label="benchmark reconciliation")


def _reset() -> None:
    tables = ", ".join(connection.introspection.django_table_names(only_existing=True, include_views=False))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def _generate() -> tuple[int, float]:
    """The company, its plants, items, balances and the variances' events; returns (company id, seconds)."""
    started = time.perf_counter()
    company = factories.CompanyFactory(code="ACME")
    plants = [factories.PlantFactory(company=company, code=f"P{n}").pk for n in range(PLANTS)]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO procurement_item (company_id, part_number, description, base_uom)
            SELECT %s, 'I-' || lpad(g::text, 6, '0'), 'bench item ' || g, 'EA' FROM generate_series(1, %s) AS g
            """,
            [company.pk, ITEMS],
        )
        cursor.execute(
            "INSERT INTO materials_inventorytolerance (company_id, category, percent, amount) VALUES (%s, '', 1, 5)",
            [company.pk],
        )
        # n numbers the positions; q is what every system agrees on before the deviations.
        cursor.execute(
            """
            CREATE TEMP TABLE bench_positions AS
            SELECT row_number() OVER () AS n, p.id AS plant_id, i.id AS item_id, 'L' || l AS lot,
                   100 + (i.id * 7 + l * 13) %% 900 AS q
            FROM unnest(%s::bigint[]) AS p(id)
            CROSS JOIN (SELECT id FROM procurement_item WHERE company_id = %s) AS i
            CROSS JOIN generate_series(1, %s) AS l
            """,
            [plants, company.pk, LOTS],
        )
        cursor.execute(
            """
            INSERT INTO materials_inventorybalance
                (company_id, plant_id, item_id, location, lot, stock_status, source_system,
                 physical, posted, last_sequence, updated_at)
            SELECT %(company)s, plant_id, item_id, 'A1', lot, 'usable', s.source,
                   CASE s.source
                       WHEN 'ERP' THEN 0
                       WHEN 'WMS' THEN q + CASE WHEN n %% 100 = 0 THEN 50 ELSE 0 END
                       ELSE q - CASE WHEN n %% 50 = 25 THEN 1 ELSE 0 END
                   END,
                   CASE s.source WHEN 'ERP' THEN q ELSE 0 END,
                   n, now()
            FROM bench_positions CROSS JOIN (VALUES ('ERP'), ('WMS'), ('MES')) AS s(source)
            """,
            {"company": company.pk},
        )
        cursor.execute(
            """
            INSERT INTO materials_inventoryevent
                (company_id, plant_id, item_id, kind, location, to_location, lot, serial, quantity, uom,
                 base_quantity, stock_status, to_status, posting, source_system, source_event_id,
                 source_sequence, occurred_at, received_at, content_hash, correlation_id)
            SELECT %(company)s, plant_id, item_id, 'receipt', 'A1', '', lot, '', 50, 'EA', 50, 'usable', '',
                   'physical', 'WMS', 'W-' || n, n, now() - interval '2 days', now() - interval '2 days',
                   md5(n::text) || md5(n::text), ''
            FROM bench_positions WHERE n %% 100 = 0
            """,
            {"company": company.pk},
        )
        cursor.execute("ANALYZE")
    return company.pk, time.perf_counter() - started


def _timed(company_id: int):
    started = time.perf_counter()
    with transaction.atomic():
        result = inventory_reconcile(company_id=company_id, source=SOURCE)
    return result, time.perf_counter() - started


def run(*, rounds: int) -> None:
    print(
        f"\nInventory reconciliation on PostgreSQL: {PLANTS * ITEMS * LOTS:,} positions × 3 systems "
        f"({PLANTS * ITEMS * LOTS * 3:,} balance rows), 1 % variances, 2 % within tolerance\n"
    )
    _reset()
    company_id, generated = _generate()
    first, first_seconds = _timed(company_id)
    steady = [_timed(company_id) for _ in range(rounds)]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE materials_inventorybalance SET physical = physical - 50 WHERE source_system = 'WMS' "
                       "AND last_sequence % 100 = 0")  # fmt: skip
    cleared, cleared_seconds = _timed(company_id)
    open_left = ProcurementException.objects.open().filter(kind="inventory_variance").count()
    steady_seconds = statistics.median(s for _, s in steady)
    steady_result = steady[0][0]

    header = f"{'case':<62}{'figure':>16}  {'target':<10}"
    print(header)
    print("-" * len(header))
    print(f"{'generated with set-based SQL: seconds':<62}{generated:>16.1f}")
    print(f"{'positions compared':<62}{first.positions:>16,}")
    print(
        f"{'positions differing at all / beyond tolerance':<62}{f'{first.differing:,} / {len(first.variances):,}':>16}"
    )
    for label, seconds, result in (
        (f"first run: seconds (raises {first.raised:,} exceptions)", first_seconds, first),
        (f"steady run, median of {rounds}: seconds (raises {steady_result.raised})", steady_seconds, steady_result),
        (f"after the WMS agrees: seconds (closes {cleared.cleared:,})", cleared_seconds, cleared),
    ):
        met = "met" if seconds <= TARGET_SECONDS else "NOT met"
        print(f"{label:<62}{seconds:>16.1f}  <= {TARGET_SECONDS:.0f} s {met}")
        del result
    print(f"{'open variance exceptions left':<62}{open_left:>16,}")
    print("\nTarget: a reconciliation of 100,000 item-locations × 3 sources <= 30 s. Shared machine: under load.")
