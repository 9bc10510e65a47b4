"""A supplier's API body refused when it came in, replayed by a buyer from the documents console once
the cause is fixed: the document takes the new outcome, each replay is audited (who, when, the
outcome before and after), a second replay changes nothing, and no one reaches a document or a PO
that is not theirs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.models import WebhookSubscription
from gateway.actors import Actor
from notifications.models import OutboundMessage
from procurement import factories
from procurement.models import Acknowledgement, AuditEvent, InboundDocument, ProcurementException, PurchaseOrder
from procurement.services import NotFound, inbound_document_replay, purchase_order_publish
from workbench.tests.html import text

from .conftest import ack_body, all_counts

pytestmark = pytest.mark.django_db

ACKS = "/api/v1/acknowledgements/"


def replay(client, document: InboundDocument) -> str:
    response = client.post(reverse("workbench:inbound_replay", args=[document.pk]), follow=True)
    return text(response.content.decode())


def replays(document: InboundDocument) -> list[tuple[str, str, object, object]]:
    return [
        (event.action, event.actor_label, event.before, event.after)
        for event in AuditEvent.objects.filter(object_type="InboundDocument", object_id=str(document.pk)).order_by("id")
    ]


def told(document: InboundDocument) -> list[tuple[str, str]]:
    """What BOLTS' ``document.processed`` webhook was told of the document, in order."""
    payloads = OutboundMessage.objects.filter(event="document.processed", supplier__code="BOLTS").order_by("id")
    return [
        (p["state"], p["outcome"]) for p in payloads.values_list("payload", flat=True) if p["document"] == document.pk
    ]


@pytest.fixture
def refused_ack(owner, published_po, supplier) -> InboundDocument:
    """BOLTS answers revision 1 of PO-1000 before the ERP has sent it: refused as stale."""
    WebhookSubscription.objects.create(
        api_key_kind="supplier", supplier=supplier, url="https://bolts.example/hook", events=["document.processed"]
    )
    response = owner.post(ACKS, ack_body(po_revision=1))
    assert response.status_code == 409, response.content
    return InboundDocument.objects.get(channel="api")


@pytest.fixture
def revision_1(company, plant, supplier, erp):
    po = factories.po_input(company=company.code, supplier=supplier.code, plant=plant.code, revision=1)
    return purchase_order_publish(po=po, source=erp).record


@pytest.fixture
def other_buyer(db):
    other = factories.CompanyFactory(code="OTHER", name="Other Manufacturing")
    user = factories.BuyerFactory(username="other-buyer", email="buyer@other.example")
    factories.CompanyMembershipFactory(company=other, user=user)
    return user


def test_a_refused_body_is_placed_with_the_company_its_refusal_was_filed_under(refused_ack, company):
    assert (refused_ack.state, refused_ack.outcome_code, refused_ack.company_id, refused_ack.attempts) == (
        "refused",
        "stale_revision",
        company.pk,
        1,
    )


def test_a_refused_body_replayed_once_the_po_is_fixed_is_applied_and_shows_it(client, buyer, refused_ack, revision_1):
    client.force_login(buyer)

    said = replay(client, refused_ack)

    refused_ack.refresh_from_db()
    assert "Replayed: processed: applied." in said
    assert (refused_ack.state, refused_ack.outcome_code, refused_ack.error, refused_ack.attempts) == (
        "processed",
        "applied",
        "",
        2,
    )
    ack = Acknowledgement.objects.get()
    assert (ack.channel, ack.document_id, ack.po_revision, ack.inbound_document_id) == (
        "api",
        "ACK-1",
        1,
        refused_ack.pk,
    )
    assert PurchaseOrder.objects.get(number="PO-1000").status == "confirmed"
    assert told(refused_ack) == [("refused", "stale_revision"), ("processed", "applied")]
    (event,) = AuditEvent.objects.filter(action="document.replayed")
    assert (event.actor_id, event.actor_label, event.channel, event.company_id) == (
        buyer.pk,
        "buyer buyer",
        "workbench",
        revision_1.company_id,
    )
    assert event.occurred_at >= refused_ack.processed_at
    assert (event.before, event.after) == (
        {"state": "refused", "outcome": "stale_revision"},
        {"state": "processed", "outcome": "applied", "result": "processed: applied"},
    )


def test_a_second_replay_changes_nothing_and_says_so(client, buyer, refused_ack, revision_1):
    client.force_login(buyer)
    replay(client, refused_ack)
    refused_ack.refresh_from_db()
    after_first = (refused_ack.state, refused_ack.outcome_code, refused_ack.attempts, refused_ack.processed_at)
    before = all_counts()

    said = replay(client, refused_ack)

    refused_ack.refresh_from_db()
    assert "Replayed: processed: already applied, nothing done again." in said
    assert (refused_ack.state, refused_ack.outcome_code, refused_ack.attempts, refused_ack.processed_at) == after_first
    assert all_counts() == before
    assert [(action, b, a) for action, _, b, a in replays(refused_ack)][-1] == (
        "document.replayed",
        {"state": "processed", "outcome": "applied"},
        {"state": "processed", "outcome": "applied", "result": "processed: already applied, nothing done again"},
    )


def test_a_replay_before_the_cause_is_fixed_is_refused_again_and_audited(client, buyer, refused_ack):
    client.force_login(buyer)

    said = replay(client, refused_ack)

    refused_ack.refresh_from_db()
    why = (
        "acknowledgement ACK-1 answers revision 1 of PO-1000, which is at revision 0; acknowledge the current revision"
    )
    assert why in said
    assert (refused_ack.state, refused_ack.outcome_code, refused_ack.error, refused_ack.attempts) == (
        "refused",
        "stale_revision",
        why,
        2,
    )
    assert Acknowledgement.objects.count() == 0
    assert told(refused_ack) == [("refused", "stale_revision")]  # BOLTS knows it was refused: told once
    assert replays(refused_ack) == [
        (
            "document.replayed",
            "buyer buyer",
            {"state": "refused", "outcome": "stale_revision"},
            {"state": "refused", "outcome": "stale_revision", "error": why},
        )
    ]


def test_no_one_but_the_documents_companys_buyers_can_replay_it(
    client, refused_ack, revision_1, other_buyer, supplier_user, other_supplier_user, supplier, other_supplier
):
    url = reverse("workbench:inbound_replay", args=[refused_ack.pk])
    before = all_counts()

    client.force_login(other_buyer)
    assert client.post(url).status_code == 404
    for person in (supplier_user, other_supplier_user):  # the workbench is the buying company's staff's
        client.force_login(person)
        assert client.post(url).status_code == 403
    for who in (supplier, other_supplier):  # nor does the service replay anything for a supplier
        with pytest.raises(NotFound):
            inbound_document_replay(
                actor=Actor.for_supplier(supplier_id=who.pk, label=f"supplier {who.code}"),
                user=supplier_user,
                document_id=refused_ack.pk,
            )

    refused_ack.refresh_from_db()
    assert (refused_ack.state, refused_ack.attempts) == ("refused", 1)
    assert all_counts() == before
    assert AuditEvent.objects.filter(action="document.replayed").count() == 0


def test_another_suppliers_body_naming_this_suppliers_po_never_reaches_it(
    client, buyer, outsider, published_po, company, plant, other_supplier, erp
):
    # NUTS also sells to ACME, so its refusal is filed with ACME and its buyer sees the document.
    nuts_po = factories.po_input(company=company.code, supplier=other_supplier.code, plant=plant.code, number="PO-2000")
    purchase_order_publish(po=nuts_po, source=erp)
    assert outsider.post(ACKS, ack_body()).status_code == 422
    document = InboundDocument.objects.get(channel="api")
    assert (document.state, document.outcome_code, document.company_id) == ("refused", "unknown_po", company.pk)
    client.force_login(buyer)

    said = replay(client, document)

    document.refresh_from_db()
    assert "PO-1000 is not one of Nuts Ltd's orders" in said
    assert (document.state, document.outcome_code, document.attempts) == ("refused", "unknown_po", 2)
    assert Acknowledgement.objects.count() == 0
    assert PurchaseOrder.objects.get(number="PO-1000").status == published_po.status


def test_the_refusal_s_exception_is_cleared_by_the_replay_that_applies_it(client, buyer, refused_ack, revision_1):
    (refusal,) = ProcurementException.objects.filter(inbound_document=refused_ack)
    assert (refusal.state, refusal.resolution) == ("open", "")
    client.force_login(buyer)

    replay(client, refused_ack)

    refusal.refresh_from_db()
    assert (refusal.state, refusal.resolution, refusal.resolved_by_id, refusal.resolution_note) == (
        "resolved",
        "auto_cleared",
        buyer.pk,
        "The document was replayed and is now processed: applied.",
    )
    assert list(
        AuditEvent.objects.filter(object_type="ProcurementException", object_id=str(refusal.pk))
        .order_by("id")
        .values_list("action", "actor_id")
    ) == [("document.refused", None), ("exception.auto_cleared", buyer.pk)]


def test_a_replay_refused_again_leaves_the_refusal_s_exception_open(client, buyer, refused_ack):
    client.force_login(buyer)

    replay(client, refused_ack)

    refused_ack.refresh_from_db()
    assert refused_ack.state == "refused"
    assert list(ProcurementException.objects.filter(inbound_document=refused_ack).values_list("state", flat=True)) == [
        "open"
    ]
