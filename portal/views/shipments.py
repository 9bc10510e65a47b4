"""The ship notice builder, and the shipping labels of a notice sent."""

from __future__ import annotations

import json
import uuid

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods

from gateway.actors import Actor
from gateway.formatting import po_label
from portal.access import supplier_page
from portal.labels import PackLabel, shipping_labels_pdf
from portal.partials import full_render, partial_render, partial_wanted
from portal.ship_forms import (
    PACK_FIELDS,
    ShipHeaderForm,
    ShipLineFormSet,
    row_number,
    rows_with_pack_added,
    rows_with_pack_removed,
    shipment_input,
    today,
)
from portal.submit import form_rejected, form_store, may_submit, submission_apply, submitted
from procurement.models import POLine, Shipment
from procurement.selectors import lines_to_ship_for, ship_tos_for, shipments_for
from procurement.services import DocumentRefused, ShipmentPreflightLine, shipment_preflight, shipment_record

HEADER_FIELDS = ("shipment_id", "ship_date", "expected_delivery", "carrier", "tracking_number", "bill_of_lading")


@require_http_methods(["GET", "POST"])
@supplier_page
def ship_notice_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    supplier = request.supplier_membership.supplier  # type: ignore[attr-defined]
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
    added: int | None = None
    # What a screen reader hears after an htmx swap (the live region), besides errors and checks.
    news = ""
    if request.method == "POST":
        if not writer:
            raise PermissionDenied("Your role lets you read documents, not send them.")
        action = request.POST.get("action", "preflight")
        header = ShipHeaderForm(request.POST)
        rows = ShipLineFormSet(request.POST)
        if action == "generate" and header.is_valid():
            data = QueryDict(mutable=True)
            data.update(request.POST)
            generated = header.generated()
            filled = sum(1 for name in PACK_FIELDS if generated.get(name, "") != request.POST.get(name, ""))
            for key, value in generated.items():
                data[key] = value
            header, rows = ShipHeaderForm(data), ShipLineFormSet(data)
            news = f"{filled} SSCC{pluralize(filled)} generated."
        elif action == "generate":
            news = "Some fields need correcting before SSCCs can be generated."
        elif action.startswith("split-"):
            # One more row for a line: its quantity split over one more pack. Nothing is checked yet,
            # so the form comes back as typed, without errors for what is still to fill in.
            initial, problem = rows_with_pack_added(request.POST, _row_index(action), set(by_id))
            header = ShipHeaderForm(initial={name: request.POST.get(name, "") for name in ShipHeaderForm().fields})
            rows = ShipLineFormSet(initial=initial)
            errors = [problem] if problem else []
            added = None if problem else _added_row(initial, request.POST)
            news = "" if problem else "A pack row was added; type its quantity."
        elif action.startswith("remove-"):
            initial, problem = rows_with_pack_removed(request.POST, _row_index(action))
            header = ShipHeaderForm(initial={name: request.POST.get(name, "") for name in ShipHeaderForm().fields})
            rows = ShipLineFormSet(initial=initial)
            errors = [problem] if problem else []
            news = "" if problem else "The pack row was removed."
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
    if added is not None and added < len(rows.forms):
        rows.forms[added].fields["quantity"].widget.attrs["autofocus"] = True
    context |= {
        "header": header,
        "pack_fields": [header[name] for name in PACK_FIELDS],
        "header_fields": HEADER_FIELDS,
        "rows": builder_rows(rows.forms, by_id),
        "added": added,
        "formset": rows,
        "warnings": warnings,
        "errors": errors,
        "news": news,
        "checked": request.method == "POST" and request.POST.get("action") == "preflight",
        "writer": writer,
    }
    if request.method == "POST" and partial_wanted(request):
        return partial_render(request, "portal/_ship_notice_builder.html", context)
    return full_render(request, "portal/ship_notice_form.html", context)


def builder_rows(forms: list, by_id: dict[int, POLine]) -> list[tuple[POLine | None, object, bool]]:
    """Each row of the builder with its open line (None when it is not open any more) and whether it
    continues the line of the row above: the same line in another pack."""
    shown: list[tuple[POLine | None, object, bool]] = []
    previous = None
    for form in forms:
        line_id = row_number(form["line_id"].value())
        shown.append((by_id.get(line_id or 0), form, line_id is not None and line_id == previous))
        previous = line_id
    return shown


def _row_index(action: str) -> int:
    """The row a "split-N" or "remove-N" button is on."""
    number = row_number(action.partition("-")[2])
    return -1 if number is None else number


def _added_row(initial: list[dict[str, str]], posted: QueryDict) -> int | None:
    """Which row is the one just added, to put the cursor in its quantity."""
    index = _row_index(posted.get("action", ""))
    line_id = initial[index]["line_id"] if 0 <= index < len(initial) else None
    own = [n for n, row in enumerate(initial) if row["line_id"] == line_id]
    return own[-1] if own else None


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
    # A pallet's label lists what travels on it: its own lines and those of the packs on it.
    carried: dict[int, list] = {pack.pk: list(pack.lines.all()) for pack in packs}
    for pack in packs:
        if pack.parent_id in carried:
            carried[pack.parent_id] += pack.lines.all()
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
                f"{po_label(line.po_line.po.number)}/{line.po_line.line_no} {line.po_line.item.part_number} × "
                f"{line.quantity.normalize():f} {line.uom}"
                + (f" lot {line.lot}" if line.lot else "")
                + (f" s/n {line.serial}" if line.serial else "")
                for line in carried[pack.pk]
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
