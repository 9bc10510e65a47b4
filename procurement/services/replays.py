"""Replaying a stored inbound document, and the four-eyes rule for those that move money.

A replay runs a stored payload through its channel's receive path again, as the channel would on
a retry: the write path's document keys make it idempotent (a settled document keeps its state, a
document already applied is a duplicate with no effect). Each replay is audited.

The channels that can replay register a ``Replayer`` from their ``AppConfig.ready()`` (procurement
sits below them and imports none). A replayer also says whether a payload would change financial
state (an invoice): such a document is replayed only when a second buyer of its company approves a
first one's request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway.actors import Actor
from gateway.formatting import channel_words
from procurement.models import DocumentReplayRequest, InboundDocument

from .audit import audit_event, audit_write
from .errors import InvalidAction, NotFound, ProcurementError
from .sources import WriteSource

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class Replayer:
    """``replay(document, source)`` runs the payload again and returns what happened, in words;
    ``moves_money(document)`` says whether the payload would change financial state."""

    replay: Callable[[InboundDocument, WriteSource], str]
    moves_money: Callable[[InboundDocument], bool]


_replayers: dict[str, Replayer] = {}


def document_replayer_register(channel: str, replayer: Replayer) -> None:
    """Let stored documents of ``channel`` be replayed (called from the channel's ``AppConfig.ready()``)."""
    _replayers[channel] = replayer


def replayer_for(document: InboundDocument) -> Replayer | None:
    return _replayers.get(document.channel)


def replay_needs_approval(document: InboundDocument) -> bool:
    """Whether replaying ``document`` needs a second person (it would change financial state)."""
    replayer = replayer_for(document)
    return replayer is not None and replayer.moves_money(document)


def _document_for(actor: Actor, document_id: int) -> InboundDocument:
    # Only a buyer of the company the document was placed in may replay it: a document nobody
    # could place stays with staff, through the channel's own command.
    document = InboundDocument.objects.filter(pk=document_id, company_id__in=actor.company_ids).first()
    if document is None or document.company_id is None or not actor.is_buyer_side:
        raise NotFound(f"No stored document {document_id}.")
    return document


def _replayer(document: InboundDocument) -> Replayer:
    replayer = replayer_for(document)
    if replayer is None:
        raise InvalidAction(
            f"Documents received through {channel_words(document.channel) or 'an unknown channel'} cannot be "
            "replayed from the workbench; ask the sender to send it again."
        )
    return replayer


def _run(document: InboundDocument, replayer: Replayer, *, user: User, action: str, after: dict) -> str:
    """Replay ``document`` and audit it: who (the buyer), when, and its state and outcome code before
    and after. A replay the write path refused again is audited too (its new refusal is on the
    document) before the refusal is raised; one refused before anything was tried writes nothing."""
    source = WriteSource("workbench", f"buyer {user.get_username()}", user, document.correlation_id)
    before = {"state": document.state, "outcome": document.outcome_code}
    attempts = document.attempts
    try:
        outcome = replayer.replay(document, source)
    except Exception as error:
        document.refresh_from_db()
        if document.attempts != attempts:  # the write path ran and settled the document again
            _audit_replay(document, source, action, before, {"error": _failure_reason(error), **after})
        raise
    document.refresh_from_db()
    _audit_replay(document, source, action, before, {"result": outcome, **after})
    return outcome


def _audit_replay(document: InboundDocument, source: WriteSource, action: str, before: dict, after: dict) -> None:
    audit_write(
        [
            audit_event(
                source=source,
                action=action,
                obj=document,
                company=document.company,
                document_key=document.document_key,
                before=before,
                after={"state": document.state, "outcome": document.outcome_code, **after},
            )
        ]
    )


def inbound_document_replay(*, actor: Actor, user: User, document_id: int) -> str:
    """Replay a stored document that moves no money. Idempotent; audited (``document.replayed``).

    Raises ``NotFound`` (not the actor's), ``InvalidAction`` (no replayer for its channel, or it
    needs a second person: ``document_replay_request``). Returns what the replay did, in words.
    """
    document = _document_for(actor, document_id)
    replayer = _replayer(document)
    if replayer.moves_money(document):
        raise InvalidAction(
            "This document would change financial state: request a replay for a second buyer to approve."
        )
    return _run(document, replayer, user=user, action="document.replayed", after={})


@transaction.atomic
def document_replay_request(*, actor: Actor, user: User, document_id: int, reason: str) -> DocumentReplayRequest:
    """Ask for a replay of a document that moves money; another buyer of its company approves it.

    Idempotent: while a request for the document waits, that request is returned and nothing is
    written. Audited (``document.replay_requested``). Raises ``NotFound`` or ``InvalidAction``.
    """
    document = _document_for(actor, document_id)
    _replayer(document)
    company_id = document.company_id
    assert company_id is not None  # _document_for finds only placed documents
    if not reason.strip():
        raise InvalidAction("Say why the document should be replayed.")
    waiting = DocumentReplayRequest.objects.filter(document=document, state=DocumentReplayRequest.State.REQUESTED)
    if (existing := waiting.first()) is not None:
        return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            request = DocumentReplayRequest.objects.create(
                document=document,
                company_id=company_id,
                reason=reason.strip(),
                requested_by=user,
                requested_at=now,
            )
    except IntegrityError:  # another click of the same button won the race
        return waiting.get()
    source = WriteSource("workbench", f"buyer {user.get_username()}", user, document.correlation_id)
    audit_write(
        [
            audit_event(
                source=source,
                action="document.replay_requested",
                obj=document,
                company=document.company,
                document_key=document.document_key,
                after={"request": request.pk, "reason": request.reason},
                now=now,
            )
        ]
    )
    return request


def document_replay_approve(*, actor: Actor, user: User, request_id: int) -> DocumentReplayRequest:
    """A second buyer approves a waiting replay request: the document is replayed, once.

    The request is claimed with a conditional UPDATE before the replay runs, so two approvals at
    once replay it once. A replay that fails (no trading partner, the payload file gone …) puts the
    request back to wait, with why in its outcome, and is audited (``document.replay_failed``): the
    buyers see the reason, and the request can be approved again once the cause is fixed. Raises
    ``NotFound`` (not the actor's company, or no longer waiting) and ``InvalidAction`` (the person
    who asked cannot approve, or the replay failed). Audited (``document.replayed``, naming both people).
    """
    request = (
        DocumentReplayRequest.objects.select_related("document")
        .filter(pk=request_id, company_id__in=actor.company_ids, state=DocumentReplayRequest.State.REQUESTED)
        .first()
    )
    if request is None or not actor.is_buyer_side:
        raise NotFound(f"No replay request {request_id} awaits approval.")
    if request.requested_by_id == user.pk:
        raise InvalidAction("A second person must approve this replay: you asked for it.")
    now = timezone.now()
    claimed = DocumentReplayRequest.objects.filter(pk=request.pk, state=DocumentReplayRequest.State.REQUESTED).update(
        state=DocumentReplayRequest.State.REPLAYED, approved_by=user, approved_at=now
    )
    if not claimed:
        raise NotFound(f"No replay request {request_id} awaits approval.")
    document = request.document
    try:
        outcome = _run(
            document,
            _replayer(document),
            user=user,
            action="document.replayed",
            after={"request": request.pk, "requested_by": request.requested_by_id, "approved_by": user.pk},
        )
    except Exception as error:  # any failure is put back and shown, never left half-done
        _replay_failed(request, document, user=user, error=error)
        raise InvalidAction(
            f"The replay failed: {_failure_reason(error)}. The request still awaits approval."
        ) from error
    DocumentReplayRequest.objects.filter(pk=request.pk).update(outcome=outcome[:200])
    request.refresh_from_db()
    return request


def _failure_reason(error: Exception) -> str:
    if isinstance(error, ProcurementError):
        return error.message.rstrip(".")
    if isinstance(error, OSError):
        return f"the stored payload cannot be read ({error.strerror or error})"
    return f"{type(error).__name__}: {error}".rstrip(".")


def _replay_failed(request: DocumentReplayRequest, document: InboundDocument, *, user: User, error: Exception) -> None:
    """Put a claimed request back to wait, say why on it, and audit the failed attempt."""
    reason = _failure_reason(error)
    with transaction.atomic():
        DocumentReplayRequest.objects.filter(pk=request.pk, state=DocumentReplayRequest.State.REPLAYED).update(
            state=DocumentReplayRequest.State.REQUESTED,
            approved_by=None,
            approved_at=None,
            outcome=f"failed: {reason}"[:200],
        )
        source = WriteSource("workbench", f"buyer {user.get_username()}", user, document.correlation_id)
        audit_write(
            [
                audit_event(
                    source=source,
                    action="document.replay_failed",
                    obj=document,
                    company=document.company,
                    document_key=document.document_key,
                    after={"request": request.pk, "approved_by": user.pk, "error": reason},
                )
            ]
        )
