"""The transports: writing a file under the file root, POSTing a webhook, sending an e-mail.

A webhook chosen by a supplier may only reach the public internet: the host is resolved here,
every address it resolves to must be public (``address_is_public``) and the port one of
``GATEWAY_WEBHOOK_PORTS``, and the connection goes to the addresses that were checked.
"""

from __future__ import annotations

import ctypes
import http.client
import ipaddress
import json
import logging
import os
import re
import socket
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from . import registry, signing
from .models import OutboundMessage

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A delivery attempt failed; the message will be retried or dead-lettered."""


class PermanentDeliveryError(DeliveryError):
    """A delivery that can never succeed as written (a bad destination): dead-lettered at once."""


@dataclass(frozen=True)
class RenderedFile:
    """What a file renderer produces: the bytes, and optionally where and under which name."""

    content: bytes
    suffix: str = ".json"
    name: str | None = None
    folder: str | None = None  # relative to GATEWAY_FILE_ROOT; the message's destination when None


def deliver_file(message: OutboundMessage) -> str:
    """Write the file the event's registered renderer makes (JSON without one) below GATEWAY_FILE_ROOT."""
    detail, folder = file_write(message)
    folder_flush(folder)
    return detail


def file_write(message: OutboundMessage) -> tuple[str, Path]:
    """Write a message's file, whole, under its final name; returns the attempt's detail and the folder,
    whose entry for the file is on disk only once ``folder_flush`` has run for it."""
    rendered = (registry.file_renderer(message.event) or render_json)(message)
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
    return f"wrote {folder / name} ({len(rendered.content)} bytes)", folder


def _syncfs() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs  # Linux
    except (AttributeError, OSError):
        return None


_SYNCFS = _syncfs()


def folder_flush(folder: Path) -> None:
    """Put the files written in a folder, their content and their names, on disk: a file counts as
    delivered once it would survive a crash of the machine. One flush covers every file written
    there before it, so a batch of files costs one flush rather than one per file. On Linux that
    is one ``syncfs`` of the folder's file system; elsewhere the folder's own entries are flushed."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if _SYNCFS is not None:
            if _SYNCFS(descriptor) != 0:
                number = ctypes.get_errno()
                raise OSError(number, os.strerror(number), str(folder))
        else:
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def render_json(message: OutboundMessage) -> RenderedFile:
    """The default file rendering: the event and its payload as JSON."""
    body = {"event": message.event, "idempotency_key": message.idempotency_key, "payload": message.payload}
    return RenderedFile(json.dumps(body, indent=2, sort_keys=True).encode())


def deliver_http(message: OutboundMessage) -> str:
    """POST the event as JSON, signed when it belongs to a webhook subscription and a channel registered
    the delivery hooks; any answer but 2xx is a failed attempt."""
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
    hooks = registry.delivery_hooks()
    if message.subscription_ref is not None and hooks is not None:
        headers.update(signing.signed_headers(hooks.signing_secret(message), message.idempotency_key, body))
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
    host = url.hostname
    if not host:
        raise PermanentDeliveryError(f"destination {url.geturl()!r} names no host")
    port = url_port(url)
    if public_only and port not in settings.GATEWAY_WEBHOOK_PORTS:
        raise PermanentDeliveryError(
            f"port {port} is not open to suppliers' webhooks (GATEWAY_WEBHOOK_PORTS: "
            f"{', '.join(map(str, settings.GATEWAY_WEBHOOK_PORTS))})"
        )
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise DeliveryError(f"cannot resolve {url.hostname}: {error}") from error
    if public_only:
        # An AF_INET or AF_INET6 answer's address is its text form (str() only tells the type checker so).
        private = [str(info[4][0]) for info in found if not address_is_public(str(info[4][0]))]
        if private:
            # The supplier reads this error; the private address it found stays in the server's log.
            log.warning("webhook host %s resolves to non-public %s: not delivered", url.hostname, private[0])
            raise PermanentDeliveryError(
                f"{url.hostname} does not resolve to public addresses only; suppliers' webhooks may only go to "
                "the internet"
            )
    timeout = settings.GATEWAY_OUTBOX_HTTP_TIMEOUT
    connection: http.client.HTTPConnection
    if https:
        connection = http.client.HTTPSConnection(host, port, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    # http.client would look the name up again; connect to the addresses checked here instead, in order.
    # _create_connection is http.client's own hook for this (every connect goes through it); typeshed omits it.
    connection._create_connection = lambda _name, *args: _connect(found, *args)  # type: ignore[attr-defined]
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    try:
        connection.request("POST", target, body=body, headers={"User-Agent": USER_AGENT, **headers})
        return connection.getresponse().status
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error
    finally:
        connection.close()


def _connect(found: list[tuple], timeout: float | None, source_address: tuple[str, int] | None = None) -> socket.socket:
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


def deliver_email(message: OutboundMessage) -> str:
    """Mail the event, rendered with the site's outbound e-mail templates, to the destination address."""
    if message.event.startswith("portal.") and isinstance(message.payload, dict):
        # A portal person's notification or digest: written out in full when it was queued.
        subject, body = str(message.payload.get("subject", "")), str(message.payload.get("text", ""))
    else:
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


DELIVERERS: dict[str, Callable[[OutboundMessage], str]] = {
    OutboundMessage.Kind.FILE: deliver_file,
    OutboundMessage.Kind.HTTP: deliver_http,
    OutboundMessage.Kind.EMAIL: deliver_email,
}
