"""A body sent with ``Transfer-Encoding: chunked`` (no ``Content-Length``) is read, stored and applied."""

import io
import json
import uuid

from django.test.client import ClientHandler, RequestFactory

from procurement.models import Acknowledgement, InboundDocument

from .conftest import ack_body

ACKS = "/api/v1/acknowledgements/"


def chunked_post(secret: str, path: str, raw: bytes | io.BytesIO, *, key: str | None = None):
    """A POST as gunicorn hands it on after decoding the chunks: the body in ``wsgi.input``, no CONTENT_LENGTH."""
    environ = RequestFactory()._base_environ(  # type: ignore[attr-defined]  # Django's own environ, private
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex,
    )
    environ["wsgi.input"] = raw if isinstance(raw, io.BytesIO) else io.BytesIO(raw)
    assert "CONTENT_LENGTH" not in environ
    return ClientHandler()(environ)


def test_a_chunked_body_is_stored_as_sent_and_applied(owner_key, published_po):
    raw = json.dumps(ack_body(), indent=1).encode()

    response = chunked_post(owner_key[1], ACKS, raw)

    assert response.status_code == 201, response.content
    document = InboundDocument.objects.get()
    assert json.loads(response.content) == {
        "outcome": "applied",
        "document": document.pk,
        "record": Acknowledgement.objects.get().pk,
        "exceptions": [],
    }
    assert (document.state, document.outcome_code, document.size) == ("processed", "applied", len(raw))
    assert bytes(document.content) == raw
    assert Acknowledgement.objects.get().po == published_po


def test_a_chunked_body_sent_again_under_its_key_replays_the_answer(owner_key, published_po):
    raw = json.dumps(ack_body()).encode()
    first = chunked_post(owner_key[1], ACKS, raw, key="chunked-1")

    again = chunked_post(owner_key[1], ACKS, raw, key="chunked-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert json.loads(again.content) == json.loads(first.content)
    assert InboundDocument.objects.count() == 1
    assert Acknowledgement.objects.count() == 1


def test_a_chunked_body_at_the_limit_is_read_whole(owner_key, published_po, settings):
    raw = json.dumps(ack_body()).encode()
    settings.GATEWAY_INBOUND_MAX_BYTES = len(raw)

    response = chunked_post(owner_key[1], ACKS, raw)

    assert response.status_code == 201, response.content
    assert bytes(InboundDocument.objects.get().content) == raw


def test_a_chunked_body_over_the_limit_is_refused_and_recorded_without_reading_the_rest(
    owner_key, published_po, settings
):
    settings.GATEWAY_INBOUND_MAX_BYTES = 200
    raw = json.dumps(ack_body(note="x" * 3000)).encode()
    stream = io.BytesIO(raw)

    response = chunked_post(owner_key[1], ACKS, stream)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    document = InboundDocument.objects.get()
    assert json.loads(response.content) == {
        "type": "https://gateway.example/problems/too-large",
        "title": "Payload too large",
        "status": 413,
        "detail": "payload of 201 bytes exceeds the limit of 200 bytes",
        "code": "too_large",
        "document": document.pk,
    }
    assert (document.state, document.outcome_code, document.size) == ("rejected", "too_large", 201)
    assert bytes(document.content) == b""
    assert stream.tell() == 201
    assert Acknowledgement.objects.count() == 0
