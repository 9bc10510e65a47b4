"""The KPI dashboard, each chart's CSV, and a supplier's scorecard.

The charts' numbers reach the page through ``json_script`` and are drawn by the vendored Chart.js
(``static/workbench/vendor``) from ``workbench/kpis.js``: no inline script. Each chart also shows as
a table (for screen readers and without JavaScript) and downloads as CSV.
"""

from __future__ import annotations

import csv
import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from gateway.actors import Actor
from procurement.kpis import KpiQuery
from procurement.selectors import suppliers_for

from ..forms import KpiForm
from ..scorecards import chart_for, dashboard_charts, scorecard_headlines, supplier_scorecard
from .access import buyer_page


@require_GET
@buyer_page
def kpi_dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = KpiForm(request.GET, actor=actor)
    charts = dashboard_charts(actor=actor, q=form.query()) if form.is_valid() else []
    query = request.GET.urlencode()
    context = {"form": form, "charts": charts, "query": query, "section": "kpis"}
    return render(request, "workbench/kpi_dashboard.html", context)


@require_GET
@buyer_page
def kpi_csv(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    form = KpiForm(request.GET, actor=actor)
    if not form.is_valid():
        return HttpResponse(
            "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    q = form.query()
    chart = chart_for(actor=actor, q=q, key=key)
    if chart is None:
        raise Http404("No such chart.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{key}-{q.start}-{q.end}.csv"'
    csv.writer(response).writerows(chart.table())
    return response


@require_GET
@buyer_page
def scorecard(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    supplier = suppliers_for(actor=actor).filter(code=code).first()
    if supplier is None:
        raise Http404("No such supplier.")
    form = KpiForm(request.GET, actor=actor)
    end = timezone.now().date()
    start = end - dt.timedelta(days=364)
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    totals, monthly = supplier_scorecard(actor=actor, supplier_code=supplier.code, start=start, end=end)
    query = KpiQuery(start=start, end=end, supplier=supplier.code)
    context = {
        "supplier": supplier,
        "headlines": scorecard_headlines(totals),
        "charts": monthly,
        "start": start,
        "end": end,
        "query": f"start={query.start}&end={query.end}&supplier={supplier.code}",
        "section": "kpis",
    }
    return render(request, "workbench/supplier_scorecard.html", context)
