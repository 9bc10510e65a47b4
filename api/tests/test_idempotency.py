"""Idempotency-Key on every POST, and the write path's own idempotency on document ids beneath it."""

import datetime as dt
import hashlib
import json

import pytest
from django.utils import timezone

from api.models import ApiKey, IdempotencyRecord
from notifications.models import OutboundMessage
from procurement.models import Acknowledgement, InboundDocument, ProcurementException

from .conftest import Api, ack_body, counts, price_change_ack

ACKS = "/api/v1/acknowledgements/"


def test_the_same_key_and_body_replays_the_first_response(owner, published_po):
    first = owner.post(ACKS, ack_body(), key="req-1")
    replay = owner.post(ACKS, ack_body(), key="req-1")

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert replay["Idempotent-Replayed"] == "true"
    # Answered from the record: no second payload stored, no second document applied.
    assert InboundDocument.objects.count() == 1
    assert Acknowledgement.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.key, record.method, record.path, record.status_code) == ("req-1", "POST", ACKS, 201)


def test_the_same_key_with_another_body_is_refused(owner, published_po):
    owner.post(ACKS, ack_body(), key="req-1")
    before = counts(InboundDocument, Acknowledgement, OutboundMessage, IdempotencyRecord)

    response = owner.post(ACKS, ack_body("ACK-2"), key="req-1")

    assert response.status_code == 422
    assert response.json() == {
        "type": "https://gateway.example/problems/idempotency-key-reused",
        "title": "Idempotency-Key reused",
        "status": 422,
        "detail": "The Idempotency-Key 'req-1' was used for a different request.",
        "code": "idempotency_key_reused",
    }
    assert counts(InboundDocument, Acknowledgement, OutboundMessage, IdempotencyRecord) == before


def test_the_same_key_on_another_endpoint_is_another_request(owner, published_po):
    owner.post(ACKS, ack_body(), key="req-1")

    response = owner.post("/api/v1/shipments/", ack_body(), key="req-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"


def test_keys_belong_to_one_api_key(owner, published_po, supplier):
    """A second integration of the same supplier may use the same Idempotency-Key for its own requests."""
    second = Api(ApiKey.issue(kind="supplier", supplier=supplier, name="BOLTS second system")[1])
    owner.post(ACKS, ack_body(), key="req-1")

    response = second.post(ACKS, ack_body(), key="req-1")

    # Not a replay of the first key's response: its own request, a duplicate document for the write path.
    assert (response.status_code, response.json()["outcome"]) == (200, "duplicate")
    assert "Idempotent-Replayed" not in response
    assert IdempotencyRecord.objects.count() == 2


def test_a_post_without_a_key_is_refused_before_anything_is_stored(owner, published_po):
    response = owner.post(ACKS, ack_body(), key=None)

    assert response.status_code == 400
    assert response.json() == {
        "type": "https://gateway.example/problems/idempotency-key-required",
        "title": "Idempotency-Key required",
        "status": 400,
        "detail": "Every POST needs an Idempotency-Key header.",
        "code": "idempotency_key_required",
    }
    assert counts(InboundDocument, Acknowledgement, IdempotencyRecord) == {
        "InboundDocument": 0,
        "Acknowledgement": 0,
        "IdempotencyRecord": 0,
    }


@pytest.mark.parametrize("key", ["k" * 256, "tab\there"])
def test_an_unusable_key_is_refused(owner, published_po, key):
    response = owner.post(ACKS, ack_body(), key=key)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert counts(InboundDocument, Acknowledgement, IdempotencyRecord) == {
        "InboundDocument": 0,
        "Acknowledgement": 0,
        "IdempotencyRecord": 0,
    }


def test_a_key_past_its_window_starts_afresh(owner, published_po, settings):
    owner.post(ACKS, ack_body(), key="req-1")
    record = IdempotencyRecord.objects.get()
    assert record.expires_at - record.created_at == dt.timedelta(hours=settings.GATEWAY_IDEMPOTENCY_HOURS)
    IdempotencyRecord.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    reused = owner.post(ACKS, ack_body("ACK-2"), key="req-1")

    assert reused.status_code == 201
    assert "Idempotent-Replayed" not in reused
    assert list(Acknowledgement.objects.order_by("id").values_list("document_id", flat=True)) == ["ACK-1", "ACK-2"]
    fresh = IdempotencyRecord.objects.get()
    assert fresh.pk != record.pk
    assert fresh.expires_at > timezone.now()


def test_a_request_still_running_under_the_key_is_409(owner, owner_key, published_po):
    raw = json.dumps(ack_body()).encode()
    IdempotencyRecord.objects.create(
        api_key=owner_key[0],
        key="req-1",
        method="POST",
        path=ACKS,
        request_hash=hashlib.sha256(b"POST" + ACKS.encode() + b"\n" + raw).hexdigest(),
        created_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )

    response = owner.post(ACKS, raw=raw, key="req-1")

    assert (response.status_code, response["Retry-After"]) == (409, "1")
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert InboundDocument.objects.count() == 0


def test_a_first_request_that_died_is_taken_over_by_a_retry(owner, published_po, settings):
    """The first request applied the acknowledgement and its process died before keeping the answer."""
    settings.GATEWAY_IDEMPOTENCY_STALE_SECONDS = 300
    raw = json.dumps(ack_body()).encode()
    assert owner.post(ACKS, raw=raw, key="req-1").status_code == 201
    record = IdempotencyRecord.objects.get()
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=None, response_body=None, created_at=timezone.now() - dt.timedelta(seconds=299)
    )

    still_running = owner.post(ACKS, raw=raw, key="req-1")
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - dt.timedelta(seconds=301))
    taken_over = owner.post(ACKS, raw=raw, key="req-1")
    replayed = owner.post(ACKS, raw=raw, key="req-1")
    other_body = owner.post(ACKS, ack_body(note="changed"), key="req-1")

    assert still_running.status_code == 409
    # The retry ran: the write path knew the document, so nothing was applied twice.
    assert (taken_over.status_code, taken_over.json()["outcome"]) == (200, "duplicate")
    assert Acknowledgement.objects.count() == 1
    assert list(InboundDocument.objects.order_by("id").values_list("state", flat=True)) == ["processed", "duplicate"]
    assert (replayed.status_code, replayed["Idempotent-Replayed"], replayed.json()) == (200, "true", taken_over.json())
    assert other_body.status_code == 422


def test_the_same_document_under_a_new_key_is_a_duplicate(owner, published_po):
    first = owner.post(ACKS, price_change_ack(), key="req-1")
    outbox = OutboundMessage.objects.count()

    again = owner.post(ACKS, price_change_ack(), key="req-2")

    assert again.status_code == 200
    assert again.json() == {
        "outcome": "duplicate",
        "document": InboundDocument.objects.latest("id").pk,
        "record": first.json()["record"],
        "exceptions": [],
    }
    assert Acknowledgement.objects.count() == 1
    assert ProcurementException.objects.count() == 1
    # A duplicate tells nobody anything new: only its own document.processed would go to subscribers (none here).
    assert OutboundMessage.objects.count() == outbox


def test_another_document_under_a_used_document_id_is_a_conflict(owner, published_po):
    owner.post(ACKS, ack_body(), key="req-1")

    conflict = owner.post(ACKS, price_change_ack("ACK-1"), key="req-2")

    assert conflict.status_code == 409
    exception = ProcurementException.objects.get()
    assert conflict.json() == {
        "type": "https://gateway.example/problems/conflict",
        "title": "Document refused",
        "status": 409,
        "detail": (
            "acknowledgement ACK-1 was already received with different content; send changes under a new document id"
        ),
        "code": "conflict",
        "exception": exception.pk,
    }
    assert (exception.kind, exception.state) == ("duplicate_document", "open")
    assert Acknowledgement.objects.get().fingerprint != ""
    assert list(Acknowledgement.objects.values_list("document_id", flat=True)) == ["ACK-1"]


def test_a_refusal_is_replayed_like_any_other_response(owner, published_po):
    owner.post(ACKS, ack_body(), key="req-1")
    first = owner.post(ACKS, price_change_ack("ACK-1"), key="req-2")

    retry = owner.post(ACKS, price_change_ack("ACK-1"), key="req-2")

    assert (first.status_code, retry.status_code) == (409, 409)
    assert retry.json() == first.json()
    assert retry.get("Idempotent-Replayed") == "true"
    assert InboundDocument.objects.count() == 2
