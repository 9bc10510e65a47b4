"""One line answered in parts (an 855's ``ACK*IA*60`` beside ``ACK*IB*40``): what the record holds.

PO-1000 has three lines of 100 EA at 10.00, each needed on 2027-03-01. A backorder the supplier
states beside what it commits is a delay to chase (a ``backordered`` exception), not a proposal to
order less; an undated delivery beside a dated one is due on the need-by date.
"""

import datetime as dt

import pytest

from procurement import inputs
from procurement.models import AcknowledgementLine, ChangeRequest, ProcurementException, ScheduleLine
from procurement.services import DocumentRefused

from . import helpers as h
from .helpers import D

NEED_BY = h.NEED_BY


def partial(line_no: str = "1", committed: str = "60", backordered: str = "40", **kwargs) -> inputs.AckLineInput:
    return h.answer(
        line_no,
        inputs.LINE_PARTIAL_BACKORDER,
        raw_code="IA+IB",
        quantity=D(committed),
        backordered_quantity=D(backordered),
        **kwargs,
    )


def test_sixty_accepted_and_forty_backordered_is_recorded_as_both_with_a_backorder_exception(published_po, supplier):
    result = h.record_ack(supplier, "ACK-1", partial(backorder_date=dt.date(2027, 4, 15)))

    line = h.po_line(published_po, "1")
    assert (line.ack_response, line.ack_raw_code, line.confirmed_quantity, line.backordered_quantity) == (
        "PARTIAL_BACKORDER",
        "IA+IB",
        D("60"),
        D("40"),
    )
    assert (line.promised_date, line.proposal, line.change_state) == (NEED_BY, {}, "none")
    assert ChangeRequest.objects.count() == 0
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.severity, exc.po_line_id, exc.change_request) == (
        "backordered",
        "procurement_delay",
        line.pk,
        None,
    )
    assert exc.summary == "PO-1000 line 1: 40 of 100 backordered, expected 2027-04-15"
    assert h.num(exc.evidence) == {
        "ordered": D("100"),
        "committed": D("60"),
        "backordered": D("40"),
        "expected": "2027-04-15",
        "need_by": "2027-03-01",
        "raw_code": "IA+IB",
    }
    assert result.record.header == "ACCEPTED_WITH_CHANGES"
    ack_line = AcknowledgementLine.objects.get(po_line=line)
    assert (ack_line.response, ack_line.raw_code, ack_line.quantity) == ("PARTIAL_BACKORDER", "IA+IB", D("60"))


def test_a_backorder_with_a_part_not_coming_at_all_also_proposes_the_smaller_quantity(published_po, supplier):
    h.record_ack(supplier, "ACK-1", partial(committed="50", backordered="30"))

    line = h.po_line(published_po, "1")
    assert (line.confirmed_quantity, line.backordered_quantity) == (D("50"), D("30"))
    assert h.num(line.proposal) == {"quantity": D("80")}
    assert h.kinds() == ["backordered", "quantity_deviation"]
    assert ProcurementException.objects.get(kind="backordered").summary == (
        "PO-1000 line 1: 30 of 100 backordered, with no date given"
    )
    request = ChangeRequest.objects.get()
    assert (h.num(request.proposed), ProcurementException.objects.get(kind="quantity_deviation").change_request) == (
        {"quantity": D("80")},
        request,
    )


def test_the_same_backorder_again_raises_nothing_new_and_a_full_answer_closes_it(published_po, supplier):
    h.record_ack(supplier, "ACK-1", partial())
    h.record_ack(supplier, "ACK-2", partial())
    assert list(ProcurementException.objects.values_list("kind", "state")) == [("backordered", "open")]

    h.record_ack(supplier, "ACK-3", partial(committed="80", backordered="20"))
    assert sorted(ProcurementException.objects.values_list("summary", "state", "resolution")) == [
        ("PO-1000 line 1: 20 of 100 backordered, with no date given", "open", ""),
        ("PO-1000 line 1: 40 of 100 backordered, with no date given", "resolved", "superseded"),
    ]

    h.record_ack(supplier, "ACK-4", h.answer("1", raw_code="IA"))
    assert list(ProcurementException.objects.filter(state="open").values_list("kind")) == []
    line = h.po_line(published_po, "1")
    assert (line.confirmed_quantity, line.backordered_quantity) == (D("100"), D("0"))


def test_an_undated_delivery_beside_a_dated_one_is_due_on_the_need_by_date(published_po, supplier):
    h.record_ack(
        supplier,
        "ACK-1",
        h.answer(
            "1",
            inputs.LINE_RESCHEDULE,
            raw_code="IA+DR",
            quantity=D("100"),
            promised_date=dt.date(2027, 4, 20),
            schedule=(
                inputs.ScheduleLineInput(D("60"), None),
                inputs.ScheduleLineInput(D("40"), dt.date(2027, 4, 20)),
            ),
        ),
    )

    line = h.po_line(published_po, "1")
    assert list(ScheduleLine.objects.filter(po_line=line).values_list("position", "quantity", "date")) == [
        (1, D("60"), NEED_BY),
        (2, D("40"), dt.date(2027, 4, 20)),
    ]
    assert (line.confirmed_quantity, line.promised_date) == (D("100"), NEED_BY)
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.summary) == (
        "date_deviation",
        "PO-1000 line 1: promised 40 on 2027-04-20 for need-by 2027-03-01",
    )


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            h.answer("1", inputs.LINE_ACCEPT, backordered_quantity=D("40")),
            "line 1: a backordered quantity goes with a backorder answer, not ACCEPT",
        ),
        (
            h.answer("1", inputs.LINE_PARTIAL_BACKORDER, quantity=D("60"), backorder_date=dt.date(2027, 4, 1)),
            "line 1: a backorder date needs the quantity backordered",
        ),
        (partial(backordered="-1"), "line 1: backordered quantity cannot be recorded"),
    ],
)
def test_a_stated_backorder_that_cannot_be_recorded_is_refused(published_po, supplier, answer, message):
    with pytest.raises(DocumentRefused) as refused:
        h.record_ack(supplier, "ACK-1", answer)

    assert str(refused.value) == message
    assert (ProcurementException.objects.count(), h.po_line(published_po, "1").ack_response) == (0, "")


def test_acknowledging_or_holding_a_backordered_line_keeps_its_backorder(published_po, supplier):
    h.record_ack(supplier, "ACK-1", partial())
    h.record_ack(supplier, "ACK-2", header=inputs.ACK_ACKNOWLEDGED)
    h.record_ack(supplier, "ACK-3", h.answer("1", inputs.LINE_HOLD, raw_code="IH"))

    line = h.po_line(published_po, "1")
    assert (line.ack_response, line.confirmed_quantity, line.backordered_quantity) == ("HOLD", D("60"), D("40"))
    assert sorted(ProcurementException.objects.values_list("kind", "state")) == [
        ("backordered", "open"),
        ("line_on_hold", "open"),
    ]
