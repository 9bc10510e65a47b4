"""Webhooks: which subscriptions an event goes to, how a delivery is signed, and when to give up.

The procurement services call these through ``settings.GATEWAY_WEBHOOKS`` (they never import a
channel): ``rows_for`` when they write outbox rows, ``signed_headers`` when the worker delivers
one, ``delivery_finished`` after each attempt.

Signature: ``Gateway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` with the
subscription's signing secret. Receivers recompute it over the raw body and reject a timestamp
more than five minutes old. Each delivery is also signed the Standard Webhooks way
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``), so a receiver can verify it with
that specification's libraries as they are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from procurement.models import OutboundMessage
from procurement.services.notify import outbound_message

from .models import WebhookSubscription

SIGNATURE_HEADER = "Gateway-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``webhook-signature`` as Standard Webhooks defines it: base64 HMAC-SHA256 of "<id>.<t>.<body>".

    The key is the secret after ``whsec_``, base64-decoded, which is what that specification's
    libraries do with any secret they are given.
    """
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(mac).decode()}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """What a receiver does: recompute the signature and check the timestamp is fresh."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def rows_for(*, event: str, supplier, payload: dict, supplier_payload: dict | None, key: str, source, po=None) -> list:
    """Outbox rows for every active subscription that wants ``event``.

    The supplier's own subscriptions get ``supplier_payload`` (what a supplier may see; skipped
    when None); the buyer's systems get the full ``payload``.
    """
    wanted = Q(api_key_kind="system")
    if supplier is not None and supplier_payload is not None:
        wanted |= Q(api_key_kind="supplier", supplier=supplier)
    rows = []
    subscriptions = [s for s in WebhookSubscription.objects.filter(wanted, active=True) if event in s.events]
    for subscription in subscriptions:
        body = payload if subscription.api_key_kind == "system" else supplier_payload
        row = outbound_message(
            kind=OutboundMessage.Kind.HTTP,
            event=event,
            destination=subscription.url,
            payload=body,
            idempotency_key=f"{key}:wh{subscription.pk}",
            source=source,
            supplier=subscription.supplier,
            po=po,
        )
        row.subscription_ref = subscription.pk
        rows.append(row)
    return rows


def signed_headers(message: OutboundMessage, body: bytes) -> dict[str, str]:
    subscription = WebhookSubscription.objects.filter(pk=message.subscription_ref).first()
    if subscription is None or not subscription.active:
        raise RuntimeError("the webhook subscription was removed or disabled")
    secret, timestamp = subscription.signing_secret, int(time.time())
    return {
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        # Standard Webhooks: the id is the delivery's idempotency key, the same on every attempt.
        "webhook-id": message.idempotency_key,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, message.idempotency_key, timestamp, body),
    }


def delivery_finished(message: OutboundMessage, succeeded: bool) -> None:
    """Count consecutive failures; after sustained failure disable the subscription and tell its owner."""
    if message.subscription_ref is None:
        return
    subscriptions = WebhookSubscription.objects.filter(pk=message.subscription_ref)
    if succeeded:
        subscriptions.exclude(consecutive_failures=0).update(consecutive_failures=0)
        return
    subscriptions.update(consecutive_failures=F("consecutive_failures") + 1)
    subscription = subscriptions.select_related("supplier").first()
    if subscription is None or not subscription.active:
        return
    if subscription.consecutive_failures < settings.GATEWAY_WEBHOOK_DISABLE_AFTER:
        return
    subscription.active = False
    subscription.disabled_at = timezone.now()
    subscription.disabled_reason = (
        f"{subscription.consecutive_failures} deliveries in a row failed: {message.last_error}"
    )
    subscription.save(update_fields=["active", "disabled_at", "disabled_reason"])
    owner = subscription.supplier.notify_email if subscription.supplier else settings.GATEWAY_OPERATIONS_EMAIL
    if owner:
        OutboundMessage.objects.bulk_create(
            [
                outbound_message(
                    kind=OutboundMessage.Kind.EMAIL,
                    event="webhook.disabled",
                    destination=owner,
                    payload={
                        "url": subscription.url,
                        "reason": subscription.disabled_reason,
                        "subscription": subscription.pk,
                    },
                    idempotency_key=f"webhook.disabled:{subscription.pk}:{subscription.disabled_at.isoformat()}",
                    source=_system_source(),
                    supplier=subscription.supplier,
                )
            ]
        )


def _system_source():
    from procurement.services import WriteSource

    return WriteSource(channel="system", label="webhook monitor")
