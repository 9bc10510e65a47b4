"""Store first: every inbound payload is kept as it arrived before anything parses it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gateway.correlation import get_correlation_id, new_correlation_id
from notifications.services import outbox_write
from procurement.models import InboundDocument

from .errors import ProcurementError
from .notify import webhook_rows
from .refusals import records_refusals
from .sources import RecordResult, WriteSource

log = logging.getLogger(__name__)


def inbound_document_store(
    *,
    channel: str,
    sender: str,
    content: bytes,
    supplier=None,
    document_type: str = "",
    filename: str = "",
    content_type: str = "",
    correlation_id: str = "",
    declared_size: int | None = None,
    max_bytes: int | None = None,
) -> InboundDocument:
    """Keep ``content`` exactly as received, committed at once, and return the row.

    Inside a caller's transaction (the API claims the Idempotency-Key in the same one) it commits
    with that transaction, still before anything parses it; no savepoint is taken for one insert.

    A payload over ``GATEWAY_INBOUND_MAX_BYTES`` is recorded (size, hash, sender) as rejected
    without its bytes, so the refusal is on file but the store is not filled by one sender. A
    channel that refuses to read an oversized body passes its ``declared_size`` instead, and a
    channel with a limit of its own passes ``max_bytes``.
    """
    now = timezone.now()
    size = declared_size if declared_size is not None else len(content)
    limit = settings.GATEWAY_INBOUND_MAX_BYTES if max_bytes is None else max_bytes
    too_large = size > limit
    with transaction.atomic(savepoint=False):
        return InboundDocument.objects.create(
            channel=channel,
            sender=sender[:80],
            supplier=supplier,
            document_type=document_type[:32],
            filename=filename[:255],
            content_type=content_type[:100],
            content=b"" if too_large else content,
            size=size,
            sha256=hashlib.sha256(content).hexdigest(),
            correlation_id=correlation_id or get_correlation_id() or new_correlation_id(),
            received_at=now,
            state=InboundDocument.State.REJECTED if too_large else InboundDocument.State.RECEIVED,
            outcome_code="too_large" if too_large else "",
            error=(f"payload of {size} bytes exceeds the limit of {limit} bytes" if too_large else ""),
        )


def inbound_document_apply(
    *, document: InboundDocument, label: str, apply: Callable[[WriteSource], RecordResult], actor=None
) -> RecordResult:
    """Run ``apply`` (a write-path service call) for a stored document and record its outcome on the row.

    Outcomes: ``processed``, ``duplicate``, ``refused`` (a domain refusal, with its code and
    message). Any other error marks the row ``failed`` and is raised again so a task can retry;
    the payload stays on file either way.

    ``processed`` and ``duplicate`` commit in the write path's transaction, so a document is never
    left ``received`` for an effect that committed. A refusal or a failure rolls that transaction
    back and is recorded afterwards in transactions of its own (the refusal's exception, then the
    document's state), so the record of it survives the rollback.
    """
    source = WriteSource(
        channel=document.channel,
        label=label,
        actor=actor,
        correlation_id=document.correlation_id,
        document=document,
    )
    document.attempts += 1
    try:
        result = _apply_settled(document, source, apply)
    except ProcurementError as error:
        _finish(document, InboundDocument.State.REFUSED, error.code, error.message)
        raise
    except Exception as error:
        _finish(document, InboundDocument.State.FAILED, "error", f"{type(error).__name__}: {error}")
        raise
    return result


@records_refusals
def _apply_settled(
    document: InboundDocument, source: WriteSource, apply: Callable[[WriteSource], RecordResult]
) -> RecordResult:
    # The outermost service call of the document: a refusal's exception is recorded once this
    # transaction has rolled back, not inside it.
    with transaction.atomic():
        result = apply(source)
        state = InboundDocument.State.DUPLICATE if result.duplicate else InboundDocument.State.PROCESSED
        _finish(document, state, result.outcome, "")
    return result


def inbound_document_reject(*, document: InboundDocument, code: str, error: str) -> None:
    """Record that a stored payload could not be read at all (malformed, binary, wrong type)."""
    document.attempts += 1
    _finish(document, InboundDocument.State.REJECTED, code, error)


def inbound_document_settle(*, document: InboundDocument, state: str, code: str, error: str) -> None:
    """Record a document's outcome (when a channel applied it in several steps) and tell its sender."""
    _finish(document, state, code, error)


def _finish(document: InboundDocument, state: str, code: str, error: str) -> None:
    document.state, document.outcome_code, document.error = state, code[:40], error
    document.processed_at = timezone.now()
    # Inside the write path's transaction no savepoint is needed: any error there rolls it all back.
    with transaction.atomic(savepoint=False):
        InboundDocument.objects.filter(pk=document.pk).update(
            state=state,
            outcome_code=document.outcome_code,
            error=error,
            processed_at=document.processed_at,
            attempts=document.attempts,
        )
        if state == InboundDocument.State.FAILED:
            return  # it will be tried again; tell the sender once it is settled
        summary = {
            "document": document.pk,
            "document_type": document.document_type,
            "channel": document.channel,
            "state": state,
            "outcome": document.outcome_code,
            "error": error,
            "correlation_id": document.correlation_id,
        }
        outbox_write(
            webhook_rows(
                event="document.processed",
                supplier=document.supplier,
                payload=summary,
                supplier_payload=summary,
                key=f"document.processed:{document.pk}:{document.attempts}",
                source=WriteSource(channel=document.channel, label="gateway", correlation_id=document.correlation_id),
            )
        )
