"""The PO inbox and the PO page: what a supplier's person reads before answering an order."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from gateway.actors import Actor
from portal import selectors
from portal.access import supplier_page
from portal.forms import InboxFilterForm
from portal.models import PurchaseOrderSeen
from portal.partials import full_render, partial_render, partial_wanted
from procurement.models import PurchaseOrder
from procurement.selectors import purchase_order_line_rows

PAGE_SIZE = 25


@require_GET
@supplier_page
def inbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = InboxFilterForm(request.GET or None, actor=actor)
    orders = selectors.inbox_for(actor=actor, filters=form.filters())
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    lines = purchase_order_line_rows([po.pk for po in rows])
    for po in rows:
        po.inbox_lines = lines[po.pk]
        po.inbox_status = PurchaseOrder.status_for(lines[po.pk]).replace("_", " ")
    context = {"form": form, "page": page, "orders": rows, "section": "orders"}
    if partial_wanted(request):
        return partial_render(request, "portal/_order_results.html", context)
    return full_render(request, "portal/order_list.html", context)


@require_GET
@supplier_page
def order_detail(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    po = selectors.purchase_order_get_for(actor=actor, pk=pk)
    if po is None:
        raise Http404("No such purchase order.")
    lines = list(po.lines.all())
    status = PurchaseOrder.status_for(lines)
    context = {
        "po": po,
        "lines": lines,
        "status": status.replace("_", " "),
        "finished": PurchaseOrder.FINISHED.get(status, ""),
        "revisions": list(selectors.purchase_order_revisions_for(actor=actor, po=po)),
        "documents": selectors.purchase_order_documents_for(actor=actor, po=po),
        "exceptions": list(selectors.purchase_order_exceptions_for(actor=actor, po=po).select_related("po_line")),
        "section": "orders",
    }
    response = render(request, "portal/order_detail.html", context)
    membership = request.supplier_membership  # type: ignore[attr-defined]
    PurchaseOrderSeen.objects.update_or_create(
        user_id=membership.user_id, po=po, defaults={"revision": po.revision, "seen_at": timezone.now()}
    )
    return response
