"""Ship notices and invoices carry their buying company: set by the write path, taken from the first
line or the PO when written another way, and filled for those received before the column existed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from procurement import factories
from procurement.models import Invoice, Shipment, ShipmentLine
from procurement.services import invoice_record, shipment_record

from . import helpers as h

BEFORE = [("procurement", "0018_shipment_bill_of_lading")]


@pytest.fixture
def globex_po(supplier):
    """The same supplier's PO for a second company, made after ACME's (so not "the first company")."""
    globex = factories.CompanyFactory(code="GLOBEX", name="Globex")
    return h.publish(globex, factories.PlantFactory(company=globex, code="SPR"), supplier, number="PO-9000", lines=2)


def test_a_ship_notice_recorded_carries_the_company_of_its_pos(published_po, globex_po, supplier):
    acme = shipment_record(supplier=supplier, shipment=h.asn("ASN-A", ("PO-1000", "1", "5")), source=h.source())
    globex = shipment_record(
        supplier=supplier, shipment=h.asn("ASN-G", ("PO-9000", "1", "5"), ("PO-9000", "2", "5")), source=h.source()
    )

    assert dict(Shipment.objects.values_list("shipment_id", "company__code")) == {"ASN-A": "ACME", "ASN-G": "GLOBEX"}
    assert (acme.record.company_id, globex.record.company_id) == (published_po.company_id, globex_po.company_id)


def test_an_invoice_recorded_carries_the_company_of_its_po(published_po, globex_po, supplier):
    invoice_record(supplier=supplier, invoice=h.invoice("INV-A", ("1", "5", "10")), source=h.source())
    invoice_record(supplier=supplier, invoice=h.invoice("INV-G", ("1", "5", "10"), po="PO-9000"), source=h.source())

    assert dict(Invoice.objects.values_list("invoice_number", "company__code")) == {
        "INV-A": "ACME",
        "INV-G": "GLOBEX",
    }


def _keys(name: str) -> dict:
    return {"channel": "portal", "document_id": name, "fingerprint": name, "received_at": timezone.now()}


def test_a_notice_written_line_by_line_takes_its_first_lines_company(published_po, globex_po, supplier):
    shipment = Shipment.objects.create(
        supplier=supplier, shipment_id="S1", ship_date=dt.date(2027, 1, 7), **_keys("S1")
    )
    assert shipment.company_id is None  # no line yet

    ShipmentLine.objects.create(shipment=shipment, po_line=globex_po.lines.get(line_no="1"), quantity=1, uom="EA")
    ShipmentLine.objects.create(shipment=shipment, po_line=globex_po.lines.get(line_no="2"), quantity=1, uom="EA")

    assert shipment.company_id == globex_po.company_id
    assert Shipment.objects.get(pk=shipment.pk).company_id == globex_po.company_id


def test_an_invoice_written_without_a_company_takes_its_pos(globex_po, supplier):
    invoice = Invoice.objects.create(
        supplier=supplier,
        po=globex_po,
        invoice_number="I1",
        invoice_date=dt.date(2027, 1, 20),
        currency="USD",
        total=Decimal(20),
        match_status="matched",
        **_keys("I1"),
    )

    assert Invoice.objects.get(pk=invoice.pk).company_id == globex_po.company_id


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_company_of_notices_and_invoices_received_before(supplier, company, plant):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    globex = factories.CompanyFactory(code="GLOBEX", name="Globex")
    acme_po = h.publish(company, plant, supplier, number="PO-1000", lines=1)
    globex_po = h.publish(globex, factories.PlantFactory(company=globex, code="SPR"), supplier, number="PO-9000")
    try:
        old = _migrate(BEFORE).loader.project_state(BEFORE).apps
        OldShipment, OldLine, OldInvoice = (
            old.get_model("procurement", name) for name in ("Shipment", "ShipmentLine", "Invoice")
        )
        notices = {}
        for name, po in (("S-ACME", acme_po), ("S-GLOBEX", globex_po), ("S-EMPTY", None)):
            notices[name] = OldShipment.objects.create(
                supplier_id=supplier.pk, shipment_id=name, ship_date=dt.date(2027, 1, 7), **_keys(name)
            )
            for line in po.lines.order_by("pk") if po else []:
                OldLine.objects.create(shipment=notices[name], po_line_id=line.pk, quantity=1, uom="EA")
        for name, po in (("I-ACME", acme_po), ("I-GLOBEX", globex_po)):
            OldInvoice.objects.create(
                supplier_id=supplier.pk,
                po_id=po.pk,
                invoice_number=name,
                invoice_date=dt.date(2027, 1, 20),
                currency="USD",
                total=Decimal(20),
                match_status="matched",
                **_keys(name),
            )

        _migrate(latest)

        assert dict(Shipment.objects.values_list("shipment_id", "company__code")) == {
            "S-ACME": "ACME",
            "S-GLOBEX": "GLOBEX",
            "S-EMPTY": None,  # no line: no company to take
        }
        assert dict(Invoice.objects.values_list("invoice_number", "company__code")) == {
            "I-ACME": "ACME",
            "I-GLOBEX": "GLOBEX",
        }
    finally:
        _migrate(latest)
