"""Ship notices in another unit than the PO line: converted through the item's base unit."""

import datetime as dt
from decimal import Decimal

import pytest

from procurement import inputs
from procurement.models import Item, POLine, Shipment, UomConversion
from procurement.services import DocumentRefused, shipment_record


def asn(shipment_id: str, quantity: str, uom: str) -> inputs.ShipmentInput:
    return inputs.ShipmentInput(
        shipment_id=shipment_id,
        ship_date=dt.date(2027, 2, 20),
        lines=(inputs.ShipmentLineInput(po_number="PO-1000", line_no="1", quantity=Decimal(quantity), uom=uom),),
    )


def test_cases_shipped_against_a_po_in_each_count_in_each(published_po, supplier, supplier_source, settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    item = Item.objects.get(part_number="PART-00001")
    UomConversion.objects.create(item=item, uom="CS", factor=Decimal("12"))

    shipment_record(supplier=supplier, shipment=asn("ASN-CS-1", "5", "CS"), source=supplier_source)

    line = POLine.objects.get(po=published_po, line_no="1")
    assert line.shipped_quantity == Decimal("60")
    assert line.ship_status == "partially_shipped"


def test_a_unit_without_a_conversion_refuses_the_notice(published_po, supplier, supplier_source, settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False

    with pytest.raises(DocumentRefused) as refused:
        shipment_record(supplier=supplier, shipment=asn("ASN-KG-1", "5", "KG"), source=supplier_source)

    assert refused.value.code == "unknown_uom"
    assert refused.value.message == "ship notice ASN-KG-1: item PART-00001 has no conversion from KG to EA"
    assert Shipment.objects.count() == 0
    assert POLine.objects.get(po=published_po, line_no="1").shipped_quantity == 0
