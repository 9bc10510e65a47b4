"""Store first: every inbound payload is kept as it arrived before anything parses it."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gateway import metrics
from gateway.correlation import get_correlation_id, new_correlation_id
from gateway.logs import log_context
from notifications.services import outbox_write
from procurement.models import Company, InboundDocument, ProcurementException, PurchaseOrder, Shipment, ShipmentLine

from .bulk import rows_insert, rows_update
from .closing import exceptions_close
from .errors import ProcurementError
from .notify import webhook_rows
from .refusals import records_refusals
from .sources import RecordResult, WriteSource

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from suppliers.models import Supplier

log = logging.getLogger(__name__)


def inbound_document_store(
    *,
    channel: str,
    sender: str,
    content: bytes,
    supplier: Supplier | None = None,
    company: Company | None = None,
    document_type: str = "",
    filename: str = "",
    content_type: str = "",
    correlation_id: str = "",
    declared_size: int | None = None,
    max_bytes: int | None = None,
    path: Path | None = None,
) -> InboundDocument:
    """Keep ``content`` (or the file at ``path``) exactly as received, committed at once, and return the row.

    A payload up to ``GATEWAY_INBOUND_ROW_MAX_BYTES`` is kept in the row; a larger one in the
    content-addressed file store (``payload_file_store``), the row keeping its hash, size and
    place. A file at ``path`` is read in chunks, never whole, so its size is bounded only by the
    limit. ``document.open_payload()`` reads either.

    Inside a caller's transaction (the API claims the Idempotency-Key in the same one) it commits
    with that transaction, still before anything parses it; no savepoint is taken for one insert.

    A payload over ``GATEWAY_INBOUND_MAX_BYTES`` is recorded (size, hash, sender) as rejected
    without its bytes, so the refusal is on file but the store is not filled by one sender. A
    channel that refuses to read an oversized body passes its ``declared_size`` instead, and a
    channel with a limit of its own passes ``max_bytes``.
    """
    document = inbound_document_build(
        channel=channel,
        sender=sender,
        content=content,
        supplier=supplier,
        company=company,
        document_type=document_type,
        filename=filename,
        content_type=content_type,
        correlation_id=correlation_id,
        declared_size=declared_size,
        max_bytes=max_bytes,
        path=path,
    )
    with transaction.atomic(savepoint=False):
        document.save(force_insert=True)
    return document


def inbound_documents_insert(documents: list[InboundDocument]) -> None:
    """Insert documents made by ``inbound_document_build`` in one statement, in the caller's
    transaction: a channel that takes several payloads at once (a scan of a partner's inbox)
    stores them together, as ``inbound_document_store`` stores one."""
    rows_insert(documents)


def inbound_document_build(
    *,
    channel: str,
    sender: str,
    content: bytes,
    supplier: Supplier | None = None,
    company: Company | None = None,
    document_type: str = "",
    filename: str = "",
    content_type: str = "",
    correlation_id: str = "",
    declared_size: int | None = None,
    max_bytes: int | None = None,
    path: Path | None = None,
) -> InboundDocument:
    """The row ``inbound_document_store`` inserts, not inserted yet; a large payload is already in
    the file store (``payload_file_store``), whose files are kept whether the row commits or not."""
    now = timezone.now()
    size = len(content) if path is None else path.stat().st_size
    if declared_size is not None:
        size = declared_size
    limit = settings.GATEWAY_INBOUND_MAX_BYTES if max_bytes is None else max_bytes
    too_large = size > limit
    sha256, store_path = hashlib.sha256(content).hexdigest(), ""
    if not too_large and size > settings.GATEWAY_INBOUND_ROW_MAX_BYTES:
        if path is not None:
            with path.open("rb") as payload:
                sha256, size, store_path = payload_file_store(payload)
        else:
            sha256, size, store_path = payload_file_store(io.BytesIO(content))
        content = b""
    elif not too_large and path is not None:
        content = path.read_bytes()
        size, sha256 = len(content), hashlib.sha256(content).hexdigest()
    return InboundDocument(
        channel=channel,
        sender=sender[:80],
        supplier=supplier,
        company=company,
        document_type=document_type[:32],
        filename=filename[:255],
        content_type=content_type[:100],
        content=b"" if too_large else content,
        store_path=store_path,
        size=size,
        sha256=sha256,
        correlation_id=correlation_id or get_correlation_id() or new_correlation_id(),
        received_at=now,
        state=InboundDocument.State.REJECTED if too_large else InboundDocument.State.RECEIVED,
        outcome_code="too_large" if too_large else "",
        error=(f"payload of {size} bytes exceeds the limit of {limit} bytes" if too_large else ""),
    )


def payload_file_store(payload: BinaryIO) -> tuple[str, int, str]:
    """Copy ``payload`` into the content-addressed store: ``GATEWAY_FILE_ROOT/store/<sha256[:2]>/<sha256>``.

    Written under a temporary name, flushed to disk, made read-only and renamed into place, so a
    stored payload is whole or absent, and never changes. The same content stored twice is one
    file. Returns (sha256, size, the path under ``GATEWAY_FILE_ROOT``).
    """
    root = Path(settings.GATEWAY_FILE_ROOT)
    incoming = root / "store"
    incoming.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, temporary = tempfile.mkstemp(dir=incoming, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := payload.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha256 = digest.hexdigest()
        relative = f"store/{sha256[:2]}/{sha256}"
        target = root / relative
        target.parent.mkdir(exist_ok=True)
        os.chmod(temporary, 0o444)
        os.replace(temporary, target)
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a crash
        finally:
            os.close(folder)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return sha256, size, relative


def inbound_document_apply(
    *,
    document: InboundDocument,
    label: str,
    apply: Callable[[WriteSource], RecordResult],
    actor: AbstractBaseUser | None = None,
    replayed: bool = False,
) -> RecordResult:
    """Run ``apply`` (a write-path service call) for a stored document and record its outcome on the row.

    Outcomes: ``processed``, ``duplicate``, ``refused`` (a domain refusal, with its code and
    message). Any other error marks the row ``failed`` and is raised again so a task can retry;
    the payload stays on file either way. ``replayed``: this run is a replay of the stored
    document, whose outcome replaces a refusal it had (``inbound_document_settle``).

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
    attempts = document.attempts
    with log_context(correlation_id=document.correlation_id, document_id=document.pk, partner=document.sender):
        try:
            result = _apply_settled(document, source, apply, replayed)
        except ProcurementError as error:
            document.attempts = attempts  # the rollback undid any settling inside the write path
            inbound_document_settle(
                document=document,
                state=InboundDocument.State.REFUSED,
                code=error.code,
                error=error.message,
                company_id=_refusal_company_id(error),
                replayed=replayed,
            )
            raise
        except Exception as error:
            document.attempts = attempts
            inbound_document_settle(
                document=document,
                state=InboundDocument.State.FAILED,
                code="error",
                error=f"{type(error).__name__}: {error}",
                replayed=replayed,
            )
            raise
    return result


def _refusal_company_id(error: ProcurementError) -> int | None:
    """The company whose buyers were told of a refusal (its recorded exception's): a refused document
    is placed with it, so they see the document in their console and can replay it once the cause
    is fixed. None when the refusal recorded no exception."""
    if error.exception_id is None:
        return None
    return ProcurementException.objects.filter(pk=error.exception_id).values_list("company_id", flat=True).first()


@records_refusals
def _apply_settled(
    document: InboundDocument, source: WriteSource, apply: Callable[[WriteSource], RecordResult], replayed: bool
) -> RecordResult:
    # The outermost service call of the document: a refusal's exception is recorded once this
    # transaction has rolled back, not inside it.
    refusals = _refusals_open(document) if replayed and document.state in REOPENED_BY_REPLAY else []
    with transaction.atomic():
        result = apply(source)
        state = InboundDocument.State.DUPLICATE if result.duplicate else InboundDocument.State.PROCESSED
        settled = inbound_document_settle(
            document=document,
            state=state,
            code=result.outcome,
            error="",
            company_id=record_company_id(result.record),
            replayed=replayed,
        )
        if settled and refusals:
            exceptions_close(
                ProcurementException.objects.filter(pk__in=refusals),
                resolution=ProcurementException.Resolution.AUTO_CLEARED,
                source=source,
                note=f"The document was replayed and is now {state}: {result.outcome}.",
                now=timezone.now(),
            )
    return result


def _refusals_open(document: InboundDocument) -> list[int]:
    """The open exceptions that tell of a document's refusal (a refused attempt committed nothing
    else, so every exception on file for it is its refusal's), taken before a replay applies it:
    those the replay itself raises are not among them."""
    return list(
        ProcurementException.objects.filter(
            inbound_document=document, state__in=ProcurementException.OPEN_STATES
        ).values_list("pk", flat=True)
    )


def inbound_document_stream(
    *,
    document: InboundDocument,
    label: str,
    apply: Callable[[WriteSource], RecordResult],
    company_id: int | None = None,
) -> RecordResult:
    """Run ``apply``, a streamed ingest that commits its own chunks, then record the outcome on the row.

    Unlike ``inbound_document_apply`` no transaction wraps ``apply``: a bulk body of millions of
    events must not hold its locks for the whole run, nor lose every committed chunk to a failure
    in the last one. The ingest is idempotent per event, so a document that failed midway is sent
    again and only the rest applies. The document is settled afterwards in a transaction of its
    own: ``processed`` (or ``duplicate``), ``refused`` for a domain refusal, ``failed`` with the
    error for anything else, which is raised again. ``company_id`` places the document with its
    buying company (the documents console shows a buyer their companies' documents only).
    """
    source = WriteSource(
        channel=document.channel,
        label=label,
        correlation_id=document.correlation_id,
        document=document,
    )
    with log_context(correlation_id=document.correlation_id, document_id=document.pk, partner=document.sender):
        try:
            result = apply(source)
        except ProcurementError as error:
            inbound_document_settle(
                document=document,
                state=InboundDocument.State.REFUSED,
                code=error.code,
                error=error.message,
                company_id=company_id,
            )
            raise
        except Exception as error:
            inbound_document_settle(
                document=document,
                state=InboundDocument.State.FAILED,
                code="error",
                error=f"{type(error).__name__}: {error}",
                company_id=company_id,
            )
            raise
        state = InboundDocument.State.DUPLICATE if result.duplicate else InboundDocument.State.PROCESSED
        inbound_document_settle(document=document, state=state, code=result.outcome, error="", company_id=company_id)
    return result


def inbound_document_reject(*, document: InboundDocument, code: str, error: str) -> None:
    """Record that a stored payload could not be read at all (malformed, binary, wrong type)."""
    inbound_document_settle(document=document, state=InboundDocument.State.REJECTED, code=code, error=error)


SETTLEABLE = (InboundDocument.State.RECEIVED, InboundDocument.State.FAILED)
# What a replay settles besides: a document that was not applied when it came in. Its cause may
# be fixed since (the PO published, a partner's setup corrected), and the document must then show
# what the replay did, not the refusal it once had.
REOPENED_BY_REPLAY = (InboundDocument.State.REFUSED, InboundDocument.State.REJECTED)


def record_company_id(record: object) -> int | None:
    """The buying company of a record the write path made: its own, or its PO's (a ship notice's
    lines all belong to one company's POs)."""
    if isinstance(record, Shipment):
        return ShipmentLine.objects.filter(shipment=record).values_list("po_line__po__company_id", flat=True).first()
    if isinstance(company_id := getattr(record, "company_id", None), int):
        return company_id
    po = getattr(record, "po", None)
    return po.company_id if isinstance(po, PurchaseOrder) else None


def inbound_document_settle(
    *,
    document: InboundDocument,
    state: str,
    code: str,
    error: str,
    company_id: int | None = None,
    replayed: bool = False,
    webhook_versions: Mapping[int, int] | None = None,
    held: list[InboundDocument] | None = None,
) -> bool:
    """Record the outcome of one attempt at a stored document, and tell its sender once it is final.

    The one place a document's state is written. Each call counts an attempt. Only a document
    still ``received`` or ``failed`` is settled (a conditional UPDATE): a second run of the same
    work — a redelivered task, a sweep — finds it settled and changes nothing, and the sender
    hears of it once. Returns whether this call settled it. ``failed`` is not final: the
    document will be tried again, so the sender is told nothing yet.

    ``replayed``: the attempt is a replay of the stored document (from any channel), which also
    settles a document ``refused`` or ``rejected`` when it came in: its new outcome replaces the
    old one (``processed`` once its cause is fixed, or refused again with the new reason), and the
    sender is told. A document already applied (``processed``, ``duplicate``) keeps its state, so
    a second replay, or two at once, changes nothing. The replay's audit keeps the state before.
    A replay that ends as the document already was (refused again, for the same reason code) is
    counted, but the sender, who was told of that outcome, is not told again.

    ``company_id`` places a document that was stored without a company (a supplier's payload names
    no company until it is applied to a PO).

    ``webhook_versions``: each company's ``webhooks_version`` as the caller read it in its
    transaction (``webhook_rows``), when it has them: the subscriptions come from the cache.

    ``held``: the caller holds the document's row locked as it read it (``SELECT … FOR UPDATE`` in
    its transaction), so the state in hand is the row's: the document is settled in hand only and
    appended to ``held``, for the caller to write with others in one statement before it commits
    (``inbound_documents_settled_write``) rather than in an UPDATE of its own.

    Inside a caller's transaction it commits (or rolls back) with it.
    """
    attempts = document.attempts + 1
    known = (document.state, document.outcome_code)
    placed = {"company_id": company_id} if company_id is not None and document.company_id is None else {}
    processed_at = timezone.now()
    # Inside the write path's transaction no savepoint is needed: any error there rolls it all back.
    with transaction.atomic(savepoint=False):
        settleable = SETTLEABLE + REOPENED_BY_REPLAY if replayed else SETTLEABLE
        if held is None:
            settled = InboundDocument.objects.filter(pk=document.pk, state__in=settleable).update(
                state=state, outcome_code=code[:40], error=error, processed_at=processed_at, attempts=attempts, **placed
            )
        else:
            settled = document.state in settleable
        if not settled:
            return False
        document.state, document.outcome_code, document.error = state, code[:40], error
        document.processed_at, document.attempts = processed_at, attempts
        if placed:
            document.company_id = company_id
        if held is not None:
            held.append(document)
        if state == InboundDocument.State.PROCESSED:
            _applied_measure(document)
        if state == InboundDocument.State.FAILED:
            return True
        if replayed and known == (state, document.outcome_code):
            return True  # replayed to the same outcome: the sender was told it already
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
                company_ids={document.company_id} if document.company_id is not None else set(),
                # Only with the document's company's version: a key without one would never go stale.
                versions=webhook_versions if document.company_id in (webhook_versions or {}) else None,
            )
        )
    return True


# What ``inbound_document_settle`` writes on a document.
SETTLED_FIELDS = ("state", "outcome_code", "error", "processed_at", "attempts", "company_id")


def inbound_documents_settled_write(documents: list[InboundDocument]) -> None:
    """Write documents settled in hand (``inbound_document_settle(held=…)``) in one statement, in the
    transaction that holds their rows locked."""
    rows_update(documents, SETTLED_FIELDS)


def _applied_measure(document: InboundDocument) -> None:
    """Time from receipt to the effect on the record (the document's ``processed_at``), counted once
    the effect has committed: a rolled-back attempt, or a file's savepoint undone in a batch,
    counts nothing."""
    channel, document_type = document.channel, document.document_type
    received_at, applied_at = document.received_at, document.processed_at
    if applied_at is None:
        return
    transaction.on_commit(
        lambda: metrics.document_applied(
            channel=channel, document_type=document_type, received_at=received_at, applied_at=applied_at
        )
    )
