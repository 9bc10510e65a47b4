"""How a webhook delivery is signed, and how a receiver checks it.

``Gateway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` with the
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

SIGNATURE_HEADER = "Gateway-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``Gateway-Signature``'s value for ``body`` sent at ``timestamp``."""
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


def signed_headers(secret: str, message_id: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """Both signatures' headers for one delivery; ``message_id`` is its idempotency key, the same on
    every attempt (Standard Webhooks' ``webhook-id``)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, message_id, timestamp, body),
    }
