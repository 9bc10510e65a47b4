"""Acknowledge a PO line by line: pre-flight against tolerance, then one submission, applied once."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from gateway.actors import Actor
from portal.access import supplier_page
from portal.acknowledge_forms import AckHeaderForm, ack_line_formset, acknowledgement_input
from portal.partials import full_render, partial_render, partial_wanted
from portal.submit import form_rejected, form_store, may_submit, submission_apply, submitted
from procurement.models import POLine, PurchaseOrder
from procurement.selectors import purchase_orders_for
from procurement.services import DocumentRefused, acknowledgement_preflight, acknowledgement_record


def po_get_for(actor: Actor, po_id: int) -> PurchaseOrder:
    """The actor's PO with its lines and their items (the form shows no schedule lines), or 404 — the
    same for another supplier's as for a missing one."""
    lines = Prefetch("lines", queryset=POLine.objects.select_related("item").order_by("id"))
    order = purchase_orders_for(actor=actor).prefetch_related(None).prefetch_related(lines).filter(pk=po_id).first()
    if order is None:
        raise Http404("No such purchase order.")
    return order


def po_context(order: PurchaseOrder) -> dict[str, str]:
    """How a stored form names its PO for a replay: company code and number (an id alone is not
    what the supplier sees, and a replay looks the PO up again among the supplier's own)."""
    return {"company_code": order.company.code, "po_number": order.number}


@require_http_methods(["GET", "POST"])
@supplier_page
def acknowledge(request: HttpRequest, actor: Actor, po_id: int) -> HttpResponse:
    order = po_get_for(actor, po_id)
    supplier = request.supplier_membership.supplier  # type: ignore[attr-defined]
    status = PurchaseOrder.status_for(list(order.lines.all()))
    lines = [line for line in order.lines.all() if not line.cancelled]
    line_nos = [line.line_no for line in lines]
    writer = may_submit(request)
    preflight, refusal = None, ""
    if request.method == "POST":
        if not writer:
            raise PermissionDenied("Your role lets you read documents, not send them.")
        header = AckHeaderForm(request.POST)
        formset = ack_line_formset(request.POST, line_nos=line_nos)
        action = request.POST.get("action", "preflight")
        if action in ("submit", "later"):
            document = form_store(
                request, supplier, "acknowledgement", company=order.company, form="acknowledgement", **po_context(order)
            )
            later = action == "later"
            if header.is_valid() and (later or formset.is_valid()):
                ack = acknowledgement_input(
                    po_number=order.number,
                    company=order.company.code,
                    header=header,
                    lines=None if later else [form.to_input() for form in formset.forms],
                )
                submission = submission_apply(
                    request,
                    document,
                    lambda source: acknowledgement_record(supplier=supplier, ack=ack, source=source),
                )
                if submission.result is not None:
                    return submitted(request, submission)
                refusal = submission.refusal
                # The refused answer keeps its document id; what the person sends next is a new document.
                fresh = request.POST.copy()
                fresh["token"] = uuid.uuid4().hex
                header = AckHeaderForm(fresh)
            else:
                form_rejected(document, {"header": header.errors, "lines": formset.errors or formset.non_form_errors()})
        elif header.is_valid() and formset.is_valid():
            ack = acknowledgement_input(
                po_number=order.number,
                company=order.company.code,
                header=header,
                lines=[form.to_input() for form in formset.forms],
            )
            try:
                preflight = {p.line_no: p for p in acknowledgement_preflight(supplier=supplier, ack=ack)}
            except DocumentRefused as error:
                refusal = error.message
    else:
        header = AckHeaderForm(initial={"token": uuid.uuid4().hex, "revision": order.revision})
        formset = ack_line_formset(
            initial=[{"line_no": line.line_no, "response": "ACCEPT"} for line in lines], line_nos=line_nos
        )
    rows = [
        {"line": line, "form": form, "verdict": (preflight or {}).get(line.line_no)}
        for line, form in zip(lines, formset.forms, strict=False)
    ]
    context = {
        "supplier": supplier,
        "order": order,
        "header": header,
        "formset": formset,
        "rows": rows,
        "preflight": preflight,
        "to_buyer": [v for v in (preflight or {}).values() if v.to_buyer],
        "refusal": refusal,
        "writer": writer,
        # A closed or cancelled PO shows why, not a form the write path would refuse.
        "status": status.replace("_", " "),
        "finished": PurchaseOrder.FINISHED.get(status, ""),
        "section": "orders",
    }
    if request.method == "POST" and partial_wanted(request):
        return partial_render(request, "portal/_acknowledge_body.html", context)
    return full_render(request, "portal/acknowledge_form.html", context)
