"""The outbox: writing messages in the caller's transaction, claiming, delivering and settling them.

A message is claimed with a conditional UPDATE and a lease, tried once per claim through its
transport, and logged; a failure is due again after an exponential backoff, and after its last
attempt the message rests in the dead letter until someone requeues it. Buyers' exception e-mails
are sent as one digest per recipient per sweep.

This module knows no procurement or channel concept: callers pass plain values, and the channels
plug their renderers and webhook hooks in through ``notifications.registry``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from gateway import metrics
from gateway.correlation import correlation_scope

from . import registry, transports
from .models import DeliveryAttempt, OutboundMessage

log = logging.getLogger(__name__)

# How long a worker may hold a claimed message before another worker may take it over.
LEASE = dt.timedelta(minutes=5)


class MessageNotFound(Exception):
    """No outbound message has that id."""


class MessageNotRequeueable(Exception):
    """The message is not in a state it can be sent again from."""


def outbox_write(rows: list[OutboundMessage], *, deliver_here: bool = False) -> list[OutboundMessage]:
    """Write outbox rows in the caller's transaction and queue their delivery once it commits.

    Buyers' exception e-mails are not queued one by one: the sweep sends them as one digest per
    buyer (``outbox_digests_deliver``).

    ``deliver_here`` makes the first attempt in this process right after the commit instead of
    queueing it: for a worker task whose answer belongs with its own work (the 997 for the file it
    just processed), so the answer does not wait behind everything else in the queue. The attempt
    is the same claimed, logged delivery; a failed one is retried from the queue as usual.
    """
    if not rows:
        return rows
    OutboundMessage.objects.bulk_create(rows)
    if settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT:
        ids = [row.pk for row in rows if not digested(row)]
        if not ids:
            return rows

        def enqueue() -> None:
            for pk in ids:
                if deliver_here:
                    try:
                        if outbox_message_deliver(message_id=pk) != OutboundMessage.State.PENDING:
                            continue  # delivered, or dead-lettered at once
                    except Exception:
                        log.exception("outbox message %s: delivery right after commit failed", pk)
                # The queue takes over: a failed attempt is retried on its backoff, and a claim an
                # error left behind once its lease runs out.
                if not outbox_delivery_enqueue(message_id=pk):
                    return  # the broker is down: the sweep delivers the rest too

        transaction.on_commit(enqueue)
    return rows


def outbox_delivery_enqueue(*, message_id: int) -> bool:
    """Hand a committed message to the queue; False when the broker cannot take it.

    The message is already stored as pending, so a broker that is down loses nothing: the
    scheduler's sweep (``outbox_dispatch_due``) delivers every due message it finds once the
    broker is back. The request or task that wrote it carries on instead of failing after its
    commit.
    """
    from .tasks import outbox_deliver

    try:
        outbox_deliver.delay(message_id)
    except Exception as error:  # kombu's OperationalError, or a socket error under it
        log.warning("outbox message %s: not queued (%s); the sweep will deliver it", message_id, error)
        return False
    return True


def outbox_message_deliver(*, message_id: int) -> str:
    """Try once to deliver a message that is due; returns its state afterwards.

    The claim is a conditional UPDATE, so two workers never deliver the same message at once and
    a message already delivered is left alone: running this twice is harmless. A claim whose
    worker died is taken over when its lease runs out.
    """
    now = timezone.now()
    claimed = OutboundMessage.objects.filter(
        Q(state=OutboundMessage.State.PENDING, next_attempt_at__lte=now)
        | Q(state=OutboundMessage.State.SENDING, locked_until__lt=now),
        pk=message_id,
    ).update(state=OutboundMessage.State.SENDING, locked_until=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        state = OutboundMessage.objects.filter(pk=message_id).values_list("state", flat=True).first()
        return state or "missing"
    message = OutboundMessage.objects.get(pk=message_id)
    started = time.monotonic()
    with correlation_scope(message.correlation_id):
        try:
            detail = transports.DELIVERERS[message.kind](message)
            succeeded = True
        except Exception as error:  # any failure of the far side is retried, then dead-lettered
            detail = f"{type(error).__name__}: {error}"
            succeeded = False
            if isinstance(error, transports.PermanentDeliveryError):
                message.max_attempts = message.attempts
            log.warning("outbox message %s attempt %s failed: %s", message.pk, message.attempts, detail)
    _attempt_finish(message, succeeded, detail, int((time.monotonic() - started) * 1000))
    return message.state


def _attempt_finish(message: OutboundMessage, succeeded: bool, detail: str, elapsed: int) -> None:
    """Log a claimed message's attempt and settle it: delivered, due again after its backoff, or dead."""
    finished = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            message=message,
            number=message.attempts,
            attempted_at=finished,
            succeeded=succeeded,
            detail=detail[:2000],
            duration_ms=elapsed,
        )
        if succeeded:
            message.state, message.delivered_at, message.last_error = (
                OutboundMessage.State.DELIVERED,
                finished,
                "",
            )
            _delivered_measure(message, finished)
        elif message.attempts >= message.max_attempts:
            message.state, message.last_error = OutboundMessage.State.DEAD, detail[:2000]
        else:
            message.state, message.last_error = OutboundMessage.State.PENDING, detail[:2000]
            message.next_attempt_at = finished + backoff(message.attempts)
        message.locked_until = None
        message.save(
            update_fields=["state", "delivered_at", "last_error", "next_attempt_at", "locked_until", "max_attempts"]
        )
        hooks = registry.delivery_hooks()
        if message.subscription_ref is not None and hooks is not None:
            hooks.finished(message, succeeded)


def _delivered_measure(message: OutboundMessage, delivered_at: dt.datetime) -> None:
    """For a message that answers something received (its payload's ``answers_received_at``, e.g.
    a 997 for a partner's file): the time from receipt to the answer delivered, once recorded."""
    received = message.payload.get("answers_received_at") if isinstance(message.payload, dict) else None
    if not received:
        return
    event, received_at = message.event, dt.datetime.fromisoformat(received)
    transaction.on_commit(
        lambda: metrics.answer_delivered(event=event, received_at=received_at, delivered_at=delivered_at)
    )


# Buyers' exception alerts: one e-mail per buyer per sweep rather than one per document, so a file
# of fifty held invoices is one message in the buyer's inbox, not fifty.
DIGESTED_EVENTS = frozenset({"exception.raised"})


def digested(message: OutboundMessage) -> bool:
    """Whether ``message`` is sent in a digest by the sweep rather than on its own."""
    return (
        settings.GATEWAY_EMAIL_DIGESTS
        and message.kind == OutboundMessage.Kind.EMAIL
        and message.event in DIGESTED_EVENTS
    )


def outbox_digests_deliver(*, limit: int = 500) -> int:
    """Send the due digested e-mails, one per recipient, each listing every alert it carries.

    Each message is claimed (no other worker takes it), and keeps its own attempt log and state:
    when a recipient's digest fails, each of its messages is retried on its own backoff (in the
    next digest) and dead-lettered after its attempts, like any outbox message. Returns how many
    messages were sent.
    """
    if not settings.GATEWAY_EMAIL_DIGESTS:
        return 0
    now = timezone.now()
    with transaction.atomic():
        due = list(
            OutboundMessage.objects.select_for_update(skip_locked=True)
            .filter(
                Q(state=OutboundMessage.State.PENDING, next_attempt_at__lte=now)
                | Q(state=OutboundMessage.State.SENDING, locked_until__lt=now),
                kind=OutboundMessage.Kind.EMAIL,
                event__in=DIGESTED_EVENTS,
            )
            .order_by("id")[:limit]
        )
        OutboundMessage.objects.filter(pk__in=[m.pk for m in due]).update(
            state=OutboundMessage.State.SENDING, locked_until=now + LEASE, attempts=F("attempts") + 1
        )
    by_recipient: dict[str, list[OutboundMessage]] = {}
    for message in due:
        message.attempts += 1
        message.state = OutboundMessage.State.SENDING
        by_recipient.setdefault(message.destination, []).append(message)
    sent = 0
    for recipient, messages in by_recipient.items():
        started = time.monotonic()
        try:
            _send_digest(recipient, messages)
            detail, succeeded = f"mailed {recipient} (digest of {len(messages)})", True
            sent += len(messages)
        except Exception as error:
            detail, succeeded = f"{type(error).__name__}: {error}", False
            log.warning("digest to %s (%s messages) failed: %s", recipient, len(messages), detail)
        elapsed = int((time.monotonic() - started) * 1000)
        for message in messages:
            _attempt_finish(message, succeeded, detail, elapsed)
    return sent


def _send_digest(recipient: str, messages: list[OutboundMessage]) -> None:
    context = {"messages": messages, "count": sum(len(m.payload.get("exceptions", [])) for m in messages)}
    # One key for this set of messages; each message keeps its own key and correlation id.
    digest_key = hashlib.sha256(",".join(str(m.pk) for m in messages).encode()).hexdigest()[:32]
    EmailMessage(
        subject=render_to_string("emails/digest_subject.txt", context).strip(),
        body=render_to_string("emails/digest_body.txt", context),
        to=[recipient],
        headers={"X-Idempotency-Key": f"digest:{digest_key}"},
    ).send()


def backoff(attempts: int) -> dt.timedelta:
    """Exponential: base × 2^(attempts-1), capped."""
    seconds = settings.GATEWAY_OUTBOX_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0))
    return dt.timedelta(seconds=min(seconds, settings.GATEWAY_OUTBOX_BACKOFF_MAX_SECONDS))


def outbox_due_ids(*, limit: int = 200) -> list[int]:
    """Messages due for an attempt now, oldest first, including claims whose lease ran out."""
    now = timezone.now()
    return list(
        OutboundMessage.objects.filter(
            Q(state=OutboundMessage.State.PENDING, next_attempt_at__lte=now)
            | Q(state=OutboundMessage.State.SENDING, locked_until__lt=now)
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def outbox_message_requeue(*, message_id: int, redeliver: bool = False) -> OutboundMessage:
    """Put a dead-lettered message back in the queue with a fresh set of attempts.

    With ``redeliver``, a message already delivered is sent again too (a receiver asked for it;
    it carries the same idempotency key, so a careful receiver applies it once). Raises
    ``MessageNotFound`` or ``MessageNotRequeueable``; the delivery is queued once the caller's
    transaction commits. Callers that keep an audit trail record it in the same transaction.
    """
    message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None:
        raise MessageNotFound(f"outbound message {message_id} does not exist")
    allowed = (
        (OutboundMessage.State.DEAD, OutboundMessage.State.DELIVERED) if redeliver else (OutboundMessage.State.DEAD,)
    )
    if message.state not in allowed:
        raise MessageNotRequeueable(f"outbound message {message_id} is {message.state}, not in the dead letter")
    message.state = OutboundMessage.State.PENDING
    message.max_attempts = message.attempts + settings.GATEWAY_OUTBOX_MAX_ATTEMPTS
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["state", "max_attempts", "next_attempt_at"])
    if settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT:
        transaction.on_commit(lambda: outbox_delivery_enqueue(message_id=message.pk))
    return message
