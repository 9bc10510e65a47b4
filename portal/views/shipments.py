"""The ship notice builder, and the shipping labels of a notice sent."""

from __future__ import annotations

import json
import uuid

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from gateway.actors import Actor
from portal.access import acting_supplier_id, supplier_page
from portal.labels import PackLabel, shipping_labels_pdf
from portal.ship_forms import PACK_FIELDS, ShipHeaderForm, ShipLineFormSet, shipment_input, today
from portal.submit import form_rejected, form_store, may_submit, submission_apply, submitted
from procurement.models import Shipment
from procurement.selectors import lines_to_ship_for, ship_tos_for, shipments_for
from procurement.services import DocumentRefused, ShipmentPreflightLine, shipment_preflight, shipment_record
from suppliers.models import Supplier

HEADER_FIELDS = ("shipment_id", "ship_date", "expected_delivery", "carrier", "tracking_number", "bill_of_lading")


@require_http_methods(["GET", "POST"])
@supplier_page
def ship_notice_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    supplier = Supplier.objects.get(pk=acting_supplier_id(actor))
    ship_tos = list(ship_tos_for(actor=actor))
    chosen = _ship_to(request, ship_tos)
    context = {"supplier": supplier, "ship_tos": ship_tos, "ship_to": chosen, "section": "shipments"}
    if chosen is None:
        return render(request, "portal/ship_notice_form.html", context)
    lines = list(lines_to_ship_for(actor=actor, ship_to_id=chosen.pk))
    by_id = {line.pk: line for line in lines}
    writer = may_submit(request)
    warnings: list[ShipmentPreflightLine] = []
    errors: list[str] = []
    if request.method == "POST":
        if not writer:
            raise PermissionDenied("Your role lets you read documents, not send them.")
        action = request.POST.get("action", "preflight")
        header = ShipHeaderForm(request.POST)
        rows = ShipLineFormSet(request.POST)
        if action == "generate" and header.is_valid():
            data = QueryDict(mutable=True)
            data.update(request.POST)
            for key, value in header.generated().items():
                data[key] = value
            header, rows = ShipHeaderForm(data), ShipLineFormSet(data)
        elif action == "submit":
            document = form_store(
                request, supplier, "shipment", company=chosen.company, form="shipment", ship_to=chosen.pk
            )
            valid = header.is_valid() and rows.is_valid()
            shipment, errors = shipment_input(header, rows.forms, by_id) if valid else (None, [])
            if shipment is None:
                form_rejected(document, {"header": header.errors, "lines": rows.errors, "notice": errors})
            else:
                notice = shipment
                submission = submission_apply(
                    request,
                    document,
                    lambda source: shipment_record(supplier=supplier, shipment=notice, source=source),
                )
                if submission.result is not None:
                    return submitted(request, submission)
                errors = [submission.refusal]
        elif header.is_valid() and rows.is_valid():
            shipment, errors = shipment_input(header, rows.forms, by_id)
            if shipment is not None:
                try:
                    warnings = [v for v in shipment_preflight(supplier=supplier, shipment=shipment) if v.over]
                except DocumentRefused as error:
                    errors = [error.message]
    else:
        token = uuid.uuid4().hex
        header = ShipHeaderForm(
            initial={"token": token, "shipment_id": f"ASN-{token[:8].upper()}", "ship_date": today()}
        )
        rows = ShipLineFormSet(
            initial=[{"line_id": line.pk, "quantity": f"{line.open_quantity.normalize():f}"} for line in lines]
        )
    context |= {
        "header": header,
        "pack_fields": [header[name] for name in PACK_FIELDS],
        "header_fields": HEADER_FIELDS,
        "rows": list(zip(lines, rows.forms, strict=False)),
        "formset": rows,
        "warnings": warnings,
        "errors": errors,
        "checked": request.method == "POST" and request.POST.get("action") == "preflight",
        "writer": writer,
    }
    return render(request, "portal/ship_notice_form.html", context)


def _ship_to(request: HttpRequest, ship_tos: list):
    wanted = request.POST.get("ship_to") or request.GET.get("ship_to")
    if not wanted:
        return ship_tos[0] if len(ship_tos) == 1 else None
    for plant in ship_tos:
        if str(plant.pk) == wanted:
            return plant
    raise Http404("No open lines to ship to that place.")


@require_GET
@supplier_page
def shipment_labels(request: HttpRequest, actor: Actor, shipment_id: int) -> HttpResponse:
    """The notice's GS1-128 labels, one PDF page per pack, in the order the packs were sent."""
    shipment = shipments_for(actor=actor).filter(pk=shipment_id).first()
    if shipment is None:
        raise Http404("No such ship notice.")
    labels = shipment_labels_of(shipment)
    if not labels:
        raise Http404("This ship notice has no packs to label.")
    response = HttpResponse(shipping_labels_pdf(labels), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="labels-{shipment.shipment_id}.pdf"'
    return response


def shipment_labels_of(shipment: Shipment) -> list[PackLabel]:
    packs = list(
        shipment.packs.order_by("pk").prefetch_related("lines__po_line__po__ship_to__company", "lines__po_line__item")
    )
    lines = [line for pack in packs for line in pack.lines.all()]
    orders = sorted({line.po_line.po.number for line in lines})
    plant = lines[0].po_line.po.ship_to if lines else None
    supplier = shipment.supplier
    return [
        PackLabel(
            sscc=pack.sscc,
            ship_from=supplier.name,
            ship_to=f"{plant.company.name}\n{plant.name} ({plant.code})" if plant else "",
            shipment_id=shipment.shipment_id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            bill_of_lading=_bill_of_lading(shipment),
            po_numbers=tuple(orders),
            contents=tuple(
                f"PO {line.po_line.po.number}/{line.po_line.line_no} {line.po_line.item.part_number} × "
                f"{line.quantity.normalize():f} {line.uom}"
                + (f" lot {line.lot}" if line.lot else "")
                + (f" s/n {line.serial}" if line.serial else "")
                for line in pack.lines.all()
            ),
            position=n,
            count=len(packs),
        )
        for n, pack in enumerate(packs, start=1)
    ]


def _bill_of_lading(shipment: Shipment) -> str:
    """The ship notice's bill of lading; for one recorded before the record kept it, the one typed in
    the portal's builder, read from the stored submission."""
    if shipment.bill_of_lading:
        return shipment.bill_of_lading
    document = shipment.inbound_document
    if document is None or document.channel != "portal":
        return ""
    try:
        with document.open_payload() as payload:
            fields = json.loads(payload.read())
        return str(fields.get("bill_of_lading", [""])[0])[:30]
    except (ValueError, AttributeError, IndexError, OSError):
        return ""
