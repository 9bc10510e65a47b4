"""What one small file costs the database: the statements a batch runs for a one-set 810 or 856.

Files of one set each are the common shape of a partner's traffic, and each statement is a round
trip to the database on the worker's clock, so the list is pinned here, statement by statement:
a step added to the receipt must be seen and justified. Savepoints are counted apart (the test's own
transaction turns the batch's BEGIN into one): the file's own is the only other.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.webhooks import subscriptions_cache_clear
from edi import filedrop, tasks
from edi.tests.test_filedrop import drop, partner  # noqa: F401  (partner is a fixture)
from notifications.models import OutboundMessage
from procurement import factories, inputs
from procurement.models import InboundDocument, Invoice, ProcurementException, Shipment
from procurement.services import WriteSource, acknowledgement_record, purchase_order_publish, tolerance
from tests.benchmarks import edi_data

ORDERS = 3

# The batch around the file: the fresh check, its attempt counted, the documents locked together,
# the partner (with its company's webhooks version); then, together (one round trip on
# PostgreSQL), the interchanges already recorded for the documents (none), the documents of the
# same content before (none), and the interchanges under the same senders and ISA13s before
# (none): each file's duplicate checks, asked once for the batch; our identity.
BATCH = [
    "SELECT procurement_inbounddocument",
    "UPDATE procurement_inbounddocument",
    "SELECT procurement_inbounddocument",
    "SELECT suppliers_tradingpartner",
    "SELECT edi_interchange",
    "SELECT procurement_inbounddocument",
    "SELECT edi_interchange",
    "SELECT edi_ediidentity",
]
# Receiving the file: the write path (below), nothing else. (The document is locked, found never
# received, and checked for duplicates with the batch's; its interchange's record and its settling,
# with its document.processed webhooks from the cache kept for the company's webhooks version the
# batch read, wait for the batch's end.)
# At the batch's end, for all of its files: their interchanges recorded (one prepared INSERT …
# RETURNING, ``rows_insert``), then the 997s: their control numbers, their outbox rows (with the
# groups' records, in the same statement), their interchanges, the receipts naming them (saved
# once, with them), and the documents settled (one UPDATE for them all).
if connection.vendor == "postgresql":
    BATCH_END = [
        "WITH edi_interchange",
        "INSERT edi_controlcounter",
        "WITH procurement_outboundmessage",
        "WITH edi_interchange",
        "UPDATE edi_interchange",
        "UPDATE procurement_inbounddocument",
    ]
else:  # the same steps, each INSERT on its own (the outbox rows, then the groups' records)
    BATCH_END = [
        "INSERT edi_interchange",
        "INSERT edi_controlcounter",
        "INSERT procurement_outboundmessage",
        "INSERT edi_functionalgroup",
        "INSERT edi_interchange",
        "UPDATE edi_interchange",
        "UPDATE procurement_inbounddocument",
    ]
# The write path: the PO lines locked (with their PO and company), the same document before? (Sent
# with the lock on PostgreSQL: one round trip for both.) Then, matched before it is written, the
# record with its verdict and its lines, the lines' totals and the PO touched (one statement on
# PostgreSQL, which also draws the exceptions' keys), and the exceptions with their audit rows (one
# statement on PostgreSQL). Its exception is announced from the subscriptions cached for the
# company's webhooks version read with the lock: no lookup of its own.
if connection.vendor == "postgresql":
    INVOICE = [
        "SELECT procurement_poline",
        "SELECT procurement_invoice",
        "WITH procurement_invoice",
        "WITH procurement_procurementexception",
    ]
else:
    INVOICE = [
        "SELECT procurement_poline",
        "SELECT procurement_invoice",
        "INSERT procurement_invoice",
        "INSERT procurement_invoiceline",
        "UPDATE procurement_poline",
        "UPDATE procurement_purchaseorder",
        "INSERT procurement_procurementexception",
        "INSERT procurement_auditevent",
    ]
# A ship notice: the same steps with its packs and no exception (the notice, its packs, the
# lines' totals and the PO touched in one statement on PostgreSQL; its lines with the audit rows
# in another, as no finding needs them written first), then the requirements told (a planning
# run to re-plan the shipped items, if the company has one).
if connection.vendor == "postgresql":
    SHIPMENT = [
        "SELECT procurement_poline",
        "SELECT procurement_shipment",
        "WITH procurement_shipment",
        "WITH procurement_shipmentline",
        # the company's planning lock, shared, so a full run starting now waits for this change; its
        # full runs read right after it is granted, sent with it (one round trip for both). The company
        # was never planned: nothing more (its lines are read only for a company planned).
        "SELECT ?",
        "SELECT materials_requirementrun",
    ]
else:
    SHIPMENT = [
        "SELECT procurement_poline",
        "SELECT procurement_shipment",
        "INSERT procurement_shipment",
        "INSERT procurement_shipmentpack",
        "UPDATE procurement_poline",
        "UPDATE procurement_purchaseorder",
        "INSERT procurement_shipmentline",
        "INSERT procurement_auditevent",
        "SELECT materials_requirementrun",
    ]


def _statement(sql: str) -> str:
    verb = sql.split(None, 1)[0]
    table = re.search(r'"(\w+_\w+)"', sql)
    return f"{verb} {table.group(1) if table else '?'}"


@pytest.fixture
def orders(partner):  # noqa: F811
    """Three published POs of five lines, each acknowledged as ordered (so shipping them raises nothing)."""
    supplier = partner.supplier
    for n in range(ORDERS):
        number = f"PO-{n:06d}"
        po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number=number, lines=5)
        purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
        acknowledgement_record(
            supplier=supplier,
            ack=inputs.AcknowledgementInput(
                document_id=f"855-{n:06d}",
                po_number=number,
                header=inputs.ACK_ACCEPTED,
                raw_code="AD",
                lines=tuple(
                    inputs.AckLineInput(line_no=str(k), response=inputs.LINE_ACCEPT, raw_code="IA") for k in range(1, 6)
                ),
            ),
            source=WriteSource(channel="portal", label="supplier"),
        )
    subscriptions_cache_clear()
    tolerance._cache.clear()
    yield
    subscriptions_cache_clear()
    tolerance._cache.clear()


def _receive_one(partner, kind: str, n: int) -> tuple[list[str], int]:  # noqa: F811
    """Drop one one-set file for PO ``n``, scan it, and receive it as a batch of one: its statements."""
    number = f"PO-{n:06d}"
    body = edi_data.shipment(number, 5, number) if kind == "856" else edi_data.invoice(number, 5, number)
    drop(partner, f"{kind}-{n}.edi", edi_data.interchange(kind, [body], 500 + n, sender="CASTINGS"))
    (item,) = filedrop.scan()
    with CaptureQueriesContext(connection) as captured:
        assert tasks.edi_files_receive([[item.partner_id, item.document_id, item.path]]) == ["processed"]
    savepoints = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SAVEPOINT")]
    return [_statement(q["sql"]) for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]], len(savepoints)


def test_a_one_set_invoice_file_takes_these_statements(orders, partner):  # noqa: F811
    _receive_one(partner, "810", 0)  # the subscriptions and tolerance rules are cached from here on, as in a worker

    statements, savepoints = _receive_one(partner, "810", 1)

    assert statements == [*BATCH, *INVOICE, *BATCH_END]
    assert savepoints == 2  # the batch's (here), and the file's: none for its interchange, group or set
    invoice = Invoice.objects.get(po__number="PO-000001")
    assert invoice.lines.count() == 5
    # One exception per line (invoiced before anything was received), written in one statement and
    # announced without looking up the subscriptions again.
    assert ProcurementException.objects.filter(invoice=invoice).count() == 5
    assert OutboundMessage.objects.filter(event="x12.997").count() == 2
    assert list(InboundDocument.objects.values_list("state", flat=True).distinct()) == ["processed"]


def test_a_one_set_ship_notice_file_takes_these_statements(orders, partner):  # noqa: F811
    _receive_one(partner, "856", 0)

    statements, savepoints = _receive_one(partner, "856", 1)

    assert statements == [*BATCH, *SHIPMENT, *BATCH_END]
    assert savepoints == 2
    assert Shipment.objects.get(shipment_id__contains="PO-000001").lines.count() == 5
    assert OutboundMessage.objects.filter(event="x12.997").count() == 2


def test_a_batch_of_files_asks_for_their_duplicates_once_and_each_file_adds_only_its_own_writes(orders, partner):  # noqa: F811
    _receive_one(partner, "810", 0)
    for n in range(ORDERS):
        number = f"PO-{n:06d}"
        content = edi_data.interchange("810", [edi_data.invoice(number, 5, f"{number}-b")], 600 + n, sender="CASTINGS")
        drop(partner, f"810-b{n}.edi", content)
    items = [[i.partner_id, i.document_id, i.path] for i in filedrop.scan()]

    with CaptureQueriesContext(connection) as captured:
        assert tasks.edi_files_receive(items) == ["processed"] * ORDERS

    statements = [_statement(q["sql"]) for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert statements == [*BATCH, *INVOICE * ORDERS, *BATCH_END]
    assert sum("SAVEPOINT" in q["sql"] for q in captured.captured_queries) == 2 * (1 + ORDERS)  # taken and released
    assert OutboundMessage.objects.filter(event="x12.997").count() == 1 + ORDERS
