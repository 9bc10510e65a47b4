"""Webhooks: which subscriptions an event goes to, which secret signs a delivery, and when to give up.

``ApiConfig.ready()`` registers these with the outbox (``notifications.registry``), which the
procurement services and the delivery worker call without importing a channel: ``rows_for`` when
the write path announces an event, ``signing_secret`` when the worker signs a delivery,
``delivery_finished`` after each attempt.

How deliveries are signed, and how a receiver verifies them, is ``notifications.signing``;
``sign``, ``standard_signature`` and ``verify`` are re-exported here for the API's docs and tests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Subscriber:
    """What the fan-out needs of an active subscription, kept in the per-process cache."""

    pk: int
    api_key_kind: str
    supplier_id: int | None
    url: str
    events: frozenset[str]


# Active subscriptions per (supplier, companies at their webhooks_version): a company's version is
# bumped in the transaction that changes a subscription, so a key read with the company row never
# finds a list older than that row.
_cache: dict[tuple[int | None, tuple[tuple[int, int], ...]], list[_Subscriber]] = {}
_cache_lock = threading.Lock()
_CACHE_ENTRIES = 1000


def subscriptions_cache_clear() -> None:
    """Forget every cached subscription list (tests whose rolled-back rows reuse ids and versions)."""
    with _cache_lock:
        _cache.clear()


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
    versions: Mapping[int, int] | None = None,
) -> list[OutboundMessage]:
    """Outbox rows for every active subscription that wants ``event``.

    The supplier's own subscriptions get ``supplier_payload`` (what a supplier may see; skipped
    when None); the systems of the companies the event concerns get the full ``payload``.
    ``versions`` (each company's ``webhooks_version``, read in the caller's transaction) lets the
    subscriptions come from this process's cache instead of a query.
    """
    supplier_id = supplier.pk if supplier is not None and supplier_payload is not None else None
    rows = []
    for subscriber in _subscribers(supplier_id, company_ids, versions):
        if event not in subscriber.events:
            continue
        body = payload if subscriber.api_key_kind == "system" else supplier_payload
        if body is None:  # never: a supplier's subscriptions are chosen only when it has a payload to see
            continue
        row = outbound_message(
            kind=OutboundMessage.Kind.HTTP,
            event=event,
            destination=subscriber.url,
            payload=body,
            idempotency_key=f"{key}:wh{subscriber.pk}",
            source=source,
            po=po,
        )
        row.supplier_id = subscriber.supplier_id
        row.subscription_ref = subscriber.pk
        rows.append(row)
    return rows


def _subscribers(
    supplier_id: int | None, company_ids: Iterable[int], versions: Mapping[int, int] | None
) -> list[_Subscriber]:
    cache_key = None
    if versions is not None and isinstance(company_ids, set | frozenset) and company_ids <= versions.keys():
        cache_key = (supplier_id, tuple(sorted((pk, versions[pk]) for pk in company_ids)))
        with _cache_lock:
            hit = _cache.get(cache_key)
        if hit is not None:
            return hit
    wanted = Q(api_key_kind="system", company_id__in=company_ids)
    if supplier_id is not None:
        wanted |= Q(api_key_kind="supplier", supplier_id=supplier_id)
    found = [
        _Subscriber(s.pk, s.api_key_kind, s.supplier_id, s.url, frozenset(s.events))
        for s in WebhookSubscription.objects.filter(wanted, active=True).order_by("pk")
    ]
    if cache_key is not None:
        with _cache_lock:
            if len(_cache) >= _CACHE_ENTRIES:
                _cache.clear()
            _cache[cache_key] = found
    return found


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
    "subscriptions_cache_clear",
    "verify",
]
