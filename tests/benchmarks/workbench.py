"""The buyers' exception queue and an exception's page over 100,000 exceptions on 50,000 POs.

The data is made with set-based SQL (``INSERT … SELECT generate_series``): 40 suppliers across the
three tiers and channels, two plants, 50,000 POs of one line each, and two exceptions per PO (about
70 % open, severities and kinds mixed, due times spread over a week either side of now, a tenth
assigned to the buyer). Pages are requested in process through Django's test client, signed in as
the buyer, so the time is the server's (URL routing, middleware, selectors, template), not the
network's. p95 over ``requests`` requests per case, and the query count of each case, which must
not grow with the data (the same count as with a nearly empty queue).
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from procurement import factories
from procurement.models import ProcurementException

POS = 50_000
EXCEPTIONS_PER_PO = 2
SUPPLIERS = 40
TARGET_MS = 100.0

CASES = {
    "queue, no filter": "/workbench/exceptions/",
    "queue, severity + SLA overdue": "/workbench/exceptions/?severity=production_stop&sla=overdue",
    "queue, plant + tier + owner unassigned": "/workbench/exceptions/?plant=MTY&tier=strategic&owner=unassigned",
    "queue, kind + channel + supplier": "/workbench/exceptions/?kind=price_deviation&channel=edi&supplier=SUP-007",
    "queue, owner me + due soon": "/workbench/exceptions/?owner=me&sla=due_soon",
    "queue, page 40": "/workbench/exceptions/?page=40",
}


def _reset() -> None:
    tables = ", ".join(connection.introspection.django_table_names(only_existing=True, include_views=False))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def _seed(pos: int) -> dict:
    company = factories.CompanyFactory(code="ACME")
    det = factories.PlantFactory(company=company, code="DET", name="Detroit")
    mty = factories.PlantFactory(company=company, code="MTY", name="Monterrey")
    buyer = factories.BuyerFactory(username="bench-buyer")
    factories.CompanyMembershipFactory(company=company, user=buyer)
    item = factories.ItemFactory(company=company, part_number="PART-1")
    kinds = ProcurementException.Kind.values[:14]
    severities = [(s, ProcurementException.SEVERITY_RANK[s]) for s in ProcurementException.Severity.values]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO suppliers_supplier (code, name, tier, channel, notify_email, active, created_at)
            SELECT 'SUP-' || lpad(g::text, 3, '0'), 'Supplier ' || g,
                   (ARRAY['strategic','standard','long_tail'])[1 + g %% 3],
                   (ARRAY['portal','api','edi'])[1 + (g / 3) %% 3], '', true, now()
            FROM generate_series(1, %s) g
            """,
            [SUPPLIERS],
        )
        cursor.execute("SELECT min(id) FROM suppliers_supplier")
        first_supplier = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO procurement_purchaseorder
                (company_id, supplier_id, ship_to_id, buyer_id, number, revision, currency, order_date, notes,
                 published_at, updated_at)
            SELECT %s, %s + g %% %s, CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, %s, 'PO-' || g, 0, 'USD',
                   DATE '2027-01-01', '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [company.pk, first_supplier, SUPPLIERS, det.pk, mty.pk, buyer.pk, pos],
        )
        cursor.execute(
            """
            INSERT INTO procurement_poline
                (po_id, line_no, item_id, supplier_part_number, description, quantity, uom, unit_price, need_by,
                 cancelled, revision, ack_response, ack_raw_code, backordered_quantity, change_state, proposal,
                 shipped_quantity, received_quantity, rejected_quantity, invoiced_quantity, match_state)
            SELECT id, '1', %s, '', 'Part', 100, 'EA', 10, DATE '2027-03-01', false, 0, '', '', 0, 'none', '{}',
                   0, 0, 0, 0, 'not_invoiced'
            FROM procurement_purchaseorder
            """,
            [item.pk],
        )
        cursor.execute(
            """
            INSERT INTO procurement_procurementexception
                (company_id, supplier_id, po_id, po_line_id, kind, severity, severity_rank, dedup_key, summary,
                 supplier_message, evidence, state, owner_id, due_at, raised_at, resolution, resolution_note,
                 correlation_id)
            SELECT po.company_id, po.supplier_id, po.id, line.id,
                   (%s::text[])[1 + (po.id * 7 + n) %% %s],
                   (%s::text[])[1 + (po.id + n) %% 4], (%s::int[])[1 + (po.id + n) %% 4],
                   'bench:' || po.id || ':' || n, 'PO ' || po.number || ' line 1: price 11 instead of 10',
                   'price 11 instead of 10',
                   '{"expected": "10", "actual": "11", "deviation": "1", "deviation_percent": "10"}',
                   CASE WHEN (po.id + n) %% 10 < 7 THEN 'open' ELSE 'resolved' END,
                   CASE WHEN (po.id + n) %% 10 = 0 THEN %s END,
                   now() + ((((po.id * 13 + n * 5) %% 336) - 168) || ' hours')::interval,
                   now() - interval '1 day', '', '', ''
            FROM procurement_purchaseorder po
            JOIN procurement_poline line ON line.po_id = po.id
            CROSS JOIN generate_series(1, %s) n
            """,
            [
                kinds,
                len(kinds),
                [s for s, _ in severities],
                [r for _, r in severities],
                buyer.pk,
                EXCEPTIONS_PER_PO,
            ],
        )
        cursor.execute("UPDATE procurement_procurementexception SET state = 'in_progress' WHERE owner_id IS NOT NULL")
        cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a settled table: index-only counts
    open_one = ProcurementException.objects.open().order_by("id").values_list("pk", flat=True).first()
    _raising_file_attach(open_one)
    return {"buyer": buyer, "exception": open_one}


def _raising_file_attach(exception_id: int | None) -> None:
    """The exception page's raising document: a stored 855 of 50 lines, which the page translates."""
    import datetime as dt

    from edi import x12
    from procurement import inputs
    from procurement.services import inbound_document_store

    ack = inputs.AcknowledgementInput(
        document_id="855-BENCH",
        po_number="BENCH-PO",
        header=inputs.ACK_ACCEPTED,
        lines=tuple(inputs.AckLineInput(line_no=str(n), response=inputs.LINE_ACCEPT) for n in range(1, 51)),
        acknowledged_on=dt.date(2027, 1, 20),
    )
    envelope = x12.Envelope(
        sender_id="BENCH", receiver_id="GATEWAY", interchange_control=1, group_control=1, version="004010"
    )
    document = inbound_document_store(
        channel="edi", sender="BENCH", content=x12.write_855(ack, envelope, "0001"), document_type="x12"
    )
    ProcurementException.objects.filter(pk=exception_id).update(inbound_document=document)


def _measure(client: Client, path: str, requests: int) -> tuple[float, float, int]:
    client.get(path)  # warm: templates compiled, connection open
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, len(queries)


def _counts(client: Client, cases: dict[str, str]) -> dict[str, int]:
    counts = {}
    for name, path in cases.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        counts[name] = len(queries)
    return counts


def run(*, requests: int = 60, pos: int = POS) -> None:
    # Production-like but without collectstatic: the manifest's lookups are not what is measured.
    storages = settings.STORAGES | {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=storages, ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
        _run(requests=requests, pos=pos)


def _run(*, requests: int, pos: int) -> None:
    print(f"\nworkbench: {pos * EXCEPTIONS_PER_PO:,} exceptions on {pos:,} POs (PostgreSQL, in-process requests)")
    # The query counts with a nearly empty queue, to hold the full one's against.
    _reset()
    small = _seed(50)
    client = Client()
    client.force_login(small["buyer"])
    cases = CASES | {"exception page": f"/workbench/exceptions/{small['exception']}/"}
    few = _counts(client, cases)

    _reset()
    started = time.perf_counter()
    world = _seed(pos)
    print(f"  data made in {time.perf_counter() - started:.1f} s (set-based SQL)")
    client = Client()
    client.force_login(world["buyer"])
    cases = CASES | {"exception page": f"/workbench/exceptions/{world['exception']}/"}
    print(f"  {'case':<44}{'median ms':>10}{'p95 ms':>10}{'queries':>9}{'(100 rows)':>11}  target")
    for name, path in cases.items():
        median, p95, queries = _measure(client, path, requests)
        met = p95 <= TARGET_MS and queries == few[name]
        print(
            f"  {name:<44}{median:>10.1f}{p95:>10.1f}{queries:>9}{few[name]:>11}  "
            f"p95 ≤ {TARGET_MS:.0f} ms, same queries: {'met' if met else 'NOT met'}"
        )
