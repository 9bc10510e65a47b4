"""The documents console: every stored inbound payload and every outbound message, a document's
timeline, replaying an inbound one (a second buyer approves those that move money) and resending an
outbound one. Every action goes through a procurement service and is audited there."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gateway import text_encoding
from gateway.actors import Actor
from notifications.models import OutboundMessage
from procurement.models import AuditEvent, DocumentReplayRequest, InboundDocument, ProcurementException
from procurement.selectors import inbound_documents_for, outbound_messages_for
from procurement.services import (
    ProcurementError,
    WriteSource,
    document_replay_approve,
    document_replay_request,
    inbound_document_replay,
    outbox_message_retry,
    replay_needs_approval,
)
from procurement.services.replays import replayer_for

from ..forms import DocumentFilterForm
from .access import buyer_page

M = TypeVar("M", bound=Model)
PER_PAGE = 50
PREVIEW_BYTES = 4096


def _period(qs: QuerySet[M], field: str, since: dt.date | None, until: dt.date | None) -> QuerySet[M]:
    if since:
        qs = qs.filter(**{f"{field}__gte": dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)})
    if until:
        qs = qs.filter(
            **{f"{field}__lt": dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)}
        )
    return qs


def _sent(actor: Actor, data: dict[str, Any]) -> QuerySet[OutboundMessage]:
    qs = outbound_messages_for(actor=actor)
    if data.get("channel"):
        qs = qs.filter(kind=data["channel"])
    if data.get("partner"):
        qs = qs.filter(Q(supplier__code=data["partner"]) | Q(destination=data["partner"]))
    if data.get("state"):
        qs = qs.filter(state=data["state"])
    return _period(qs, "created_at", data.get("since"), data.get("until"))


def _received(actor: Actor, data: dict[str, Any]) -> QuerySet[InboundDocument]:
    qs = inbound_documents_for(actor=actor).select_related("supplier")
    if data.get("channel"):
        qs = qs.filter(channel=data["channel"])
    if data.get("partner"):
        qs = qs.filter(Q(supplier__code=data["partner"]) | Q(sender=data["partner"]))
    if data.get("state"):
        qs = qs.filter(state=data["state"])
    return _period(qs, "received_at", data.get("since"), data.get("until"))


@require_GET
@buyer_page
def document_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = DocumentFilterForm(request.GET)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {"direction": "in"}
    direction = data.get("direction") or "in"
    rows: QuerySet[Any] = _sent(actor, data) if direction == "out" else _received(actor, data)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "direction": direction, "section": "documents"}
    return render(request, "workbench/document_list.html", context)


def _inbound_for(actor: Actor, pk: int, *, placed: bool = False) -> InboundDocument:
    """The document if the actor may see it; ``placed``: only one placed with a company of theirs (to act on)."""
    document = inbound_documents_for(actor=actor).select_related("supplier", "company").filter(pk=pk).first()
    if document is None or (placed and document.company_id is None):
        raise Http404("No such document.")
    return document


@require_GET
@buyer_page
def inbound_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    document = _inbound_for(actor, pk)
    # A supplier's payload placed with no company may have been meant for another company the
    # supplier serves: its outcome is shown, its content is not (inbound_documents_for).
    unplaced = document.company_id is None
    preview, decoded_as, payload_missing = "", "", False
    if not unplaced:
        try:
            with document.open_payload() as payload:
                preview, decoded_as = text_encoding.preview(payload.read(PREVIEW_BYTES))
        except OSError:  # the stored file is gone or unreadable: the page says so rather than failing
            payload_missing = True
    events = AuditEvent.objects.filter(
        Q(object_type="InboundDocument", object_id=str(document.pk))
        | Q(correlation_id=document.correlation_id, company_id__in=actor.company_ids)
        if document.correlation_id
        else Q(object_type="InboundDocument", object_id=str(document.pk))
    )
    if unplaced:  # what was recorded of it for another company the supplier serves is that company's
        events = events.filter(company_id__in=actor.company_ids)
    events = events.order_by("occurred_at", "id")[:200]
    context = {
        "document": document,
        "preview": preview,
        "decoded_as": decoded_as,
        "truncated": document.size > PREVIEW_BYTES and not payload_missing and not unplaced,
        "payload_missing": payload_missing,
        "unplaced": unplaced,
        # An unplaced document that was read (an upload naming two companies' POs) may name the
        # other company's orders in its error; one refused unread says only why it could not be read.
        "detail": document.error if not unplaced or document.state == InboundDocument.State.REJECTED else "",
        "events": events,
        "exceptions": ProcurementException.objects.filter(
            inbound_document=document, company_id__in=sorted(actor.company_ids)
        ).order_by("raised_at", "id"),
        "requests": DocumentReplayRequest.objects.filter(document=document)
        .select_related("requested_by", "approved_by")
        .order_by("-requested_at"),
        "can_replay": not unplaced and replayer_for(document) is not None,
        "needs_approval": replay_needs_approval(document),
        "section": "documents",
    }
    return render(request, "workbench/inbound_detail.html", context)


def _back(pk: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("workbench:inbound_detail", args=[pk]))


@require_POST
@buyer_page
def inbound_replay(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Replay now, or (for a document that moves money) ask a second buyer to approve the replay."""
    document = _inbound_for(actor, pk, placed=True)
    try:
        if replay_needs_approval(document):
            reason = request.POST.get("reason", "")
            made = document_replay_request(actor=actor, user=cast(User, request.user), document_id=pk, reason=reason)
            messages.success(request, f"Replay requested (#{made.pk}): another buyer of the company must approve it.")
        else:
            outcome = inbound_document_replay(actor=actor, user=cast(User, request.user), document_id=pk)
            messages.success(request, f"Replayed: {outcome}.")
    except ProcurementError as error:
        messages.error(request, error.message)
    return _back(pk)


@require_POST
@buyer_page
def replay_approve(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    waiting = DocumentReplayRequest.objects.filter(pk=pk, company_id__in=actor.company_ids).first()
    if waiting is None:
        raise Http404("No such replay request.")
    try:
        done = document_replay_approve(actor=actor, user=cast(User, request.user), request_id=pk)
        messages.success(request, f"Replay approved and run: {done.outcome}.")
    except ProcurementError as error:
        messages.error(request, error.message)
    return _back(waiting.document_id)


@require_GET
@buyer_page
def outbound_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    message = outbound_messages_for(actor=actor).filter(pk=pk).first()
    if message is None:
        raise Http404("No such message.")
    events = AuditEvent.objects.filter(object_type="OutboundMessage", object_id=str(message.pk)).order_by(
        "occurred_at", "id"
    )
    context = {
        "message": message,
        "attempts": message.attempt_log.order_by("number"),
        "events": events,
        "section": "documents",
    }
    return render(request, "workbench/outbound_detail.html", context)


@require_POST
@buyer_page
def outbound_resend(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Send a message again (a dead letter, or a delivered one the receiver asks for again). Audited."""
    if not outbound_messages_for(actor=actor).filter(pk=pk).exists():
        raise Http404("No such message.")
    source = WriteSource(channel="workbench", label=f"buyer {request.user.get_username()}", actor=request.user)
    try:
        outbox_message_retry(message_id=pk, source=source, redeliver=True)
        messages.success(request, "The message is queued to be sent again.")
    except ProcurementError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(reverse("workbench:outbound_detail", args=[pk]))
