"""An 855 answering one line with two codes, dropped by a partner: the record, the exception, the 997.

PO-4504 has two lines of 100 EA at 10.00 needed on 2027-03-01. Partners answer a line they can
only fill in part with one ACK per part: ``ACK*IA*60`` beside ``ACK*IB*40`` (60 accepted, 40
backordered), or ``ACK*IA*60`` beside ``ACK*DR*40`` dated later (40 rescheduled).
"""

from edi import filedrop, x12
from edi.tests.test_filedrop import drop, filedrop_scan, partner  # noqa: F401  (the partner fixture)
from edi.tests.test_schedules import line_schedule, partner_855
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from procurement.models import AcknowledgementLine, InboundDocument, POLine, ProcurementException

ACCEPTED_AND_BACKORDERED = (
    "PO1*1*100*EA*10**BP*PART-00001",
    "PID*F****PART 1",
    "ACK*IA*60*EA*068*20270301",
    "ACK*IB*40*EA*068*20270415",
)
ACCEPTED_AND_RESCHEDULED = (
    "PO1*1*100*EA*10**BP*PART-00001",
    "PID*F****PART 1",
    "ACK*IA*60*EA",
    "ACK*DR*40*EA*068*20270420",
)


def _accepted_997(partner) -> list[list[str]]:  # noqa: F811
    answer = OutboundMessage.objects.get(event="x12.997")
    assert outbox_message_deliver(message_id=answer.pk) == "delivered"
    (written,) = list(filedrop.folders(partner).outbox.glob("997_*.edi"))
    segments = [s.elements for s in x12.parse(written.read_bytes()).interchanges[0].groups[0].sets[0].segments]
    return [s for s in segments if s[0] in ("AK2", "AK3", "AK4", "AK5", "AK9")]


def test_sixty_accepted_and_forty_backordered_is_applied_with_a_backorder_exception(partner):  # noqa: F811
    drop(partner, "855-51.edi", partner_855(51, "855-000051", *ACCEPTED_AND_BACKORDERED))

    assert filedrop_scan() == 1

    document = InboundDocument.objects.get(channel="edi")
    assert (document.state, document.outcome_code, document.error) == ("processed", "processed", "855 0001: applied")
    line = POLine.objects.get(line_no="1")
    assert (
        line.ack_response,
        line.ack_raw_code,
        str(line.confirmed_quantity),
        str(line.backordered_quantity),
        str(line.promised_date),
        line.proposal,
    ) == ("PARTIAL_BACKORDER", "IA+IB", "60.0000", "40.0000", "2027-03-01", {})
    assert line_schedule("1") == []
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.severity, exc.po_line, exc.summary) == (
        "backordered",
        "procurement_delay",
        line,
        "PO-4504 line 1: 40 of 100 backordered, expected 2027-04-15",
    )
    assert POLine.objects.get(line_no="2").ack_response == "ACCEPT"
    assert _accepted_997(partner) == [["AK2", "855", "0001"], ["AK5", "A"], ["AK9", "A", "1", "1", "1"]]


def test_sixty_accepted_and_forty_rescheduled_is_two_deliveries_with_a_late_one(partner):  # noqa: F811
    drop(partner, "855-52.edi", partner_855(52, "855-000052", *ACCEPTED_AND_RESCHEDULED))

    assert filedrop_scan() == 1

    assert InboundDocument.objects.get(channel="edi").error == "855 0001: applied"
    assert [(p, str(q), str(d)) for p, q, d in line_schedule("1")] == [
        (1, "60.0000", "2027-03-01"),
        (2, "40.0000", "2027-04-20"),
    ]
    line = POLine.objects.get(line_no="1")
    assert (line.ack_response, line.ack_raw_code, str(line.confirmed_quantity), line.ack_status) == (
        "RESCHEDULE",
        "IA+DR",
        "100.0000",
        "changes_proposed",
    )
    assert AcknowledgementLine.objects.get(po_line=line).schedule == [
        {"quantity": "60", "date": "2027-03-01"},
        {"quantity": "40", "date": "2027-04-20"},
    ]
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.summary) == (
        "date_deviation",
        "PO-4504 line 1: promised 40 on 2027-04-20 for need-by 2027-03-01",
    )
    assert _accepted_997(partner) == [["AK2", "855", "0001"], ["AK5", "A"], ["AK9", "A", "1", "1", "1"]]


def test_four_accepting_codes_on_one_line_keep_the_first_as_raw_code_and_all_in_the_note(partner):  # noqa: F811
    # AC, AR, IA and IE all accept: joined they would not fit the record's 8-character raw code.
    drop(
        partner,
        "855-53.edi",
        partner_855(
            53,
            "855-000053",
            "PO1*1*100*EA*10**BP*PART-00001",
            "ACK*AC*25*EA",
            "ACK*AR*25*EA",
            "ACK*IA*25*EA",
            "ACK*IE*25*EA",
        ),
    )

    assert filedrop_scan() == 1

    document = InboundDocument.objects.get(channel="edi")
    assert (document.state, document.error) == ("processed", "855 0001: applied")
    line = POLine.objects.get(line_no="1")
    assert (line.ack_response, line.ack_raw_code, str(line.confirmed_quantity)) == ("ACCEPT", "AC", "100.0000")
    ack_line = AcknowledgementLine.objects.get(po_line=line)
    assert (ack_line.raw_code, ack_line.note) == ("AC", "answered with ACK codes AC, AR, IA, IE")
    assert ProcurementException.objects.count() == 0
    assert _accepted_997(partner) == [["AK2", "855", "0001"], ["AK5", "A"], ["AK9", "A", "1", "1", "1"]]
