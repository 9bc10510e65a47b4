"""Webhooks: which subscriptions an event goes to, which secret signs a delivery, and when to give up.

``ApiConfig.ready()`` registers these with the outbox (``notifications.registry``), which the
procurement services and the delivery worker call without importing a channel: ``rows_for`` when
the write path announces an event, ``signing_secret`` when the worker signs a delivery,
``delivery_finished`` after each attempt.

How deliveries are signed, and how a receiver verifies them, is ``notifications.signing``;
``sign``, ``standard_signature`` and ``verify`` are re-exported here for the API's docs and tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from notifications import registry
from notifications.models import OutboundMessage
from notifications.signing import sign, standard_signature, verify
from procurement.services.notify import outbound_message

from .models import WebhookSubscription

if TYPE_CHECKING:
    from procurement.models import PurchaseOrder
    from procurement.services import WriteSource
    from suppliers.models import Supplier


def rows_for(
    *,
    event: str,
    supplier: Supplier | None,
    payload: dict,
    supplier_payload: dict | None,
    key: str,
    source: WriteSource,
    company_ids: Iterable[int],
    po: PurchaseOrder | None = None,
) -> list[OutboundMessage]:
    """Outbox rows for every active subscription that wants ``event``.

    The supplier's own subscriptions get ``supplier_payload`` (what a supplier may see; skipped
    when None); the systems of the companies the event concerns get the full ``payload``.
    """
    wanted = Q(api_key_kind="system", company_id__in=company_ids)
    if supplier is not None and supplier_payload is not None:
        wanted |= Q(api_key_kind="supplier", supplier=supplier)
    rows = []
    subscriptions = [s for s in WebhookSubscription.objects.filter(wanted, active=True) if event in s.events]
    for subscription in subscriptions:
        body = payload if subscription.api_key_kind == "system" else supplier_payload
        if body is None:  # never: a supplier's subscriptions are chosen only when it has a payload to see
            continue
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


def signing_secret(message: OutboundMessage) -> str:
    """The signing secret of the subscription ``message`` is delivered for; refuses a removed or
    disabled subscription (the attempt fails and is retried, then dead-lettered)."""
    subscription = (
        None
        if message.subscription_ref is None
        else WebhookSubscription.objects.filter(pk=message.subscription_ref).first()
    )
    if subscription is None or not subscription.active:
        raise RuntimeError("the webhook subscription was removed or disabled")
    return subscription.signing_secret


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


def _system_source() -> WriteSource:
    from procurement.services import WriteSource

    return WriteSource(channel="system", label="webhook monitor")


def outbox_hooks_register() -> None:
    """Plug the webhook fan-out and the delivery hooks into the outbox (from ``ApiConfig.ready()``)."""
    registry.webhook_fanout_register(rows_for)
    registry.delivery_hooks_register(signing_secret=signing_secret, finished=delivery_finished)


__all__ = [
    "delivery_finished",
    "outbox_hooks_register",
    "rows_for",
    "sign",
    "signing_secret",
    "standard_signature",
    "verify",
]
