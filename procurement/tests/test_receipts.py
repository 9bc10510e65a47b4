"""receipt_record: goods received, physical status and financial posting kept apart."""

import pytest

from notifications.models import OutboundMessage
from procurement import inputs
from procurement.models import AuditEvent, ProcurementException, Receipt, ReceiptLine
from procurement.services import NotFound, receipt_record, shipment_record

from . import helpers as h
from .helpers import D


def _receive(doc: inputs.ReceiptInput, src=None):
    return receipt_record(
        receipt=doc, source=src or h.source(channel="system", correlation_id="corr-wms-0001", label="system WMS")
    )


def test_a_receipt_adds_to_received_quantities(published_po):
    before_outbox = OutboundMessage.objects.count()

    result = _receive(h.receipt("GR-1", ("1", "100"), ("2", "40")))

    record = result.record
    assert result.outcome == "applied"
    assert (record.receipt_number, record.po, record.physical_status, record.posting_status, record.posted_at) == (
        "GR-1",
        published_po,
        "received",
        "unposted",
        None,
    )
    assert ReceiptLine.objects.filter(receipt=record).count() == 2
    line1, line2, line3 = (h.po_line(published_po, no) for no in "123")
    assert (line1.received_quantity, line1.receipt_status) == (D("100"), "full")
    assert (line2.received_quantity, line2.receipt_status) == (D("40"), "partial")
    assert line3.receipt_status == "nothing"
    assert OutboundMessage.objects.count() == before_outbox
    event = AuditEvent.objects.get(action="receipt.recorded")
    assert (event.document_key, event.channel, event.correlation_id) == ("ACME:GR-1", "system", "corr-wms-0001")
    assert event.after == {
        "physical": "received",
        "posting": "unposted",
        "lines": {"1": "full", "2": "partial"},
        "cleared_exceptions": [],
    }


@pytest.mark.parametrize(
    ("lines", "physical"),
    [
        ((("1", "100", "10"),), "partly_rejected"),
        ((("1", "100", "100"),), "rejected"),
        ((("1", "100", "100"), ("2", "50")), "partly_rejected"),
    ],
)
def test_the_physical_status_reflects_rejections(published_po, lines, physical):
    result = _receive(h.receipt("GR-1", *lines))

    assert result.record.physical_status == physical
    assert h.po_line(published_po, "1").rejected_quantity == D(lines[0][2])


def test_a_receipt_posted_on_arrival_is_posted(published_po):
    record = _receive(h.receipt("GR-1", ("1", "100"), posted=True)).record

    assert record.posting_status == "posted"
    assert record.posted_at == record.received_at


def test_sending_the_receipt_again_as_posted_records_the_posting_only(published_po):
    first = _receive(h.receipt("GR-1", ("1", "100"))).record
    before, lines_before = h.counts(), h.line_state(published_po)

    posted = _receive(h.receipt("GR-1", ("1", "100"), posted=True))

    assert (posted.outcome, posted.record.pk) == ("applied", first.pk)
    record = Receipt.objects.get()
    assert (record.posting_status, record.physical_status) == ("posted", "received")
    assert record.posted_at is not None
    assert h.line_state(published_po) == lines_before
    assert h.counts() == before | {"AuditEvent": before["AuditEvent"] + 1}
    event = AuditEvent.objects.get(action="receipt.posted")
    assert (event.before, event.after) == ({"posting": "unposted"}, {"posting": "posted"})

    assert _receive(h.receipt("GR-1", ("1", "100"), posted=True)).outcome == "duplicate"
    assert _receive(h.receipt("GR-1", ("1", "100"))).outcome == "duplicate"
    assert Receipt.objects.get().posting_status == "posted"
    assert h.counts() == before | {"AuditEvent": before["AuditEvent"] + 1}


def test_the_same_receipt_twice_has_one_effect(published_po):
    _receive(h.receipt("GR-1", ("1", "60")))
    before, lines_before = h.counts(), h.line_state(published_po)

    assert _receive(h.receipt("GR-1", ("1", "60"))).outcome == "duplicate"
    assert h.counts() == before
    assert h.line_state(published_po) == lines_before
    assert h.po_line(published_po, "1").received_quantity == D("60")


def test_a_different_receipt_under_a_used_number_is_a_conflict(published_po):
    first = _receive(h.receipt("GR-1", ("1", "60"))).record
    before, lines_before = h.counts(), h.line_state(published_po)

    different = h.receipt("GR-1", ("1", "70"))
    error = h.refused(receipt_record, receipt=different, source=h.source(channel="system"))

    assert (error.code, error.message) == ("conflict", "receipt GR-1 was already recorded with different lines")
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key, exc.po) == (
        "duplicate_document",
        f"dup_receipt:{first.pk}:{inputs.fingerprint(different)}",
        published_po,
    )
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(published_po) == lines_before


def test_a_receipt_names_the_ship_notice_it_received(published_po, supplier):
    h.accept_all(supplier)
    notice = shipment_record(
        supplier=supplier, shipment=h.asn("ASN-1", ("PO-1000", "1", "100")), source=h.source()
    ).record

    assert _receive(h.receipt("GR-1", ("1", "100"), shipment_id="ASN-1")).record.shipment == notice


def test_receipt_numbers_belong_to_their_company(published_po, other_company, other_plant, supplier):
    other = h.publish(other_company, other_plant, supplier, number="PO-1000")

    _receive(h.receipt("GR-1", ("1", "100")))
    _receive(h.receipt("GR-1", ("1", "30"), company="OTHER"))

    assert h.po_line(published_po, "1").received_quantity == D("100")
    assert h.po_line(other, "1").received_quantity == D("30")


# Refusals -------------------------------------------------------------------------------------


def test_an_unknown_company_is_not_found(published_po):
    before = h.counts()

    with pytest.raises(NotFound) as info:
        _receive(h.receipt("GR-1", ("1", "100"), company="NOPE"))

    assert info.value.code == "unknown_company"
    assert h.counts() == before


def test_an_unknown_po_is_refused(published_po, company):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(
        receipt_record, receipt=h.receipt("GR-1", ("1", "100"), po="PO-9999"), source=h.source(channel="system")
    )

    assert (error.code, error.message) == ("unknown_po", "receipt GR-1: PO-9999 is not known")
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key, exc.supplier, exc.po) == (
        "unknown_po",
        f"unknown_po:{company.pk}:receipt GR-1:PO-9999",
        None,
        None,
    )
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(published_po) == lines_before


def test_an_unknown_line_is_refused(published_po, company):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(
        receipt_record, receipt=h.receipt("GR-1", ("1", "100"), ("8", "1")), source=h.source(channel="system")
    )

    assert (error.code, error.message) == ("unknown_line", "receipt GR-1: no such PO line PO-1000/8")
    assert ProcurementException.objects.get().kind == "unknown_line"
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(published_po) == lines_before


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (h.receipt("", ("1", "1")), "a receipt needs a receipt number"),
        (h.receipt("GR-1"), "receipt GR-1 has no lines"),
        (h.receipt("GR-1", ("1", "-1")), "receipt GR-1 line 1: negative quantity"),
        (h.receipt("GR-1", ("1", "5", "6")), "receipt GR-1 line 1: more rejected than received"),
    ],
    ids=["no-number", "no-lines", "negative", "over-rejected"],
)
def test_an_invalid_receipt_is_refused_without_effect(published_po, doc, message):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(receipt_record, receipt=doc, source=h.source(channel="system"))

    assert (error.code, error.message, error.exception_id) == ("invalid", message, None)
    assert h.counts() == before
    assert h.line_state(published_po) == lines_before
