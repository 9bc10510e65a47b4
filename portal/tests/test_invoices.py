"""Invoices from a PO or a ship notice, and why an invoice is on hold, in words."""

from decimal import Decimal

import pytest

from procurement import factories
from procurement.models import InboundDocument, Invoice, InvoiceLine, POLine
from procurement.services import purchase_order_publish, receipt_record, shipment_record
from procurement.tests import helpers as h

from .helpers import formset, written

pytestmark = pytest.mark.django_db


def invoice_post(rows, **header):
    return {"invoice_number": "INV-1", "purpose": "invoice", "invoice_date": "2027-03-10", **header} | formset(
        "form", rows
    )


def line(po, line_no):
    return POLine.objects.get(po=po, line_no=line_no)


@pytest.fixture
def shipped(published_po, supplier):
    return shipment_record(
        supplier=supplier,
        shipment=h.asn("ASN-1", ("PO-1000", "1", "40"), ("PO-1000", "2", "100")),
        source=h.source(channel="portal"),
    ).record


def test_invoice_from_a_ship_notice_is_prefilled_with_what_it_shipped(member, published_po, shipped):
    response = member.get(f"/portal/ship-notices/{shipped.pk}/invoice/")

    assert response.status_code == 200
    assert [(form.initial["quantity"], form.initial["unit_price"]) for _, form in response.context["rows"]] == [
        (Decimal("40"), Decimal("10")),
        (Decimal("100"), Decimal("10")),
    ]


def test_invoice_from_a_po_is_prefilled_with_what_is_left_to_invoice(member, published_po, shipped):
    response = member.get(f"/portal/orders/{published_po.pk}/invoice/")

    assert [form.initial["quantity"] for _, form in response.context["rows"]] == [
        Decimal("40"),
        Decimal("100"),
        Decimal("100"),
    ]


def test_matching_invoice_with_freight_and_tax_is_recorded(member, published_po, shipped, erp):
    receipt_record(receipt=h.receipt("GR-1", ("1", "40")), source=erp)
    rows = [
        {"line_id": line(published_po, "1").pk, "include": "on", "quantity": "40", "unit_price": "10"},
        {"line_id": line(published_po, "2").pk, "quantity": "100", "unit_price": "10"},
    ]

    response = member.post(
        f"/portal/ship-notices/{shipped.pk}/invoice/",
        invoice_post(rows, freight="25", tax_type="ST", tax_percent="8"),
    )

    document = InboundDocument.objects.get()
    assert response["Location"] == f"/portal/documents/{document.pk}/"
    invoice = Invoice.objects.get()
    assert (invoice.channel, invoice.match_status, invoice.total) == ("portal", "matched", Decimal("457.00"))
    assert [(c["indicator"], c["code"], c["amount"]) for c in invoice.charges] == [("C", "D240", "25")]
    assert [(t["tax_type"], t["percent"]) for t in invoice.taxes] == [("ST", "8")]
    assert list(InvoiceLine.objects.values_list("po_line__line_no", "quantity", "unit_price")) == [
        ("1", Decimal("40"), Decimal("10"))
    ]


def test_held_invoice_says_why_and_what_fixes_it(member, published_po, shipped):
    rows = [{"line_id": line(published_po, "1").pk, "include": "on", "quantity": "40", "unit_price": "12.50"}]

    response = member.post(f"/portal/orders/{published_po.pk}/invoice/", invoice_post(rows))

    invoice = Invoice.objects.get()
    assert invoice.match_status == "on_hold"
    page = member.get(f"/portal/invoices/{invoice.pk}/").content.decode()
    assert response.status_code == 302
    assert "Why your invoice is on hold" in page
    assert "Unit price differs from the PO price — PO-1000 line 1" in page
    assert "<dt>Expected</dt><dd>10</dd>" in page
    assert "<dt>On your invoice</dt><dd>12.5</dd>" in page
    assert "The buyer allows no difference." in page
    assert "Send a credit note for 2.5 per unit on the quantity invoiced." in page


def test_a_hold_on_a_po_numbered_without_its_prefix_names_it_as_a_po(member, company, plant, supplier, buyer, erp):
    po = factories.po_input(
        company=company.code, supplier=supplier.code, plant=plant.code, buyer=buyer.username, number="4500123"
    )
    order = purchase_order_publish(po=po, source=erp).record
    rows = [{"line_id": line(order, "1").pk, "include": "on", "quantity": "40", "unit_price": "12.50"}]
    company.three_way_match = False
    company.save()

    member.post(f"/portal/orders/{order.pk}/invoice/", invoice_post(rows))

    page = member.get(f"/portal/invoices/{Invoice.objects.get().pk}/").content.decode()
    assert "Unit price differs from the PO price — PO 4500123 line 1" in page


def test_invoiced_before_receipt_points_to_a_corrected_ship_notice_or_a_credit_note(member, published_po, shipped):
    rows = [{"line_id": line(published_po, "1").pk, "include": "on", "quantity": "40", "unit_price": "10"}]

    member.post(f"/portal/orders/{published_po.pk}/invoice/", invoice_post(rows))

    page = member.get(f"/portal/invoices/{Invoice.objects.get().pk}/").content.decode()
    assert "Quantity invoiced is more than received — PO-1000 line 1" in page
    assert "<dt>Expected</dt><dd>0 received</dd>" in page
    assert "<dt>On your invoice</dt><dd>40 invoiced in all</dd>" in page
    assert (
        "Nothing has been received yet. If you shipped more than your ship notices say, send a corrected ship notice; "
        "the invoice matches once the goods are received. If not, send a credit note for 40."
    ) in page


def test_over_invoiced_against_the_order_points_to_a_credit_note(member, published_po, shipped, company):
    company.three_way_match = False
    company.save()
    rows = [{"line_id": line(published_po, "3").pk, "include": "on", "quantity": "150", "unit_price": "10"}]

    member.post(f"/portal/orders/{published_po.pk}/invoice/", invoice_post(rows))

    page = member.get(f"/portal/invoices/{Invoice.objects.get().pk}/").content.decode()
    assert "Quantity invoiced is more than ordered — PO-1000 line 3" in page
    assert "<dt>Expected</dt><dd>100 ordered</dd>" in page
    assert "Only 100 was ordered. Send a credit note for 50, or ask the buyer to change the PO." in page


def test_an_invoice_number_used_before_is_refused_in_words(member, published_po, shipped):
    first = [{"line_id": line(published_po, "1").pk, "include": "on", "quantity": "40", "unit_price": "10"}]
    second = [{"line_id": line(published_po, "2").pk, "include": "on", "quantity": "5", "unit_price": "10"}]
    member.post(f"/portal/orders/{published_po.pk}/invoice/", invoice_post(first))

    response = member.post(f"/portal/orders/{published_po.pk}/invoice/", invoice_post(second))

    assert response.status_code == 200
    assert "INV-1" in response.context["errors"][0]
    assert Invoice.objects.count() == 1


def test_no_line_chosen_is_explained(member, published_po):
    rows = [{"line_id": line(published_po, "1").pk, "quantity": "40", "unit_price": "10"}]

    response = member.post(f"/portal/orders/{published_po.pk}/invoice/", invoice_post(rows))

    assert response.context["errors"] == ["Choose at least one line to invoice."]
    assert InboundDocument.objects.get().state == "rejected"


def test_another_suppliers_invoice_and_po_are_not_found(client, supplier_user, other_supplier_user, published_po):
    rows = [{"line_id": line(published_po, "1").pk, "include": "on", "quantity": "4", "unit_price": "10"}]
    client.force_login(supplier_user)
    client.post(f"/portal/orders/{published_po.pk}/invoice/", invoice_post(rows))
    invoice = Invoice.objects.get()
    client.force_login(other_supplier_user)
    before = written()

    assert client.get(f"/portal/invoices/{invoice.pk}/").status_code == 404
    assert client.post(f"/portal/orders/{published_po.pk}/invoice/", invoice_post(rows)).status_code == 404
    assert written() == before


def test_read_only_person_cannot_invoice(read_only, published_po):
    rows = [{"line_id": line(published_po, "1").pk, "include": "on", "quantity": "4", "unit_price": "10"}]
    before = written()

    assert read_only.post(f"/portal/orders/{published_po.pk}/invoice/", invoice_post(rows)).status_code == 403
    assert written() == before
