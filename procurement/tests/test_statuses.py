"""Per-line status dimensions derived from quantities, and the header status aggregated from them."""

from procurement import inputs
from procurement.models import PurchaseOrder
from procurement.services import invoice_record, receipt_record, shipment_record

from . import helpers as h
from .helpers import D

FRESH = {
    "ack": "awaiting",
    "change": "none",
    "ship": "not_shipped",
    "receipt": "nothing",
    "invoice": "not_invoiced",
    "match": "not_invoiced",
}


def _statuses(po) -> dict[str, dict[str, str]]:
    return {line.line_no: line.statuses() for line in po.lines.order_by("line_no")}


def _header(po) -> str:
    return PurchaseOrder.objects.get(pk=po.pk).status


def _ship(supplier, shipment_id, *lines):
    shipment_record(supplier=supplier, shipment=h.asn(shipment_id, *lines), source=h.source())


def _receive(number, *lines):
    receipt_record(receipt=h.receipt(number, *lines), source=h.source(channel="system"))


def _bill(supplier, number, *lines):
    return invoice_record(supplier=supplier, invoice=h.invoice(number, *lines), source=h.source()).record


def test_a_published_order_awaits_acknowledgement(published_po):
    assert _statuses(published_po) == {"1": FRESH, "2": FRESH, "3": FRESH}
    assert _header(published_po) == "awaiting_acknowledgement"


def test_statuses_through_a_whole_lifecycle(published_po, supplier):
    h.accept_all(supplier)
    assert {s["ack"] for s in _statuses(published_po).values()} == {"accepted"}
    assert _header(published_po) == "confirmed"

    _ship(supplier, "ASN-1", ("PO-1000", "1", "100"), ("PO-1000", "2", "40"))
    assert [s["ship"] for s in _statuses(published_po).values()] == ["shipped", "partially_shipped", "not_shipped"]
    assert _header(published_po) == "partially_shipped"

    _ship(supplier, "ASN-2", ("PO-1000", "2", "60"), ("PO-1000", "3", "100"))
    assert {s["ship"] for s in _statuses(published_po).values()} == {"shipped"}
    assert _header(published_po) == "in_transit"

    _receive("GR-1", ("1", "100"), ("2", "50"))
    assert [s["receipt"] for s in _statuses(published_po).values()] == ["full", "partial", "nothing"]
    assert _header(published_po) == "partially_received"

    _receive("GR-2", ("2", "50"), ("3", "100"))
    assert {s["receipt"] for s in _statuses(published_po).values()} == {"full"}
    assert _header(published_po) == "to_invoice"

    _bill(supplier, "INV-1", ("1", "100", "10"), ("2", "50", "10"))
    assert [(s["invoice"], s["match"]) for s in _statuses(published_po).values()] == [
        ("invoiced", "matched"),
        ("partially_invoiced", "matched"),
        ("not_invoiced", "not_invoiced"),
    ]
    assert _header(published_po) == "to_invoice"

    _bill(supplier, "INV-2", ("2", "50", "10"), ("3", "100", "10"))
    assert _statuses(published_po) == {
        no: {
            "ack": "accepted",
            "change": "none",
            "ship": "shipped",
            "receipt": "full",
            "invoice": "invoiced",
            "match": "matched",
        }
        for no in "123"
    }
    assert _header(published_po) == "closed"


def test_a_proposal_on_any_line_shows_in_the_header(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.quantity("2", "80"))

    statuses = _statuses(published_po)
    assert (statuses["2"]["ack"], statuses["2"]["change"]) == ("changes_proposed", "proposed")
    assert statuses["1"]["ack"] == "accepted"
    assert _header(published_po) == "changes_proposed"


def test_one_rejected_line_is_a_change_and_all_rejected_is_a_rejection(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.answer("1", inputs.LINE_REJECT))
    assert _header(published_po) == "changes_proposed"

    h.record_ack(supplier, "ACK-2", header=inputs.ACK_REJECTED)
    assert {s["ack"] for s in _statuses(published_po).values()} == {"rejected"}
    assert _header(published_po) == "rejected"


def test_a_line_on_hold_still_awaits_acknowledgement(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.answer("1", inputs.LINE_HOLD))

    assert _statuses(published_po)["1"]["ack"] == "on_hold"
    assert _header(published_po) == "awaiting_acknowledgement"


def test_over_quantities_have_their_own_statuses(published_po, supplier, company):
    company.three_way_match = False
    company.save()
    h.accept_all(supplier)

    _ship(supplier, "ASN-1", ("PO-1000", "1", "120"))
    _receive("GR-1", ("1", "120"))
    _bill(supplier, "INV-1", ("1", "120", "10"))

    line = h.po_line(published_po, "1")
    assert (line.ship_status, line.receipt_status, line.invoice_status, line.match_status) == (
        "over_shipped",
        "over",
        "over_invoiced",
        "exception",
    )
    assert _header(published_po) == "invoice_on_hold"


def test_the_ship_status_follows_the_confirmed_quantity(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.answer("1", inputs.LINE_PARTIAL_BACKORDER, quantity=D("60")))

    _ship(supplier, "ASN-1", ("PO-1000", "1", "60"))

    line = h.po_line(published_po, "1")
    assert (line.ship_status, line.open_quantity, line.backordered_quantity) == ("shipped", D("0"), D("40"))


def test_rejected_goods_do_not_fulfil_the_line(published_po, supplier):
    h.accept_all(supplier)

    _receive("GR-1", ("1", "100", "40"))

    assert h.po_line(published_po, "1").receipt_status == "partial"
