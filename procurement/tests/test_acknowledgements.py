"""acknowledgement_record: line responses, proposals, exceptions, refusals and idempotency."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from gateway.formatting import po_label
from notifications.models import OutboundMessage
from procurement import factories, inputs
from procurement.models import (
    Acknowledgement,
    AcknowledgementLine,
    AuditEvent,
    ChangeRequest,
    POLine,
    ProcurementException,
    PurchaseOrder,
)
from procurement.services import acknowledgement_record, exception_dismiss, purchase_order_change, shipment_record
from procurement.services.errors import DocumentRefused

from . import helpers as h
from .helpers import D

STRICT = {"rule": None, "over_percent": "0", "over_amount": "0", "under_percent": "0", "under_amount": "0"}


def test_price_change_outside_tolerance_is_a_proposal_and_an_exception(published_po, supplier, supplier_source):
    result = acknowledgement_record(
        supplier=supplier,
        ack=h.ack(
            "ACK-1",
            h.answer("1"),
            h.price("2", "11"),
            h.reschedule("3", dt.date(2027, 3, 5)),
        ),
        source=supplier_source,
    )

    assert result.outcome == "applied"
    assert result.record.header == inputs.ACK_ACCEPTED_WITH_CHANGES
    assert result.record.header_sent == inputs.ACK_ACCEPTED_WITH_CHANGES
    assert result.record.po_revision == 0
    assert (result.record.channel, result.record.document_id) == ("api", "ACK-1")
    assert AcknowledgementLine.objects.filter(ack=result.record).count() == 3
    line2 = h.po_line(published_po, "2")
    assert line2.unit_price == D("10.00")
    assert line2.confirmed_price == D("11")
    assert line2.proposal == {"unit_price": "11"}
    assert line2.statuses()["ack"] == "changes_proposed"
    assert line2.change_state == "proposed"
    line3 = h.po_line(published_po, "3")
    assert line3.need_by == dt.date(2027, 3, 1)
    assert line3.promised_date == dt.date(2027, 3, 5)
    assert line3.proposal == {"need_by": "2027-03-05"}
    line1 = h.po_line(published_po, "1")
    assert (line1.ack_status, line1.change_state, line1.proposal) == ("accepted", "none", {})
    assert (line1.confirmed_quantity, line1.confirmed_price, line1.promised_date) == (
        D("100"),
        D("10"),
        dt.date(2027, 3, 1),
    )
    assert h.kinds() == ["date_deviation", "price_deviation"]
    assert sorted(e.kind for e in result.exceptions) == ["date_deviation", "price_deviation"]
    assert PurchaseOrder.objects.get(pk=published_po.pk).first_ack_at == result.record.received_at


def test_exceptions_carry_evidence_severity_due_time_and_the_change_request(published_po, supplier, supplier_source):
    h.record_ack(supplier, "ACK-1", h.price("2", "11"), src=supplier_source)

    exc = ProcurementException.objects.get()
    cr = ChangeRequest.objects.get()
    line2 = h.po_line(published_po, "2")
    assert exc.kind == "price_deviation"
    assert exc.severity == "financial_mismatch"
    assert exc.severity_rank == 2
    assert exc.state == "open"
    assert exc.dedup_key == f"price_deviation:{line2.pk}"
    assert exc.summary == "PO-1000 line 2: price 11.00 instead of 10.00"
    assert exc.supplier_message == "price 11.00 instead of 10.00"
    assert h.num(exc.evidence) == h.num(
        {"expected": "10", "actual": "11", "deviation": "1", "deviation_percent": "10.00", "tolerance": STRICT}
    )
    assert exc.due_at - exc.raised_at == dt.timedelta(hours=48)
    assert (exc.supplier, exc.po, exc.po_line, exc.change_request) == (supplier, published_po, line2, cr)
    assert exc.correlation_id == "corr-sup-0001"
    assert (cr.initiator, cr.response, cr.state, cr.proposed) == (
        "supplier",
        "CHANGE_PRICE",
        "proposed",
        {"unit_price": "11"},
    )
    assert h.num(cr.current) == {"unit_price": D("10")}


def test_acknowledgement_is_audited_and_the_buyer_alerted(published_po, supplier, supplier_source):
    h.record_ack(supplier, "ACK-1", h.price("2", "11"), src=supplier_source)

    events = list(AuditEvent.objects.filter(po=published_po).exclude(action="po.published"))
    assert [e.action for e in events] == ["acknowledgement.recorded", "exception.raised"]
    recorded = events[0]
    assert (recorded.channel, recorded.actor_label, recorded.correlation_id, recorded.document_key) == (
        "api",
        "supplier BOLTS",
        "corr-sup-0001",
        "api:BOLTS:ACK-1",
    )
    assert recorded.after["header"] == "ACCEPTED_WITH_CHANGES"
    assert recorded.after["lines"]["2"]["ack"] == "changes_proposed"
    alert = OutboundMessage.objects.get(event="exception.raised")
    exc = ProcurementException.objects.get()
    assert (alert.kind, alert.destination, alert.po) == ("email", "buyer@acme.example", published_po)
    assert alert.payload == {
        "po": "PO-1000",
        "document": "acknowledgement ACK-1",
        "exceptions": [{"id": exc.pk, "summary": exc.summary, "severity": "financial_mismatch"}],
    }


def test_plain_acceptance_confirms_every_line_without_exceptions(published_po, supplier):
    before = OutboundMessage.objects.count()
    result = h.accept_all(supplier)

    assert result.record.header == "ACCEPTED"
    assert [line.statuses()["ack"] for line in POLine.objects.filter(po=published_po)] == ["accepted"] * 3
    assert ChangeRequest.objects.count() == 0
    assert ProcurementException.objects.count() == 0
    assert OutboundMessage.objects.count() == before
    assert PurchaseOrder.objects.get(pk=published_po.pk).status == "confirmed"


def test_header_is_decided_from_the_lines_not_from_the_code_sent(published_po, supplier):
    with_changes = h.record_ack(supplier, "ACK-1", h.price("1", "11"), header=inputs.ACK_ACCEPTED)
    assert (with_changes.record.header_sent, with_changes.record.header) == ("ACCEPTED", "ACCEPTED_WITH_CHANGES")

    plain = h.record_ack(
        supplier, "ACK-2", h.answer("1"), h.answer("2"), h.answer("3"), header=inputs.ACK_ACCEPTED_WITH_CHANGES
    )
    assert (plain.record.header_sent, plain.record.header) == ("ACCEPTED_WITH_CHANGES", "ACCEPTED")


def test_acknowledged_only_records_receipt_of_the_order(published_po, supplier):
    result = h.record_ack(supplier, "ACK-1", header=inputs.ACK_ACKNOWLEDGED)

    assert result.record.header == "ACKNOWLEDGED"
    assert {line.ack_status for line in POLine.objects.filter(po=published_po)} == {"acknowledged"}
    assert PurchaseOrder.objects.get(pk=published_po.pk).status == "awaiting_acknowledgement"
    assert ProcurementException.objects.count() == 0


def test_rejecting_the_order_proposes_cancelling_every_line(published_po, supplier):
    result = h.record_ack(supplier, "ACK-1", header=inputs.ACK_REJECTED)

    assert result.record.header == "REJECTED"
    assert h.kinds() == ["rejected_line"] * 3
    assert set(ProcurementException.objects.values_list("severity", flat=True)) == {"procurement_delay"}
    assert list(ChangeRequest.objects.values_list("proposed", flat=True)) == [{"cancel": True}] * 3
    assert {line.ack_status for line in POLine.objects.filter(po=published_po)} == {"rejected"}
    assert not POLine.objects.filter(po=published_po, cancelled=True).exists()
    assert PurchaseOrder.objects.get(pk=published_po.pk).status == "rejected"


def test_hold_raises_once_and_a_later_answer_supersedes_it(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.answer("1", inputs.LINE_HOLD))
    h.record_ack(supplier, "ACK-2", h.answer("1", inputs.LINE_HOLD))

    held = ProcurementException.objects.get()
    assert (held.kind, held.state, held.change_request) == ("line_on_hold", "open", None)
    assert h.po_line(published_po, "1").ack_status == "on_hold"
    assert ChangeRequest.objects.count() == 0

    h.record_ack(supplier, "ACK-3", h.answer("1"))
    held.refresh_from_db()
    assert (held.state, held.resolution, held.resolution_note) == (
        "resolved",
        "superseded",
        "replaced by acknowledgement ACK-3",
    )
    assert h.po_line(published_po, "1").ack_status == "accepted"


def test_backorder_commits_nothing_and_partial_backorder_what_it_names(published_po, supplier):
    h.record_ack(
        supplier,
        "ACK-1",
        h.answer("1", inputs.LINE_BACKORDER, promised_date=dt.date(2027, 3, 1)),
        h.answer("2", inputs.LINE_PARTIAL_BACKORDER, quantity=D("60")),
    )

    line1, line2 = h.po_line(published_po, "1"), h.po_line(published_po, "2")
    assert (line1.confirmed_quantity, line1.backordered_quantity, line1.proposal) == (
        D("0"),
        D("100"),
        {"quantity": "0"},
    )
    assert (line2.confirmed_quantity, line2.backordered_quantity) == (D("60"), D("40"))
    assert h.num(line2.proposal) == {"quantity": D("60")}
    assert h.kinds() == ["quantity_deviation", "quantity_deviation"]
    assert set(ProcurementException.objects.values_list("severity", flat=True)) == {"procurement_delay"}


def test_substitution_is_always_a_proposal_for_the_buyer(published_po, supplier, company):
    h.rule(company, "price", auto_accept=True)  # even a permissive policy never accepts another part
    h.record_ack(supplier, "ACK-1", h.answer("1", inputs.LINE_SUBSTITUTE, substitute_part_number="PART-99999"))

    exc = ProcurementException.objects.get()
    assert exc.kind == "substitution"
    assert exc.evidence == {"expected": "PART-00001", "actual": "PART-99999"}
    assert h.po_line(published_po, "1").proposal == {"part_number": "PART-99999"}
    assert h.po_line(published_po, "1").item.part_number == "PART-00001"


def test_lines_left_out_default_to_accept_and_earlier_answers_stand(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.price("1", "11"))
    assert [h.po_line(published_po, no).ack_response for no in "123"] == ["CHANGE_PRICE", "ACCEPT", "ACCEPT"]

    h.record_ack(supplier, "ACK-2", h.answer("2", inputs.LINE_HOLD))
    assert [h.po_line(published_po, no).ack_response for no in "123"] == ["CHANGE_PRICE", "HOLD", "ACCEPT"]
    assert h.po_line(published_po, "1").change_state == "proposed"


# Proposals ----------------------------------------------------------------------------------


def test_the_same_proposal_under_a_new_document_id_does_not_double_the_exception(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.price("1", "11"))
    exc = ProcurementException.objects.get()
    cr = ChangeRequest.objects.get()

    result = h.record_ack(supplier, "ACK-2", h.price("1", "11"))

    assert result.outcome == "applied"
    assert result.exceptions == []
    assert list(ProcurementException.objects.values_list("pk", "state")) == [(exc.pk, "open")]
    assert list(ChangeRequest.objects.values_list("pk", "state")) == [(cr.pk, "proposed")]
    assert Acknowledgement.objects.count() == 2
    assert OutboundMessage.objects.filter(event="exception.raised").count() == 1


def test_a_different_proposal_supersedes_the_old_request_and_exception(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.price("1", "11"))
    old_exc, old_cr = ProcurementException.objects.get(), ChangeRequest.objects.get()

    h.record_ack(supplier, "ACK-2", h.price("1", "12"))

    old_exc.refresh_from_db()
    old_cr.refresh_from_db()
    assert (old_cr.state, old_exc.state, old_exc.resolution) == ("superseded", "resolved", "superseded")
    assert old_exc.resolution_note == "replaced by acknowledgement ACK-2"
    new_exc = ProcurementException.objects.open().get()
    new_cr = ChangeRequest.objects.get(state="proposed")
    assert new_exc.change_request == new_cr
    assert new_cr.proposed == {"unit_price": "12"}
    assert h.po_line(published_po, "1").proposal == {"unit_price": "12"}
    assert h.po_line(published_po, "1").unit_price == D("10")


def test_accepting_a_line_after_proposing_withdraws_the_proposal(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.quantity("1", "90"))
    h.record_ack(supplier, "ACK-2", h.answer("1"))

    line = h.po_line(published_po, "1")
    assert (line.ack_status, line.change_state, line.proposal, line.quantity) == ("accepted", "none", {}, D("100"))
    assert ChangeRequest.objects.get().state == "superseded"
    assert ProcurementException.objects.get().resolution == "superseded"


def test_proposals_never_overwrite_the_buyers_terms(published_po, supplier):
    h.record_ack(
        supplier,
        "ACK-1",
        h.answer("1", inputs.LINE_CHANGE_PRICE, unit_price=D("9"), promised_date=dt.date(2027, 4, 1)),
        h.quantity("2", "150"),
    )
    line1, line2 = h.po_line(published_po, "1"), h.po_line(published_po, "2")
    assert (line1.unit_price, line1.need_by, line1.revision) == (D("10"), dt.date(2027, 3, 1), 0)
    assert line2.quantity == D("100")
    assert PurchaseOrder.objects.get(pk=published_po.pk).revision == 0
    assert h.kinds() == ["date_deviation", "price_deviation", "quantity_deviation"]
    qty = ProcurementException.objects.get(kind="quantity_deviation")
    assert qty.severity == "financial_mismatch"  # more than ordered costs money, it delays nothing


# Refusals -----------------------------------------------------------------------------------


def test_unknown_po_is_refused_and_recorded_once(published_po, supplier):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(acknowledgement_record, supplier=supplier, ack=h.ack("ACK-9", po="PO-9999"), source=h.source())
    again = h.refused(
        acknowledgement_record,
        supplier=supplier,
        ack=h.ack("ACK-9", po="PO-9999"),
        source=h.source(correlation_id="corr-sup-0002"),
    )

    assert (error.code, again.code) == ("unknown_po", "unknown_po")
    assert error.message == "PO-9999 is not one of Bolts Inc's orders"
    exc = ProcurementException.objects.get()
    assert error.exception_id == again.exception_id == exc.pk
    assert (exc.kind, exc.dedup_key, exc.severity, exc.supplier, exc.po) == (
        "unknown_po",
        f"unknown_po:{published_po.company_id}:supplier:{supplier.pk}",
        "data_quality",
        supplier,
        None,
    )
    assert exc.evidence["documents"] == 2
    # Each refused document is on the trail, both naming the one exception.
    refusals = AuditEvent.objects.filter(action="document.refused").order_by("pk")
    assert [r.after for r in refusals] == [{"code": "unknown_po", "message": error.message, "exception": exc.pk}] * 2
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 2}
    assert h.line_state(published_po) == lines_before


def test_documents_naming_unknown_pos_join_one_open_exception_per_supplier(published_po, supplier):
    numbers = ["NOPE-1", "NOPE-2", "NOPE-3", "NOPE-4", "NOPE-5", "NOPE-1"]
    errors = [
        h.refused(acknowledgement_record, supplier=supplier, ack=h.ack(f"ACK-{n}", po=po), source=h.source())
        for n, po in enumerate(numbers)
    ]
    shipped = h.refused(
        shipment_record, supplier=supplier, shipment=h.asn("ASN-1", ("NOPE-6", "1", "10")), source=h.source()
    )

    exc = ProcurementException.objects.get()
    assert [e.message for e in errors[:2]] == [
        "PO NOPE-1 is not one of Bolts Inc's orders",
        "PO NOPE-2 is not one of Bolts Inc's orders",
    ]
    assert {e.exception_id for e in [*errors, shipped]} == {exc.pk}
    assert (exc.kind, exc.evidence["documents"], exc.state) == ("unknown_po", 7, "open")
    assert exc.evidence["po_numbers"] == ["NOPE-1", "NOPE-2", "NOPE-3", "NOPE-4", "NOPE-5", "NOPE-6"]
    assert (
        exc.summary
        == "7 documents from supplier BOLTS name unknown POs: NOPE-1, NOPE-2, NOPE-3, NOPE-4, NOPE-5 and 1 more"
    )
    assert dt.datetime.fromisoformat(exc.evidence["last_seen"]) >= exc.raised_at
    refusals = AuditEvent.objects.filter(action="document.refused").order_by("pk")
    assert [(e.after["message"], e.after["exception"]) for e in refusals] == [
        *((f"{po_label(po)} is not one of Bolts Inc's orders", exc.pk) for po in numbers),
        ("ship notice ASN-1: PO NOPE-6 is not known", exc.pk),
    ]


def test_once_resolved_the_next_unknown_po_opens_a_new_exception(published_po, supplier, buyer_source):
    first = h.refused(acknowledgement_record, supplier=supplier, ack=h.ack("ACK-1", po="NOPE-1"), source=h.source())
    exception_dismiss(exception_id=first.exception_id, source=buyer_source, reason="told them")

    second = h.refused(acknowledgement_record, supplier=supplier, ack=h.ack("ACK-2", po="NOPE-1"), source=h.source())

    assert first.exception_id != second.exception_id
    assert "documents" not in ProcurementException.objects.get(pk=second.exception_id).evidence


def test_another_suppliers_po_is_unknown_to_it(published_po, other_supplier):
    before = h.counts()
    error = h.refused(
        acknowledgement_record, supplier=other_supplier, ack=h.ack("ACK-1"), source=h.source(label="supplier NUTS")
    )

    assert error.code == "unknown_po"
    assert error.message == "PO-1000 is not known"
    # NUTS has no order anywhere, so there is no company to file an exception under.
    assert h.counts() == before


def test_unknown_line_is_refused_whole(published_po, supplier):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(
        acknowledgement_record,
        supplier=supplier,
        ack=h.ack("ACK-1", h.price("1", "11"), h.answer("7")),
        source=h.source(),
    )

    assert (error.code, error.message) == ("unknown_line", "PO-1000 has no line 7")
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key, exc.po, exc.po_line) == (
        "unknown_line",
        f"unknown_line:{published_po.pk}:7",
        published_po,
        None,
    )
    assert error.exception_id == exc.pk
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(published_po) == lines_before


@pytest.mark.parametrize(
    ("ack", "message"),
    [
        (h.ack("ACK-1", header="MAYBE"), "unknown acknowledgement code 'MAYBE'"),
        (h.ack(""), "an acknowledgement needs a document id"),
        (h.ack("ACK-1", h.answer("1", "PERHAPS")), "line 1: unknown response 'PERHAPS'"),
        (h.ack("ACK-1", h.answer("1"), h.price("1", "11")), "line 1 is answered twice"),
        (h.ack("ACK-1", h.quantity("1", "-1")), "line 1: quantity cannot be negative"),
        (h.ack("ACK-1", h.price("1", "-0.01")), "line 1: price cannot be negative"),
    ],
    ids=["header", "document-id", "response", "twice", "quantity", "price"],
)
def test_invalid_acknowledgement_is_refused_without_effect(published_po, supplier, ack, message):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(acknowledgement_record, supplier=supplier, ack=ack, source=h.source())

    assert (error.code, error.message, error.exception_id) == ("invalid", message, None)
    assert h.counts() == before
    assert h.line_state(published_po) == lines_before


def test_stale_revision_is_refused(published_po, supplier, company, plant, buyer, erp):
    purchase_order_change(
        po=factories.po_input(company="ACME", supplier="BOLTS", plant="DET", revision=1, price=D("9.50")),
        source=erp,
    )
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(acknowledgement_record, supplier=supplier, ack=h.ack("ACK-1", po_revision=0), source=h.source())

    assert error.code == "stale_revision"
    assert error.message == (
        "acknowledgement ACK-1 answers revision 0 of PO-1000, which is at revision 1; acknowledge the current revision"
    )
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key, exc.po) == ("invalid_document", f"stale_ack:{published_po.pk}:0:1", published_po)
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(published_po) == lines_before

    current = h.record_ack(supplier, "ACK-2", po_revision=1)
    assert (current.outcome, current.record.po_revision) == ("applied", 1)


def _received(po, *line_nos: str, invoiced: bool = True) -> None:
    """The lines (every line when none is named) shipped, received in full and, unless told, invoiced in full."""
    lines = POLine.objects.filter(po=po, **({"line_no__in": line_nos} if line_nos else {}))
    invoice = {"invoiced_quantity": F("quantity"), "match_state": "matched"} if invoiced else {}
    lines.update(shipped_quantity=F("quantity"), received_quantity=F("quantity"), **invoice)


def test_a_closed_po_takes_no_acknowledgement(published_po, supplier):
    h.accept_all(supplier)
    _received(published_po)
    assert published_po.status == "closed"
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(
        acknowledgement_record,
        supplier=supplier,
        ack=h.ack("ACK-2", h.answer("1", inputs.LINE_REJECT, raw_code="IR"), h.answer("2")),
        source=h.source(),
    )
    again = h.refused(
        acknowledgement_record, supplier=supplier, ack=h.ack("ACK-3", header=inputs.ACK_ACCEPTED), source=h.source()
    )

    assert (error.code, again.code) == ("po_closed", "po_closed")
    assert error.message == (
        "PO-1000 is closed (every line is received and invoiced in full): it can no longer be acknowledged or changed"
    )
    exc = ProcurementException.objects.get()
    assert error.exception_id == again.exception_id == exc.pk
    assert (exc.kind, exc.dedup_key, exc.po, exc.supplier, exc.evidence["documents"]) == (
        "invalid_document",
        f"po_closed:{published_po.pk}:{supplier.pk}",
        published_po,
        supplier,
        2,
    )
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 2}
    assert h.line_state(published_po) == lines_before
    assert published_po.status == "closed"


def test_the_same_acknowledgement_again_after_close_is_still_a_duplicate(published_po, supplier):
    first = h.accept_all(supplier)
    _received(published_po)

    again = h.accept_all(supplier)

    assert (again.outcome, again.record) == ("duplicate", first.record)


def test_a_cancelled_po_takes_no_acknowledgement(published_po, supplier):
    POLine.objects.filter(po=published_po).update(cancelled=True)
    before = h.counts()

    error = h.refused(acknowledgement_record, supplier=supplier, ack=h.ack("ACK-1", h.answer("1")), source=h.source())

    assert (error.code, error.message) == (
        "po_cancelled",
        "PO-1000 is cancelled (the customer cancelled every line): it can no longer be acknowledged or changed",
    )
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert not Acknowledgement.objects.exists()
    assert PurchaseOrder.objects.get(pk=published_po.pk).first_ack_at is None


def test_a_line_received_in_full_cannot_be_rejected_or_changed(published_po, supplier):
    h.accept_all(supplier)
    _received(published_po, "1", "2", invoiced=False)
    lines_before = h.line_state(published_po)

    error = h.refused(
        acknowledgement_record,
        supplier=supplier,
        ack=h.ack("ACK-2", h.answer("1", inputs.LINE_REJECT, raw_code="IR"), h.quantity("2", "90"), h.price("3", "11")),
        source=h.source(),
    )

    assert (error.code, error.message) == (
        "line_received",
        "PO-1000 lines 1, 2: received in full, so they can no longer be rejected, put on hold or changed "
        "(accept as ordered, or leave out)",
    )
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key) == ("invalid_document", f"line_received:{published_po.pk}:{supplier.pk}:1,2")
    assert h.line_state(published_po) == lines_before


def test_a_line_received_in_full_may_be_accepted_as_ordered_beside_a_change_to_an_open_one(published_po, supplier):
    h.accept_all(supplier)
    _received(published_po, "1", invoiced=False)

    result = h.record_ack(supplier, "ACK-2", h.answer("1"), h.price("3", "11"))

    assert result.outcome == "applied"
    assert [(line.line_no, line.ack_status) for line in POLine.objects.filter(po=published_po).order_by("line_no")] == [
        ("1", "accepted"),
        ("2", "accepted"),
        ("3", "changes_proposed"),
    ]
    assert h.kinds() == ["price_deviation"]


def test_an_answer_naming_another_part_for_a_line_is_refused_whole(published_po, supplier):
    line1 = h.po_line(published_po, "1")
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(
        acknowledgement_record,
        supplier=supplier,
        ack=h.ack("ACK-1", h.answer("1", part_number="XYZ"), h.answer("2", part_number=line1.item.part_number)),
        source=h.source(),
    )

    line2 = h.po_line(published_po, "2")
    assert (error.code, error.message) == (
        "part_mismatch",
        f"acknowledgement ACK-1 of PO-1000: line 1 is part {line1.item.part_number}, the answer names XYZ; "
        f"line 2 is part {line2.item.part_number}, the answer names {line1.item.part_number}; nothing was applied",
    )
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.po, exc.evidence["lines"][0]) == (
        "invalid_document",
        published_po,
        {"line": "1", "expected": line1.item.part_number, "actual": "XYZ"},
    )
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(published_po) == lines_before


def test_an_answer_naming_the_lines_own_part_is_applied(published_po, supplier):
    part = h.po_line(published_po, "1").item.part_number

    result = h.record_ack(supplier, "ACK-1", h.answer("1", part_number=part))

    assert (result.outcome, h.po_line(published_po, "1").ack_status) == ("applied", "accepted")


def test_a_po_number_used_by_two_companies_needs_the_company(published_po, supplier, other_company, other_plant):
    other = h.publish(other_company, other_plant, supplier, number="PO-1000")
    before = h.counts()

    error = h.refused(acknowledgement_record, supplier=supplier, ack=h.ack("ACK-1"), source=h.source())

    assert (error.code, error.exception_id) == ("ambiguous_po", None)
    assert error.message == "PO number PO-1000 exists for several companies; name the company"
    assert h.counts() == before

    result = h.record_ack(supplier, "ACK-1", company="OTHER")
    assert result.record.po == other
    assert {line.ack_status for line in POLine.objects.filter(po=other)} == {"accepted"}
    assert {line.ack_status for line in POLine.objects.filter(po=published_po)} == {"awaiting"}


# Idempotency --------------------------------------------------------------------------------


def test_the_same_document_twice_has_one_effect(published_po, supplier):
    first = h.record_ack(supplier, "ACK-1", h.price("1", "11"), h.answer("2", inputs.LINE_HOLD))
    before, lines_before = h.counts(), h.line_state(published_po)

    second = h.record_ack(supplier, "ACK-1", h.price("1", "11"), h.answer("2", inputs.LINE_HOLD))

    assert second.outcome == "duplicate"
    assert second.duplicate is True
    assert second.record.pk == first.record.pk
    assert second.exceptions == []
    assert h.counts() == before
    assert h.line_state(published_po) == lines_before


def test_a_different_document_under_a_used_id_is_a_conflict(published_po, supplier):
    first = h.record_ack(supplier, "ACK-1", h.price("1", "11"))
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(
        acknowledgement_record, supplier=supplier, ack=h.ack("ACK-1", h.price("1", "12")), source=h.source()
    )

    assert error.code == "conflict"
    assert error.message == (
        "acknowledgement ACK-1 was already received with different content; send changes under a new document id"
    )
    conflict = ProcurementException.objects.get(kind="duplicate_document")
    digest = inputs.fingerprint(h.ack("ACK-1", h.price("1", "12")))
    assert conflict.dedup_key == f"dup_ack:{supplier.pk}:api:ACK-1:{digest}"
    assert (conflict.po, conflict.supplier, conflict.severity) == (published_po, supplier, "data_quality")
    assert error.exception_id == conflict.pk
    assert h.counts() == before | {
        "ProcurementException": before["ProcurementException"] + 1,
        "AuditEvent": before["AuditEvent"] + 1,
    }
    assert h.line_state(published_po) == lines_before
    assert AcknowledgementLine.objects.get(ack=first.record, po_line__line_no="1").unit_price == D("11")


def test_the_document_key_includes_the_channel(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.price("1", "11"), src=h.source(channel="api"))
    result = h.record_ack(supplier, "ACK-1", h.answer("2"), src=h.source(channel="edi"))

    assert result.outcome == "applied"
    assert Acknowledgement.objects.count() == 2


# Query count ----------------------------------------------------------------------------------


def _queries_for_price_changes(supplier, number: str) -> int:
    lines = POLine.objects.filter(po__number=number).values_list("line_no", flat=True)
    ack = h.ack(f"ACK-{number}", *(h.price(no, "12") for no in lines), po=number)
    with CaptureQueriesContext(connection) as captured:
        result = acknowledgement_record(supplier=supplier, ack=ack, source=h.source())
    assert len(result.exceptions) == len(lines)
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_lines(company, plant, supplier, buyer, record_property):
    h.rule(company, "price", over_percent=D("5"))
    for number, lines in (("PO-WARM", 2), ("PO-ONE", 1), ("PO-FORTY", 40)):
        h.publish(company, plant, supplier, number=number, lines=lines, buyer="buyer")
    _queries_for_price_changes(supplier, "PO-WARM")  # the rule set is cached from here on, as in a worker

    one = _queries_for_price_changes(supplier, "PO-ONE")
    forty = _queries_for_price_changes(supplier, "PO-FORTY")

    record_property("ack_queries", {"1 line": one, "40 lines": forty})
    assert one == forty
    assert forty <= 14


def test_evidence_and_proposals_write_whole_numbers_plainly(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.price("1", "11"), h.quantity("2", "90"))

    price = ProcurementException.objects.get(kind="price_deviation")
    assert price.evidence["expected"] == "10"
    assert ChangeRequest.objects.get(po_line__line_no="1").current == {"unit_price": "10"}
    assert h.po_line(published_po, "2").proposal == {"quantity": "90"}


def test_an_answer_dating_a_line_before_its_po_or_years_out_is_refused_whole_naming_each_date(published_po, supplier):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(
        acknowledgement_record,
        supplier=supplier,
        ack=h.ack(
            "ACK-1",
            h.answer("1"),
            h.reschedule("2", dt.date(1, 1, 1)),
            h.answer(
                "3",
                inputs.LINE_RESCHEDULE,
                raw_code="DR",
                schedule=(
                    inputs.ScheduleLineInput(quantity=D("60"), date=dt.date(2027, 3, 1)),
                    inputs.ScheduleLineInput(quantity=D("40"), date=dt.date(2032, 1, 16)),
                ),
            ),
        ),
        source=h.source(),
    )

    assert (error.code, error.message) == (
        "date_out_of_range",
        "acknowledgement ACK-1 of PO PO-1000: line 2: promised date 0001-01-01 is before the PO's order date "
        "2027-01-15; line 3: delivery 2's date 2032-01-16 is more than 5 years after the PO's order date "
        "2027-01-15; nothing was applied",
    )
    assert [e["field"] for e in error.errors] == ["lines[1].promised_date", "lines[2].schedule[1].date"]
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.po, exc.evidence["earliest"], exc.evidence["latest"]) == (
        "invalid_document",
        published_po,
        "2026-12-16",
        "2032-01-15",
    )
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(published_po) == lines_before


def test_dates_at_the_edges_of_the_range_are_applied(published_po, supplier):
    result = h.record_ack(
        supplier, "ACK-1", h.reschedule("1", dt.date(2026, 12, 16)), h.reschedule("2", dt.date(2032, 1, 15))
    )

    assert result.outcome == "applied"
    assert [h.po_line(published_po, n).change_state for n in ("1", "2")] == ["proposed", "proposed"]


# Line numbers as partners write them ------------------------------------------------------------


def test_a_padded_line_number_answers_that_line_and_the_record_names_it_as_the_po_does(
    published_po, supplier, supplier_source
):
    result = h.record_ack(supplier, "ACK-PAD", h.quantity("001", "8"), src=supplier_source)

    answered = result.record.lines.order_by("po_line__line_no")
    assert [(a.po_line.line_no, a.raw_code, a.quantity) for a in answered] == [
        ("1", "IQ", D("8")),
        ("2", "", None),  # not named: the header's "accepted with changes" stands for them
        ("3", "", None),
    ]


@pytest.mark.parametrize("number", ["²", "１", "1.0", " 1", "01 "])
def test_a_line_number_that_is_no_number_in_ascii_digits_names_no_line(published_po, supplier, supplier_source, number):
    with pytest.raises(DocumentRefused) as refused:
        h.record_ack(supplier, "ACK-ODD", h.quantity(number, "8"), src=supplier_source)

    assert refused.value.code == "unknown_line"
    assert str(refused.value) == f"PO-1000 has no line {number}"


def test_an_answer_stating_its_line_unit_and_po_currency_is_the_answer_stored_without_them(
    published_po, supplier, supplier_source
):
    plain = h.record_ack(supplier, "ACK-SAME", h.quantity("1", "8"), src=supplier_source)
    stated = h.answer("1", inputs.LINE_CHANGE_QTY, raw_code="IQ", quantity=D("8"), uom="ea")
    said = h.record_ack(supplier, "ACK-SAME", stated, src=supplier_source, currency="usd")

    # Said or not, EA on an EA line and USD on a USD PO mean the same: a replay, not other content.
    assert (plain.outcome, said.outcome) == ("applied", "duplicate")
    assert said.record.pk == plain.record.pk
