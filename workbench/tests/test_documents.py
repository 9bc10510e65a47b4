"""The documents console: replaying a stored EDI file (idempotent, audited), the four-eyes rule for
one that holds an invoice, resending an outbound message, and the list's filters and query count."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from edi.tests.test_filedrop import partner, partner_855  # noqa: F401  (the partner fixture)
from edi.tests.test_invoice_810 import partner_810
from notifications.models import OutboundMessage
from procurement import factories, inputs
from procurement.models import (
    Acknowledgement,
    AuditEvent,
    DocumentReplayRequest,
    InboundDocument,
    Invoice,
    PurchaseOrder,
)
from procurement.services import inbound_document_store

from .html import table_rows, text


def stored(partner, content: bytes) -> InboundDocument:  # noqa: F811
    return inbound_document_store(
        channel="edi",
        sender=partner.supplier.code,
        supplier=partner.supplier,
        company=partner.company,
        content=content,
        document_type="x12",
        filename="in.edi",
    )


@pytest.fixture
def ack_file(partner):  # noqa: F811
    return stored(partner, partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),)))


@pytest.fixture
def invoice_file(partner):  # noqa: F811
    return stored(partner, partner_810("247505"))


@pytest.fixture
def second_buyer(partner):  # noqa: F811
    user = factories.BuyerFactory(username="second-buyer", email="second@acme.example")
    factories.CompanyMembershipFactory(company=partner.company, user=user)
    return user


@pytest.fixture
def acme_buyer(partner):  # noqa: F811
    user = factories.BuyerFactory(username="buyer", email="buyer@acme.example")
    factories.CompanyMembershipFactory(company=partner.company, user=user)
    return user


def replayed_events(document: InboundDocument) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(object_type="InboundDocument", object_id=str(document.pk))
        .order_by("id")
        .values_list("action", "actor_label")
    )


def flash(response) -> str:
    return text(response.content.decode())


def test_replaying_an_acknowledgement_applies_it_once_and_audits_each_replay(client, acme_buyer, ack_file):
    client.force_login(acme_buyer)
    url = reverse("workbench:inbound_replay", args=[ack_file.pk])

    first = client.post(url, follow=True)
    second = client.post(url, follow=True)

    ack_file.refresh_from_db()
    assert ack_file.state == "processed"
    assert Acknowledgement.objects.count() == 1
    assert "Replayed: processed: 855 0001: applied." in flash(first)
    # The second run reads back what receiving the file did: nothing is applied again.
    assert "Replayed: processed: 855 0001: applied." in flash(second)
    assert replayed_events(ack_file) == [("document.replayed", "buyer buyer"), ("document.replayed", "buyer buyer")]
    befores = AuditEvent.objects.filter(action="document.replayed").order_by("id").values_list("before", flat=True)
    assert [b["state"] for b in befores] == ["received", "processed"]


def test_an_invoice_file_needs_a_second_buyer_to_approve_its_replay(client, acme_buyer, second_buyer, invoice_file):
    client.force_login(acme_buyer)
    detail = client.get(reverse("workbench:inbound_detail", args=[invoice_file.pk])).content.decode()
    assert "Request replay" in detail

    asked = client.post(
        reverse("workbench:inbound_replay", args=[invoice_file.pk]), {"reason": "fixed map"}, follow=True
    )
    again = client.post(reverse("workbench:inbound_replay", args=[invoice_file.pk]), {"reason": "again"}, follow=True)
    request = DocumentReplayRequest.objects.get()
    assert (request.state, request.reason, request.requested_by) == ("requested", "fixed map", acme_buyer)
    assert f"Replay requested (#{request.pk})" in flash(asked) and f"Replay requested (#{request.pk})" in flash(again)
    assert Invoice.objects.count() == 0

    own = client.post(reverse("workbench:replay_approve", args=[request.pk]), follow=True)
    assert "A second person must approve this replay: you asked for it." in flash(own)
    request.refresh_from_db()
    assert request.state == "requested" and Invoice.objects.count() == 0

    client.force_login(second_buyer)
    approved = client.post(reverse("workbench:replay_approve", args=[request.pk]), follow=True)
    twice = client.post(reverse("workbench:replay_approve", args=[request.pk]))

    request.refresh_from_db()
    invoice_file.refresh_from_db()
    assert (request.state, request.approved_by, request.outcome) == (
        "replayed",
        second_buyer,
        "processed: 810 0001: applied",
    )
    assert "Replay approved and run: processed: 810 0001: applied." in flash(approved)
    assert twice.status_code == 302
    assert Invoice.objects.count() == 1
    assert invoice_file.state == "processed"
    assert replayed_events(invoice_file) == [
        ("document.replay_requested", "buyer buyer"),
        ("document.replayed", "buyer second-buyer"),
    ]
    event = AuditEvent.objects.get(action="document.replayed")
    assert (event.after["requested_by"], event.after["approved_by"]) == (acme_buyer.pk, second_buyer.pk)


def test_an_invoice_cannot_be_replayed_straight_away(acme_buyer, invoice_file):
    from gateway.actors import Actor
    from procurement.services import InvalidAction, inbound_document_replay

    actor = Actor.for_buyer(company_ids={invoice_file.company_id}, label="buyer", user_id=acme_buyer.pk)
    with pytest.raises(InvalidAction, match="would change financial state"):
        inbound_document_replay(actor=actor, user=acme_buyer, document_id=invoice_file.pk)
    assert Invoice.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="InboundDocument").count() == 0


def test_a_request_without_a_reason_is_refused(client, acme_buyer, invoice_file):
    client.force_login(acme_buyer)

    response = client.post(reverse("workbench:inbound_replay", args=[invoice_file.pk]), {"reason": " "}, follow=True)

    assert "Say why the document should be replayed." in flash(response)
    assert DocumentReplayRequest.objects.count() == 0


def api_body(partner, document_type: str, body: dict | bytes) -> InboundDocument:  # noqa: F811
    """A supplier's body as the API stored it before a worker could apply it (placed with its company)."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return inbound_document_store(
        channel="api",
        sender="CASTINGS",
        supplier=partner.supplier,
        company=partner.company,
        content=content,
        document_type=document_type,
        content_type="application/json",
    )


API_ACK = {
    "document_id": "ACK-API-1",
    "po_number": "PO-4504",
    "header": "ACCEPTED",
    "lines": [{"line_no": "1", "response": "ACCEPT"}, {"line_no": "2", "response": "ACCEPT"}],
}
API_INVOICE = {
    "invoice_number": "INV-API-1",
    "po_number": "PO-4504",
    "invoice_date": "2027-02-25",
    "currency": "USD",
    "lines": [{"line_no": "1", "quantity": "1", "unit_price": "10.00"}],
}


def test_replaying_an_api_acknowledgement_applies_it_once_through_the_write_path(
    client,
    acme_buyer,
    partner,  # noqa: F811
):
    document = api_body(partner, "acknowledgement", API_ACK)
    client.force_login(acme_buyer)
    url = reverse("workbench:inbound_replay", args=[document.pk])

    first = client.post(url, follow=True)
    second = client.post(url, follow=True)

    document.refresh_from_db()
    ack = Acknowledgement.objects.get()
    assert (ack.channel, ack.document_id, ack.inbound_document_id) == ("api", "ACK-API-1", document.pk)
    assert document.state == "processed"
    assert "Replayed: processed: applied." in flash(first)
    assert "Replayed: processed: already applied, nothing done again." in flash(second)
    assert replayed_events(document) == [("document.replayed", "buyer buyer"), ("document.replayed", "buyer buyer")]
    # The write path's own audit names the replay and the buyer who ran it, on the API channel.
    recorded = AuditEvent.objects.get(action="acknowledgement.recorded")
    assert (recorded.channel, recorded.actor_label) == ("api", "replayed by buyer buyer")
    detail = client.get(reverse("workbench:inbound_detail", args=[document.pk])).content.decode()
    # Its timeline names the channel as people do: API, not the code "api".
    assert (
        f"<td>Acknowledgement recorded</td><td>replayed by buyer buyer</td><td>API</td>"
        f"<td>Acknowledgement {ack.pk} · api:CASTINGS:ACK-API-1</td>"
    ) in detail


def test_an_api_invoice_needs_a_second_buyer_to_approve_its_replay(
    client,
    acme_buyer,
    second_buyer,
    partner,  # noqa: F811
):
    document = api_body(partner, "invoice", API_INVOICE)
    client.force_login(acme_buyer)

    client.post(reverse("workbench:inbound_replay", args=[document.pk]), {"reason": "worker lost"})
    request = DocumentReplayRequest.objects.get()
    assert Invoice.objects.count() == 0
    client.force_login(second_buyer)
    approved = client.post(reverse("workbench:replay_approve", args=[request.pk]), follow=True)

    request.refresh_from_db()
    assert request.state == "replayed"
    assert Invoice.objects.get().invoice_number == "INV-API-1"
    assert f"Replay approved and run: {request.outcome}." in flash(approved)
    assert request.outcome.startswith("processed: ")


@pytest.mark.parametrize(
    ("document_type", "body", "why"),
    [
        ("purchase_order", b"{}", "A purchase_order body cannot be replayed from the workbench"),
        ("acknowledgement", b"\xff\xfe not json", "The stored body is not readable JSON (UnicodeDecodeError)."),
        ("acknowledgement", b"[" * 60 + b"]" * 60, "The stored body nests more than 32 levels deep."),
        ("acknowledgement", b'{"document_id": "A"}', "The stored body is not a valid acknowledgement:"),
    ],
)
def test_an_api_body_that_cannot_be_replayed_says_why_and_changes_nothing(
    client,
    acme_buyer,
    partner,  # noqa: F811
    document_type,
    body,
    why,
):
    document = api_body(partner, document_type, body)
    client.force_login(acme_buyer)

    response = client.post(reverse("workbench:inbound_replay", args=[document.pk]), follow=True)

    document.refresh_from_db()
    assert why in flash(response)
    assert document.state == "received"
    assert Acknowledgement.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="InboundDocument").count() == 0


def dead_message(po: PurchaseOrder, n: int = 1, state: str = "dead") -> OutboundMessage:
    now = timezone.now()
    return OutboundMessage.objects.create(
        kind="file",
        event="po.published",
        destination="castings",
        payload={"po": po.number},
        idempotency_key=f"test:{n}",
        supplier=po.supplier,
        po=po,
        state=state,
        attempts=5,
        max_attempts=5,
        next_attempt_at=now,
        created_at=now - dt.timedelta(minutes=n),
        last_error="connection refused",
    )


def test_resending_a_dead_letter_queues_it_again_and_audits_it(client, acme_buyer, partner, settings):  # noqa: F811
    message = dead_message(PurchaseOrder.objects.get(number="PO-4504"))
    client.force_login(acme_buyer)

    response = client.post(reverse("workbench:outbound_resend", args=[message.pk]), follow=True)

    message.refresh_from_db()
    assert (message.state, message.max_attempts) == ("pending", 5 + settings.GATEWAY_OUTBOX_MAX_ATTEMPTS)
    assert "The message is queued to be sent again." in flash(response)
    event = AuditEvent.objects.get(object_type="OutboundMessage")
    assert (event.action, event.actor_label, event.channel) == ("outbox.retried", "buyer buyer", "workbench")


def test_a_pending_message_is_not_resent(client, acme_buyer, partner):  # noqa: F811
    message = dead_message(PurchaseOrder.objects.get(number="PO-4504"), state="pending")
    client.force_login(acme_buyer)

    response = client.post(reverse("workbench:outbound_resend", args=[message.pk]), follow=True)

    assert f"outbound message {message.pk} is pending, not in the dead letter" in flash(response)
    assert AuditEvent.objects.filter(object_type="OutboundMessage").count() == 0


def test_the_list_filters_and_pages_in_a_constant_number_of_queries(client, acme_buyer, partner):  # noqa: F811
    for n in range(60):
        document = stored(partner, f"file {n}".encode())
        InboundDocument.objects.filter(pk=document.pk).update(
            state="rejected" if n % 3 == 0 else "processed", received_at=dt.datetime(2027, 1, 1 + n % 28, tzinfo=dt.UTC)
        )
    client.force_login(acme_buyer)

    with CaptureQueriesContext(connection) as first:
        page_one = client.get("/workbench/documents/?channel=edi")
    with CaptureQueriesContext(connection) as second:
        page_two = client.get("/workbench/documents/?channel=edi&page=2")
    rejected = client.get("/workbench/documents/?state=rejected&since=2027-01-01&until=2027-01-10")

    assert len(table_rows(page_one.content.decode())) == 50
    assert len(table_rows(page_two.content.decode())) == 10
    assert len(first.captured_queries) == len(second.captured_queries)
    # n % 3 == 0 and day 1 + n % 28 <= 10: n in 0, 3, 6, 9, 30, 33, 36, 57
    assert sorted(int(row[0]) for row in table_rows(rejected.content.decode())) == sorted(
        InboundDocument.objects.filter(state="rejected", received_at__day__lte=10).values_list("pk", flat=True)
    )
    assert len(table_rows(rejected.content.decode())) == 8
    assert re.search(r"60 documents received", text(page_one.content.decode()))


def test_the_list_shows_each_outcome_in_words(client, acme_buyer, partner):  # noqa: F811
    first = stored(partner, b"the same file")
    again = stored(partner, b"the same file")
    InboundDocument.objects.filter(pk=first.pk).update(state="processed", outcome_code="processed")
    InboundDocument.objects.filter(pk=again.pk).update(state="duplicate", outcome_code="duplicate_content")
    client.force_login(acme_buyer)

    page = client.get("/workbench/documents/").content.decode()

    assert sorted((int(row[0]), row[1], row[6]) for row in table_rows(page)) == [
        (first.pk, "EDI", "Applied"),
        (again.pk, "EDI", "Duplicate: same content already received"),
    ]
    assert "duplicate_content" not in page


def test_a_file_read_whose_sets_were_refused_is_not_called_applied(client, acme_buyer, partner):  # noqa: F811
    refused, partly, applied = (stored(partner, f"file {n}".encode()) for n in range(3))
    InboundDocument.objects.filter(pk=refused.pk).update(state="processed", outcome_code="refused")
    InboundDocument.objects.filter(pk=partly.pk).update(state="processed", outcome_code="partly_applied")
    InboundDocument.objects.filter(pk=applied.pk).update(state="processed", outcome_code="processed")
    client.force_login(acme_buyer)

    states = [
        re.findall(r"<dt>State</dt><dd>.*?</span>\s+(.*?)</dd>", page, re.S)
        for page in (
            client.get(reverse("workbench:inbound_detail", args=[d.pk])).content.decode()
            for d in (refused, partly, applied)
        )
    ]

    assert states == [
        ["Refused: nothing in it was applied"],
        ["Partly applied: some of its sets were refused"],
        ["Applied"],
    ]


def test_the_timeline_shows_the_replay(client, acme_buyer, ack_file):
    client.force_login(acme_buyer)
    client.post(reverse("workbench:inbound_replay", args=[ack_file.pk]))

    page = client.get(reverse("workbench:inbound_detail", args=[ack_file.pk])).content.decode()

    recorded = AuditEvent.objects.get(action="acknowledgement.recorded")
    assert recorded.object_type == "Acknowledgement"
    assert [(row[1], row[2], row[4], row[5]) for row in table_rows(page, "timeline")] == [
        (
            "Acknowledgement recorded",
            "partner CASTINGS",
            f"Acknowledgement {recorded.object_id} · {recorded.document_key}",
            "",
        ),
        ("Document replayed", "buyer buyer", f"Document {ack_file.pk}", "Was received, not yet applied; now applied"),
    ]
    assert re.findall(r"<h1>(.*?)</h1>", page) == [f"Document {ack_file.pk}: EDI (X12) file from CASTINGS"]
    assert re.findall(r"<dt>State</dt><dd>.*?</span>\s+(.*?)</dd>", page, re.S) == ["Applied"]


def test_a_replay_is_refused_when_the_sender_is_not_the_documents_supplier(acme_buyer, partner, ack_file):  # noqa: F811
    from edi.models import TradingPartner
    from edi.replays import interchange_file_replay
    from procurement.services import InvalidAction, WriteSource

    other = factories.SupplierFactory(code="FORGINGS")
    TradingPartner.objects.create(
        supplier=other, company=partner.company, isa_id="FORGINGS", gs_id="FORGINGS", folder="forgings"
    )
    # Filed under CASTINGS but recorded as sent by FORGINGS: replaying it for CASTINGS could apply
    # another partner's file to CASTINGS' orders.
    InboundDocument.objects.filter(pk=ack_file.pk).update(sender="FORGINGS")
    ack_file.refresh_from_db()

    with pytest.raises(InvalidAction) as refused:
        interchange_file_replay(ack_file, WriteSource("workbench", "buyer buyer", acme_buyer))

    assert refused.value.message == (
        f"Document {ack_file.pk} was sent as 'FORGINGS' but is filed under another supplier: "
        "which trading partner to replay it for is unclear."
    )
    assert Acknowledgement.objects.count() == 0


def test_a_replay_that_fails_leaves_the_request_waiting_says_why_and_audits_it(
    client, acme_buyer, second_buyer, invoice_file
):
    client.force_login(acme_buyer)
    client.post(reverse("workbench:inbound_replay", args=[invoice_file.pk]), {"reason": "fixed map"})
    request = DocumentReplayRequest.objects.get()
    # The file names a sender no trading partner of its supplier sends as: the replay cannot run.
    InboundDocument.objects.filter(pk=invoice_file.pk).update(sender="ELSEWHERE")

    client.force_login(second_buyer)
    failed = client.post(reverse("workbench:replay_approve", args=[request.pk]), follow=True)

    reason = f"Document {invoice_file.pk} has no trading partner to replay it for: no partner sends as 'ELSEWHERE'"
    assert f"The replay failed: {reason}. The request still awaits approval." in flash(failed)
    request.refresh_from_db()
    assert (request.state, request.approved_by, request.approved_at, request.outcome) == (
        "requested",
        None,
        None,
        f"failed: {reason}",
    )
    assert Invoice.objects.count() == 0
    assert replayed_events(invoice_file) == [
        ("document.replay_requested", "buyer buyer"),
        ("document.replay_failed", "buyer second-buyer"),
    ]
    assert AuditEvent.objects.get(action="document.replay_failed").after == {
        "request": request.pk,
        "approved_by": second_buyer.pk,
        "error": reason,
    }

    # Once the cause is fixed the same request is approved again and the document replayed.
    InboundDocument.objects.filter(pk=invoice_file.pk).update(sender=invoice_file.sender)
    approved = client.post(reverse("workbench:replay_approve", args=[request.pk]), follow=True)

    request.refresh_from_db()
    assert "Replay approved and run: processed: 810 0001: applied." in flash(approved)
    assert (request.state, request.approved_by, request.outcome) == (
        "replayed",
        second_buyer,
        "processed: 810 0001: applied",
    )
    assert Invoice.objects.count() == 1


def test_the_page_of_a_document_whose_payload_file_is_gone_says_so(client, acme_buyer, invoice_file):
    InboundDocument.objects.filter(pk=invoice_file.pk).update(store_path="store/00/gone")
    client.force_login(acme_buyer)

    response = client.get(reverse("workbench:inbound_detail", args=[invoice_file.pk]))

    assert response.status_code == 200
    page = text(response.content.decode())
    assert "Payload file missing: the stored file store/00/gone cannot be read" in page
    # Whether it moves money cannot be read either: a replay needs a second buyer.
    assert "Request replay" in page


def test_a_utf16_acknowledgement_shows_its_text_and_replays_with_one_buyer(client, acme_buyer, partner):  # noqa: F811
    content = partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),))
    document = stored(partner, content.decode().encode("utf-16"))
    client.force_login(acme_buyer)

    page = text(client.get(reverse("workbench:inbound_detail", args=[document.pk])).content.decode())

    assert "UTF-16 byte order mark: shown decoded as UTF-16, without the mark." in page
    assert text(content.decode()[:106]) in page
    assert "\ufffd" not in page
    assert "A replay runs the stored payload again" in page
    assert "Request replay" not in page


def test_the_list_shows_a_dropped_files_name(client, acme_buyer, ack_file):
    client.force_login(acme_buyer)

    (row,) = table_rows(client.get("/workbench/documents/?channel=edi").content.decode())

    assert row[:5] == [str(ack_file.pk), "EDI", "CASTINGS", "x12", "in.edi"]


@pytest.fixture
def globex_buyer(partner):  # noqa: F811
    """A buyer of GLOBEX, which buys from CASTINGS too (PO-7000)."""
    from procurement.services import WriteSource, purchase_order_publish

    globex = factories.CompanyFactory(code="GLOBEX")
    factories.PlantFactory(company=globex, code="SPR")
    po = factories.po_input(company="GLOBEX", supplier="CASTINGS", plant="SPR", number="PO-7000")
    purchase_order_publish(po=po, source=WriteSource(channel="system", label="GLOBEX ERP"))
    user = factories.BuyerFactory(username="globex-buyer", email="buyer@globex.example")
    factories.CompanyMembershipFactory(company=globex, user=user)
    return user


@pytest.fixture
def initech_buyer(db):
    """A buyer of INITECH, which does not buy from CASTINGS."""
    initech = factories.CompanyFactory(code="INITECH")
    user = factories.BuyerFactory(username="initech-buyer", email="buyer@initech.example")
    factories.CompanyMembershipFactory(company=initech, user=user)
    return user


def refused_api_body(partner, body: bytes) -> InboundDocument:  # noqa: F811
    """CASTINGS's body POSTed with its API key and refused before it named a PO."""
    from api.models import ApiKey

    _, secret = ApiKey.issue(kind="supplier", supplier=partner.supplier, name="CASTINGS integration", scope="write")
    response = Client().post(
        "/api/v1/acknowledgements/",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "refused-1"},
    )
    assert response.status_code == 400
    return InboundDocument.objects.get(channel="api")


def test_a_body_refused_before_it_names_a_po_is_shown_to_the_buyers_of_each_company_its_supplier_serves(
    client,
    acme_buyer,
    globex_buyer,
    initech_buyer,
    partner,  # noqa: F811
):
    document = refused_api_body(partner, b'{"document_id": "ACK-SECRET-4504", ')

    assert (document.company_id, document.state, document.outcome_code) == (None, "rejected", "malformed")
    for buyer in (acme_buyer, globex_buyer):
        client.force_login(buyer)
        listed = client.get(reverse("workbench:document_list"), {"direction": "in", "channel": "api"})
        detail = client.get(reverse("workbench:inbound_detail", args=[document.pk]))

        assert [row[:2] for row in table_rows(listed.content.decode())] == [[str(document.pk), "API"]]
        assert detail.status_code == 200
        page = text(detail.content.decode())
        assert "Unreadable: rejected (Malformed: could not be read)" in page
        assert "Detail JSON parse error - Expecting property name enclosed in double quotes" in page
        assert "35 bytes" in page
        # Which company it was meant for cannot be known: its content is not shown to either.
        assert "ACK-SECRET-4504" not in detail.content.decode()
        assert (
            "The payload is not shown: it could not be placed with one company, so it may concern another company "
            "CASTINGS sells to." in page
        )
        assert "It cannot be replayed here: ask CASTINGS to send it again." in page
        assert client.post(reverse("workbench:inbound_replay", args=[document.pk])).status_code == 404
    client.force_login(initech_buyer)
    assert client.get(reverse("workbench:inbound_detail", args=[document.pk])).status_code == 404
    listed = client.get(reverse("workbench:document_list"), {"direction": "in"})
    assert "No documents match" in text(listed.content.decode())
    document.refresh_from_db()
    assert (document.state, document.attempts) == ("rejected", 1)
    assert AuditEvent.objects.filter(object_type="InboundDocument").count() == 0
