"""shipment_record: ship notices against confirmed quantities, packs, several POs, refusals."""

import pytest

from notifications.models import OutboundMessage
from procurement import inputs
from procurement.models import (
    AuditEvent,
    POLine,
    ProcurementException,
    PurchaseOrder,
    Shipment,
    ShipmentLine,
    ShipmentPack,
)
from procurement.services import shipment_record

from . import helpers as h
from .helpers import D

SSCC_1 = "003456789012345678"
SSCC_2 = "003456789012345685"


def _ship(supplier, notice: inputs.ShipmentInput, src=None):
    return shipment_record(supplier=supplier, shipment=notice, source=src or h.source())


@pytest.fixture
def confirmed_po(published_po, supplier):
    h.accept_all(supplier)
    return published_po


def test_a_ship_notice_records_packs_lines_and_shipped_quantities(confirmed_po, supplier):
    notice = h.asn(
        "ASN-1",
        ("PO-1000", "1", "60", {"pack_sscc": SSCC_1, "lot": "L1"}),
        ("PO-1000", "1", "40", {"pack_sscc": SSCC_2, "lot": "L2"}),
        ("PO-1000", "2", "30", {"pack_sscc": SSCC_2}),
        carrier="UPS",
        tracking_number="1Z999",
    )
    before_outbox = OutboundMessage.objects.count()

    result = _ship(supplier, notice)

    record = result.record
    assert result.outcome == "applied"
    assert result.exceptions == []
    assert (record.shipment_id, record.carrier, record.tracking_number, record.channel) == (
        "ASN-1",
        "UPS",
        "1Z999",
        "api",
    )
    packs = {p.sscc: p for p in ShipmentPack.objects.filter(shipment=record)}
    assert sorted(packs) == [SSCC_1, SSCC_2]
    assert sorted(
        ShipmentLine.objects.filter(shipment=record).values_list(
            "po_line__line_no", "quantity", "pack__sscc", "lot", "uom"
        )
    ) == [
        ("1", D("40"), SSCC_2, "L2", "EA"),
        ("1", D("60"), SSCC_1, "L1", "EA"),
        ("2", D("30"), SSCC_2, "", "EA"),
    ]
    line1, line2, line3 = (h.po_line(confirmed_po, no) for no in "123")
    assert (line1.shipped_quantity, line1.ship_status, line1.open_quantity) == (D("100"), "shipped", D("0"))
    assert (line2.shipped_quantity, line2.ship_status, line2.open_quantity) == (D("30"), "partially_shipped", D("70"))
    assert line3.ship_status == "not_shipped"
    assert ProcurementException.objects.count() == 0
    assert OutboundMessage.objects.count() == before_outbox
    event = AuditEvent.objects.get(action="shipment.recorded")
    assert (event.document_key, event.po, event.correlation_id) == ("api:BOLTS:ASN-1", confirmed_po, "corr-sup-0001")
    assert h.num(event.after) == h.num(
        {"lines": {"1": {"shipped": "100", "status": "shipped"}, "2": {"shipped": "30", "status": "partially_shipped"}}}
    )


def test_packs_listed_without_lines_are_kept(confirmed_po, supplier):
    result = _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", "10"), packs=(SSCC_1,)))

    assert list(ShipmentPack.objects.filter(shipment=result.record).values_list("sscc", flat=True)) == [SSCC_1]
    assert ShipmentLine.objects.get().pack is None


def test_a_ship_notice_may_span_two_orders(confirmed_po, company, plant, supplier):
    second = h.publish(company, plant, supplier, number="PO-2000")
    h.accept_all(supplier, po="PO-2000")

    result = _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", "100"), ("PO-2000", "3", "20")))

    assert Shipment.objects.count() == 1
    assert h.po_line(confirmed_po, "1").shipped_quantity == D("100")
    assert h.po_line(second, "3").shipped_quantity == D("20")
    assert sorted(
        ShipmentLine.objects.filter(shipment=result.record).values_list("po_line__po__number", flat=True)
    ) == [
        "PO-1000",
        "PO-2000",
    ]
    events = AuditEvent.objects.filter(action="shipment.recorded").order_by("po__number")
    assert h.num([(e.po.number, e.after["lines"]) for e in events]) == h.num(
        [
            ("PO-1000", {"1": {"shipped": "100", "status": "shipped"}}),
            ("PO-2000", {"3": {"shipped": "20", "status": "partially_shipped"}}),
        ]
    )
    assert PurchaseOrder.objects.get(pk=confirmed_po.pk).status == "partially_shipped"


# Over-shipment --------------------------------------------------------------------------------


def test_shipping_more_than_confirmed_without_a_rule_is_an_exception(confirmed_po, supplier):
    result = _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", "101")))

    exc = ProcurementException.objects.get()
    line = h.po_line(confirmed_po, "1")
    assert result.exceptions == [exc]
    assert (exc.kind, exc.severity, exc.dedup_key, exc.shipment, exc.po_line) == (
        "asn_over_shipment",
        "financial_mismatch",
        f"asn_over_shipment:{line.pk}",
        result.record,
        line,
    )
    assert exc.supplier_message == "shipped 101 in all against 100 confirmed"
    assert exc.evidence["shipment"] == "ASN-1"
    assert h.num(exc.evidence["deviation"]) == D("1")
    assert line.ship_status == "over_shipped"
    alert = OutboundMessage.objects.get(event="exception.raised")
    assert (alert.destination, alert.payload["document"]) == ("buyer@acme.example", "ship notice ASN-1")


@pytest.mark.parametrize(("quantity", "exception"), [("105", False), ("106", True)])
def test_over_shipment_within_the_asn_quantity_tolerance_passes(confirmed_po, supplier, company, quantity, exception):
    h.rule(company, "asn_quantity", over_percent=D("5"))

    result = _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", quantity)))

    assert ([e.kind for e in result.exceptions] == ["asn_over_shipment"]) is exception
    assert h.po_line(confirmed_po, "1").shipped_quantity == D(quantity)


def test_over_shipment_adds_up_across_notices_and_is_raised_once(confirmed_po, supplier):
    assert _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", "60"))).exceptions == []
    second = _ship(supplier, h.asn("ASN-2", ("PO-1000", "1", "50")))
    third = _ship(supplier, h.asn("ASN-3", ("PO-1000", "1", "10")))

    assert [e.kind for e in second.exceptions] == ["asn_over_shipment"]
    assert third.exceptions == []
    assert ProcurementException.objects.get().supplier_message == "shipped 110 in all against 100 confirmed"
    assert h.po_line(confirmed_po, "1").shipped_quantity == D("120")


def test_the_confirmed_quantity_is_the_target_once_acknowledged(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.answer("1", inputs.LINE_PARTIAL_BACKORDER, quantity=D("60")))

    result = _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", "70")))

    assert [e.supplier_message for e in result.exceptions] == ["shipped 70 in all against 60 confirmed"]
    assert h.po_line(published_po, "1").ship_status == "over_shipped"


# Shipping before acknowledging ------------------------------------------------------------------


def test_shipping_unacknowledged_lines_is_an_exception_when_the_company_requires_acks(published_po, supplier):
    result = _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", "10"), ("PO-1000", "2", "10")))

    assert [e.kind for e in result.exceptions] == ["asn_without_ack", "asn_without_ack"]
    line1 = h.po_line(published_po, "1")
    exc = ProcurementException.objects.get(po_line=line1)
    assert (exc.severity, exc.dedup_key, exc.evidence) == (
        "data_quality",
        f"asn_without_ack:{line1.pk}",
        {"shipment": "ASN-1", "ack_status": "awaiting"},
    )
    assert exc.supplier_message == "shipped before the line was acknowledged (ship notice ASN-1)"

    again = _ship(supplier, h.asn("ASN-2", ("PO-1000", "1", "10")))
    assert again.exceptions == []
    assert ProcurementException.objects.count() == 2


def test_shipping_unacknowledged_lines_is_fine_when_the_company_does_not_require_acks(published_po, supplier, company):
    company.require_ack_before_asn = False
    company.save()

    result = _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", "10")))

    assert result.exceptions == []
    assert ProcurementException.objects.count() == 0


def test_a_line_only_acknowledged_still_counts_as_unacknowledged(published_po, supplier):
    h.record_ack(supplier, "ACK-1", header=inputs.ACK_ACKNOWLEDGED)

    result = _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", "10")))

    assert [(e.kind, e.evidence["ack_status"]) for e in result.exceptions] == [("asn_without_ack", "acknowledged")]


# Idempotency ------------------------------------------------------------------------------------


def test_the_same_ship_notice_twice_has_one_effect(confirmed_po, supplier):
    notice = h.asn("ASN-1", ("PO-1000", "1", "101"))
    first = _ship(supplier, notice)
    before, lines_before = h.counts(), h.line_state(confirmed_po)

    second = _ship(supplier, notice, src=h.source(channel="edi", correlation_id="corr-resend"))

    assert (second.outcome, second.record.pk) == ("duplicate", first.record.pk)
    assert h.counts() == before
    assert h.line_state(confirmed_po) == lines_before


def test_a_different_ship_notice_under_a_used_id_is_a_conflict(confirmed_po, supplier):
    _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", "10")))
    before, lines_before = h.counts(), h.line_state(confirmed_po)
    different = h.asn("ASN-1", ("PO-1000", "1", "20"))

    error = h.refused(shipment_record, supplier=supplier, shipment=different, source=h.source())

    assert (error.code, error.message) == (
        "conflict",
        "ship notice ASN-1 was already received with different content; use a new shipment id",
    )
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key, exc.supplier) == (
        "duplicate_document",
        f"dup_asn:{supplier.pk}:ASN-1:{inputs.fingerprint(different)}",
        supplier,
    )
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(confirmed_po) == lines_before


# Refusals -------------------------------------------------------------------------------------


def test_an_unknown_po_refuses_the_whole_notice(confirmed_po, supplier):
    before, lines_before = h.counts(), h.line_state(confirmed_po)

    error = h.refused(
        shipment_record,
        supplier=supplier,
        shipment=h.asn("ASN-1", ("PO-1000", "1", "10"), ("PO-9999", "1", "10")),
        source=h.source(),
    )

    assert (error.code, error.message) == ("unknown_po", "ship notice ASN-1: PO-9999 is not known")
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key, exc.po, exc.supplier) == (
        "unknown_po",
        f"unknown_po:{confirmed_po.company_id}:supplier:{supplier.pk}",
        None,
        supplier,
    )
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(confirmed_po) == lines_before


def test_an_unknown_line_refuses_the_whole_notice(confirmed_po, supplier):
    before, lines_before = h.counts(), h.line_state(confirmed_po)

    error = h.refused(
        shipment_record,
        supplier=supplier,
        shipment=h.asn("ASN-1", ("PO-1000", "1", "10"), ("PO-1000", "9", "10")),
        source=h.source(),
    )

    assert (error.code, error.message) == ("unknown_line", "ship notice ASN-1: no such PO line PO-1000/9")
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.po, exc.po_line) == ("unknown_line", confirmed_po, None)
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(confirmed_po) == lines_before


def test_another_suppliers_po_is_unknown(confirmed_po, supplier, other_supplier):
    before = h.counts()

    error = h.refused(
        shipment_record,
        supplier=other_supplier,
        shipment=h.asn("ASN-1", ("PO-1000", "1", "10")),
        source=h.source(label="supplier NUTS"),
    )

    assert (error.code, error.exception_id) == ("unknown_po", None)
    assert h.counts() == before


@pytest.mark.parametrize(
    ("notice", "message"),
    [
        (h.asn("", ("PO-1000", "1", "10")), "a ship notice needs a shipment id"),
        (h.asn("ASN-1"), "ship notice ASN-1 has no lines"),
        (h.asn("ASN-1", ("PO-1000", "1", "0")), "ship notice ASN-1: PO-1000 line 1 ships no quantity"),
        (
            h.asn("ASN-1", ("PO-1000", "1", "10", {"pack_sscc": "12345"})),
            "ship notice ASN-1: SSCC '12345' is not 18 digits",
        ),
    ],
    ids=["no-id", "no-lines", "zero", "bad-sscc"],
)
def test_an_invalid_notice_is_refused_without_effect(confirmed_po, supplier, notice, message):
    before, lines_before = h.counts(), h.line_state(confirmed_po)

    error = h.refused(shipment_record, supplier=supplier, shipment=notice, source=h.source())

    assert (error.code, error.message, error.exception_id) == ("invalid", message, None)
    assert h.counts() == before
    assert h.line_state(confirmed_po) == lines_before


def test_a_po_number_in_two_companies_needs_the_company(confirmed_po, supplier, other_company, other_plant):
    other = h.publish(other_company, other_plant, supplier, number="PO-1000")
    before = h.counts()

    error = h.refused(
        shipment_record, supplier=supplier, shipment=h.asn("ASN-1", ("PO-1000", "1", "10")), source=h.source()
    )

    assert (error.code, error.exception_id) == ("ambiguous_po", None)
    assert h.counts() == before
    _ship(supplier, h.asn("ASN-1", ("PO-1000", "1", "10"), company="OTHER"))
    assert h.po_line(other, "1").shipped_quantity == D("10")
    assert h.po_line(confirmed_po, "1").shipped_quantity == D("0")


def test_an_invalid_sscc_in_the_pack_list_is_refused(confirmed_po, supplier):
    before = h.counts()

    error = h.refused(
        shipment_record,
        supplier=supplier,
        shipment=h.asn("ASN-1", ("PO-1000", "1", "10"), packs=("NOT-AN-SSCC",)),
        source=h.source(),
    )

    assert error.code == "invalid"
    assert h.counts() == before


def test_an_unknown_line_exception_names_the_po_that_lacks_it(confirmed_po, company, plant, supplier):
    second = h.publish(company, plant, supplier, number="PO-2000")

    h.refused(
        shipment_record,
        supplier=supplier,
        shipment=h.asn("ASN-1", ("PO-1000", "1", "10"), ("PO-2000", "9", "10")),
        source=h.source(),
    )

    assert ProcurementException.objects.get().po == second


def test_a_resent_notice_for_an_unknown_po_does_not_double_the_exception(confirmed_po, supplier):
    notice = h.asn("ASN-1", ("PO-9999", "1", "10"))

    h.refused(shipment_record, supplier=supplier, shipment=notice, source=h.source(correlation_id="corr-first"))
    h.refused(shipment_record, supplier=supplier, shipment=notice, source=h.source(correlation_id="corr-resend"))

    assert ProcurementException.objects.count() == 1


def test_an_edi_partners_notice_goes_through_the_same_service(company, plant, edi_supplier):
    po = h.publish(company, plant, edi_supplier, number="PO-E1")
    h.accept_all(edi_supplier, po="PO-E1")

    result = _ship(edi_supplier, h.asn("856-0001", ("PO-E1", "2", "100")), src=h.source(channel="edi"))

    assert result.record.channel == "edi"
    assert h.po_line(po, "2").ship_status == "shipped"
    assert edi_supplier.shipments.count() == 1


# Lines named by part ----------------------------------------------------------------------------


def test_a_notice_by_part_sent_again_after_the_po_gained_a_line_for_the_part_is_a_duplicate(confirmed_po, supplier):
    by_part = h.asn("ASN-1", ("PO-1000", "", "40", {"part_number": "PART-00001"}))
    first = _ship(supplier, by_part)
    POLine.objects.filter(po=confirmed_po, line_no="3").update(item=h.po_line(confirmed_po, "1").item)
    before, lines_before = h.counts(), h.line_state(confirmed_po)

    again = _ship(supplier, by_part, src=h.source(channel="edi"))

    assert (first.outcome, again.outcome, again.record.pk) == ("applied", "duplicate", first.record.pk)
    assert h.counts() == before
    assert h.line_state(confirmed_po) == lines_before
    assert h.po_line(confirmed_po, "1").shipped_quantity == D("40")


def test_a_notice_by_part_ships_the_live_line_of_a_part_cancelled_on_another(confirmed_po, supplier):
    POLine.objects.filter(po=confirmed_po, line_no="1").update(cancelled=True)
    POLine.objects.filter(po=confirmed_po, line_no="3").update(item=h.po_line(confirmed_po, "1").item)

    result = _ship(supplier, h.asn("ASN-1", ("PO-1000", "", "40", {"part_number": "PART-00001"})))

    assert result.outcome == "applied"
    assert list(result.record.lines.values_list("po_line__line_no", "quantity")) == [("3", D("40"))]
    assert [h.po_line(confirmed_po, no).shipped_quantity for no in "123"] == [D("0"), D("0"), D("40")]
