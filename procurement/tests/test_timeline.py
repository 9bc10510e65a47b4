"""Every kind of PO timeline event in words: each response, term, header, source, state and channel
a timeline entry can carry, with the exact sentence a buyer reads (the page test in the workbench
walks one PO's life through the services)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from notifications.models import OutboundMessage
from procurement import timeline
from procurement.models import Acknowledgement, ChangeRequest, Invoice, POLine, PORevision, Receipt, Shipment


def _cr(proposed: dict, current: dict, *, state: str = "proposed", initiator: str = "supplier", **kwargs):
    line = POLine(line_no="2", uom="EA")
    return ChangeRequest(
        po_line=line, proposed=proposed, current=current, state=state, initiator=initiator, response="", **kwargs
    )


@pytest.mark.parametrize(
    "proposed, current, words",
    [
        (
            {"unit_price": "12.5"},
            {"unit_price": "11.000000"},
            "Supplier proposed price 12.50 (was 11.00) on line 2",
        ),
        (
            {"unit_price": "10.1234"},
            {"unit_price": "10"},
            "Supplier proposed price 10.1234 (was 10.00) on line 2",
        ),
        ({"quantity": "90.0000"}, {"quantity": "100"}, "Supplier proposed quantity 90 EA (was 100 EA) on line 2"),
        (
            {"need_by": "2027-03-08"},
            {"need_by": "2027-03-01"},
            "Supplier proposed need-by date 2027-03-08 (was 2027-03-01) on line 2",
        ),
        (
            {"part_number": "PART-9"},
            {"part_number": "PART-2"},
            "Supplier proposed part PART-9 (was PART-2) on line 2",
        ),
        (
            {"schedule": [{"quantity": "40", "date": "2027-03-01"}, {"quantity": "60.000", "date": "2027-03-15"}]},
            {"need_by": "2027-03-01"},
            "Supplier proposed deliveries of 40 EA on 2027-03-01 and 60 EA on 2027-03-15 (need-by date 2027-03-01)"
            " on line 2",
        ),
        (
            {"unit_price": "9", "quantity": "120", "need_by": "2027-04-01"},
            {"unit_price": "10", "quantity": "100", "need_by": "2027-03-01"},
            "Supplier proposed price 9.00 (was 10.00), quantity 120 EA (was 100 EA),"
            " need-by date 2027-04-01 (was 2027-03-01) on line 2",
        ),
        ({"cancel": True}, {"quantity": "100.0000"}, "Supplier rejected line 2 (ordered 100 EA), asking to cancel it"),
        ({"lot_size": "25"}, {}, "Supplier proposed lot size 25 on line 2"),
    ],
)
def test_each_proposed_term_reads_as_new_value_and_old(proposed, current, words):
    assert timeline.change_request_words(_cr(proposed, current)) == f"{words} — awaiting the buyer's decision"


@pytest.mark.parametrize(
    "state, resulting_revision, initiator, words",
    [
        ("accepted", 3, "supplier", "Supplier proposed price 12.00 (was 11.00) on line 2 — accepted into revision 3"),
        (
            "accepted",
            None,
            "supplier",
            "Supplier proposed price 12.00 (was 11.00) on line 2 — accepted; the PO keeps its revision",
        ),
        ("declined", None, "supplier", "Supplier proposed price 12.00 (was 11.00) on line 2 — declined by the buyer"),
        (
            "superseded",
            None,
            "supplier",
            "Supplier proposed price 12.00 (was 11.00) on line 2 — replaced by a later answer",
        ),
        ("proposed", None, "buyer", "Buyer proposed price 12.00 (was 11.00) on line 2 — awaiting the buyer's decision"),
    ],
)
def test_a_change_requests_state_and_who_proposed_it(state, resulting_revision, initiator, words):
    cr = _cr(
        {"unit_price": "12"},
        {"unit_price": "11"},
        state=state,
        initiator=initiator,
        resulting_revision=resulting_revision,
    )

    assert timeline.change_request_words(cr) == words


@pytest.mark.parametrize(
    "header, words",
    [
        ("ACKNOWLEDGED", "Supplier acknowledged receipt of revision 2, without answering its terms yet"),
        ("ACCEPTED", "Supplier accepted revision 2"),
        ("ACCEPTED_WITH_CHANGES", "Supplier accepted revision 2 with changes"),
        ("REJECTED", "Supplier rejected revision 2"),
        ("HOLD_ALL", "Supplier answered revision 2: hold all"),
    ],
)
def test_each_acknowledgement_header(header, words):
    assert timeline.acknowledgement_words(Acknowledgement(header=header, po_revision=2)) == words


@pytest.mark.parametrize(
    "revision, source, diff, words",
    [
        (0, "buyer", [], "Buyer published the PO"),
        (
            1,
            "buyer",
            [
                {"line": None, "field": "ship_to", "from": "DET", "to": "MTY"},
                {"line": "2", "field": "unit_price", "from": "10", "to": "12"},
                {"line": "2", "field": "quantity", "from": "100.0000", "to": "80"},
                {"line": "2", "field": "need_by", "from": "2027-03-01", "to": "2027-03-08"},
                {"line": "2", "field": "description", "from": "", "to": "Hex bolt"},
                {"line": "4", "field": "line", "from": None, "to": "added"},
                {"line": "3", "field": "line", "from": "open", "to": "cancelled"},
            ],
            "Buyer changed the PO: ship-to plant MTY (was DET); line 2 price 12.00 (was 10.00);"
            " line 2 quantity 80 (was 100); line 2 need-by date 2027-03-08 (was 2027-03-01);"
            " line 2 description Hex bolt (was none); line 4 added; line 3 cancelled",
        ),
        (
            2,
            "supplier_proposal",
            [{"line": "2", "field": "part_number", "from": "PART-2", "to": "PART-9"}],
            "Buyer accepted the supplier's proposal: line 2 part PART-9 (was PART-2)",
        ),
        (
            3,
            "policy",
            [{"line": "1", "field": "unit_price", "from": "10", "to": "10.05"}],
            "Supplier's proposal accepted automatically, within tolerance: line 1 price 10.05 (was 10.00)",
        ),
        (4, "buyer", [], "Buyer changed the PO, with no change to its terms"),
    ],
)
def test_each_revision_source_and_change(revision, source, diff, words):
    assert timeline.revision_words(PORevision(revision=revision, source=source, diff=diff)) == words


@pytest.mark.parametrize(
    "event, kind, what",
    [
        ("po.published", "email", "PO sent to the supplier by e-mail"),
        ("po.changed", "file", "PO revision sent to the supplier as an EDI file"),
        ("proposal.rejected", "http", "Rejection of the proposal sent to the supplier by webhook"),
        ("exception.rejected", "email", "Rejection of the answer sent to the supplier by e-mail"),
        ("exception.raised", "email", "Buyer alerted to new exceptions by e-mail"),
        ("exception.escalated", "email", "Escalation sent to the supervisor by e-mail"),
        ("invoice.held", "http", "Message about invoice held by webhook"),
    ],
)
def test_each_outbound_event_and_channel(event, kind, what):
    assert timeline.outbound_what(OutboundMessage(event=event, kind=kind)) == what


@pytest.mark.parametrize(
    "state, attempts, words",
    [
        ("pending", 0, "to orders@bolts.example: pending, not tried yet"),
        ("pending", 2, "to orders@bolts.example: pending, 2 attempts so far"),
        ("sending", 1, "to orders@bolts.example: sending, 1 attempt so far"),
        ("delivered", 1, "to orders@bolts.example: delivered after 1 attempt"),
        ("dead", 5, "to orders@bolts.example: given up after 5 attempts"),
    ],
)
def test_each_outbound_delivery_state(state, attempts, words):
    message = OutboundMessage(destination="orders@bolts.example", state=state, attempts=attempts)

    assert timeline.outbound_words(message) == words


@pytest.mark.parametrize(
    "physical, posting, words",
    [
        ("received", "posted", "Goods received on 2027-02-25; posted"),
        ("partly_rejected", "unposted", "Goods received on 2027-02-25, part of them rejected; not posted"),
        ("rejected", "unposted", "Goods rejected on 2027-02-25; not posted"),
    ],
)
def test_each_receipt_status(physical, posting, words):
    receipt = Receipt(received_on=dt.date(2027, 2, 25), physical_status=physical, posting_status=posting)

    assert timeline.receipt_words(receipt) == words


@pytest.mark.parametrize(
    "purpose, total, status, words",
    [
        ("invoice", D("1100.000000"), "on_hold", "Supplier invoiced 1100.00 USD: on hold"),
        ("invoice", D("960"), "matched", "Supplier invoiced 960.00 USD: matched"),
        ("invoice", D("960"), "within_tolerance", "Supplier invoiced 960.00 USD: within tolerance"),
        ("invoice", D("960"), "released", "Supplier invoiced 960.00 USD: released by buyer"),
        ("credit_memo", D("50.5"), "matched", "Supplier credited 50.50 USD: matched"),
    ],
)
def test_each_invoice_purpose_and_match(purpose, total, status, words):
    invoice = Invoice(purpose=purpose, total=total, currency="USD", match_status=status)

    assert timeline.invoice_words(invoice) == words


@pytest.mark.parametrize(
    "fields, words",
    [
        ({}, "Supplier shipped on 2027-02-20"),
        ({"carrier": "UPS"}, "Supplier shipped on 2027-02-20, by UPS"),
        (
            {"expected_delivery": dt.date(2027, 2, 24), "carrier": "UPS", "tracking_number": "1Z999"},
            "Supplier shipped on 2027-02-20, expected 2027-02-24, by UPS (tracking 1Z999)",
        ),
    ],
)
def test_each_ship_notice(fields, words):
    assert timeline.shipment_words(Shipment(ship_date=dt.date(2027, 2, 20), **fields)) == words


@pytest.mark.parametrize(
    "before, after, words",
    [
        (
            {"state": "refused", "outcome": "partly_refused"},
            {"state": "processed", "outcome": "processed"},
            "Was refused (partly refused: some lines were not applied); now applied",
        ),
        (
            {"state": "processed", "outcome": "refused"},
            {"state": "processed", "outcome": "partly_applied"},
            "Was refused: nothing in it was applied; now partly applied: some of its sets were refused",
        ),
        (
            {"state": "rejected", "outcome": "envelope_rejected"},
            {"state": "processed", "outcome": "processed"},
            "Was refused at the envelope; now applied",
        ),
        (
            {"state": "rejected", "outcome": "malformed"},
            {"state": "rejected", "outcome": "malformed"},
            "Was rejected as unreadable (malformed: could not be read); now rejected as unreadable (malformed: could"
            " not be read)",
        ),
    ],
)
def test_a_documents_state_before_and_after_a_replay(before, after, words):
    from procurement.models import AuditEvent

    assert timeline.audit_state_words(AuditEvent(action="document.replayed", before=before, after=after)) == words
