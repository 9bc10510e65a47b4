"""Invoice a PO or a ship notice, and see why an invoice is on hold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from gateway.actors import Actor
from gateway.formatting import po_label
from portal.access import acting_supplier_id, supplier_page
from portal.holds import hold_reasons
from portal.invoice_forms import InvoiceHeaderForm, InvoiceLineFormSet, invoice_input
from portal.ship_forms import today
from portal.submit import form_rejected, form_store, may_submit, submission_apply, submitted
from procurement.models import POLine, PurchaseOrder
from procurement.selectors import exceptions_for, invoices_for, shipments_for
from procurement.services import invoice_record
from suppliers.models import Supplier

from .acknowledge import po_context, po_get_for

ZERO = Decimal("0")


@require_http_methods(["GET", "POST"])
@supplier_page
def invoice_from_po(request: HttpRequest, actor: Actor, po_id: int) -> HttpResponse:
    """Prefilled with what was shipped and not yet invoiced (else what is left to invoice of the order)."""
    order = po_get_for(actor, po_id)
    lines = [line for line in order.lines.all() if not line.cancelled]
    prefill = {line.pk: _left_to_invoice(line) for line in lines}
    return _invoice_page(request, actor, order, lines, prefill, source=po_label(order.number), context={})


@require_http_methods(["GET", "POST"])
@supplier_page
def invoice_from_shipment(request: HttpRequest, actor: Actor, shipment_id: int) -> HttpResponse:
    """Prefilled with the notice's quantities for one of its POs (the first, or ``?po=``)."""
    shipment = shipments_for(actor=actor).filter(pk=shipment_id).first()
    if shipment is None:
        raise Http404("No such ship notice.")
    shipped: dict[int, Decimal] = {}
    for po_line_id, quantity in shipment.lines.values_list("po_line_id", "quantity"):
        shipped[po_line_id] = shipped.get(po_line_id, ZERO) + quantity
    orders = PurchaseOrder.objects.filter(lines__in=list(shipped)).distinct().order_by("number")
    wanted = request.GET.get("po") or request.POST.get("po")
    order_ids = [o.pk for o in orders]
    po_id = int(wanted) if wanted and wanted.isdigit() and int(wanted) in order_ids else (order_ids or [0])[0]
    order = po_get_for(actor, po_id)
    lines = [line for line in order.lines.all() if line.pk in shipped]
    prefill = {line.pk: shipped[line.pk] for line in lines}
    return _invoice_page(
        request,
        actor,
        order,
        lines,
        prefill,
        source=f"ship notice {shipment.shipment_id}",
        orders=list(orders),
        context={"shipment": shipment.pk},
    )


def _left_to_invoice(line: POLine) -> Decimal:
    shipped_left = line.shipped_quantity - line.invoiced_quantity
    if shipped_left > 0:
        return shipped_left
    target = line.confirmed_quantity if line.confirmed_quantity is not None else line.quantity
    return max(target - line.invoiced_quantity, ZERO)


def _invoice_page(
    request: HttpRequest,
    actor: Actor,
    order: PurchaseOrder,
    lines: list[POLine],
    prefill: dict[int, Decimal],
    *,
    source: str,
    orders: list[PurchaseOrder] | None = None,
    context: dict[str, Any],
) -> HttpResponse:
    supplier = Supplier.objects.get(pk=acting_supplier_id(actor))
    writer = may_submit(request)
    errors: list[str] = []
    if request.method == "POST":
        if not writer:
            raise PermissionDenied("Your role lets you read documents, not send them.")
        document = form_store(
            request, supplier, "invoice", company=order.company, form="invoice", **po_context(order), **context
        )
        header, rows = InvoiceHeaderForm(request.POST), InvoiceLineFormSet(request.POST)
        invoice = None
        if header.is_valid() and rows.is_valid():
            invoice, errors = invoice_input(
                header=header,
                rows=rows.forms,
                lines={line.pk: line for line in lines},
                po_number=order.number,
                company=order.company.code,
            )
        if invoice is None:
            form_rejected(document, {"header": header.errors, "lines": rows.errors, "invoice": errors})
        else:
            submission = submission_apply(
                request, document, lambda src: invoice_record(supplier=supplier, invoice=invoice, source=src)
            )
            if submission.result is not None:
                return submitted(request, submission)
            errors = [submission.refusal]
    else:
        header = InvoiceHeaderForm(initial={"invoice_date": today()})
        rows = InvoiceLineFormSet(
            initial=[
                {
                    "line_id": line.pk,
                    "include": prefill[line.pk] > 0,
                    "quantity": prefill[line.pk],
                    "unit_price": line.confirmed_price if line.confirmed_price is not None else line.unit_price,
                }
                for line in lines
            ]
        )
    return render(
        request,
        "portal/invoice_form.html",
        {
            "supplier": supplier,
            "order": order,
            "orders": orders or [],
            "source": source,
            "header": header,
            "formset": rows,
            "rows": list(zip(lines, rows.forms, strict=False)),
            "errors": errors,
            "writer": writer,
            "section": "invoices",
        },
    )


@require_GET
@supplier_page
def invoice_detail(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    invoice = invoices_for(actor=actor).filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404("No such invoice.")
    exceptions = list(exceptions_for(actor=actor).filter(invoice=invoice).order_by("raised_at", "id"))
    return render(
        request,
        "portal/invoice_detail.html",
        {
            "supplier": Supplier.objects.get(pk=acting_supplier_id(actor)),
            "invoice": invoice,
            "reasons": hold_reasons(invoice, exceptions),
            "section": "invoices",
        },
    )
