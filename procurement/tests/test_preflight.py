"""Pre-flight: the write path's verdict on an acknowledgement or ship notice, with nothing written."""

import datetime as dt

from procurement import inputs
from procurement.models import ProcurementException
from procurement.services import (
    PreflightLine,
    ShipmentPreflightLine,
    acknowledgement_preflight,
    acknowledgement_record,
    shipment_preflight,
    shipment_record,
)

from . import helpers as h
from .helpers import D


def test_ack_preflight_names_what_goes_to_the_buyer_and_writes_nothing(published_po, supplier, company):
    h.rule(company, "price", over_percent=D("5"), auto_accept=True)
    ack = h.ack("ACK-P", h.answer("1"), h.price("2", "10.20"), h.quantity("3", "80"))
    before = h.counts()

    verdict = acknowledgement_preflight(supplier=supplier, ack=ack)

    assert verdict == [
        PreflightLine("1", inputs.LINE_ACCEPT, {}, (), False),
        PreflightLine("2", inputs.LINE_CHANGE_PRICE, {"unit_price": ("10", "10.20")}, (), False),
        PreflightLine("3", inputs.LINE_CHANGE_QTY, {"quantity": ("100", "80")}, ("quantity 80 instead of 100",), True),
    ]
    assert h.counts() == before


def test_ack_preflight_agrees_with_the_write_path(published_po, supplier, supplier_source):
    ack = h.ack("ACK-Q", h.reschedule("1", dt.date(2027, 3, 9)), h.answer("2", inputs.LINE_REJECT))

    verdict = acknowledgement_preflight(supplier=supplier, ack=ack)
    result = acknowledgement_record(supplier=supplier, ack=ack, source=supplier_source)

    assert [v.outside for v in verdict] == [
        ("promised 2027-03-09 for need-by 2027-03-01",),
        ("supplier rejected the line",),
        (),
    ]
    assert sorted(e.supplier_message for e in result.exceptions) == sorted(t for v in verdict for t in v.outside)


def test_ack_preflight_refuses_what_the_write_path_refuses_without_recording_it(published_po, supplier):
    before = h.counts()

    error = h.refused(acknowledgement_preflight, supplier=supplier, ack=h.ack("ACK-R", h.answer("9")))

    assert (error.code, error.message) == ("unknown_line", "PO-1000 has no line 9")
    assert h.counts() == before
    assert ProcurementException.objects.count() == 0


def test_ack_preflight_of_another_suppliers_po_is_unknown(published_po, other_supplier):
    error = h.refused(acknowledgement_preflight, supplier=other_supplier, ack=h.ack("ACK-X", h.answer("1")))

    assert (error.code, error.message) == ("unknown_po", "PO-1000 is not known")


def test_shipment_preflight_warns_of_over_shipping_beyond_tolerance(published_po, supplier, company, supplier_source):
    h.rule(company, "asn_quantity", over_percent=D("10"))
    shipment_record(supplier=supplier, shipment=h.asn("ASN-1", ("PO-1000", "1", "50")), source=supplier_source)
    before = h.counts()

    verdict = shipment_preflight(
        supplier=supplier, shipment=h.asn("ASN-2", ("PO-1000", "1", "60"), ("PO-1000", "2", "105"))
    )

    assert verdict == [
        ShipmentPreflightLine("PO-1000", "1", D("110"), D("100"), ""),
        ShipmentPreflightLine("PO-1000", "2", D("105"), D("100"), ""),
    ]
    over = shipment_preflight(supplier=supplier, shipment=h.asn("ASN-3", ("PO-1000", "1", "61")))
    assert over == [
        ShipmentPreflightLine("PO-1000", "1", D("111"), D("100"), "shipped 111 in all against 100 confirmed")
    ]
    assert h.counts() == before


def test_shipment_preflight_refuses_an_unknown_line(published_po, supplier):
    error = h.refused(shipment_preflight, supplier=supplier, shipment=h.asn("ASN-9", ("PO-1000", "7", "1")))

    assert (error.code, error.message) == ("unknown_line", "ship notice ASN-9: no such PO line PO-1000/7")
