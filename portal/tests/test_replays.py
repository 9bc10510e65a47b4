"""A buyer replays a stored portal form from the documents console: the same form rebuilt for the
same supplier and PO, applied as the person who sent it, once; never another supplier's PO; an
invoice only with a second buyer's approval; an old or orphaned form refused with the reason."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from portal.submit import FORM_KEY, form_store
from portal.views.acknowledge import po_context
from procurement import factories
from procurement.models import (
    Acknowledgement,
    AuditEvent,
    DocumentReplayRequest,
    InboundDocument,
    Invoice,
    POLine,
    PurchaseOrder,
    Shipment,
)
from procurement.services import inbound_document_store, purchase_order_publish
from suppliers.models import SupplierMembership
from workbench.tests.html import text

from .helpers import TOKEN, ack_post, formset, written

pytestmark = pytest.mark.django_db

LINES: dict[str, dict] = {"1": {}, "2": {}, "3": {}}


def replay(client, document: InboundDocument, **data) -> str:
    response = client.post(reverse("workbench:inbound_replay", args=[document.pk]), data, follow=True)
    return text(response.content.decode())


def stored_form(user, supplier, po, document_type: str, data: dict, company) -> InboundDocument:
    """A form as the page stores it before anything reads it (``form_store``), never applied."""
    request = RequestFactory().post("/portal/", data)
    request.user = user
    return form_store(request, supplier, document_type, company=company, form=document_type, **po_context(po))


def audit(document: InboundDocument) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(object_type="InboundDocument", object_id=str(document.pk))
        .order_by("id")
        .values_list("action", "actor_label")
    )


@pytest.fixture
def second_buyer(company):
    user = factories.BuyerFactory(username="second-buyer", email="second@acme.example")
    factories.CompanyMembershipFactory(company=company, user=user)
    return user


def test_an_acknowledgement_refused_then_fixed_is_replayed_once_as_its_sender(
    client, supplier_user, buyer, published_po, company, plant, supplier, erp
):
    client.force_login(supplier_user)
    url = f"/portal/orders/{published_po.pk}/acknowledge/"
    # The supplier answers revision 1, which the ERP has not yet sent: refused. Sent again, the same.
    client.post(url, ack_post(LINES, revision=1))
    client.post(url, ack_post(LINES, revision=1, **{FORM_KEY: '{"form": "invoice", "user": 1}'}))
    first, again = InboundDocument.objects.order_by("pk")
    assert [(d.state, d.outcome_code, d.company_id) for d in (first, again)] == [
        ("refused", "stale_revision", company.pk),
        ("refused", "stale_revision", company.pk),
    ]
    # A posted field named like the reserved key is dropped: the page's own context is what is kept.
    with again.open_payload() as payload:
        kept = json.loads(payload.read())[FORM_KEY]
    assert kept == {"form": "acknowledgement", "user": supplier_user.pk, "company_code": "ACME", "po_number": "PO-1000"}
    po = factories.po_input(company=company.code, supplier=supplier.code, plant=plant.code, revision=1)
    purchase_order_publish(po=po, source=erp)

    client.force_login(buyer)
    replayed = replay(client, first)
    twice = replay(client, first)
    duplicate = replay(client, again)

    first.refresh_from_db()
    again.refresh_from_db()
    ack = Acknowledgement.objects.get()
    assert (ack.channel, ack.document_id, ack.inbound_document_id, ack.po_revision) == (
        "portal",
        f"portal-{TOKEN}",
        first.pk,
        1,
    )
    assert (first.state, again.state) == ("processed", "duplicate")
    assert "Replayed: processed: applied." in replayed
    assert "Replayed: processed: already applied, nothing done again." in twice
    assert "Replayed: duplicate: duplicate." in duplicate
    assert PurchaseOrder.objects.get().status == "confirmed"
    befores = AuditEvent.objects.filter(action="document.replayed", object_id=str(first.pk)).order_by("id")
    assert [event.before for event in befores] == [
        {"state": "refused", "outcome": "stale_revision"},
        {"state": "processed", "outcome": "applied"},
    ]
    assert audit(first) == [("document.replayed", "buyer buyer"), ("document.replayed", "buyer buyer")]
    recorded = AuditEvent.objects.get(action="acknowledgement.recorded")
    assert (recorded.channel, recorded.actor_label, recorded.actor_id) == (
        "portal",
        "user bolts-user (replayed by buyer buyer)",
        supplier_user.pk,
    )


def test_a_form_naming_another_suppliers_po_reaches_nothing(
    client, buyer, published_po, company, other_supplier, other_supplier_user
):
    # A NUTS person's stored form that names BOLTS' PO-1000: looked up among NUTS' orders, not found.
    document = stored_form(
        other_supplier_user, other_supplier, published_po, "acknowledgement", ack_post(LINES), company
    )
    before = written()
    client.force_login(buyer)

    said = replay(client, document)

    document.refresh_from_db()
    assert "PO PO-1000 is not one of this supplier's orders." in said
    assert document.state == "received"
    assert written() | {"AuditEvent": before["AuditEvent"]} == before
    assert Acknowledgement.objects.count() == 0


@pytest.mark.parametrize("case", ["old", "left"])
def test_a_form_that_cannot_be_rebuilt_or_whose_sender_left_is_refused_with_the_reason(
    client, buyer, published_po, company, supplier, supplier_user, case
):
    if case == "old":  # stored before the portal kept which form and PO it was for
        fields = {key: [value] for key, value in ack_post(LINES).items()}
        document = inbound_document_store(
            channel="portal",
            sender=supplier.code,
            content=json.dumps(fields).encode(),
            supplier=supplier,
            company=company,
            document_type="acknowledgement",
            content_type="application/json",
        )
        why = "This form was stored before the portal kept which form and PO it was for"
    else:
        document = stored_form(supplier_user, supplier, published_po, "acknowledgement", ack_post(LINES), company)
        SupplierMembership.objects.filter(user=supplier_user).update(active=False)
        why = "The person who sent this form no longer acts for the supplier"
    before = written()
    client.force_login(buyer)

    said = replay(client, document)

    document.refresh_from_db()
    assert why in said
    assert (document.state, document.outcome_code) == ("received", "")
    assert written() == before


def test_a_portal_invoice_is_replayed_only_when_a_second_buyer_approves(
    client, buyer, second_buyer, published_po, company, supplier, supplier_user
):
    line = POLine.objects.get(po=published_po, line_no="1")
    data = {"invoice_number": "INV-1", "purpose": "invoice", "invoice_date": "2027-03-10"} | formset(
        "form", [{"line_id": line.pk, "include": "on", "quantity": "40", "unit_price": "10"}]
    )
    document = stored_form(supplier_user, supplier, published_po, "invoice", data, company)
    client.force_login(buyer)

    straight = replay(client, document)
    assert "This document would change financial state" in straight
    replay(client, document, reason="the page timed out")
    request = DocumentReplayRequest.objects.get()
    assert Invoice.objects.count() == 0
    client.force_login(second_buyer)
    approved = client.post(reverse("workbench:replay_approve", args=[request.pk]), follow=True)

    request.refresh_from_db()
    document.refresh_from_db()
    invoice = Invoice.objects.get()
    assert (invoice.channel, invoice.invoice_number, invoice.inbound_document_id) == ("portal", "INV-1", document.pk)
    assert (request.state, document.state) == ("replayed", "processed")
    assert f"Replay approved and run: {request.outcome}." in text(approved.content.decode())
    assert audit(document) == [
        ("document.replay_requested", "buyer buyer"),
        ("document.replayed", "buyer second-buyer"),
    ]


def test_a_stored_ship_notice_is_rebuilt_for_its_ship_to_and_applied_once(
    client, buyer, published_po, company, plant, supplier, supplier_user
):
    line = POLine.objects.get(po=published_po, line_no="1")
    data = {
        "ship_to": str(plant.pk),
        "token": TOKEN,
        "shipment_id": "ASN-100",
        "ship_date": "2027-02-20",
        "carrier": "UPS",
        "tracking_number": "1Z999",
        "action": "submit",
    } | formset("form", [{"line_id": line.pk, "ship": "on", "quantity": "40"}])
    request = RequestFactory().post("/portal/ship-notices/new/", data)
    request.user = supplier_user
    document = form_store(request, supplier, "shipment", company=company, form="shipment", ship_to=plant.pk)
    client.force_login(buyer)

    said = replay(client, document)
    again = replay(client, document)

    document.refresh_from_db()
    shipment = Shipment.objects.get()
    assert (shipment.shipment_id, shipment.channel, shipment.inbound_document_id) == ("ASN-100", "portal", document.pk)
    assert list(shipment.lines.values_list("po_line__line_no", "quantity")) == [("1", Decimal("40"))]
    assert document.state == "processed"
    assert "Replayed: processed: applied." in said
    assert "Replayed: processed: already applied, nothing done again." in again
