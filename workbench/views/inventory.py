"""Inventory pages: stock by item and plant (physical against posted, each system's own figures), the
variances the reconciliation found, and one item's ledger; a buyer or planner may start a reconciliation."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gateway.actors import Actor
from materials import selectors
from materials.models import InventoryReconciliation
from materials.services.reconciliation import inventory_reconciliation_request
from materials.tasks import inventory_reconciliation_run
from procurement.selectors import companies_for

from ..forms import InventoryFilterForm, ItemHistoryForm
from .access import buyer_page

ITEMS_PER_PAGE = 50
EVENTS_PER_PAGE = 100
VARIANCES_PER_PAGE = 50


@require_GET
@buyer_page
def inventory_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = InventoryFilterForm(request.GET or None, actor=actor)
    company, plant, part = form.fields["company"].initial, "", ""
    if form.is_bound:
        if form.is_valid():
            company, plant, part = form.cleaned_data["company"], form.cleaned_data["plant"], form.cleaned_data["part"]
        else:
            company = None
    pairs = selectors.inventory_items_for(actor=actor, company_code=company or "", plant_code=plant, part_number=part)
    page = Paginator(pairs, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    sources, rows = selectors.inventory_rows(actor=actor, pairs=list(page.object_list))
    # Each row's figures in the order of the table's source columns (None: that system reports none).
    table = [(row, [row.sources.get(source) for source in sources]) for row in rows]
    context = {
        "form": form,
        "page": page,
        "table": table,
        "sources": sources,
        "company": company,
        "section": "inventory",
    }
    return render(request, "workbench/inventory_list.html", context)


@require_GET
@buyer_page
def inventory_item(request: HttpRequest, actor: Actor, part: str) -> HttpResponse:
    form = ItemHistoryForm(request.GET or None, actor=actor)
    company, plant = form.fields["company"].initial, ""
    if form.is_bound:
        if not form.is_valid():
            raise Http404("No such item.")
        company, plant = form.cleaned_data["company"], form.cleaned_data["plant"]
    item = selectors.inventory_item_for(actor=actor, company_code=company or "", part_number=part)
    if item is None:
        raise Http404("No such item.")
    events = selectors.inventory_events_for(actor=actor, item=item, plant_code=plant)
    context = {
        "form": form,
        "item": item,
        "company": company,
        "balances": selectors.inventory_balances_for(actor=actor, item=item, plant_code=plant),
        "page": Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page")),
        "section": "inventory",
    }
    return render(request, "workbench/inventory_item.html", context)


@require_GET
@buyer_page
def variance_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    variances = selectors.inventory_variances_for(actor=actor)
    runs: dict[int, InventoryReconciliation] = {}
    for run in selectors.inventory_reconciliations_for(actor=actor)[:20]:
        runs.setdefault(run.company_id, run)
    context = {
        "page": Paginator(variances, VARIANCES_PER_PAGE).get_page(request.GET.get("page")),
        "companies": [(company, runs.get(company.pk)) for company in companies_for(actor=actor)],
        "section": "variances",
    }
    return render(request, "workbench/variance_list.html", context)


@require_POST
@buyer_page
def reconciliation_start(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Queue a reconciliation of one of the actor's companies (or point at the one already running)."""
    company = companies_for(actor=actor).filter(code=request.POST.get("company", "")).first()
    if company is None:
        raise Http404("No such company.")
    with transaction.atomic():
        run, created = inventory_reconciliation_request(
            company_id=company.pk,
            requested_by=actor.label,
            correlation_id=getattr(request, "correlation_id", ""),
        )
        if created:
            transaction.on_commit(lambda: inventory_reconciliation_run.delay(run.pk))
    if created:
        messages.success(request, f"Reconciliation #{run.pk} of {company.code} queued.")
    else:
        messages.info(request, f"Reconciliation #{run.pk} of {company.code} is already {run.state}.")
    return HttpResponseRedirect(reverse("workbench:variance_list"))
