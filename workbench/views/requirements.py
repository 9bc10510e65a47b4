"""The planner's requirements pages: shortages by plant and date, an item's projected availability, the
planned purchases (each one a "Create PO" away), all scoped to the companies the person acts for.

The chart's numbers reach the page through ``json_script`` and are drawn by the vendored Chart.js from
``workbench/projection.js`` (no inline script); every number of the chart is in a table as well.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gateway.actors import Actor
from gateway.formatting import plain_number, po_label
from materials.models import PlannedPurchase
from materials.services import planned_purchase_order
from materials.services.errors import InvalidAction, NotFound
from procurement.models import PurchaseOrder

from .. import requirements as pages
from ..requirement_forms import PlannedFilterForm, PlannedOrderForm, ProjectionForm, ShortageFilterForm
from .access import buyer_page


def _already(pk: int, number: str) -> str:
    return f"Planned purchase {pk} is already {po_label(number)}: nothing was sent again."


def _company(form) -> str:
    """The form's company: the one asked for when the form is valid, the actor's first when nothing was asked."""
    if not form.is_bound:
        return form.fields["company"].initial or ""
    return form.cleaned_data["company"] if form.is_valid() else ""


@require_GET
@buyer_page
def shortage_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = ShortageFilterForm(request.GET or None, actor=actor)
    company = _company(form)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    listed = (
        pages.shortages(
            actor=actor,
            company_code=company,
            plant_code=data.get("plant", ""),
            part_number=data.get("part", ""),
            start=data.get("start"),
            end=data.get("end"),
            severity=data.get("severity", ""),
        )
        if company
        else pages.Listed([], 0, False)
    )
    context = {"form": form, "company": company, "listed": listed, "rows": listed.rows, "section": "shortages"}
    return render(request, "workbench/shortage_list.html", context)


@require_GET
@buyer_page
def item_projection(request: HttpRequest, actor: Actor, part: str) -> HttpResponse:
    form = ProjectionForm(request.GET or None, actor=actor)
    if form.is_bound and not form.is_valid():
        raise Http404("No such item at that plant.")
    company = _company(form)
    plant = form.cleaned_data["plant"] if form.is_bound else form.fields["plant"].initial or ""
    found = pages.projection(actor=actor, company_code=company, part_number=part, plant_code=plant)
    if found is None:
        raise Http404("No such item at that plant.")
    context = {
        "form": form,
        "company": company,
        "projection": found,
        "table": found.table(),
        "chart": found.chart(),
        "section": "shortages",
    }
    return render(request, "workbench/item_projection.html", context)


@require_GET
@buyer_page
def planned_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PlannedFilterForm(request.GET or None, actor=actor)
    company = _company(form)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    listed = (
        pages.planned_purchases(
            actor=actor,
            company_code=company,
            plant_code=data.get("plant", ""),
            part_number=data.get("part", ""),
            state=data.get("state", ""),
        )
        if company
        else pages.Listed([], 0, False)
    )
    context = {"form": form, "company": company, "listed": listed, "rows": listed.rows, "section": "planned"}
    return render(request, "workbench/planned_list.html", context)


@require_POST
@buyer_page
def planned_order(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Turn a planned purchase into a PO through the publishing service; a second submit changes nothing."""
    planned = (
        PlannedPurchase.objects.filter(pk=pk, company_id__in=sorted(actor.company_ids))
        .select_related("company", "plant", "item", "supplier", "po")
        .first()
    )
    if planned is None:
        raise Http404("No such planned purchase.")
    back = reverse("workbench:planned_list") + "?" + urlencode({"company": planned.company.code})
    form = PlannedOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Planned purchase {pk}: " + " ".join(str(e) for e in form.errors["number"]))
        return HttpResponseRedirect(back)
    number = form.cleaned_data["number"]
    if planned.state == PlannedPurchase.State.ORDERED and planned.po is not None:
        messages.info(request, _already(pk, planned.po.number))
        return HttpResponseRedirect(back)
    if PurchaseOrder.objects.filter(company_id=planned.company_id, number=number).exists():
        messages.error(request, f"{po_label(number)} already exists: choose another number.")
        return HttpResponseRedirect(back)
    try:
        ordered = planned_purchase_order(
            actor=actor,
            company_code=planned.company.code,
            planned_pk=pk,
            number=number,
            correlation_id=getattr(request, "correlation_id", ""),
        )
    except NotFound as error:
        raise Http404("No such planned purchase.") from error
    except InvalidAction as error:
        planned.refresh_from_db()
        if planned.po is not None:
            messages.info(request, _already(pk, planned.po.number))
        else:
            messages.error(request, f"Planned purchase {pk}: {error}.")
        return HttpResponseRedirect(back)
    supplier = planned.supplier
    assert supplier is not None  # the service refuses a planned purchase without one
    messages.success(
        request,
        f"{po_label(ordered.po.number)} published to {supplier.code} by {supplier.get_channel_display()}: "
        f"{plain_number(planned.quantity)} {planned.item.base_uom} of {planned.item.part_number} "
        f"needed by {planned.need_date:%Y-%m-%d}. {_counted(planned, replanned=ordered.run is not None)}",
    )
    return HttpResponseRedirect(back)


def _counted(planned: PlannedPurchase, *, replanned: bool) -> str:
    """What the plan makes of the new PO: the item's shortage at the plant it leaves, if any."""
    if not replanned:
        return "The next run counts it as supply."
    where = f"{planned.item.part_number} at {planned.plant.code}"
    left = pages.first_shortage(planned)
    if left is None:
        return f"Counted as supply at once: {where} is no longer short."
    return (
        f"Counted as supply at once: {where} is still {plain_number(left.quantity)} {planned.item.base_uom} "
        f"short on {left.date:%Y-%m-%d}."
    )
