"""The KPI dashboard over a year of data: server time per page, p95 beside the 500 ms target.

Data (PostgreSQL, written with set-based ``INSERT … SELECT … generate_series``, not row by row):
one company with 4 plants and 20 suppliers (all tiers and channels), 50,000 POs published across
2026 (90 % acknowledged), a line each, 10,000 promise-date change requests, 30,000 ship notices,
30,000 receipts (25,000 against a notice), 40,000 invoices, 100,000 exceptions across the
severities, 100,000 stored inbound documents and 10,000 EDI functional groups sent (8,000
answered); each ship notice one pack (SSCC) received under it, and ship notices and invoices linked
to stored documents applied seconds to minutes after arrival (the sync SLA figure). Then the
dashboard (grouped by month, then by supplier), a supplier's scorecard and one chart's CSV are
requested in-process as a signed-in buyer, ``--rounds`` times each after a warm-up; the time is the
whole request (selectors, queries, template). Each page is timed alternately as configured (its
figures on ``GATEWAY_KPI_CONNECTIONS`` connections at once) and on one connection, one by one.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from edi.models import TradingPartner
from gateway.actors import Actor
from procurement import factories
from procurement.kpis import KpiQuery, kpi_reading
from procurement.models import POLine
from suppliers.models import Supplier
from workbench import scorecards

TARGET_MS = 500.0
YEAR = "start=2026-01-01&end=2026-12-31"
FIRST_DAY, LAST_DAY = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
TS = "timestamptz '2026-01-01' + ((g * 7919) %% 525600) * interval '1 minute'"


def _seed() -> tuple:
    company = factories.CompanyFactory(code="BENCH", name="Bench Manufacturing")
    plants = [factories.PlantFactory(company=company, code=f"PL{n}").pk for n in range(4)]
    tiers, channels = list(Supplier.Tier.values), list(Supplier.Channel.values)
    suppliers = [
        factories.SupplierFactory(code=f"S{n:02d}", tier=tiers[n % 3], channel=channels[n % 3]) for n in range(20)
    ]
    item = factories.ItemFactory(company=company, part_number="BENCH-1").pk
    partners = [
        TradingPartner.objects.create(
            supplier=s, company=company, isa_id=s.code, gs_id=s.code, folder=s.code.lower()
        ).pk
        for s in suppliers
        if s.channel == Supplier.Channel.EDI
    ]
    buyer = factories.BuyerFactory(username="bench-buyer")
    factories.CompanyMembershipFactory(company=company, user=buyer)
    params = {
        "company": company.pk,
        "plants": plants,
        "suppliers": [s.pk for s in suppliers],
        "item": item,
        "partners": partners,
        "change_state": POLine._meta.get_field("change_state").get_default(),
        "match_state": POLine._meta.get_field("match_state").get_default(),
    }
    statements = [
        f"""INSERT INTO procurement_purchaseorder (company_id, supplier_id, ship_to_id, number, revision, currency,
            order_date, notes, published_at, first_ack_at, updated_at)
            SELECT %(company)s, (%(suppliers)s::int[])[g %% 20 + 1], (%(plants)s::int[])[g %% 4 + 1], 'B' || g, 0,
            'USD', ({TS})::date, '', {TS},
            CASE WHEN g %% 10 <> 0 THEN {TS} + (g %% 72) * interval '1 hour' END, {TS}
            FROM generate_series(1, 50000) g""",
        """INSERT INTO procurement_poline (po_id, line_no, item_id, supplier_part_number, description, quantity, uom,
            unit_price, need_by, cancelled, revision, ack_response, ack_raw_code, backordered_quantity, change_state,
            proposal, shipped_quantity, received_quantity, rejected_quantity, invoiced_quantity, match_state)
            SELECT id, '1', %(item)s, '', '', 10, 'EA', 2, order_date + 30, false, 0, '', '', 0, %(change_state)s,
            '{}', 0, 0, 0, 0, %(match_state)s FROM procurement_purchaseorder WHERE company_id = %(company)s""",
        """INSERT INTO procurement_changerequest (po_id, po_line_id, initiator, response, proposed, current, state,
            created_at)
            SELECT po.id, l.id, 'supplier', 'RESCHEDULE', '{"need_by": "2027-01-01"}', '{}',
            CASE WHEN po.id %% 3 = 0 THEN 'accepted' ELSE 'proposed' END, po.published_at + interval '1 day'
            FROM procurement_purchaseorder po JOIN procurement_poline l ON l.po_id = po.id
            WHERE po.company_id = %(company)s AND po.id %% 5 = 0""",
        """INSERT INTO procurement_shipment (channel, document_id, fingerprint, correlation_id, received_at,
            supplier_id, company_id, shipment_id, ship_date, carrier, tracking_number, bill_of_lading)
            SELECT 'edi', 'ASN-' || po.id, 'f', '', po.published_at + interval '5 days', po.supplier_id,
            po.company_id, 'ASN-' || po.id, (po.published_at + interval '4 days')::date, '', '', ''
            FROM procurement_purchaseorder po WHERE po.company_id = %(company)s AND po.id %% 5 IN (1, 2, 3)""",
        """INSERT INTO procurement_shipmentline (shipment_id, po_line_id, quantity, uom, lot, serial)
            SELECT s.id, l.id, 10, 'EA', '', '' FROM procurement_shipment s
            JOIN procurement_purchaseorder po ON po.number = 'B' || substr(s.shipment_id, 5)
                AND po.company_id = %(company)s
            JOIN procurement_poline l ON l.po_id = po.id""",
        """INSERT INTO procurement_receipt (channel, document_id, fingerprint, correlation_id, received_at,
            company_id, po_id, shipment_id, receipt_number, received_on, physical_status, posting_status)
            SELECT 'system', 'GR-' || po.id, 'f', '',
            po.published_at + interval '6 days' + (po.id %% 48) * interval '1 hour',
            %(company)s, po.id, CASE WHEN po.id %% 6 <> 0 THEN s.id END, 'GR-' || po.id,
            (po.published_at + interval '6 days')::date, 'received', 'posted'
            FROM procurement_purchaseorder po
            JOIN procurement_shipment s ON s.shipment_id = 'ASN-' || po.id AND s.supplier_id = po.supplier_id
            WHERE po.company_id = %(company)s""",
        """INSERT INTO procurement_receiptline (receipt_id, po_line_id, quantity_received, quantity_rejected, lot)
            SELECT r.id, l.id, CASE WHEN r.id %% 7 = 0 THEN 9 ELSE 10 END, 0, ''
            FROM procurement_receipt r JOIN procurement_poline l ON l.po_id = r.po_id
            WHERE r.company_id = %(company)s""",
        """INSERT INTO procurement_invoice (channel, document_id, fingerprint, correlation_id, received_at,
            supplier_id, company_id, po_id, invoice_number, purpose, invoice_date, currency, total, match_status,
            hold_reason, charges, taxes)
            SELECT 'edi', 'INV-' || po.id, 'f', '', po.published_at + interval '10 days', po.supplier_id,
            po.company_id, po.id,
            'INV-' || po.id, 'invoice', (po.published_at + interval '10 days')::date, 'USD', 20,
            (ARRAY['matched', 'within_tolerance', 'on_hold', 'released'])[po.id %% 4 + 1], '', '[]', '[]'
            FROM procurement_purchaseorder po WHERE po.company_id = %(company)s AND po.id %% 5 <> 4""",
        f"""INSERT INTO procurement_procurementexception (company_id, supplier_id, po_id, kind, severity, severity_rank,
            dedup_key, summary, supplier_message, evidence, state, due_at, raised_at, resolution, resolution_note,
            resolved_at, correlation_id)
            SELECT %(company)s, (%(suppliers)s::int[])[g %% 20 + 1], NULL, 'price_deviation',
            (ARRAY['production_stop', 'procurement_delay', 'financial_mismatch', 'data_quality'])[g %% 4 + 1], g %% 4,
            'bench:' || g, 'bench', '', '{{}}', (ARRAY['open', 'in_progress', 'resolved', 'dismissed'])[g %% 4 + 1],
            {TS} + interval '1 day', {TS}, '', '',
            CASE WHEN g %% 4 >= 2 THEN {TS} + (g %% 96) * interval '1 hour' END, ''
            FROM generate_series(1, 100000) g""",
        f"""INSERT INTO procurement_inbounddocument (channel, sender, supplier_id, company_id, document_type,
            document_key, filename, content_type, content, store_path, size, sha256, correlation_id, received_at,
            state, outcome_code, error, attempts)
            SELECT (ARRAY['edi', 'api', 'portal'])[g %% 3 + 1], 'S', (%(suppliers)s::int[])[g %% 20 + 1], %(company)s,
            'x12', '', '', '', ''::bytea, '', 0, md5(g::text), 'c' || g, {TS},
            (ARRAY['processed', 'processed', 'processed', 'duplicate', 'refused', 'rejected', 'failed'])[g %% 7 + 1],
            '', '', 1
            FROM generate_series(1, 100000) g""",
        f"""INSERT INTO edi_interchange (direction, partner_id, sender_qualifier, sender_id, receiver_id, isa13,
            isa15, version, content, duplicate, envelope_errors, digest, receipt, rejected, created_at)
            SELECT CASE WHEN g <= 10000 THEN 'out' ELSE 'in' END,
            (%(partners)s::int[])[g %% cardinality(%(partners)s::int[]) + 1], 'ZZ', 'X', 'Y',
            lpad(g::text, 9, '0'), 'P', '004010', ''::bytea, '', '[]', '', '{{}}', false,
            CASE WHEN g <= 10000 THEN {TS}
            ELSE timestamptz '2026-01-01' + (((g - 10000) * 7919) %% 525600) * interval '1 minute' + interval '3 hours'
            END
            FROM generate_series(1, 18000) g""",
        """INSERT INTO edi_functionalgroup (interchange_id, gs01, gs06, gs08, set_ids, ack_state, ack_code,
            ack_interchange_id, ack_detail)
            SELECT o.id, 'PO', o.isa13, '004010', '[]', CASE WHEN a.id IS NULL THEN 'overdue' ELSE 'accepted' END, '',
            a.id, '[]'
            FROM edi_interchange o
            LEFT JOIN edi_interchange a ON a.direction = 'in' AND a.isa13::int = o.isa13::int + 10000
            WHERE o.direction = 'out'""",
        # Packs: one SSCC per ship notice, received under it (a seventh short, as above; a tenth unscanned).
        """INSERT INTO procurement_shipmentpack (shipment_id, sscc)
            SELECT s.id, lpad(s.id::text, 18, '0') FROM procurement_shipment s
            JOIN procurement_shipmentline sl ON sl.shipment_id = s.id""",
        """UPDATE procurement_shipmentline sl SET pack_id = p.id
            FROM procurement_shipmentpack p WHERE p.shipment_id = sl.shipment_id""",
        """UPDATE procurement_receiptline rl SET sscc = lpad(r.shipment_id::text, 18, '0')
            FROM procurement_receipt r WHERE rl.receipt_id = r.id AND r.shipment_id IS NOT NULL AND r.id %% 10 <> 0""",
        # Sync: ship notices and invoices applied from stored documents, seconds to minutes after arrival.
        """UPDATE procurement_shipment s SET inbound_document_id = d.id
            FROM procurement_inbounddocument d WHERE d.sha256 = md5(s.id::text)""",
        """UPDATE procurement_invoice i SET inbound_document_id = d.id
            FROM procurement_inbounddocument d WHERE d.sha256 = md5((i.id + 50000)::text)""",
        """UPDATE procurement_inbounddocument d SET received_at = s.received_at,
            processed_at = s.received_at + (d.id %% 7200) * interval '1 second'
            FROM procurement_shipment s WHERE s.inbound_document_id = d.id""",
        """UPDATE procurement_inbounddocument d SET received_at = i.received_at,
            processed_at = i.received_at + (d.id %% 7200) * interval '1 second'
            FROM procurement_invoice i WHERE i.inbound_document_id = d.id""",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, params)
        cursor.execute("ANALYZE")
    return buyer, suppliers[2].code, company.pk


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f})"


def _page(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def _raw(actor: Actor, q: KpiQuery, keys: tuple[str, ...]) -> float:
    """The same figures computed outside any request: the statements and their Python, no page."""
    started = time.perf_counter()
    with kpi_reading():
        for key in keys:
            scorecards._chart(actor=actor, q=q, key=key, now=None)
    return (time.perf_counter() - started) * 1000


def _time(client: Client, url: str, raw: Callable[[], float], rounds: int) -> dict[str, float]:
    """Page, the same page reading its figures on one connection, and the raw computation
    alternated, so the machine's other work weighs on all alike."""
    client.get(url)  # warm-up: connection, caches, the planner's statistics
    raw()
    pages, singles, raws = [], [], []
    for _ in range(rounds):
        pages.append(_page(client, url))
        with override_settings(GATEWAY_KPI_CONNECTIONS=1):
            singles.append(_page(client, url))
        raws.append(raw())
    # Counted one by one: the helpers' statements run on connections this one does not record.
    with override_settings(GATEWAY_KPI_CONNECTIONS=1), CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {
        "median": statistics.median(pages),
        "p95": statistics.quantiles(pages, n=20)[-1],
        "single_median": statistics.median(singles),
        "single_p95": statistics.quantiles(singles, n=20)[-1],
        "raw_p95": statistics.quantiles(raws, n=20)[-1],
        "queries": len(queries.captured_queries),
    }


def _profile(actor: Actor, q: KpiQuery, rounds: int = 11) -> None:
    """Where a dashboard's time goes: each figure's median of ``rounds``, with its statements. More
    rounds than the connection takes to prepare a statement and PostgreSQL to settle on its plan
    (the eighth run), so the median is the steady page's, not the first few's."""
    print(f"  where the time goes, {q.group} view (median of {rounds}; {_load()}):")
    total = 0.0
    for key in scorecards.CHARTS:
        times, statements = [], 0
        for _ in range(rounds):
            with kpi_reading(), CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                scorecards._chart(actor=actor, q=q, key=key, now=None)
                times.append((time.perf_counter() - started) * 1000)
            statements = len(queries.captured_queries)
        best = statistics.median(times)
        total += best
        print(f"    {key:<22}{best:>7.0f} ms {statements:>3} statements")
    print(f"    {'all figures':<22}{total:>7.0f} ms")


def run(*, rounds: int) -> None:
    # Pages name their static files; without collectstatic's manifest here, name them plainly.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        _run(rounds=rounds)


def _run(*, rounds: int) -> None:
    started = time.perf_counter()
    buyer, supplier, company = _seed()
    print(f"kpis: a year of data written in {time.perf_counter() - started:.1f} s (set-based SQL); {_load()}")
    client = Client()
    client.force_login(buyer)
    actor = Actor.for_buyer(company_ids={company}, label="bench", user_id=buyer.pk)
    rounds = max(rounds, 20)
    every = tuple(scorecards.CHARTS)
    for group in ("month", "supplier"):
        _profile(actor, KpiQuery(start=FIRST_DAY, end=LAST_DAY, group=group))
    pages = {
        "dashboard by month": (f"/workbench/kpis/?{YEAR}", KpiQuery(start=FIRST_DAY, end=LAST_DAY), every),
        "dashboard by supplier": (
            f"/workbench/kpis/?{YEAR}&group=supplier",
            KpiQuery(start=FIRST_DAY, end=LAST_DAY, group="supplier"),
            every,
        ),
        "dashboard, one plant, EDI": (
            f"/workbench/kpis/?{YEAR}&plant=PL1&channel=edi",
            KpiQuery(start=FIRST_DAY, end=LAST_DAY, plant="PL1", channel="edi"),
            every,
        ),
        "one chart's CSV (exceptions)": (
            f"/workbench/kpis/exceptions.csv?{YEAR}",
            KpiQuery(start=FIRST_DAY, end=LAST_DAY),
            ("exceptions",),
        ),
        "one chart's CSV (sync SLAs, by plant)": (
            f"/workbench/kpis/sync.csv?{YEAR}&group=plant",
            KpiQuery(start=FIRST_DAY, end=LAST_DAY, group="plant"),
            ("sync",),
        ),
        "one chart's CSV (ASN packs by SSCC)": (
            f"/workbench/kpis/asn_packs.csv?{YEAR}",
            KpiQuery(start=FIRST_DAY, end=LAST_DAY),
            ("asn_packs",),
        ),
    }
    print(
        f"  server time over {rounds} requests, each beside the same page on one connection"
        f" (GATEWAY_KPI_CONNECTIONS=1) and the raw computation of its figures one by one (no page) in the same"
        f" run; {_load()}"
    )
    print(
        f"  {'page':<40}{'median':>8}{'p95':>8}{'target':>8}{'p95/target':>11}{'1 conn':>8}{'1c p95':>8}"
        f"{'raw p95':>9}{'page/raw':>9}{'queries':>8}"  # queries: on one connection
    )
    for label, (url, q, keys) in pages.items():
        _line(label, _time(client, url, lambda q=q, keys=keys: _raw(actor, q, keys), rounds))
    scorecard_url = f"/workbench/suppliers/{supplier}/scorecard/?{YEAR}"
    f = _time(
        client,
        scorecard_url,
        lambda: (
            _raw(actor, KpiQuery(start=FIRST_DAY, end=LAST_DAY, supplier=supplier, group="all"), every)
            + _raw(actor, KpiQuery(start=FIRST_DAY, end=LAST_DAY, supplier=supplier), every)
        ),
        rounds,
    )
    _line(f"scorecard {supplier}", f)
    print(f"  {_load()}")


def _line(label: str, f: dict[str, float]) -> None:
    met = "met" if f["p95"] <= TARGET_MS else "NOT met"
    print(
        f"  {label:<40}{f['median']:>6.0f}ms{f['p95']:>6.0f}ms{TARGET_MS:>6.0f}ms{f['p95'] / TARGET_MS:>10.2f}x"
        f"{f['single_median']:>6.0f}ms{f['single_p95']:>6.0f}ms{f['raw_p95']:>7.0f}ms{f['p95'] / f['raw_p95']:>8.2f}x"
        f"{f['queries']:>8}  {met}"
    )
