"""A ship notice and an invoice sent from the portal carry their PO's buying company."""

import pytest

from procurement import factories
from procurement.models import Invoice, POLine, Shipment
from procurement.tests import helpers as h

from .test_invoices import invoice_post
from .test_ship_notices import URL, post

pytestmark = pytest.mark.django_db


def test_a_ship_notice_and_an_invoice_sent_carry_their_pos_company(member, published_po, supplier):
    globex = factories.CompanyFactory(code="GLOBEX", name="Globex")
    spr = factories.PlantFactory(company=globex, code="SPR")
    theirs = h.publish(globex, spr, supplier, number="PO-9000", lines=1)
    line = POLine.objects.get(po=theirs, line_no="1")

    member.post(URL, post(spr, [{"line_id": line.pk, "ship": "on", "quantity": "5", "pack": "1"}]))
    member.post(
        f"/portal/orders/{theirs.pk}/invoice/",
        invoice_post([{"line_id": line.pk, "include": "on", "quantity": "5", "unit_price": "10"}]),
    )

    assert list(Shipment.objects.values_list("shipment_id", "company__code")) == [("ASN-100", "GLOBEX")]
    assert list(Invoice.objects.values_list("invoice_number", "company__code")) == [("INV-1", "GLOBEX")]
