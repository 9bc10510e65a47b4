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
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

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
    is the same claimed, logged delivery; a failed one is retried from the queue as usual. Inside
    ``outbox_deliveries_together`` these first attempts are made together when its block ends.
    """
    if not rows:
        return rows
    OutboundMessage.objects.bulk_create(rows)
    return outbox_written(rows, deliver_here=deliver_here)


def outbox_written(rows: list[OutboundMessage], *, deliver_here: bool = False) -> list[OutboundMessage]:
    """Queue the delivery of outbox rows the caller has just inserted, as ``outbox_write`` does.

    For a write path that inserts its outbox rows in one statement with its other rows (each
    statement is a round trip): the rows must have their keys.
    """
    if settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT:
        ids = [row.pk for row in rows if not digested(row)]
        if not ids:
            return rows
        together = _delivered_together.get()
        if deliver_here and together is not None:
            # Only once committed: a savepoint rolled back drops this callback, and its messages with it.
            transaction.on_commit(lambda: together.extend(ids))
            return rows

        def enqueue() -> None:
            _deliver_or_enqueue(ids, here=deliver_here)

        transaction.on_commit(enqueue)
    return rows


def _deliver_or_enqueue(ids: list[int], *, here: bool) -> None:
    """Make the first attempt at ``ids`` here (together) when ``here``; queue whatever is still due."""
    states: dict[int, str] = {}
    if here and ids:
        try:
            states = outbox_messages_deliver(message_ids=ids)
        except Exception:
            log.exception("outbox messages %s: delivery right after commit failed", ids)
    for pk in ids:
        if states.get(pk) in (OutboundMessage.State.DELIVERED, OutboundMessage.State.DEAD):
            continue  # delivered, or dead-lettered at once
        # The queue takes over: a failed attempt is retried on its backoff, and a claim an error
        # left behind once its lease runs out.
        if not outbox_delivery_enqueue(message_id=pk):
            return  # the broker is down: the sweep delivers the rest too


_delivered_together: ContextVar[list[int] | None] = ContextVar("outbox_delivered_together", default=None)


@contextmanager
def outbox_deliveries_together() -> Iterator[None]:
    """Within this block, the messages written with ``deliver_here`` are not delivered one by one as
    each transaction commits but together when the block ends (``outbox_messages_deliver``): one
    claim, one flush of each folder written to and one commit for all their attempts, rather than
    two commits per message. For a worker task that commits many answers at once (a batch of EDI
    files and their 997s). Only messages whose transaction committed are delivered; one that is
    not delivered here is queued as usual, and one whose attempt was cut short (the worker lost
    after writing it) is taken over by the sweep once its claim's lease runs out. Inside a
    transaction of the caller's, they are delivered once that one commits."""
    if _delivered_together.get() is not None:
        yield  # an enclosing block delivers them
        return
    ids: list[int] = []
    token = _delivered_together.set(ids)
    try:
        yield
    finally:
        _delivered_together.reset(token)
        if transaction.get_connection().in_atomic_block:
            # Within a transaction of the caller's: its commit is the one that counts. The callbacks
            # gathering ``ids`` were registered first, so they run first.
            transaction.on_commit(lambda: _deliver_or_enqueue(ids, here=True))
        elif ids:
            _deliver_or_enqueue(ids, here=True)


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
        _due(now),
        pk=message_id,
    ).update(state=OutboundMessage.State.SENDING, locked_until=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        state = OutboundMessage.objects.filter(pk=message_id).values_list("state", flat=True).first()
        return state or "missing"
    message = OutboundMessage.objects.get(pk=message_id)
    _attempts_finish([_attempt(message)])
    return message.state


def outbox_messages_deliver(*, message_ids: list[int]) -> dict[int, str]:
    """Try once to deliver each of several due messages, together; returns each one's state afterwards
    (``missing`` for an id with no message).

    The same claimed, logged attempt as ``outbox_message_deliver`` for each message, at the cost of
    one claim and one commit for them all: the messages due among ``message_ids`` are claimed in one
    transaction (skipping any another worker holds: that one delivers it), each is tried on its
    own, so a failure of one neither stops nor fails the others, the folders the files went to are
    flushed to disk once each, and every attempt is logged and settled in one transaction. A worker
    lost between the files and that commit leaves its messages claimed: once the lease runs out the
    sweep delivers them again, under the same file names, so a file is neither lost nor doubled.
    """
    now = timezone.now()
    with transaction.atomic():
        messages = list(
            OutboundMessage.objects.select_for_update(skip_locked=True)
            .filter(_due(now), pk__in=message_ids)
            .order_by("pk")
        )
        OutboundMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            state=OutboundMessage.State.SENDING, locked_until=now + LEASE, attempts=F("attempts") + 1
        )
    folders: set[Path] = set()
    attempts = []
    for message in messages:
        message.state, message.locked_until = OutboundMessage.State.SENDING, now + LEASE
        message.attempts += 1
        attempts.append(_attempt(message, folders))
    for folder in sorted(folders):
        _folder_flush(folder, attempts)
    _attempts_finish(attempts)
    states = {m.pk: m.state for m in messages}
    missing = set(message_ids) - set(states)
    if missing:
        states.update(OutboundMessage.objects.filter(pk__in=missing).values_list("pk", "state"))
    return {pk: states.get(pk, "missing") for pk in message_ids}


def _due(now: dt.datetime) -> Q:
    """Messages that may be claimed now: pending and due, or claimed by a worker whose lease ran out."""
    return Q(state=OutboundMessage.State.PENDING, next_attempt_at__lte=now) | Q(
        state=OutboundMessage.State.SENDING, locked_until__lt=now
    )


@dataclass
class _Attempt:
    message: OutboundMessage
    succeeded: bool
    detail: str
    elapsed_ms: int
    folder: Path | None = None  # where a delivered file was written, when its flush is still to come


def _attempt(message: OutboundMessage, folders: set[Path] | None = None) -> _Attempt:
    """One try at delivering a claimed message through its transport. With ``folders``, a file's
    folder is not flushed here but added to them, for the caller to flush once for many files."""
    started = time.monotonic()
    folder = None
    with correlation_scope(message.correlation_id):
        try:
            if folders is not None and message.kind == OutboundMessage.Kind.FILE:
                detail, folder = transports.file_write(message)
                folders.add(folder)
            else:
                detail = transports.DELIVERERS[message.kind](message)
            succeeded = True
        except Exception as error:  # any failure of the far side is retried, then dead-lettered
            detail = f"{type(error).__name__}: {error}"
            succeeded = False
            if isinstance(error, transports.PermanentDeliveryError):
                message.max_attempts = message.attempts
            log.warning("outbox message %s attempt %s failed: %s", message.pk, message.attempts, detail)
    return _Attempt(message, succeeded, detail, int((time.monotonic() - started) * 1000), folder)


def _folder_flush(folder: Path, attempts: list[_Attempt]) -> None:
    """Flush a folder's new entries to disk; the files written there fail their attempt if it cannot be."""
    try:
        transports.folder_flush(folder)
    except OSError as error:
        for attempt in attempts:
            if attempt.folder == folder and attempt.succeeded:
                attempt.succeeded, attempt.detail = False, f"{type(error).__name__}: {error}"
                log.warning("outbox message %s: its folder was not flushed: %s", attempt.message.pk, attempt.detail)


def _attempts_finish(attempts: list[_Attempt]) -> None:
    """Log claimed messages' attempts and settle each: delivered, due again after its backoff, or dead;
    in one transaction."""
    if not attempts:
        return
    finished = timezone.now()
    for attempt in attempts:
        message, detail = attempt.message, attempt.detail[:2000]
        if attempt.succeeded:
            message.state, message.delivered_at, message.last_error = OutboundMessage.State.DELIVERED, finished, ""
        elif message.attempts >= message.max_attempts:
            message.state, message.last_error = OutboundMessage.State.DEAD, detail
        else:
            message.state, message.last_error = OutboundMessage.State.PENDING, detail
            message.next_attempt_at = finished + backoff(message.attempts)
        message.locked_until = None
    fields = ["state", "delivered_at", "last_error", "next_attempt_at", "locked_until", "max_attempts"]
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                message=a.message,
                number=a.message.attempts,
                attempted_at=finished,
                succeeded=a.succeeded,
                detail=a.detail[:2000],
                duration_ms=a.elapsed_ms,
            )
            for a in attempts
        )
        # Messages delivered have one outcome in common: one statement settles them all.
        delivered = [a.message.pk for a in attempts if a.succeeded]
        if len(delivered) > 1:
            OutboundMessage.objects.filter(pk__in=delivered).update(
                state=OutboundMessage.State.DELIVERED, delivered_at=finished, last_error="", locked_until=None
            )
        for attempt in attempts:
            if not attempt.succeeded or len(delivered) == 1:
                attempt.message.save(update_fields=fields)
            if attempt.succeeded:
                _delivered_measure(attempt.message, finished)
        hooks = registry.delivery_hooks()
        for attempt in attempts:
            if attempt.message.subscription_ref is not None and hooks is not None:
                hooks.finished(attempt.message, attempt.succeeded)


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
        _attempts_finish([_Attempt(message, succeeded, detail, elapsed) for message in messages])
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
