"""A ship notice and an invoice posted through the API carry their PO's buying company."""

import pytest

from procurement import factories
from procurement.models import Invoice, Shipment
from procurement.tests import helpers as h

from .conftest import invoice_body, shipment_body

pytestmark = pytest.mark.django_db


def test_a_ship_notice_and_an_invoice_posted_carry_their_pos_company(published_po, supplier, owner):
    globex = factories.CompanyFactory(code="GLOBEX", name="Globex")
    h.publish(globex, factories.PlantFactory(company=globex, code="SPR"), supplier, number="PO-9000", lines=1)

    responses = [
        owner.post("/api/v1/shipments/", shipment_body("ASN-A", quantity="5")).status_code,
        owner.post("/api/v1/shipments/", shipment_body("ASN-G", po_number="PO-9000", quantity="5")).status_code,
        owner.post("/api/v1/invoices/", invoice_body("INV-A", quantity="5")).status_code,
        owner.post("/api/v1/invoices/", invoice_body("INV-G", po_number="PO-9000", quantity="5")).status_code,
    ]

    assert responses == [201, 201, 201, 201]
    assert dict(Shipment.objects.values_list("shipment_id", "company__code")) == {"ASN-A": "ACME", "ASN-G": "GLOBEX"}
    assert dict(Invoice.objects.values_list("invoice_number", "company__code")) == {
        "INV-A": "ACME",
        "INV-G": "GLOBEX",
    }
