"""An 855 that splits a line into deliveries (SCH), dropped by a partner: the record, the exception, the API."""

from decimal import Decimal

from rest_framework.test import APIClient

from api.models import ApiKey
from edi.tests.test_filedrop import drop, filedrop_scan, partner  # noqa: F401  (the partner fixture)
from procurement.models import (
    AcknowledgementLine,
    InboundDocument,
    POLine,
    ProcurementException,
    PurchaseOrder,
    ScheduleLine,
    ToleranceRule,
)


def partner_855(isa13: int, bak08: str, *item: str) -> bytes:
    """An 855 laid out like the partners' (CUR, REF, N1*ST, PO1 with PID), answering PO-4504.

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
        "PO1*2*100*EA*10**BP*PART-00002",
        "PID*F****PART 2",
        "ACK*IA*100*EA*068*20270301",
        "CTT*2*200",
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
        "PO PO-4504 line 1: promised 30 on 2027-03-10 for need-by 2027-03-01",
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
