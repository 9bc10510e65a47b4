"""purchase_order_publish and purchase_order_change: the buyer's side of the record."""

import dataclasses
import datetime as dt

import pytest

from notifications.models import OutboundMessage
from procurement import factories, inputs
from procurement.models import AuditEvent, ChangeRequest, Item, POLine, PORevision, ProcurementException, PurchaseOrder
from procurement.services import NotFound, purchase_order_change, purchase_order_publish
from suppliers.models import Supplier

from . import helpers as h
from .helpers import D


def _po(**kwargs) -> inputs.PurchaseOrderInput:
    defaults = {"company": "ACME", "supplier": "BOLTS", "plant": "DET", "buyer": "buyer"}
    return factories.po_input(**(defaults | kwargs))


def _revised(po: inputs.PurchaseOrderInput, revision: int, *, drop=(), add=(), **line_changes):
    """``po`` at ``revision``: lines in ``drop`` removed, ``add`` appended, ``line_changes`` {"2": {...}} applied."""
    lines = [
        dataclasses.replace(line, **line_changes.get(f"l{line.line_no}", {}))
        for line in po.lines
        if line.line_no not in drop
    ]
    return dataclasses.replace(po, revision=revision, lines=(*lines, *add))


def test_publishing_creates_the_order_its_lines_and_tells_the_supplier(company, plant, supplier, buyer, erp):
    result = purchase_order_publish(po=_po(), source=erp)

    order = result.record
    assert result.outcome == "applied"
    assert (order.number, order.revision, order.company, order.supplier, order.ship_to, order.buyer) == (
        "PO-1000",
        0,
        company,
        supplier,
        plant,
        buyer,
    )
    assert (order.currency, order.order_date, order.first_ack_at) == ("USD", dt.date(2027, 1, 15), None)
    lines = list(POLine.objects.filter(po=order).order_by("line_no"))
    assert [(ln.line_no, ln.item.part_number, ln.quantity, ln.uom, ln.unit_price, ln.need_by) for ln in lines] == [
        (str(n), f"PART-0000{n}", D("100"), "EA", D("10"), dt.date(2027, 3, 1)) for n in (1, 2, 3)
    ]
    assert Item.objects.filter(company=company).count() == 3
    revision = PORevision.objects.get(po=order)
    assert (revision.revision, revision.source, revision.channel, revision.correlation_id, revision.diff) == (
        0,
        "buyer",
        "system",
        "corr-erp-0001",
        [],
    )
    assert revision.snapshot == inputs.canonical_json(_po())
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label, event.channel, event.correlation_id, event.document_key) == (
        "po.published",
        "system ERP",
        "system",
        "corr-erp-0001",
        "ACME:PO-1000:0",
    )
    message = OutboundMessage.objects.get()
    assert (message.kind, message.event, message.destination, message.idempotency_key, message.state) == (
        "email",
        "po.published",
        "orders@bolts.example",
        "po.published:ACME:PO-1000:0:email",
        "pending",
    )
    assert (message.supplier, message.po, message.correlation_id) == (supplier, order, "corr-erp-0001")
    assert message.payload == {"po": inputs.canonical_json(_po())}
    assert order.status == "awaiting_acknowledgement"


def test_each_supplier_is_told_through_the_channel_it_trades_on(company, plant, edi_supplier, erp):
    quiet = factories.SupplierFactory(code="QUIET", channel=Supplier.Channel.API, notify_email="")
    edi_supplier.notify_email = "edi@gears.example"
    edi_supplier.save()
    purchase_order_publish(po=_po(supplier="GEARS", number="PO-E"), source=erp)
    purchase_order_publish(po=_po(supplier="QUIET", number="PO-Q"), source=erp)

    assert list(OutboundMessage.objects.order_by("id").values_list("kind", "destination", "idempotency_key")) == [
        ("file", "edi/GEARS/outbox", "po.published:ACME:PO-E:0:file"),
        ("email", "edi@gears.example", "po.published:ACME:PO-E:0:email"),
    ]
    assert not OutboundMessage.objects.filter(supplier=quiet).exists()


def test_publishing_the_same_order_again_is_a_duplicate(published_po, erp):
    before = h.counts()

    result = purchase_order_publish(po=_po(), source=erp)

    assert (result.outcome, result.record.pk) == ("duplicate", published_po.pk)
    assert h.counts() == before


def test_a_different_order_under_a_published_revision_is_a_conflict(published_po, erp):
    before, lines_before = h.counts(), h.line_state(published_po)
    different = _po(price=D("11"))

    error = h.refused(purchase_order_publish, po=different, source=erp)
    again = h.refused(purchase_order_publish, po=different, source=erp)

    assert error.code == "conflict"
    assert error.message == (
        "PO-1000 revision 0 differs from what was published under that revision (current revision 0); "
        "publish a higher revision to change it"
    )
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key, exc.po) == (
        "duplicate_document",
        f"po_conflict:{published_po.pk}:0:{inputs.fingerprint(different)}",
        published_po,
    )
    assert error.exception_id == again.exception_id == exc.pk
    # the exception raised once; each refusal audited on its own, both naming that exception
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 2}
    refused = AuditEvent.objects.filter(action="document.refused").order_by("pk")
    assert [(event.after["code"], event.after["exception"]) for event in refused] == [("conflict", exc.pk)] * 2
    assert h.line_state(published_po) == lines_before


@pytest.mark.parametrize(
    ("po", "message"),
    [
        (_po(lines=0), "PO-1000 has no lines"),
        (dataclasses.replace(_po(), lines=_po().lines[:1] * 2), "PO-1000 repeats a line number"),
        (_po(quantity=D("0")), "PO-1000 line 1: quantity must be positive"),
        (_po(price=D("-1")), "PO-1000 line 1: price cannot be negative"),
    ],
    ids=["no-lines", "repeated-line", "zero-quantity", "negative-price"],
)
def test_an_invalid_order_is_refused_without_effect(company, plant, supplier, erp, po, message):
    before = h.counts()

    error = h.refused(purchase_order_publish, po=po, source=erp)

    assert (error.code, error.message, error.exception_id) == ("invalid", message, None)
    assert h.counts() == before


@pytest.mark.parametrize(
    ("po", "code"),
    [
        (_po(company="NOPE"), "unknown_company"),
        (_po(supplier="NOPE"), "unknown_supplier"),
        (_po(plant="NOPE"), "unknown_plant"),
    ],
)
def test_unknown_parties_are_not_found(company, plant, supplier, erp, po, code):
    before = h.counts()

    with pytest.raises(NotFound) as info:
        purchase_order_publish(po=po, source=erp)

    assert info.value.code == code
    assert h.counts() == before


# Changes ------------------------------------------------------------------------------------


def test_a_change_publishes_a_revision_with_its_diff(published_po, supplier, erp):
    h.accept_all(supplier)
    added = inputs.POLineInput(
        line_no="4",
        part_number="PART-00004",
        quantity=D("5"),
        uom="EA",
        unit_price=D("2.50"),
        need_by=dt.date(2027, 4, 1),
    )
    change = _revised(_po(), 1, drop=("3",), add=(added,), l2={"unit_price": D("12")})

    result = purchase_order_change(po=change, source=erp)

    assert result.outcome == "applied"
    published_po.refresh_from_db()
    assert published_po.revision == 1
    revision = PORevision.objects.get(po=published_po, revision=1)
    assert (revision.source, revision.snapshot) == ("buyer", inputs.canonical_json(change))
    assert h.num(revision.diff) == h.num(
        [
            {"line": "2", "field": "unit_price", "from": "10", "to": "12"},
            {"line": "4", "field": "line", "from": None, "to": "added"},
            {"line": "3", "field": "line", "from": "open", "to": "cancelled"},
        ]
    )
    line1, line2, line3, line4 = (h.po_line(published_po, no) for no in "1234")
    assert (line1.revision, line1.ack_status) == (0, "accepted")  # unchanged: its answer stands
    assert (line2.revision, line2.unit_price, line2.ack_status, line2.confirmed_price) == (1, D("12"), "awaiting", None)
    assert (line3.revision, line3.cancelled) == (1, True)
    assert (line4.revision, line4.quantity, line4.item.part_number) == (1, D("5"), "PART-00004")
    assert published_po.status == "awaiting_acknowledgement"
    changed = OutboundMessage.objects.get(event="po.changed")
    assert changed.idempotency_key == "po.changed:ACME:PO-1000:1:email"
    assert changed.payload["previous_revision"] == 0
    assert h.num(changed.payload["diff"]) == h.num(revision.diff)
    event = AuditEvent.objects.get(action="po.changed")
    assert event.before == inputs.canonical_json(_po())
    assert event.after == inputs.canonical_json(change)


def test_publishing_a_higher_revision_is_a_change(published_po, erp):
    result = purchase_order_publish(po=_po(revision=1, price=D("9")), source=erp)

    assert (result.outcome, result.record.pk) == ("applied", published_po.pk)
    assert PORevision.objects.filter(po=published_po).count() == 2
    assert {line.unit_price for line in POLine.objects.filter(po=published_po)} == {D("9")}


def test_a_change_supersedes_pending_proposals_on_the_lines_it_changes(published_po, supplier, erp):
    h.record_ack(supplier, "ACK-1", h.price("1", "11"), h.price("2", "11"))

    purchase_order_change(po=_revised(_po(), 1, l1={"quantity": D("50")}), source=erp)

    changed = ProcurementException.objects.get(po_line__line_no="1")
    kept = ProcurementException.objects.get(po_line__line_no="2")
    assert (changed.state, changed.resolution, changed.resolution_note) == (
        "resolved",
        "superseded",
        "PO revision 1 changed the line",
    )
    assert kept.state == "open"
    assert list(ChangeRequest.objects.order_by("po_line__line_no").values_list("state", flat=True)) == [
        "superseded",
        "proposed",
    ]
    line1 = h.po_line(published_po, "1")
    assert (line1.quantity, line1.unit_price, line1.proposal, line1.change_state) == (D("50"), D("10"), {}, "none")


def test_the_same_change_twice_is_a_duplicate_and_a_different_one_a_conflict(published_po, erp):
    change = _revised(_po(), 1, l1={"quantity": D("50")})
    purchase_order_change(po=change, source=erp)
    before, lines_before = h.counts(), h.line_state(published_po)

    assert purchase_order_change(po=change, source=erp).outcome == "duplicate"
    assert h.counts() == before

    error = h.refused(purchase_order_change, po=_revised(_po(), 1, l1={"quantity": D("60")}), source=erp)
    assert error.code == "conflict"
    assert ProcurementException.objects.get().kind == "duplicate_document"
    assert h.line_state(published_po) == lines_before
    assert OutboundMessage.objects.count() == before["OutboundMessage"]


def test_changing_an_unknown_order_is_refused(company, plant, supplier, erp):
    before = h.counts()

    error = h.refused(purchase_order_change, po=_po(number="PO-404", revision=1), source=erp)

    assert (error.code, error.message) == ("unknown_po", "PO-404 is not known; publish it before changing it")
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key) == ("unknown_po", f"unknown_po:{company.pk}:PO-404")
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": 1}


def test_a_change_cannot_move_the_order_to_another_supplier(published_po, other_supplier, erp):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(purchase_order_change, po=_po(supplier="NUTS", revision=1), source=erp)

    assert (error.code, error.message) == ("invalid", "PO-1000 belongs to supplier BOLTS; a change cannot move it")
    assert h.counts() == before
    assert h.line_state(published_po) == lines_before
    assert PurchaseOrder.objects.get(pk=published_po.pk).supplier.code == "BOLTS"


def test_changing_an_order_of_an_unknown_company_is_not_found(published_po, erp):
    with pytest.raises(NotFound) as info:
        purchase_order_change(po=_po(company="NOPE", revision=1), source=erp)
    assert info.value.code == "unknown_company"


def test_a_change_to_an_unknown_ship_to_plant_is_refused(published_po, erp):
    before = h.counts()

    with pytest.raises(NotFound) as info:
        purchase_order_change(po=_po(revision=1, plant="NOPE"), source=erp)

    assert info.value.code == "unknown_plant"
    assert h.counts() == before


def test_a_change_of_buyer_is_applied(published_po, erp):
    planner = factories.BuyerFactory(username="planner", email="planner@acme.example")

    purchase_order_change(po=_po(revision=1, buyer="planner"), source=erp)

    revision = PORevision.objects.get(po=published_po, revision=1)
    assert revision.diff == [{"line": None, "field": "buyer", "from": "buyer", "to": "planner"}]
    assert PurchaseOrder.objects.get(pk=published_po.pk).buyer == planner
