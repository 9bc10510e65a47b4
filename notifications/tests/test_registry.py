"""The channels plug into the outbox through the registry: what they register, and the outbox without them."""

import json

import pytest
import standardwebhooks
from django.conf import settings
from django.utils import timezone

from api import webhooks
from api.models import WebhookSubscription
from edi import outbound
from notifications import registry, signing
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from procurement.tests import helpers as h


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_the_channels_register_themselves_when_django_starts():
    assert {event: registry.file_renderer(event) for event in ("po.published", "po.changed")} == {
        "po.published": outbound.render_po_or_json,
        "po.changed": outbound.render_po_or_json,
    }
    assert [registry.file_renderer(event) for event in ("x12.997", "x12.999", "x12.ta1")] == [
        outbound.render_stored
    ] * 3
    assert registry.file_renderer("proposal.rejected") is None  # written as JSON
    assert registry.webhook_fanout() is webhooks.rows_for
    assert registry.delivery_hooks() == registry.DeliveryHooks(
        signing_secret=webhooks.signing_secret, finished=webhooks.delivery_finished
    )


def test_a_kept_registry_is_restored_and_an_empty_one_starts_bare():
    def mine(message):
        raise AssertionError("not called")

    with registry.registry_kept():
        registry.file_renderer_register("x12.997", mine)
        assert registry.file_renderer("x12.997") is mine
    assert registry.file_renderer("x12.997") is outbound.render_stored

    with registry.registry_kept(empty=True):
        assert (registry.file_renderer("po.published"), registry.webhook_fanout(), registry.delivery_hooks()) == (
            None,
            None,
            None,
        )
    assert registry.webhook_fanout() is webhooks.rows_for


def test_without_a_webhook_fanout_the_write_path_writes_no_webhook_rows(company, plant, supplier, erp):
    WebhookSubscription.objects.create(
        api_key_kind="system",
        system_name="ERP",
        company=company,
        url="https://erp.acme.example/hooks",
        events=["po.published"],
    )
    with registry.registry_kept(empty=True):
        h.publish(company, plant, supplier, number="PO-R1")
    h.publish(company, plant, supplier, number="PO-R2")

    rows = OutboundMessage.objects.order_by("id").values_list("payload__po__number", "kind")
    assert list(rows) == [("PO-R1", "email"), ("PO-R2", "http"), ("PO-R2", "email")]


def _webhook_message(
    url: str, subscription_ref: int | None, key: str = "po.published:ACME:PO-S1:0:wh7"
) -> OutboundMessage:
    now = timezone.now()
    return OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.HTTP,
        event="po.published",
        destination=url,
        payload={"po": {"number": "PO-S1"}},
        idempotency_key=key,
        max_attempts=settings.GATEWAY_OUTBOX_MAX_ATTEMPTS,
        next_attempt_at=now,
        created_at=now,
        subscription_ref=subscription_ref,
    )


def test_a_webhook_delivery_is_signed_with_the_secret_its_hook_gives_and_reported(db, notification_registry):
    secret = "whsec_" + "A" * 43
    asked, finished = [], []

    def signing_secret(message):
        asked.append(message.pk)
        return secret

    notification_registry.delivery_hooks_register(
        signing_secret=signing_secret, finished=lambda message, ok: finished.append((message.pk, ok))
    )
    with h.WebhookServer([200]) as server:
        message = _webhook_message(server.url, subscription_ref=7)
        assert outbox_message_deliver(message_id=message.pk) == "delivered"

    (request,) = server.requests
    raw = json.dumps(request["body"], sort_keys=True).encode()
    headers = request["headers"]
    assert signing.verify(secret, headers["gateway-signature"], raw)
    assert not signing.verify(secret, headers["gateway-signature"], raw.replace(b"PO-S1", b"PO-S2"))
    assert headers["webhook-id"] == "po.published:ACME:PO-S1:0:wh7"
    assert standardwebhooks.Webhook(secret).verify(raw, headers) == request["body"]
    assert (asked, finished) == ([message.pk], [(message.pk, True)])


def test_a_delivery_without_a_subscription_or_without_hooks_goes_out_unsigned(db, notification_registry):
    with h.WebhookServer([200]) as server:
        plain = _webhook_message(server.url, subscription_ref=None, key="plain")
        assert outbox_message_deliver(message_id=plain.pk) == "delivered"
        with registry.registry_kept(empty=True):
            bare = _webhook_message(server.url, subscription_ref=7, key="bare")
            assert outbox_message_deliver(message_id=bare.pk) == "delivered"

    assert [sorted(k for k in r["headers"] if "signature" in k) for r in server.requests] == [[], []]


def test_a_signature_verifies_only_fresh_and_unaltered():
    headers = signing.signed_headers("whsec_" + "B" * 43, "key-1", b'{"a":1}', timestamp=1_800_000_000)

    assert headers["webhook-timestamp"] == "1800000000"
    assert headers["Gateway-Signature"].startswith("t=1800000000,v1=")
    verify = signing.verify
    assert verify("whsec_" + "B" * 43, headers["Gateway-Signature"], b'{"a":1}', now=1_800_000_300)
    assert not verify("whsec_" + "B" * 43, headers["Gateway-Signature"], b'{"a":1}', now=1_800_000_301)
    assert not verify("whsec_" + "C" * 43, headers["Gateway-Signature"], b'{"a":1}', now=1_800_000_000)
    assert not verify("whsec_" + "B" * 43, "t=nonsense", b'{"a":1}')
