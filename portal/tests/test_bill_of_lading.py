"""The bill of lading is part of the canonical ship notice: from the API body and an 856's REF*BM to the record."""

import pytest

from api.serializers.shipments import ShipmentIn
from procurement import inputs
from procurement.models import Shipment
from procurement.services import shipment_record
from procurement.tests import helpers as h

pytestmark = pytest.mark.django_db


def test_an_api_body_with_a_bill_of_lading_is_recorded_with_it(published_po, supplier):
    body = ShipmentIn(
        data={
            "shipment_id": "ASN-API",
            "ship_date": "2027-02-20",
            "bill_of_lading": "BOL-API-1",
            "lines": [{"po_number": "PO-1000", "line_no": "1", "quantity": "5"}],
        }
    )
    assert body.is_valid(), body.errors

    shipment_record(supplier=supplier, shipment=body.to_input(), source=h.source())

    assert Shipment.objects.get().bill_of_lading == "BOL-API-1"


def test_a_bill_of_lading_too_long_for_the_record_is_refused_by_the_api():
    body = ShipmentIn(
        data={
            "shipment_id": "ASN-API",
            "ship_date": "2027-02-20",
            "bill_of_lading": "B" * 81,
            "lines": [{"po_number": "PO-1000", "line_no": "1", "quantity": "5"}],
        }
    )
    assert not body.is_valid()
    assert list(body.errors) == ["bill_of_lading"]


def test_an_empty_bill_of_lading_leaves_the_fingerprint_as_before():
    """Ship notices recorded before the field existed keep their fingerprint: a re-send is still a duplicate."""
    shipment = h.asn("ASN-1", ("PO-1000", "1", "5"))
    assert "bill_of_lading" not in inputs.canonical_json(shipment)
    with_bol = h.asn("ASN-1", ("PO-1000", "1", "5"), bill_of_lading="BOL-1")
    assert inputs.canonical_json(with_bol)["bill_of_lading"] == "BOL-1"
    assert inputs.fingerprint(with_bol) != inputs.fingerprint(shipment)
