"""What buyers do with exceptions, and the overdue-acknowledgement sweep."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import OutboundMessage
from procurement import factories, inputs
from procurement.models import AuditEvent, ChangeRequest, Invoice, PORevision, ProcurementException, PurchaseOrder
from procurement.services import (
    InvalidAction,
    NotFound,
    acknowledgements_overdue_raise,
    exception_accept,
    exception_assign,
    exception_dismiss,
    exception_reject,
    exceptions_clear,
    invoice_record,
    purchase_order_change,
    receipt_record,
    shipment_record,
)

from . import helpers as h
from .helpers import D


@pytest.fixture
def price_exception(published_po, supplier) -> ProcurementException:
    """Line 2 of PO-1000: the supplier proposes 11.00 instead of 10.00."""
    h.record_ack(supplier, "ACK-1", h.price("2", "11"))
    return ProcurementException.objects.get()


def _audit(action: str) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(action=action).values_list("actor", "actor_label", "channel", "correlation_id")
    )


BY_BUYER = ("buyer", "portal", "corr-buyer-0001")


# Assign -----------------------------------------------------------------------------------------


def test_assigning_puts_the_exception_in_progress_and_is_audited(price_exception, buyer, buyer_source):
    exc = exception_assign(exception_id=price_exception.pk, owner=buyer, source=buyer_source)

    assert (exc.state, exc.owner) == ("in_progress", buyer)
    assert ProcurementException.objects.get().state == "in_progress"
    assert _audit("exception.assigned") == [(buyer.pk, *BY_BUYER)]
    event = AuditEvent.objects.get(action="exception.assigned")
    assert (event.before, event.after, event.object_id) == (
        {"owner": None, "state": "open"},
        {"owner": buyer.pk, "state": "in_progress"},
        str(exc.pk),
    )

    exception_assign(exception_id=price_exception.pk, owner=buyer, source=buyer_source)
    assert AuditEvent.objects.filter(action="exception.assigned").count() == 1


# Accept -----------------------------------------------------------------------------------------


def test_accepting_a_proposal_publishes_it_as_a_new_revision(
    price_exception, published_po, supplier, buyer, buyer_source
):
    exc = exception_accept(exception_id=price_exception.pk, source=buyer_source, note="market price")

    assert (exc.state, exc.resolution, exc.resolution_note, exc.resolved_by) == (
        "resolved",
        "accepted",
        "market price",
        buyer,
    )
    cr = ChangeRequest.objects.get()
    assert (cr.state, cr.resulting_revision, cr.decided_by) == ("accepted", 1, buyer)
    revision = PORevision.objects.get(po=published_po, revision=1)
    assert (revision.source, revision.channel, revision.correlation_id) == (
        "supplier_proposal",
        "portal",
        "corr-buyer-0001",
    )
    assert h.num(revision.diff) == h.num([{"line": "2", "field": "unit_price", "from": "10", "to": "11"}])
    line = h.po_line(published_po, "2")
    assert (line.unit_price, line.revision, line.confirmed_price, line.proposal) == (D("11"), 1, D("11"), {})
    assert (line.ack_status, line.change_state) == ("accepted", "accepted")
    assert h.po_line(published_po, "1").revision == 0
    assert PurchaseOrder.objects.get(pk=published_po.pk).revision == 1
    told = OutboundMessage.objects.get(event="po.changed")
    assert (told.kind, told.destination, told.supplier, told.idempotency_key, told.correlation_id) == (
        "email",
        "orders@bolts.example",
        supplier,
        "po.changed:ACME:PO-1000:1:email",
        "corr-buyer-0001",
    )
    assert told.payload["po"]["lines"][1]["unit_price"] == "11"
    assert _audit("po.changed") == [(buyer.pk, *BY_BUYER)]
    assert _audit("exception.accepted") == [(buyer.pk, *BY_BUYER)]


def test_accepting_resolves_every_exception_of_the_same_proposal(published_po, supplier, buyer_source):
    h.record_ack(
        supplier,
        "ACK-1",
        h.answer("1", inputs.LINE_CHANGE_PRICE, unit_price=D("9"), promised_date=dt.date(2027, 3, 8)),
    )
    price, date = (ProcurementException.objects.get(kind=k) for k in ("price_deviation", "date_deviation"))
    assert price.change_request == date.change_request

    exception_accept(exception_id=date.pk, source=buyer_source)

    assert list(ProcurementException.objects.values_list("state", "resolution")) == [("resolved", "accepted")] * 2
    line = h.po_line(published_po, "1")
    assert (line.unit_price, line.need_by) == (D("9"), dt.date(2027, 3, 8))
    assert AuditEvent.objects.filter(action="exception.accepted").count() == 2


def test_accepting_a_rejected_line_cancels_it(published_po, supplier, buyer_source):
    h.record_ack(supplier, "ACK-1", h.answer("3", inputs.LINE_REJECT, raw_code="IR"))
    rejected = ProcurementException.objects.get()
    assert (rejected.kind, rejected.evidence) == ("rejected_line", {"raw_code": "IR"})

    exception_accept(exception_id=rejected.pk, source=buyer_source)

    line = h.po_line(published_po, "3")
    assert (line.cancelled, line.revision) == (True, 1)
    revision = PORevision.objects.get(po=published_po, revision=1)
    assert [line["line_no"] for line in revision.snapshot["lines"]] == ["1", "2"]
    assert revision.diff == [{"line": "3", "field": "line", "from": "open", "to": "cancelled"}]
    assert PurchaseOrder.objects.get(pk=published_po.pk).status == "confirmed"


def test_accepting_the_rejection_of_every_line_is_refused(published_po, supplier, buyer_source):
    po = h.publish(published_po.company, published_po.ship_to, supplier, number="PO-ONE", lines=1)
    h.record_ack(supplier, "ACK-1", header=inputs.ACK_REJECTED, po="PO-ONE")
    rejected = ProcurementException.objects.get()
    before, lines_before = h.counts(), h.line_state(po)

    with pytest.raises(InvalidAction) as info:
        exception_accept(exception_id=rejected.pk, source=buyer_source)

    assert info.value.message == "accepting this rejection would cancel every line of the PO; cancel the PO instead"
    assert h.counts() == before
    assert h.line_state(po) == lines_before
    assert ChangeRequest.objects.get().state == "proposed"
    assert ProcurementException.objects.get().state == "open"


def test_accepting_a_deviation_without_a_proposal_just_resolves_it(published_po, supplier, buyer_source):
    h.accept_all(supplier)
    shipment_record(supplier=supplier, shipment=h.asn("ASN-1", ("PO-1000", "1", "110")), source=h.source())
    over = ProcurementException.objects.get()
    before = h.counts()

    exc = exception_accept(exception_id=over.pk, source=buyer_source)

    assert (exc.state, exc.resolution) == ("resolved", "accepted")
    assert h.counts() == before | {"AuditEvent": before["AuditEvent"] + 1}
    assert PORevision.objects.filter(po=published_po).count() == 1


def test_accepting_invoice_variances_overrides_the_line_and_releases_the_invoice(published_po, supplier, buyer_source):
    h.accept_all(supplier)
    receipt_record(receipt=h.receipt("GR-1", ("1", "50")), source=h.source(channel="system"))
    record = invoice_record(supplier=supplier, invoice=h.invoice("INV-1", ("1", "100", "11")), source=h.source()).record
    price = ProcurementException.objects.get(kind="invoice_price_mismatch")
    quantity = ProcurementException.objects.get(kind="invoice_quantity_mismatch")

    exception_accept(exception_id=price.pk, source=buyer_source)

    assert Invoice.objects.get().match_status == "on_hold"  # the quantity still holds it
    assert h.po_line(published_po, "1").match_status == "overridden"

    exception_accept(exception_id=quantity.pk, source=buyer_source)

    record.refresh_from_db()
    assert record.match_status == "released"


# Reject -----------------------------------------------------------------------------------------


def test_rejecting_a_proposal_declines_it_and_tells_the_supplier_why(
    price_exception, published_po, supplier, buyer, buyer_source
):
    lines_before = h.line_state(published_po)

    exc = exception_reject(exception_id=price_exception.pk, source=buyer_source, reason="contract price holds")

    assert (exc.state, exc.resolution, exc.resolution_note, exc.resolved_by) == (
        "resolved",
        "rejected",
        "contract price holds",
        buyer,
    )
    cr = ChangeRequest.objects.get()
    assert (cr.state, cr.decided_by, cr.resulting_revision) == ("declined", buyer, None)
    line = h.po_line(published_po, "2")
    assert (line.unit_price, line.need_by, line.quantity, line.revision) == (D("10"), dt.date(2027, 3, 1), D("100"), 0)
    assert (line.change_state, line.proposal, line.ack_status) == ("declined", {}, "awaiting")
    assert PORevision.objects.filter(po=published_po).count() == 1
    assert [row for row in h.line_state(published_po) if row[0] != "2"] == [
        row for row in lines_before if row[0] != "2"
    ]
    told = OutboundMessage.objects.get(event="proposal.rejected")
    assert (told.kind, told.destination, told.supplier, told.po, told.idempotency_key) == (
        "email",
        "orders@bolts.example",
        supplier,
        published_po,
        f"exception.rejected:{exc.pk}:email",
    )
    assert told.payload == {
        "po": "PO-1000",
        "line": "2",
        "exception": exc.pk,
        "kind": "price_deviation",
        "what": "price 11.00 instead of 10.00",
        "reason": "contract price holds",
    }
    assert _audit("exception.rejected") == [(buyer.pk, *BY_BUYER)]


def test_rejecting_needs_a_reason(price_exception, published_po, buyer_source):
    before, lines_before = h.counts(), h.line_state(published_po)

    with pytest.raises(InvalidAction) as info:
        exception_reject(exception_id=price_exception.pk, source=buyer_source, reason="  ")

    assert info.value.message == "a rejection needs a reason the supplier can act on"
    assert h.counts() == before
    assert h.line_state(published_po) == lines_before
    assert ProcurementException.objects.get().state == "open"


def test_after_a_rejection_the_supplier_may_answer_again(price_exception, published_po, supplier, buyer_source):
    exception_reject(exception_id=price_exception.pk, source=buyer_source, reason="contract price holds")

    h.record_ack(supplier, "ACK-2", h.answer("2"))

    line = h.po_line(published_po, "2")
    assert (line.ack_status, line.unit_price) == ("accepted", D("10"))
    assert ProcurementException.objects.open().count() == 0


# Clear ------------------------------------------------------------------------------------------


def test_clearing_resolves_only_the_open_exceptions_of_that_kind_and_key(price_exception, erp):
    line_key = price_exception.dedup_key
    other_kind = ProcurementException.objects.create(
        **{f: getattr(price_exception, f) for f in ("company", "severity", "severity_rank", "due_at", "raised_at")},
        kind="quantity_deviation",
        dedup_key=f"{line_key}:quantity",
        summary="other kind, its key starting the same",
    )

    closed = exceptions_clear(
        company_id=price_exception.company_id,
        kind="price_deviation",
        dedup_key_prefix=line_key,
        reason="the supplier's price matches again",
        source=erp,
    )

    assert [exc.pk for exc in closed] == [price_exception.pk]
    price_exception.refresh_from_db()
    assert (price_exception.state, price_exception.resolution, price_exception.resolution_note) == (
        "resolved",
        "auto_cleared",
        "the supplier's price matches again",
    )
    assert ProcurementException.objects.get(pk=other_kind.pk).state == "open"
    assert list(
        AuditEvent.objects.filter(action="exception.auto_cleared").values_list("object_id", "channel", "correlation_id")
    ) == [(str(price_exception.pk), "system", "corr-erp-0001")]
    again = exceptions_clear(
        company_id=price_exception.company_id,
        kind="price_deviation",
        dedup_key_prefix=line_key,
        reason="the supplier's price matches again",
        source=erp,
    )
    assert again == []
    assert AuditEvent.objects.filter(action="exception.auto_cleared").count() == 1


def test_clearing_needs_a_reason(price_exception, erp):
    before = h.counts()

    with pytest.raises(InvalidAction) as info:
        exceptions_clear(
            company_id=price_exception.company_id,
            kind="price_deviation",
            dedup_key_prefix=price_exception.dedup_key,
            reason=" ",
            source=erp,
        )

    assert info.value.message == "clearing exceptions needs a reason"
    assert h.counts() == before
    assert ProcurementException.objects.get().state == "open"


# Dismiss ----------------------------------------------------------------------------------------


def test_dismissing_needs_a_reason_and_keeps_it(price_exception, buyer, buyer_source):
    before = h.counts()
    with pytest.raises(InvalidAction) as info:
        exception_dismiss(exception_id=price_exception.pk, source=buyer_source, reason="")
    assert info.value.message == "dismissing an exception needs a reason"
    assert h.counts() == before

    exc = exception_dismiss(exception_id=price_exception.pk, source=buyer_source, reason="known, agreed by phone")

    assert (exc.state, exc.resolution, exc.resolution_note, exc.resolved_by) == (
        "dismissed",
        "dismissed",
        "known, agreed by phone",
        buyer,
    )
    assert h.counts() == before | {"AuditEvent": before["AuditEvent"] + 1}
    assert _audit("exception.dismissed") == [(buyer.pk, *BY_BUYER)]


@pytest.mark.parametrize(
    "action",
    [
        lambda pk, src, buyer: exception_assign(exception_id=pk, owner=buyer, source=src),
        lambda pk, src, buyer: exception_accept(exception_id=pk, source=src),
        lambda pk, src, buyer: exception_reject(exception_id=pk, source=src, reason="no"),
        lambda pk, src, buyer: exception_dismiss(exception_id=pk, source=src, reason="again"),
    ],
    ids=["assign", "accept", "reject", "dismiss"],
)
def test_actions_on_a_closed_exception_are_invalid(price_exception, published_po, buyer, buyer_source, action):
    exception_dismiss(exception_id=price_exception.pk, source=buyer_source, reason="seen")
    before, lines_before = h.counts(), h.line_state(published_po)

    with pytest.raises(InvalidAction) as info:
        action(price_exception.pk, buyer_source, buyer)

    assert info.value.message == f"exception {price_exception.pk} is already dismissed"
    assert h.counts() == before
    assert h.line_state(published_po) == lines_before


def test_actions_on_a_missing_exception_are_not_found(db, buyer, buyer_source):
    with pytest.raises(NotFound):
        exception_assign(exception_id=424242, owner=buyer, source=buyer_source)
    with pytest.raises(NotFound):
        exception_accept(exception_id=424242, source=buyer_source)


def test_a_superseded_exception_cannot_be_acted_on(published_po, supplier, buyer_source):
    h.record_ack(supplier, "ACK-1", h.answer("1", inputs.LINE_HOLD))
    held = ProcurementException.objects.get()
    exception_assign(exception_id=held.pk, owner=buyer_source.actor, source=buyer_source)

    h.record_ack(supplier, "ACK-2", h.answer("1"))  # the supplier answers again: the hold is superseded

    with pytest.raises(InvalidAction):
        exception_dismiss(exception_id=held.pk, source=buyer_source, reason="late")
    assert ProcurementException.objects.get().resolution == "superseded"


# Overdue acknowledgements -----------------------------------------------------------------------


def _age(po: PurchaseOrder, hours: int) -> None:
    """Pretend ``po`` and its revisions were published ``hours`` ago."""
    past = timezone.now() - dt.timedelta(hours=hours)
    PurchaseOrder.objects.filter(pk=po.pk).update(published_at=past)
    PORevision.objects.filter(po=po).update(created_at=past)


def test_an_acknowledgement_is_not_overdue_before_its_due_time(published_po, erp):
    _age(published_po, 47)

    assert acknowledgements_overdue_raise(source=erp) == []
    assert ProcurementException.objects.count() == 0


def test_an_overdue_acknowledgement_is_raised_once(published_po, supplier, erp):
    _age(published_po, 49)

    raised = acknowledgements_overdue_raise(source=erp)
    again = acknowledgements_overdue_raise(source=erp)

    exc = ProcurementException.objects.get()
    assert raised == [exc]
    assert again == []
    assert (exc.kind, exc.severity, exc.dedup_key, exc.po, exc.supplier) == (
        "ack_overdue",
        "procurement_delay",
        f"ack_overdue:{published_po.pk}:0",
        published_po,
        supplier,
    )
    assert exc.evidence["revision"] == 0
    assert _audit("exception.raised") == [(None, "system ERP", "system", "corr-erp-0001")]


def test_a_dismissed_overdue_exception_is_not_raised_again(published_po, erp, buyer_source):
    _age(published_po, 49)
    exc = acknowledgements_overdue_raise(source=erp)[0]
    exception_dismiss(exception_id=exc.pk, source=buyer_source, reason="supplier called")

    assert acknowledgements_overdue_raise(source=erp) == []
    assert ProcurementException.objects.count() == 1


def test_an_acknowledged_order_is_never_overdue(published_po, supplier, erp):
    h.record_ack(supplier, "ACK-1", header=inputs.ACK_ACKNOWLEDGED)
    _age(published_po, 100)

    assert acknowledgements_overdue_raise(source=erp) == []


def test_the_company_sets_the_due_time(published_po, company, erp):
    company.ack_due_hours = 4
    company.save()
    _age(published_po, 5)

    assert [e.kind for e in acknowledgements_overdue_raise(source=erp)] == ["ack_overdue"]


def test_a_new_revision_restarts_the_clock_and_is_flagged_on_its_own(published_po, erp):
    _age(published_po, 49)
    assert len(acknowledgements_overdue_raise(source=erp)) == 1

    purchase_order_change(
        po=factories.po_input(company="ACME", supplier="BOLTS", plant="DET", revision=1, price=D("9")), source=erp
    )
    assert acknowledgements_overdue_raise(source=erp) == []

    _age(published_po, 49)
    raised = acknowledgements_overdue_raise(source=erp)
    assert [e.dedup_key for e in raised] == [f"ack_overdue:{published_po.pk}:1"]
    assert ProcurementException.objects.count() == 2


def test_after_rejecting_a_quantity_proposal_the_ordered_quantity_is_the_target(published_po, supplier, buyer_source):
    h.record_ack(supplier, "ACK-1", h.quantity("1", "80"))
    exception_reject(exception_id=ProcurementException.objects.get().pk, source=buyer_source, reason="we need all 100")

    result = shipment_record(supplier=supplier, shipment=h.asn("ASN-1", ("PO-1000", "1", "100")), source=h.source())

    assert result.exceptions == []
    line = h.po_line(published_po, "1")
    assert (line.ship_status, line.open_quantity) == ("shipped", D("0"))


def test_closing_leaves_an_exception_someone_else_closed_as_they_closed_it(price_exception, buyer_source):
    from procurement.services.closing import exceptions_close

    exception_dismiss(exception_id=price_exception.pk, source=buyer_source, reason="seen")
    before = h.counts()

    closed = exceptions_close(
        ProcurementException.objects.filter(pk=price_exception.pk),
        resolution="superseded",
        source=buyer_source,
        note="replaced",
        now=timezone.now(),
    )

    assert closed == []
    price_exception.refresh_from_db()
    assert (price_exception.state, price_exception.resolution) == ("dismissed", "dismissed")
    assert h.counts() == before


def test_deciding_changes_the_po_for_readers_syncing_by_updated_since(price_exception, published_po, buyer_source):
    stamped = PurchaseOrder.objects.get(pk=published_po.pk).updated_at

    exception_reject(exception_id=price_exception.pk, source=buyer_source, reason="Price as ordered, please.")

    assert PurchaseOrder.objects.get(pk=published_po.pk).updated_at > stamped
