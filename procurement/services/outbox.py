"""Writing outbox rows and delivering them: file, HTTP or e-mail, with retries and a dead letter."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import ipaddress
import json
import logging
import os
import re
import socket
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

from gateway.correlation import correlation_scope
from procurement.models import AuditEvent, DeliveryAttempt, OutboundMessage

from .audit import audit_event
from .errors import InvalidAction, NotFound
from .sources import WriteSource

log = logging.getLogger(__name__)

# How long a worker may hold a claimed message before another worker may take it over.
LEASE = dt.timedelta(minutes=5)


class DeliveryError(Exception):
    """A delivery attempt failed; the message will be retried or dead-lettered."""


class PermanentDeliveryError(DeliveryError):
    """A delivery that can never succeed as written (a bad destination): dead-lettered at once."""


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
            from procurement.tasks import outbox_deliver

            for pk in ids:
                if deliver_here:
                    try:
                        if outbox_message_deliver(message_id=pk) != OutboundMessage.State.PENDING:
                            continue  # delivered, or dead-lettered at once
                    except Exception:
                        log.exception("outbox message %s: delivery right after commit failed", pk)
                # The queue takes over: a failed attempt is retried on its backoff, and a claim an
                # error left behind once its lease runs out.
                outbox_deliver.delay(pk)

        transaction.on_commit(enqueue)
    return rows


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
            detail = DELIVERERS[message.kind](message)
            succeeded = True
        except Exception as error:  # any failure of the far side is retried, then dead-lettered
            detail = f"{type(error).__name__}: {error}"
            succeeded = False
            if isinstance(error, PermanentDeliveryError):
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
        elif message.attempts >= message.max_attempts:
            message.state, message.last_error = OutboundMessage.State.DEAD, detail[:2000]
        else:
            message.state, message.last_error = OutboundMessage.State.PENDING, detail[:2000]
            message.next_attempt_at = finished + backoff(message.attempts)
        message.locked_until = None
        message.save(
            update_fields=["state", "delivered_at", "last_error", "next_attempt_at", "locked_until", "max_attempts"]
        )
        if message.subscription_ref is not None and settings.GATEWAY_WEBHOOKS:
            import_string(f"{settings.GATEWAY_WEBHOOKS}.delivery_finished")(message, succeeded)


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
def outbox_message_retry(*, message_id: int, source: WriteSource, redeliver: bool = False) -> OutboundMessage:
    """Put a dead-lettered message back in the queue with a fresh set of attempts. Audited.

    With ``redeliver``, a message already delivered is sent again too (a receiver asked for it;
    it carries the same idempotency key, so a careful receiver applies it once).
    """
    message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None:
        raise NotFound(f"outbound message {message_id} does not exist")
    allowed = (
        (OutboundMessage.State.DEAD, OutboundMessage.State.DELIVERED) if redeliver else (OutboundMessage.State.DEAD,)
    )
    if message.state not in allowed:
        raise InvalidAction(f"outbound message {message_id} is {message.state}, not in the dead letter")
    now = timezone.now()
    message.state = OutboundMessage.State.PENDING
    message.max_attempts = message.attempts + settings.GATEWAY_OUTBOX_MAX_ATTEMPTS
    message.next_attempt_at = now
    message.save(update_fields=["state", "max_attempts", "next_attempt_at"])
    AuditEvent.objects.bulk_create(
        [
            audit_event(
                source=source,
                action="outbox.retried",
                obj=message,
                po=message.po,
                now=now,
                after={"attempts": message.attempts, "max_attempts": message.max_attempts},
            )
        ]
    )
    if settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT:
        from procurement.tasks import outbox_deliver

        transaction.on_commit(lambda: outbox_deliver.delay(message.pk))
    return message


@dataclass(frozen=True)
class RenderedFile:
    """What a file renderer produces: the bytes, and optionally where and under which name."""

    content: bytes
    suffix: str = ".json"
    name: str | None = None
    folder: str | None = None  # relative to GATEWAY_FILE_ROOT; the message's destination when None


def _deliver_file(message: OutboundMessage) -> str:
    renderers = settings.GATEWAY_FILE_RENDERERS
    rendered: RenderedFile = import_string(renderers.get(message.event, renderers["*"]))(message)
    root = Path(settings.GATEWAY_FILE_ROOT).resolve()
    folder = (root / (rendered.folder or message.destination)).resolve()
    if not folder.is_relative_to(root):
        raise PermanentDeliveryError(f"destination {rendered.folder or message.destination!r} leaves the file root")
    folder.mkdir(parents=True, exist_ok=True)
    name = rendered.name or re.sub(r"[^A-Za-z0-9._-]+", "_", message.idempotency_key) + rendered.suffix
    if "/" in name or name.startswith("."):
        raise PermanentDeliveryError(f"file name {name!r} is not a plain name")
    temporary = folder / f".{name}.tmp"
    temporary.write_bytes(rendered.content)
    # Partners pick files up by name; the rename makes a file appear whole or not at all.
    os.replace(temporary, folder / name)
    return f"wrote {folder / name} ({len(rendered.content)} bytes)"


def render_json(message: OutboundMessage) -> RenderedFile:
    """The default file rendering: the event and its payload as JSON."""
    body = {"event": message.event, "idempotency_key": message.idempotency_key, "payload": message.payload}
    return RenderedFile(json.dumps(body, indent=2, sort_keys=True).encode())


def _deliver_http(message: OutboundMessage) -> str:
    url = urllib.parse.urlsplit(message.destination)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise PermanentDeliveryError(f"destination {message.destination!r} is not an http(s) URL")
    body = json.dumps(
        {
            "id": message.pk,
            "event": message.event,
            "created_at": message.created_at.isoformat(),
            "data": message.payload,
        },
        sort_keys=True,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": message.idempotency_key,
        "Gateway-Event": message.event,
        "Gateway-Delivery": str(message.pk),
        "X-Correlation-ID": message.correlation_id,
    }
    if message.subscription_ref is not None and settings.GATEWAY_WEBHOOKS:
        headers.update(import_string(f"{settings.GATEWAY_WEBHOOKS}.signed_headers")(message, body))
    # A supplier chose this URL: it may only lead to the public internet (see address_is_public).
    public_only = (
        message.subscription_ref is not None
        and message.supplier_id is not None
        and not settings.GATEWAY_WEBHOOK_ALLOW_PRIVATE
    )
    status = _post(url, body, headers, public_only=public_only)
    if 200 <= status < 300:
        return f"HTTP {status}"
    # A redirect is not followed: it could lead a supplier's delivery to an internal address.
    raise DeliveryError(f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else ""))


USER_AGENT = "SupplierGateway-Webhooks/1.0"
# Prefixes whose addresses carry an IPv4 address a router may reach: NAT64 (RFC 6052, 8215),
# 6to4 (RFC 3056) and Teredo (RFC 4380). Python's is_global says nothing about the address inside.
_IPV6_CARRYING_IPV4 = tuple(
    ipaddress.ip_network(prefix) for prefix in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32")
)
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


def address_is_public(address: str) -> bool:
    """Whether an IP address is on the public internet: not loopback, private, link-local, shared or reserved.

    IPv6 must be global unicast (2000::/3) and not one of the forms that carry an IPv4 address
    (IPv4-mapped ones are judged by the IPv4 address they map).
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip not in _IPV6_GLOBAL_UNICAST or any(ip in prefix for prefix in _IPV6_CARRYING_IPV4):
            return False
    return ip.is_global and not ip.is_multicast


def url_port(url: urllib.parse.SplitResult) -> int:
    """The port ``url`` names, or its scheme's default; ValueError for one past 65535."""
    return url.port or (443 if url.scheme == "https" else 80)


def _post(url: urllib.parse.SplitResult, body: bytes, headers: dict[str, str], *, public_only: bool) -> int:
    """POST ``body`` to ``url`` and return the status, connecting to the address that was checked.

    The host name is resolved once, here; with ``public_only`` every address it resolves to must be
    public and the port one of ``GATEWAY_WEBHOOK_PORTS``, and the connection goes to the checked
    addresses (a second lookup could answer differently). TLS still verifies the certificate
    against the host name. Deliveries connect directly, not through HTTP(S)_PROXY.
    """
    https = url.scheme == "https"
    port = url_port(url)
    if public_only and port not in settings.GATEWAY_WEBHOOK_PORTS:
        raise PermanentDeliveryError(
            f"port {port} is not open to suppliers' webhooks (GATEWAY_WEBHOOK_PORTS: "
            f"{', '.join(map(str, settings.GATEWAY_WEBHOOK_PORTS))})"
        )
    try:
        found = socket.getaddrinfo(url.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise DeliveryError(f"cannot resolve {url.hostname}: {error}") from error
    if public_only:
        private = [info[4][0] for info in found if not address_is_public(info[4][0])]
        if private:
            # The supplier reads this error; the private address it found stays in the server's log.
            log.warning("webhook host %s resolves to non-public %s: not delivered", url.hostname, private[0])
            raise PermanentDeliveryError(
                f"{url.hostname} does not resolve to public addresses only; suppliers' webhooks may only go to "
                "the internet"
            )
    timeout = settings.GATEWAY_OUTBOX_HTTP_TIMEOUT
    if https:
        connection = http.client.HTTPSConnection(url.hostname, port, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(url.hostname, port, timeout=timeout)
    # http.client would look the name up again; connect to the addresses checked here instead, in order.
    connection._create_connection = lambda _name, *args: _connect(found, *args)
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    try:
        connection.request("POST", target, body=body, headers={"User-Agent": USER_AGENT, **headers})
        return connection.getresponse().status
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error
    finally:
        connection.close()


def _connect(found: list[tuple], timeout: float | None, source_address=None) -> socket.socket:
    """A socket connected to the first of ``found`` (``getaddrinfo`` answers) that accepts, without a lookup."""
    error: OSError | None = None
    for family, kind, protocol, _name, address in found:
        sock = socket.socket(family, kind, protocol)
        try:
            sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(address)  # the whole socket address: an IPv6 scope id is kept
            return sock
        except OSError as failed:
            sock.close()
            error = failed
    raise error or OSError("no address to connect to")


def _deliver_email(message: OutboundMessage) -> str:
    context = {"message": message, "payload": message.payload, "event": message.event}
    subject = render_to_string("emails/outbound_subject.txt", context).strip()
    body = render_to_string("emails/outbound_body.txt", context)
    EmailMessage(
        subject=subject,
        body=body,
        to=[message.destination],
        headers={"X-Idempotency-Key": message.idempotency_key, "X-Correlation-ID": message.correlation_id},
    ).send()
    return f"mailed {message.destination}"


DELIVERERS = {
    OutboundMessage.Kind.FILE: _deliver_file,
    OutboundMessage.Kind.HTTP: _deliver_http,
    OutboundMessage.Kind.EMAIL: _deliver_email,
}
