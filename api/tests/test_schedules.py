"""Schedule lines through the API: an acknowledgement splits a line into deliveries; the PO shows them."""

from decimal import Decimal as D

from procurement.models import InboundDocument, ProcurementException, ScheduleLine, ToleranceRule

from .conftest import ack_body

ACKS = "/api/v1/acknowledgements/"
POS = "/api/v1/purchase-orders/"

# PO-1000: three lines of 100 EA needed 2027-03-01.
SPLIT = [
    {"quantity": "40", "date": "2027-02-26"},
    {"quantity": "30", "date": "2027-03-02"},
    {"quantity": "30", "date": "2027-03-10"},
]


def split_ack(document_id: str = "ACK-SPLIT", schedule: list | None = None, **line) -> dict:
    first = {"line_no": "1", "response": "ACCEPT", "schedule": SPLIT if schedule is None else schedule} | line
    return ack_body(
        document_id,
        header="ACCEPTED_WITH_CHANGES",
        lines=[first, {"line_no": "2", "response": "ACCEPT"}, {"line_no": "3", "response": "ACCEPT"}],
    )


def test_a_split_line_is_recorded_and_shown_on_the_po(owner, outsider, published_po, company):
    ToleranceRule.objects.create(company=company, check_kind="date", over_amount=D("3"), under_amount=D("5"))

    response = owner.post(ACKS, split_ack())

    assert response.status_code == 201, response.content
    (raised,) = response.json()["exceptions"]
    assert (raised["kind"], raised["line_no"], raised["message"]) == (
        "date_deviation",
        "1",
        "promised 30 on 2027-03-10 for need-by 2027-03-01",
    )
    assert ProcurementException.objects.count() == 1
    assert [s["position"] for s in ProcurementException.objects.get().evidence["schedule"]] == [3]
    detail = owner.get(f"{POS}{published_po.pk}/").json()
    line1, line2, _ = detail["lines"]
    assert line1["schedule"] == [
        {"quantity": "40.0000", "date": "2027-02-26"},
        {"quantity": "30.0000", "date": "2027-03-02"},
        {"quantity": "30.0000", "date": "2027-03-10"},
    ]
    assert (line1["confirmed_quantity"], line1["promised_date"], line1["next_promised_date"]) == (
        "100.0000",
        "2027-02-26",
        "2027-02-26",
    )
    assert (line1["statuses"]["ack"], line1["need_by"]) == ("changes_proposed", "2027-03-01")
    assert (line2["schedule"], line2["next_promised_date"]) == ([], "2027-03-01")
    listed = owner.get(POS, {"number": "PO-1000"}).json()["results"]
    assert listed == [detail]
    assert outsider.get(f"{POS}{published_po.pk}/").status_code == 404


def test_the_next_promised_date_moves_as_deliveries_ship(owner, published_po):
    owner.post(ACKS, split_ack(schedule=[{"quantity": "60", "date": "2027-03-01"}, SPLIT[2] | {"quantity": "40"}]))
    shipped = owner.post(
        "/api/v1/shipments/",
        {
            "shipment_id": "ASN-1",
            "ship_date": "2027-02-27",
            "lines": [{"po_number": "PO-1000", "line_no": "1", "quantity": "60"}],
        },
    )
    assert shipped.status_code == 201, shipped.content

    (line1, *_) = owner.get(f"{POS}{published_po.pk}/").json()["lines"]

    assert (line1["promised_date"], line1["next_promised_date"]) == ("2027-03-01", "2027-03-10")


def test_a_quantity_that_disagrees_with_the_schedule_is_refused(owner, published_po):
    response = owner.post(ACKS, split_ack(quantity="120"))

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "line 1: the schedule lines add up to 100, but the line states a quantity of 120"
    )
    assert ScheduleLine.objects.count() == 0
    assert (InboundDocument.objects.get().state, InboundDocument.objects.get().outcome_code) == ("refused", "invalid")


def test_a_schedule_line_needs_a_quantity_and_a_date(owner, published_po):
    response = owner.post(ACKS, split_ack(schedule=[{"quantity": "-1", "date": "2027-03-01"}, {"quantity": "101"}]))

    assert response.status_code == 400
    assert ScheduleLine.objects.count() == 0


def test_a_newer_acknowledgement_replaces_the_schedule(owner, published_po):
    owner.post(ACKS, split_ack())
    owner.post(ACKS, split_ack("ACK-SPLIT-2", schedule=[{"quantity": "100", "date": "2027-03-01"}]))

    (line1, *_) = owner.get(f"{POS}{published_po.pk}/").json()["lines"]

    assert line1["schedule"] == [{"quantity": "100.0000", "date": "2027-03-01"}]
    assert (line1["statuses"]["ack"], line1["proposal"]) == ("accepted", {})
    assert ProcurementException.objects.open().count() == 0
