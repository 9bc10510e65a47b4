"""``Idempotency-Key`` on every POST: the same key and body replay the stored response."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from procurement.services import ProcurementError

from .authentication import request_key
from .models import IdempotencyRecord
from .problems import exception_handler, problem

HEADER = "Idempotency-Key"
# Printable ASCII (header values are bytes; a UUID or any client's request id fits), as the OpenAPI schema says.
KEY_MAX_LENGTH = 255
KEY_PATTERN = re.compile(r"^[\x20-\x7e]+$")
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "ETag")
KEPT_REFUSALS = (ProcurementError, ValidationError, ParseError, UnsupportedMediaType)


def idempotent(
    handle: Callable[..., Response],
    request: Request,
    *,
    secret_fields: tuple[str, ...] = (),
    store: Callable[[Request], Any] | None = None,
) -> Response:
    """Run ``handle`` once per (API key, Idempotency-Key); replay its response for the same body.

    A key reused with another body is refused; a key whose first request is still running is
    refused with 409 so the client retries later; a key past its window starts afresh. A first
    request that never finished (its process died) is taken over by a retry once it is older than
    ``GATEWAY_IDEMPOTENCY_STALE_SECONDS``: the retry runs, and the documents' own ids keep it from
    doubling whatever the first one did.

    A document refused as invalid or conflicting is an answer kept and replayed like any other; a
    request that was not carried out (not found, not allowed, 5xx) is not kept, so a retry runs
    again. ``secret_fields`` of the response (a secret shown once) are never kept: a replay answers
    them with null.

    ``store``, when given, keeps the payload in the transaction that claims the key (one commit
    instead of two, and still before anything parses it); ``handle`` is then called with the
    request and what ``store`` returned. A replay or a refused key stores nothing.
    """
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.GATEWAY_INBOUND_MAX_BYTES:
        # Never read an oversized body, not even to hash it: a document's handler records and refuses it.
        if store is None:
            return problem(
                413,
                "Payload too large",
                f"The body is {declared} bytes; at most {settings.GATEWAY_INBOUND_MAX_BYTES} are taken.",
                "too_large",
            )
        return handle(request, store(request))
    key = request.headers.get(HEADER, "")
    if not key:
        return problem(
            400, "Idempotency-Key required", f"Every POST needs an {HEADER} header.", "idempotency_key_required"
        )
    if len(key) > KEY_MAX_LENGTH or not KEY_PATTERN.match(key):
        return problem(
            400,
            "Invalid Idempotency-Key",
            f"{HEADER} must be printable ASCII and at most {KEY_MAX_LENGTH} characters.",
            "idempotency_key_invalid",
        )
    method = request.method
    assert method is not None, "every request Django's handlers build has its method"
    body_hash = hashlib.sha256(method.encode() + request.path.encode() + b"\n" + request.body).hexdigest()
    now = timezone.now()
    record, created, stored = _claim(request, key, body_hash, now, store)
    if record.request_hash != body_hash:
        return problem(
            422,
            "Idempotency-Key reused",
            f"The {HEADER} {key!r} was used for a different request.",
            "idempotency_key_reused",
        )
    if record.status_code is None and not created:
        busy = problem(
            409,
            "Request in progress",
            f"A request with {HEADER} {key!r} is still being processed.",
            "idempotency_key_in_progress",
        )
        busy["Retry-After"] = "1"  # a request takes well under a second; the retry then gets its answer
        return busy
    if record.status_code is not None:
        response = Response(
            record.response_body,
            status=record.status_code,
            content_type="application/problem+json" if record.status_code >= 400 else None,
        )
        for name, value in record.response_headers.items():
            response[name] = value
        response[REPLAYED_HEADER] = "true"
        return response
    try:
        response = handle(request) if store is None else handle(request, stored)
    except KEPT_REFUSALS as error:
        # The request was carried out and refused (invalid, conflict, unknown PO): an answer to replay.
        refused = exception_handler(error, {"request": request})
        assert refused is not None, "exception_handler answers every one of KEPT_REFUSALS"
        response = refused
    except Exception:
        # Not found, not allowed, or a failure of ours: nothing was done, so nothing to replay.
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    if response.status_code >= 500:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return response
    kept = response.data
    if secret_fields and isinstance(kept, dict):
        kept = {name: (None if name in secret_fields else value) for name, value in kept.items()}
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code,
        response_body=kept,
        response_headers={h: response[h] for h in KEPT_HEADERS if h in response},
    )
    return response


def _claim(
    request: Request, key: str, body_hash: str, now: dt.datetime, store: Callable[[Request], Any] | None
) -> tuple[IdempotencyRecord, bool, Any]:
    """The key's record, whether this request created it, and what ``store`` kept with a new claim."""
    window = dt.timedelta(hours=settings.GATEWAY_IDEMPOTENCY_HOURS)
    for _ in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    api_key=request_key(request),
                    key=key,
                    method=request.method or "",
                    path=request.path[:300],
                    request_hash=body_hash,
                    created_at=now,
                    expires_at=now + window,
                )
                stored = store(request) if store is not None else None
            return record, True, stored
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(api_key=request_key(request), key=key).first()
            if existing is None:
                continue
            if existing.expires_at > now:
                if _abandoned(existing, body_hash, now):
                    with transaction.atomic():
                        # created_at is when the running attempt began; one retry wins the takeover.
                        taken = IdempotencyRecord.objects.filter(
                            pk=existing.pk, status_code__isnull=True, created_at=existing.created_at
                        ).update(created_at=now)
                        if taken:
                            existing.created_at = now
                            return existing, True, store(request) if store is not None else None
                return existing, False, None
            IdempotencyRecord.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
    return IdempotencyRecord.objects.get(api_key=request_key(request), key=key), False, None


def _abandoned(record: IdempotencyRecord, body_hash: str, now: dt.datetime) -> bool:
    """A first request with this body that has had no answer for longer than any request runs."""
    stale = dt.timedelta(seconds=settings.GATEWAY_IDEMPOTENCY_STALE_SECONDS)
    return record.status_code is None and record.request_hash == body_hash and record.created_at < now - stale


def idempotency_records_purge() -> int:
    """Forget keys past their window."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
