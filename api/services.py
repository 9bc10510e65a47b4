"""Writes to the REST channel's own state: webhook subscriptions and the redelivery of their dead letters.

Each is one transaction that leaves one audit event saying who did it (the key's label), through
which channel and under which correlation id, with the subscription before and after. A call that
changes nothing (enabling a subscription that is already on, redelivering when nothing matches)
writes no event. The signing secret is never written anywhere, the audit trail included: a
rotation records the fact, not the secret.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from notifications.models import OutboundMessage
from procurement.services import WriteSource, outbox_message_retry
from procurement.services.audit import audit_event, audit_write

from .models import ApiKey, WebhookSubscription

# Dead letters redelivered per call: enough to drain an outage in a few calls, few enough for one transaction.
REDELIVER_BATCH = 500


@dataclass(frozen=True)
class Redelivered:
    """What a bulk redelivery did: the deliveries queued again, and how many that match are left."""

    ids: list[int]
    remaining: int


def _state(subscription: WebhookSubscription) -> dict[str, Any]:
    """What a subscription is, as the audit trail records it (never its secret)."""
    return {
        "url": subscription.url,
        "events": list(subscription.events),
        "active": subscription.active,
        "consecutive_failures": subscription.consecutive_failures,
        "disabled_at": subscription.disabled_at,
        "disabled_reason": subscription.disabled_reason,
    }


def _audit(*, source: WriteSource, action: str, subscription: WebhookSubscription, before: Any, after: Any) -> None:
    audit_write(
        [
            audit_event(
                source=source,
                action=action,
                obj=subscription,
                company=subscription.company,
                before=before,
                after=after,
            )
        ]
    )


@transaction.atomic
def webhook_subscription_create(
    *, key: ApiKey, url: str, events: Iterable[str], source: WriteSource
) -> WebhookSubscription:
    """Subscribe ``key``'s owner (its supplier, or its system) to ``events`` at ``url``. Audited.

    ``url`` and ``events`` are already validated (the API's ``WebhookIn``); events are kept once
    each, sorted. Not idempotent by itself: the API's Idempotency-Key makes a retry replay.
    """
    subscription = WebhookSubscription.objects.create(
        api_key_kind=key.kind,
        supplier=key.supplier,
        system_name=key.system_name,
        company=key.company,
        url=url,
        events=sorted(set(events)),
    )
    _audit(
        source=source,
        action="webhook_subscription.created",
        subscription=subscription,
        before=None,
        after=_state(subscription),
    )
    return subscription


@transaction.atomic
def webhook_subscription_secret_rotate(
    *, subscription: WebhookSubscription, source: WriteSource
) -> WebhookSubscription:
    """A new signing secret for ``subscription``; the old one stops verifying at once. Audited.

    The secret derives from the subscription's salt, so a new salt is a new secret; the caller
    shows ``subscription.signing_secret`` once.
    """
    subscription.salt = ""  # save() draws a fresh one
    subscription.save()
    _audit(
        source=source,
        action="webhook_subscription.secret_rotated",
        subscription=subscription,
        before=None,
        after={"signing_secret": "rotated"},
    )
    return subscription


@transaction.atomic
def webhook_subscription_enable(*, subscription: WebhookSubscription, source: WriteSource) -> WebhookSubscription:
    """Turn ``subscription`` back on after it was disabled for failing, its failure count reset. Audited.

    Idempotent: enabling one that is on and has no failures changes nothing and writes no event.
    """
    names = ("active", "consecutive_failures", "disabled_at", "disabled_reason")
    before = {name: value for name, value in _state(subscription).items() if name in names}
    subscription.active, subscription.consecutive_failures = True, 0
    subscription.disabled_at, subscription.disabled_reason = None, ""
    after = {name: value for name, value in _state(subscription).items() if name in names}
    if after != before:
        subscription.save()
        _audit(
            source=source,
            action="webhook_subscription.enabled",
            subscription=subscription,
            before=before,
            after=after,
        )
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription, source: WriteSource) -> None:
    """Remove ``subscription``; deliveries still queued for it are not sent (the worker finds it gone). Audited."""
    _audit(
        source=source,
        action="webhook_subscription.deleted",
        subscription=subscription,
        before=_state(subscription),
        after=None,
    )
    subscription.delete()


@transaction.atomic
def webhook_deliveries_redeliver(
    *,
    subscription: WebhookSubscription,
    source: WriteSource,
    event: str | None = None,
    created_after: dt.datetime | None = None,
    created_before: dt.datetime | None = None,
) -> Redelivered:
    """Queue again the dead-lettered deliveries of ``subscription`` that match, oldest first, ``REDELIVER_BATCH``
    at a time. Audited: one event for the call (with the ids), and each delivery's own ``outbox.retried``.

    Each delivery keeps its idempotency key, so a receiver that already applied one applies it once.
    Safe to repeat: a delivery queued again is no longer dead, so the next call moves on to the rest.
    """
    matching = OutboundMessage.objects.filter(subscription_ref=subscription.pk, state=OutboundMessage.State.DEAD)
    if event is not None:
        matching = matching.filter(event=event)
    if created_after is not None:
        matching = matching.filter(created_at__gte=created_after)
    if created_before is not None:
        matching = matching.filter(created_at__lt=created_before)
    # Locked and still dead: one another call or the worker is busy with is left to it.
    batch = matching.select_for_update(skip_locked=True).order_by("created_at", "id")[:REDELIVER_BATCH]
    ids = list(batch.values_list("id", flat=True))
    for message_id in ids:
        outbox_message_retry(message_id=message_id, source=source)
    if ids:
        wanted = {"event": event, "created_after": created_after, "created_before": created_before}
        _audit(
            source=source,
            action="webhook_subscription.redelivered",
            subscription=subscription,
            before=None,
            after={"filters": {k: v for k, v in wanted.items() if v is not None}, "redelivered": ids},
        )
    return Redelivered(ids=ids, remaining=matching.count())
