"""Schedule lines: a supplier splits a line into deliveries, each with its own quantity and date."""

import dataclasses
import datetime as dt

from procurement import factories, inputs
from procurement.models import (
    AcknowledgementLine,
    ChangeRequest,
    PORevision,
    ProcurementException,
    PurchaseOrder,
    ScheduleLine,
)
from procurement.services import (
    acknowledgement_record,
    exception_accept,
    exception_reject,
    purchase_order_change,
)

from . import helpers as h
from .helpers import D

NEED_BY = h.NEED_BY  # 2027-03-01 on every line of PO-1000 (100 EA at 10.00)


def sched(*deliveries: tuple[str, dt.date]) -> tuple[inputs.ScheduleLineInput, ...]:
    return tuple(inputs.ScheduleLineInput(quantity=D(q), date=d) for q, d in deliveries)


def split(line_no: str = "1", *deliveries: tuple[str, dt.date], **kwargs) -> inputs.AckLineInput:
    """Line accepted as ordered, shipped in the deliveries given (the 855's ACK*IA with SCH segments)."""
    return h.answer(line_no, raw_code="IA", schedule=sched(*deliveries), **kwargs)


THREE = (("40", dt.date(2027, 2, 26)), ("30", dt.date(2027, 3, 2)), ("30", dt.date(2027, 3, 10)))


def schedule_of(po, line_no: str) -> list[tuple]:
    return list(
        ScheduleLine.objects.filter(po_line=h.po_line(po, line_no))
        .order_by("position")
        .values_list("position", "quantity", "date")
    )


def test_an_ack_without_a_schedule_keeps_the_fingerprint_it_was_stored_with():
    # Computed before acknowledgement lines could carry a schedule: stored acknowledgements sent
    # again must still be recognised as the same document.
    ack = inputs.AcknowledgementInput(
        document_id="ACK-7781",
        po_number="PO-9001",
        header=inputs.ACK_ACCEPTED_WITH_CHANGES,
        lines=(
            inputs.AckLineInput(
                line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA", quantity=D("600"), unit_price=D("4.25")
            ),
            inputs.AckLineInput(
                line_no="2",
                response=inputs.LINE_RESCHEDULE,
                raw_code="DR",
                quantity=D("40"),
                promised_date=dt.date(2027, 4, 9),
            ),
        ),
        raw_code="AC",
        po_revision=0,
        company="ACME",
        acknowledged_on=dt.date(2027, 3, 2),
    )

    assert inputs.fingerprint(ack) == "30700dbd4ad12c9ae93391bb14e32b59a1c429e9097182f9d8ae202ced0eb0d6"
    assert "schedule" not in inputs.canonical_json(ack)["lines"][0]
    with_schedule = dataclasses.replace(ack.lines[0], schedule=sched(("600", dt.date(2027, 4, 1))))
    assert inputs.canonical_json(with_schedule)["schedule"] == [{"quantity": "600", "date": "2027-04-01"}]


def test_a_split_line_keeps_every_schedule_line_and_one_exception_names_the_late_one(published_po, supplier, company):
    h.rule(company, "date", over_amount=D("3"), under_amount=D("5"))

    result = h.record_ack(supplier, "ACK-1", split("1", *THREE), h.answer("2"), h.answer("3"))

    line = h.po_line(published_po, "1")
    assert schedule_of(published_po, "1") == [
        (1, D("40"), dt.date(2027, 2, 26)),
        (2, D("30"), dt.date(2027, 3, 2)),
        (3, D("30"), dt.date(2027, 3, 10)),
    ]
    assert (line.confirmed_quantity, line.promised_date, line.need_by) == (D("100"), dt.date(2027, 2, 26), NEED_BY)
    assert (line.change_state, line.statuses()["ack"]) == ("proposed", "changes_proposed")
    assert line.proposal == {
        "schedule": [
            {"quantity": "40", "date": "2027-02-26"},
            {"quantity": "30", "date": "2027-03-02"},
            {"quantity": "30", "date": "2027-03-10"},
        ]
    }
    (exc,) = result.exceptions
    assert ProcurementException.objects.count() == 1
    assert (exc.kind, exc.severity, exc.po_line) == ("date_deviation", "procurement_delay", line)
    assert exc.summary == "PO-1000 line 1: promised 30 on 2027-03-10 for need-by 2027-03-01"
    assert h.num(exc.evidence) == h.num(
        {
            "expected": "2027-03-01",
            "schedule": [{"position": 3, "quantity": "30", "date": "2027-03-10", "deviation_days": "9"}],
            "tolerance": {
                "rule": exc.evidence["tolerance"]["rule"],
                "over_percent": None,
                "over_amount": "3",
                "under_percent": None,
                "under_amount": "5",
            },
        }
    )
    cr = ChangeRequest.objects.get()
    assert (cr.po_line, cr.state, exc.change_request) == (line, "proposed", cr)
    assert result.record.header == inputs.ACK_ACCEPTED_WITH_CHANGES
    assert AcknowledgementLine.objects.get(po_line=line).schedule == [
        {"quantity": "40", "date": "2027-02-26"},
        {"quantity": "30", "date": "2027-03-02"},
        {"quantity": "30", "date": "2027-03-10"},
    ]
    assert [schedule_of(published_po, n) for n in ("2", "3")] == [[], []]


def test_several_late_schedule_lines_are_one_exception_naming_each(published_po, supplier):
    early = ("20", dt.date(2027, 2, 20))
    result = h.record_ack(
        supplier, "ACK-1", split("1", ("50", NEED_BY), ("30", dt.date(2027, 3, 8)), early), h.answer("2")
    )

    (exc,) = result.exceptions
    assert exc.summary == "PO-1000 line 1: promised 30 on 2027-03-08, 20 on 2027-02-20 for need-by 2027-03-01"
    assert [(s["position"], s["deviation_days"]) for s in h.num(exc.evidence["schedule"])] == [(2, 7), (3, -9)]
    assert exc.severity == "procurement_delay"


def test_a_schedule_within_an_auto_accepting_tolerance_is_accepted_without_a_revision(published_po, supplier, company):
    h.rule(company, "date", over_amount=D("3"), under_amount=D("5"), auto_accept=True)

    result = h.record_ack(supplier, "ACK-1", split("1", ("60", dt.date(2027, 2, 27)), ("40", dt.date(2027, 3, 3))))

    line = h.po_line(published_po, "1")
    assert result.exceptions == []
    assert (line.change_state, line.statuses()["ack"], line.need_by) == ("accepted", "accepted", NEED_BY)
    assert line.promised_date == dt.date(2027, 2, 27)
    assert PurchaseOrder.objects.get(pk=published_po.pk).revision == 0
    assert PORevision.objects.count() == 1
    cr = ChangeRequest.objects.get()
    assert (cr.state, cr.resulting_revision) == ("accepted", None)
    assert len(schedule_of(published_po, "1")) == 2


def test_a_schedule_on_the_need_by_date_proposes_nothing(published_po, supplier):
    result = h.record_ack(supplier, "ACK-1", split("1", ("60", NEED_BY), ("40", NEED_BY)))

    line = h.po_line(published_po, "1")
    assert result.exceptions == []
    assert (line.change_state, line.proposal, line.statuses()["ack"]) == ("none", {}, "accepted")
    assert result.record.header == inputs.ACK_ACCEPTED
    assert schedule_of(published_po, "1") == [(1, D("60"), NEED_BY), (2, D("40"), NEED_BY)]


def test_a_schedule_short_of_the_ordered_quantity_is_a_quantity_deviation(published_po, supplier):
    result = h.record_ack(supplier, "ACK-1", split("1", ("60", NEED_BY), ("30", NEED_BY)))

    (exc,) = result.exceptions
    assert exc.kind == "quantity_deviation"
    assert exc.summary == "PO-1000 line 1: quantity 90 instead of 100"
    assert h.po_line(published_po, "1").confirmed_quantity == D("90")


def test_a_stated_quantity_that_disagrees_with_the_schedule_is_refused_without_effect(published_po, supplier):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(
        acknowledgement_record,
        supplier=supplier,
        ack=h.ack("ACK-1", split("1", *THREE, quantity=D("120"))),
        source=h.source(),
    )

    assert error.code == "invalid"
    assert error.message == "line 1: the schedule lines add up to 100, but the line states a quantity of 120"
    assert (h.counts(), h.line_state(published_po)) == (before, lines_before)


def test_a_stated_quantity_that_agrees_with_the_schedule_is_accepted(published_po, supplier):
    h.record_ack(supplier, "ACK-1", split("1", ("60", NEED_BY), ("40", NEED_BY), quantity=D("100.00")))

    assert h.po_line(published_po, "1").confirmed_quantity == D("100")


def test_a_newer_acknowledgement_replaces_the_schedule_whole(published_po, supplier):
    h.record_ack(supplier, "ACK-1", split("1", *THREE))
    h.record_ack(supplier, "ACK-2", split("1", ("70", dt.date(2027, 3, 4)), ("30", dt.date(2027, 3, 6))))

    assert schedule_of(published_po, "1") == [(1, D("70"), dt.date(2027, 3, 4)), (2, D("30"), dt.date(2027, 3, 6))]
    assert h.po_line(published_po, "1").promised_date == dt.date(2027, 3, 4)
    assert ProcurementException.objects.open().count() == 1  # the first proposal's exception was superseded

    h.record_ack(supplier, "ACK-3", h.answer("1"))

    line = h.po_line(published_po, "1")
    assert schedule_of(published_po, "1") == []
    assert (line.promised_date, line.change_state, line.proposal) == (NEED_BY, "none", {})
    assert ProcurementException.objects.open().count() == 0


def test_a_hold_keeps_the_schedule_and_a_rejection_clears_it(published_po, supplier):
    h.record_ack(supplier, "ACK-1", split("1", ("60", NEED_BY), ("40", NEED_BY)))
    h.record_ack(supplier, "ACK-2", h.answer("1", inputs.LINE_HOLD))

    assert len(schedule_of(published_po, "1")) == 2

    h.record_ack(supplier, "ACK-3", h.answer("1", inputs.LINE_REJECT))

    assert schedule_of(published_po, "1") == []


def test_the_buyer_accepting_a_schedule_keeps_the_po_revision_and_the_schedule(published_po, supplier, buyer_source):
    result = h.record_ack(supplier, "ACK-1", split("1", *THREE))

    exception_accept(exception_id=result.exceptions[0].pk, source=buyer_source, note="fine by planning")

    line = h.po_line(published_po, "1")
    assert (line.change_state, line.proposal, line.statuses()["ack"]) == ("accepted", {}, "accepted")
    assert (line.need_by, line.promised_date, line.confirmed_quantity) == (NEED_BY, dt.date(2027, 2, 26), D("100"))
    assert PurchaseOrder.objects.get(pk=published_po.pk).revision == 0
    assert len(schedule_of(published_po, "1")) == 3
    assert ChangeRequest.objects.get().state == "accepted"
    assert ProcurementException.objects.get().state == "resolved"


def test_the_buyer_declining_a_schedule_clears_it(published_po, supplier, buyer_source):
    result = h.record_ack(supplier, "ACK-1", split("1", *THREE))

    exception_reject(exception_id=result.exceptions[0].pk, source=buyer_source, reason="we need it all on the 1st")

    line = h.po_line(published_po, "1")
    assert schedule_of(published_po, "1") == []
    assert (line.promised_date, line.statuses()["ack"]) == (None, "awaiting")


def test_a_price_proposal_accepted_into_a_revision_keeps_the_schedule(published_po, supplier, company):
    h.rule(company, "price", over_percent=D("5"), auto_accept=True)
    h.rule(company, "date", over_amount=D("3"), under_amount=D("5"), auto_accept=True)

    h.record_ack(
        supplier,
        "ACK-1",
        split("1", ("60", dt.date(2027, 2, 27)), ("40", dt.date(2027, 3, 3)), unit_price=D("10.20")),
    )

    line = h.po_line(published_po, "1")
    assert PurchaseOrder.objects.get(pk=published_po.pk).revision == 1
    assert (line.unit_price, line.need_by, line.promised_date) == (D("10.20"), NEED_BY, dt.date(2027, 2, 27))
    assert len(schedule_of(published_po, "1")) == 2


def test_a_buyer_change_to_the_line_clears_its_schedule(published_po, supplier, erp):
    h.record_ack(supplier, "ACK-1", split("1", ("60", NEED_BY), ("40", NEED_BY)))

    purchase_order_change(
        po=factories.po_input(company="ACME", supplier="BOLTS", plant="DET", revision=1, price=D("9.50")),
        source=erp,
    )

    assert schedule_of(published_po, "1") == []
    assert h.po_line(published_po, "1").statuses()["ack"] == "awaiting"


def test_the_buyers_po_page_shows_the_confirmed_schedule(published_po, supplier, admin_client):
    h.record_ack(supplier, "ACK-1", split("1", *THREE))

    page = admin_client.get(f"/admin/procurement/purchaseorder/{published_po.pk}/change/")

    assert page.status_code == 200
    assert "40 on 2027-02-26, 30 on 2027-03-02, 30 on 2027-03-10" in page.content.decode()
