"""An 855 that splits a line into deliveries (SCH), dropped by a partner: the record, the exception, the API."""

from decimal import Decimal

from rest_framework.test import APIClient

from api.models import ApiKey
from edi import filedrop, x12
from edi.tests.test_filedrop import drop, filedrop_scan, partner  # noqa: F401  (the partner fixture)
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from procurement.models import (
    AcknowledgementLine,
    InboundDocument,
    POLine,
    ProcurementException,
    PurchaseOrder,
    ScheduleLine,
    ToleranceRule,
)

LINE_2_ACCEPTED = (
    "PO1*2*100*EA*10**BP*PART-00002",
    "PID*F****PART 2",
    "ACK*IA*100*EA*068*20270301",
    "CTT*2*200",
)


def partner_855(isa13: int, bak08: str, *item: str, rest: tuple[str, ...] = LINE_2_ACCEPTED) -> bytes:
    """An 855 laid out like the partners' (CUR, REF, N1*ST, PO1 with PID), answering PO-4504:
    line 1 is ``item``, then ``rest`` (line 2 accepted as asked and the totals, by default).

    PO-4504 has two lines of 100 EA at 10.00 needed on 2027-03-01.
    """
    isa = "*".join(
        [
            "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "CASTINGS".ljust(15), "ZZ", "GATEWAY".ljust(15),
            "270120", "1534", "U", "00401", f"{isa13:09d}", "0", "P", ">",
        ]
    )  # fmt: skip
    body = [
        "ST*855*0001",
        f"BAK*00*AC*PO-4504*20270115****{bak08}*20270120",
        "CUR*BT*USD",
        "REF*ZZZ*ORDER PROCESSED",
        "N1*ST*ACME DETROIT*92*DET",
        *item,
        *rest,
    ]
    body.append(f"SE*{len(body) + 1}*0001")
    segments = [isa, f"GS*PR*CASTINGS*GATEWAY*20270120*1534*{isa13}*X*004010", *body, f"GE*1*{isa13}"]
    segments.append(f"IEA*1*{isa13:09d}")
    return ("~\n".join(segments) + "~\n").encode()


SPLIT_IN_THREE = (
    "PO1*1*100*EA*10**BP*PART-00001",
    "PID*F****PART 1",
    "ACK*IA*100*EA",
    "SCH*40*EA***068*20270226",
    "SCH*30*EA***068*20270302",
    "SCH*30*EA***068*20270310",
)


def line_schedule(line_no: str) -> list[tuple]:
    rows = ScheduleLine.objects.filter(po_line__line_no=line_no).order_by("position")
    return list(rows.values_list("position", "quantity", "date"))


def test_an_855_splitting_a_line_in_three_is_recorded_checked_and_shown(partner):  # noqa: F811
    ToleranceRule.objects.create(
        company=partner.company, check_kind="date", over_amount=Decimal("3"), under_amount=Decimal("5")
    )
    drop(partner, "855-31.edi", partner_855(31, "855-000031", *SPLIT_IN_THREE))

    assert filedrop_scan() == 1

    assert InboundDocument.objects.get(channel="edi").state == "processed"
    assert [(p, str(q), str(d)) for p, q, d in line_schedule("1")] == [
        (1, "40.0000", "2027-02-26"),
        (2, "30.0000", "2027-03-02"),
        (3, "30.0000", "2027-03-10"),
    ]
    assert line_schedule("2") == []
    line = POLine.objects.get(line_no="1")
    assert (str(line.confirmed_quantity), str(line.promised_date), line.ack_status) == (
        "100.0000",
        "2027-02-26",
        "changes_proposed",
    )
    assert AcknowledgementLine.objects.get(po_line=line).schedule == [
        {"quantity": "40", "date": "2027-02-26"},
        {"quantity": "30", "date": "2027-03-02"},
        {"quantity": "30", "date": "2027-03-10"},
    ]
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.po_line, exc.summary) == (
        "date_deviation",
        line,
        "PO-4504 line 1: promised 30 on 2027-03-10 for need-by 2027-03-01",
    )
    assert [(s["position"], s["date"]) for s in exc.evidence["schedule"]] == [(3, "2027-03-10")]

    client = APIClient()
    _, secret = ApiKey.issue(kind="supplier", supplier=partner.supplier, name="CASTINGS portal sync", scope="read")
    po = PurchaseOrder.objects.get(number="PO-4504")
    shown = client.get(f"/api/v1/purchase-orders/{po.pk}/", headers={"Authorization": f"Bearer {secret}"})
    assert shown.status_code == 200
    assert [line["schedule"] for line in shown.json()["lines"]] == [
        [
            {"quantity": "40.0000", "date": "2027-02-26"},
            {"quantity": "30.0000", "date": "2027-03-02"},
            {"quantity": "30.0000", "date": "2027-03-10"},
        ],
        [],
    ]


def test_a_newer_855_replaces_the_schedule(partner):  # noqa: F811
    drop(partner, "855-31.edi", partner_855(31, "855-000031", *SPLIT_IN_THREE))
    filedrop_scan()
    again = ("PO1*1*100*EA*10**BP*PART-00001", "ACK*IA*100*EA", "SCH*100*EA***068*20270301")
    drop(partner, "855-32.edi", partner_855(32, "855-000032", *again))

    assert filedrop_scan() == 1

    assert [(p, str(q), str(d)) for p, q, d in line_schedule("1")] == [(1, "100.0000", "2027-03-01")]
    assert POLine.objects.get(line_no="1").ack_status == "accepted"
    assert ProcurementException.objects.open().count() == 0


def test_an_855_whose_ack_quantity_disagrees_with_its_sch_is_refused(partner):  # noqa: F811
    short = ("PO1*1*100*EA*10**BP*PART-00001", "ACK*IA*100*EA", "SCH*60*EA***068*20270301")
    drop(partner, "855-33.edi", partner_855(33, "855-000033", *short))

    assert filedrop_scan() == 1

    document = InboundDocument.objects.get(channel="edi")
    assert (document.state, document.outcome_code, document.error) == (
        "processed",
        "refused",
        "855 0001: refused (invalid: line 1: the schedule lines add up to 60, but the line states a quantity of 100)",
    )
    assert ScheduleLine.objects.count() == 0
    assert POLine.objects.get(line_no="1").ack_response == ""


# Each line answered in the order the 855 table gives: the ACK loop right after the line's
# details, then marks (MAN), restrictions (CTB), tax (TXI) and the deliveries (SCH).
IN_THE_STANDARDS_ORDER = (
    "PO1*1*100*EA*10**BP*PART-00001",
    "PID*F****PART 1",
    "ACK*IA*60*EA*068*20270226",
    "ACK*IA*40*EA*068*20270302",
    "MAN*GM*PALLET-7",
    "CTB*OR*HOLD FOR INSPECTION",
    "TXI*ST*62.5",
)
LINE_2_SCHEDULED = (
    "PO1*2*100*EA*10**BP*PART-00002",
    "PID*F****PART 2",
    "ACK*IA*100*EA",
    "DTM*068*20270301",
    "TXI*ST*62.5",
    "SCH*50*EA***068*20270301",
    "SCH*50*EA***068*20270303",
    "CTT*2*200",
)


def test_an_855_in_the_standards_line_order_with_several_acks_per_line_is_applied_and_accepted(partner):  # noqa: F811
    ToleranceRule.objects.create(
        company=partner.company, check_kind="date", over_amount=Decimal("3"), under_amount=Decimal("5")
    )
    drop(partner, "855-41.edi", partner_855(41, "855-000041", *IN_THE_STANDARDS_ORDER, rest=LINE_2_SCHEDULED))

    assert filedrop_scan() == 1

    document = InboundDocument.objects.get(channel="edi")
    assert (document.state, document.outcome_code, document.error) == ("processed", "processed", "855 0001: applied")
    assert [(p, str(q), str(d)) for p, q, d in line_schedule("1")] == [
        (1, "60.0000", "2027-02-26"),
        (2, "40.0000", "2027-03-02"),
    ]
    assert [(p, str(q), str(d)) for p, q, d in line_schedule("2")] == [
        (1, "50.0000", "2027-03-01"),
        (2, "50.0000", "2027-03-03"),
    ]
    answers = AcknowledgementLine.objects.order_by("po_line__line_no")
    assert [
        (a.po_line.line_no, a.response, a.raw_code, str(a.quantity), str(a.promised_date), a.schedule) for a in answers
    ] == [
        ("1", "ACCEPT", "IA", "100.0000", "2027-02-26", [
            {"quantity": "60", "date": "2027-02-26"}, {"quantity": "40", "date": "2027-03-02"}]),
        ("2", "ACCEPT", "IA", "100.0000", "2027-03-01", [
            {"quantity": "50", "date": "2027-03-01"}, {"quantity": "50", "date": "2027-03-03"}]),
    ]  # fmt: skip
    # A split is the supplier's proposal of deliveries; every date is within the 3 days late allowed.
    assert [
        (line.line_no, line.ack_status, str(line.promised_date)) for line in POLine.objects.order_by("line_no")
    ] == [
        ("1", "changes_proposed", "2027-02-26"),
        ("2", "changes_proposed", "2027-03-01"),
    ]
    assert ProcurementException.objects.count() == 0

    answer = OutboundMessage.objects.get(event="x12.997")
    assert outbox_message_deliver(message_id=answer.pk) == "delivered"
    (written,) = list(filedrop.folders(partner).outbox.glob("997_*.edi"))
    segments = [s.elements for s in x12.parse(written.read_bytes()).interchanges[0].groups[0].sets[0].segments]
    assert [s for s in segments if s[0] in ("AK2", "AK3", "AK4", "AK5", "AK9")] == [
        ["AK2", "855", "0001"],
        ["AK5", "A"],
        ["AK9", "A", "1", "1", "1"],
    ]
