"""The exception queue and an exception in full: what buyers work on all day.

Reads go through ``procurement.queue``'s actor-scoped selectors; every action is a POST that calls
one ``procurement`` service (audited there) and redirects, so all of it works without JavaScript.
An exception the actor may not see is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from gateway.actors import Actor
from gateway.formatting import po_label
from procurement import queue, services, timeline
from procurement.models import ChangeRequest, CompanyMembership, ProcurementException
from procurement.selectors import purchase_order_line_rows
from procurement.services import ProcurementError, WriteSource

from ..evidence import evidence_rows
from ..models import SavedView
from ..queue_forms import (
    AssignForm,
    BulkForm,
    CommentForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    SavedViewForm,
    colleagues,
)
from ..requirements import exception_planned_purchase, exception_trace
from ..translations import document_translation
from .access import buyer_page

ROWS_PER_PAGE = 50
FILTER_FIELDS = ("severity", "kind", "plant", "supplier", "tier", "channel", "owner", "sla")


class CountedPaginator(Paginator):
    """A paginator told its count: the queue's counts query has it already, so the rows are not counted twice."""

    def __init__(self, *args, count: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


def _source(request: HttpRequest) -> WriteSource:
    return WriteSource(
        channel="workbench",
        label=f"buyer {request.user.get_username()}",
        actor=request.user,
        correlation_id=getattr(request, "correlation_id", ""),
    )


def _queue_query(request: HttpRequest) -> str:
    return urlencode([(k, v) for k in FILTER_FIELDS for v in request.GET.getlist(k) if v])


@require_GET
@buyer_page
def exception_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = QueueFilterForm(request.GET or None, actor=actor)
    where = form.queue_filter()
    now = timezone.now()
    rows = queue.exception_queue_for(actor=actor, where=where, now=now)
    counts = queue.exception_queue_counts(actor=actor, where=where, now=now)
    page = CountedPaginator(rows, ROWS_PER_PAGE, count=counts.pop("matching")).get_page(request.GET.get("page"))
    query = _queue_query(request)
    context = {
        "form": form,
        "page": page,
        "counts": counts,
        "severities": ProcurementException.Severity.choices,
        "saved_views": SavedView.objects.filter(user_id=_me(request).pk),
        "save_form": SavedViewForm(initial={"query": query}),
        "bulk_form": BulkForm(people=colleagues(actor)),
        "query": query,
        "here": request.get_full_path(),
        "now": now,
        "section": "exceptions",
    }
    return render(request, "workbench/exception_list.html", context)


@require_GET
@buyer_page
def exception_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    exc = _visible(actor, pk)
    line = None
    if exc.po_line_id is not None and exc.po_id is not None:
        line = next((row for row in purchase_order_line_rows([exc.po_id])[exc.po_id] if row.pk == exc.po_line_id), None)
    context = {
        "exc": exc,
        "evidence": evidence_rows(exc),
        "planned": exception_planned_purchase(exc),
        "trace": exception_trace(exc),
        "line": line,
        "statuses": line.statuses() if line is not None else {},
        "proposal_open": exc.change_request is not None and exc.change_request.state == ChangeRequest.State.PROPOSED,
        "supplier_reason": _supplier_reason(exc),
        "notes": queue.exception_notes(exc),
        "audit": list(queue.exception_audit(exc)),
        "document_text": queue.document_content(exc.inbound_document),
        "translation": document_translation(exc.inbound_document),
        "answers": queue.document_answers(exc.inbound_document),
        "timeline": timeline.purchase_order_timeline(actor=actor, po=exc.po) if exc.po is not None else [],
        "assign_form": AssignForm(people=colleagues(actor, company_id=exc.company_id)),
        "reason_form": ReasonForm(),
        "note_form": NoteForm(),
        "comment_form": CommentForm(),
        "back": _safe_next(request, default=reverse("workbench:exception_list")),
        "now": timezone.now(),
        "section": "exceptions",
    }
    return render(request, "workbench/exception_detail.html", context)


@require_POST
@buyer_page
def exception_claim(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    exc = _visible(actor, pk)
    user = _me(request)
    return _act(
        request, exc, "Claimed", lambda: services.exception_assign(exception_id=pk, owner=user, source=_source(request))
    )


@require_POST
@buyer_page
def exception_assign(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    exc = _visible(actor, pk)
    form = AssignForm(request.POST, people=colleagues(actor, company_id=exc.company_id))
    if not form.is_valid():
        messages.error(request, "Choose a buyer of the exception's company to assign it to.")
        return _back(request, exc)
    owner = get_user_model().objects.get(pk=form.cleaned_data["owner"])
    return _act(
        request,
        exc,
        f"Assigned to {owner.get_username()}",
        lambda: services.exception_assign(exception_id=pk, owner=owner, source=_source(request)),
    )


@require_POST
@buyer_page
def exception_accept(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    exc = _visible(actor, pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""

    def accept() -> Any:
        accepted = services.exception_accept(exception_id=pk, source=_source(request), note=note)
        return _accepted_effect(accepted)

    return _act(request, exc, "Accepted", accept)


def _with_reason(
    request: HttpRequest,
    exc: ProcurementException,
    *,
    missing: str,
    done: str,
    act: Callable[[str], Any],
) -> HttpResponse:
    """An action that needs a reason: ``missing`` said when none is given, else ``act(reason)`` through ``_act``."""
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, missing)
        return _back(request, exc)
    reason = form.cleaned_data["reason"]
    return _act(request, exc, done, lambda: act(reason))


@require_POST
@buyer_page
def exception_reject(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    return _with_reason(
        request,
        _visible(actor, pk),
        missing="Rejecting needs a reason the supplier can act on.",
        done="Rejected; the supplier is told why",
        act=lambda reason: services.exception_reject(exception_id=pk, source=_source(request), reason=reason),
    )


@require_POST
@buyer_page
def exception_dismiss(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    return _with_reason(
        request,
        _visible(actor, pk),
        missing="Dismissing needs a reason.",
        done="Dismissed",
        act=lambda reason: services.exception_dismiss(exception_id=pk, source=_source(request), reason=reason),
    )


@require_POST
@buyer_page
def exception_escalate(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    exc = _visible(actor, pk)
    form = NoteForm(request.POST)
    reason = form.cleaned_data["note"] if form.is_valid() else ""

    def escalate() -> str:
        note = services.exception_escalate(exception_id=pk, source=_source(request), reason=reason)
        assert note.escalated_to is not None
        return f"the supervisor {note.escalated_to.get_username()} is told"

    return _act(request, exc, "Escalated", escalate)


@require_POST
@buyer_page
def exception_comment(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    exc = _visible(actor, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A note needs some text (at most 4,000 characters).")
        return _back(request, exc)
    body = form.cleaned_data["body"]
    return _act(
        request,
        exc,
        "Note added (buyers only)",
        lambda: services.exception_comment(exception_id=pk, body=body, source=_source(request)),
    )


@require_POST
@buyer_page
def exception_bulk(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Assign or dismiss several exceptions at once; each goes through its service, a refusal is shown per row."""
    back = _safe_next(request, default=reverse("workbench:exception_list"))
    form = BulkForm(request.POST, people=colleagues(actor))
    if not form.is_valid():
        errors = [e for errors in form.errors.values() for e in errors]
        messages.error(request, " ".join(str(e) for e in errors))
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    chosen = list(queue.exceptions_open_for(actor=actor).filter(pk__in=data["ids"]).order_by("id"))
    source = _source(request)
    done, refused = 0, []
    if data["action"] == "assign":
        owner = get_user_model().objects.get(pk=data["owner"])
        for exc in chosen:
            if not _member_of(owner.pk, exc.company_id):
                refused.append(f"#{exc.pk}: {owner.get_username()} does not buy for its company")
                continue
            assign = partial(services.exception_assign, exception_id=exc.pk, owner=owner, source=source)
            done += _try(assign, exc, refused)
        verb = f"Assigned to {owner.get_username()}"
    else:
        for exc in chosen:
            dismiss = partial(services.exception_dismiss, exception_id=exc.pk, source=source, reason=data["reason"])
            done += _try(dismiss, exc, refused)
        verb = "Dismissed"
    missing = len(data["ids"]) - len(chosen)
    if missing:
        refused.append(f"{missing} selected exception(s) are no longer open or not yours to see")
    if done:
        messages.success(request, f"{verb}: {done} of {len(data['ids'])}.")
    for text in refused:
        messages.error(request, text)
    return HttpResponseRedirect(back)


@require_POST
@buyer_page
def saved_view_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A saved view needs a name of at most 80 characters.")
        return HttpResponseRedirect(reverse("workbench:exception_list"))
    query = _clean_query(form.cleaned_data["query"])
    SavedView.objects.update_or_create(
        user_id=_me(request).pk, name=form.cleaned_data["name"], defaults={"query": query}
    )
    messages.success(request, f"Saved the view “{form.cleaned_data['name']}”.")
    return HttpResponseRedirect(f"{reverse('workbench:exception_list')}?{query}")


@require_POST
@buyer_page
def saved_view_delete(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    deleted, _ = SavedView.objects.filter(pk=pk, user_id=_me(request).pk).delete()
    if not deleted:
        raise Http404("No such saved view.")
    messages.success(request, "Saved view deleted.")
    return HttpResponseRedirect(reverse("workbench:exception_list"))


def _me(request: HttpRequest) -> User:
    """The signed-in person (``buyer_page`` lets no one else in)."""
    return cast(User, request.user)


def _visible(actor: Actor, pk: int) -> ProcurementException:
    exc = queue.exception_get_for(actor=actor, exception_id=pk)
    if exc is None:
        raise Http404("No such exception.")
    return exc


def _member_of(user_id: int, company_id: int) -> bool:
    return CompanyMembership.objects.filter(user_id=user_id, company_id=company_id).exists()


def _act(request: HttpRequest, exc: ProcurementException, done: str, call: Callable[[], Any]) -> HttpResponse:
    try:
        effect = call()
    except ProcurementError as error:
        messages.error(request, f"Exception {exc.pk}: {error.message}")
        return _back(request, exc)
    text = f"Exception {exc.pk}: {done}"
    messages.success(request, f"{text} — {effect}" if isinstance(effect, str) and effect else f"{text}.")
    return _back(request, exc)


def _try(call: Callable[[], Any], exc: ProcurementException, refused: list[str]) -> int:
    try:
        call()
    except ProcurementError as error:
        refused.append(f"#{exc.pk}: {error.message}")
        return 0
    return 1


def _accepted_effect(exc: ProcurementException) -> str:
    """What accepting changed, in words the buyer checks against the timeline."""
    if exc.change_request is not None:
        exc.change_request.refresh_from_db()
        revision = exc.change_request.resulting_revision
        if revision:
            return f"{po_label(exc.po.number if exc.po else '')} revision {revision} is sent to the supplier"
        return "the supplier's schedule stands; the PO keeps its revision"
    if exc.invoice is not None:
        exc.invoice.refresh_from_db()
        return f"invoice {exc.invoice.invoice_number} is {exc.invoice.get_match_status_display().lower()}"
    return "the deviation stands as it is"


def _back(request: HttpRequest, exc: ProcurementException) -> HttpResponse:
    return HttpResponseRedirect(_safe_next(request, default=reverse("workbench:exception_detail", args=[exc.pk])))


def _safe_next(request: HttpRequest, *, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        and target.startswith("/workbench/")
    ):
        return target
    return default


def _clean_query(query: str) -> str:
    given = QueryDict(query)
    return urlencode([(k, v) for k in FILTER_FIELDS for v in given.getlist(k) if v])


def _supplier_reason(exc: ProcurementException) -> str:
    """What the supplier said: the note on its acknowledgement line or header, if it gave one."""
    cr = exc.change_request
    if cr is None or cr.ack is None:
        return ""
    line_note = cr.ack.lines.filter(po_line_id=cr.po_line_id).values_list("note", flat=True).first()
    return line_note or cr.ack.note
