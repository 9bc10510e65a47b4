"""CSV uploads: template, preview with every row's errors before anything is applied, then a result per row."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gateway.actors import Actor
from portal import csv_uploads as c
from portal.access import acting_supplier_id, supplier_page
from portal.csv_apply import TYPES, csv_upload_apply, upload_groups
from portal.submit import CHANNEL, may_submit
from procurement.models import InboundDocument
from procurement.selectors import exceptions_for, inbound_documents_for
from procurement.services import (
    DocumentRefused,
    acknowledgement_preflight,
    inbound_document_reject,
    inbound_document_store,
    shipment_preflight,
)
from suppliers.models import Supplier

MAX_BYTES = 50 * 1024 * 1024


def upload_limit() -> int:
    return getattr(settings, "PORTAL_UPLOAD_MAX_BYTES", MAX_BYTES)


@require_http_methods(["GET", "POST"])
@supplier_page
def upload_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    supplier = Supplier.objects.get(pk=acting_supplier_id(actor))
    writer = may_submit(request)
    problem = ""
    if request.method == "POST":
        if not writer:
            raise PermissionDenied("Your role lets you read documents, not send them.")
        kind, upload = request.POST.get("kind", ""), request.FILES.get("file")
        if kind not in c.KINDS:
            problem = "Choose what the file holds: acknowledgements or ship notices."
        elif upload is None:
            problem = "Choose a CSV file to upload."
        else:
            too_large = (upload.size or 0) > upload_limit()
            document = inbound_document_store(
                channel=CHANNEL,
                sender=supplier.code,
                content=b"" if too_large else upload.read(),
                declared_size=upload.size if too_large else None,
                max_bytes=upload_limit(),
                supplier=supplier,
                document_type=f"csv_{kind}",
                filename=upload.name or "",
                content_type=upload.content_type or "",
                correlation_id=getattr(request, "correlation_id", ""),
            )
            if not too_large:
                try:
                    with document.open_payload() as payload:
                        c.read_rows(payload.read(), kind)
                except c.FileRefused as error:
                    inbound_document_reject(document=document, code=error.code, error=error.message)
            return redirect("portal:upload_detail", document_id=document.pk)
    return render(
        request,
        "portal/upload_form.html",
        {"supplier": supplier, "kinds": c.KINDS, "problem": problem, "writer": writer, "section": "uploads"},
    )


@require_GET
@supplier_page
def upload_template(request: HttpRequest, actor: Actor, kind: str) -> HttpResponse:
    if kind not in c.KINDS:
        raise Http404("No such template.")
    response = HttpResponse(c.template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response


@require_GET
@supplier_page
def upload_detail(request: HttpRequest, actor: Actor, document_id: int) -> HttpResponse:
    """The preview: every row with its errors, or what applying it will do (nothing written)."""
    document, kind = _upload_get(actor, document_id)
    groups = upload_groups(document) if document.state == InboundDocument.State.RECEIVED else []
    supplier = Supplier.objects.get(pk=acting_supplier_id(actor))
    for group in groups:
        _preflight(group, kind, supplier, document)
    return _page(request, actor, document, groups)


@require_POST
@supplier_page
def upload_apply(request: HttpRequest, actor: Actor, document_id: int) -> HttpResponse:
    """Apply every document of a previewed file, each through the write path; a result per row."""
    document, _kind = _upload_get(actor, document_id)
    if not may_submit(request):
        raise PermissionDenied("Your role lets you read documents, not send them.")
    if document.state != InboundDocument.State.RECEIVED:
        return redirect("portal:upload_detail", document_id=document.pk)
    groups = upload_groups(document)
    if any(row.errors for group in groups for row in group.rows):
        return redirect("portal:upload_detail", document_id=document.pk)
    supplier = Supplier.objects.get(pk=acting_supplier_id(actor))
    csv_upload_apply(
        document=document,
        groups=groups,
        supplier=supplier,
        person=cast(AbstractBaseUser, request.user),  # supplier_page: a signed-in person
        label=f"user {request.user.get_username()}",
    )
    return _page(request, actor, document, groups, applied=True)


def _upload_get(actor: Actor, document_id: int) -> tuple[InboundDocument, str]:
    document = inbound_documents_for(actor=actor).filter(pk=document_id, document_type__in=list(TYPES)).first()
    if document is None:
        raise Http404("No such upload.")
    return document, TYPES[document.document_type]


def _preflight(group: c.Group, kind: str, supplier: Supplier, document: InboundDocument) -> None:
    """What each valid group would do, in the words of the write path's pre-flight; its refusal on every row."""
    if any(row.errors for row in group.rows):
        return
    try:
        if kind == "acknowledgements":
            verdicts = acknowledgement_preflight(
                supplier=supplier, ack=c.acknowledgement_input(group, f"csv-{document.pk}-{group.key}")
            )
            by_line = {v.line_no: v for v in verdicts}
            for row in group.rows:
                verdict = by_line.get(row.values["line_no"])
                if verdict is not None:
                    row.note = _ack_note(verdict.to_buyer, verdict.outside)
        else:
            over = {
                (v.po_number, v.line_no): v.over
                for v in shipment_preflight(supplier=supplier, shipment=c.shipment_input(group))
            }
            for row in group.rows:
                row.note = over.get((row.values["po_number"], row.values["line_no"])) or "ok"
    except DocumentRefused as error:
        for row in group.rows:
            row.errors.append(error.message)


def _ack_note(to_buyer: bool, outside: tuple[str, ...]) -> str:
    if not to_buyer:
        return "ok"
    return f"goes to the buyer: {'; '.join(outside)}" if outside else "goes to the buyer for a decision"


def _page(
    request: HttpRequest, actor: Actor, document: InboundDocument, groups: list[c.Group], *, applied: bool = False
) -> HttpResponse:
    rows = sorted((row for group in groups for row in group.rows), key=lambda row: row.number)
    refusals = {row.number: g.refusal for g in groups for row in g.rows if g.refusal}
    columns = c.KINDS[TYPES[document.document_type]]
    return render(
        request,
        "portal/upload_detail.html",
        {
            "supplier": Supplier.objects.get(pk=acting_supplier_id(actor)),
            "document": document,
            "rows": [
                (row, [row.values.get(name, "") for name in columns], refusals.get(row.number, "")) for row in rows
            ],
            "columns": columns,
            "errors": sum(1 for row in rows if row.errors),
            "applied": applied,
            "can_apply": document.state == InboundDocument.State.RECEIVED and rows and not any(r.errors for r in rows),
            "writer": may_submit(request),
            "exceptions": exceptions_for(actor=actor).filter(correlation_id=document.correlation_id) if applied else [],
            "section": "uploads",
        },
    )
