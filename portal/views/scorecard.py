"""The supplier's own scorecard: how the buyer sees its service, from the same figures the buyer reads.

The selector counts what the supplier actor may see (all of its own business, every buyer company
it trades with), never another supplier's.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from gateway.actors import Actor
from portal.access import acting_supplier_id, supplier_page
from suppliers.models import Supplier
from workbench.scorecards import scorecard_headlines, supplier_scorecard

# Longest period one page counts: two years of months.
MAX_DAYS = 731


def _period(request: HttpRequest) -> tuple[dt.date, dt.date, str]:
    """The period asked for, or the last 365 days; a bad or too long one is refused in words."""
    end = timezone.now().date()
    start = end - dt.timedelta(days=364)
    try:
        asked_start = dt.date.fromisoformat(request.GET["start"]) if request.GET.get("start") else start
        asked_end = dt.date.fromisoformat(request.GET["end"]) if request.GET.get("end") else end
    except ValueError:
        return start, end, "Dates are written YYYY-MM-DD; showing the last 365 days."
    if asked_end >= dt.date.max:  # the period runs to the end of its last day: the day after must exist
        return start, end, "A period ends by 9999-12-30; showing the last 365 days."
    if asked_start > asked_end:
        return start, end, "The period starts after it ends; showing the last 365 days."
    if (asked_end - asked_start).days > MAX_DAYS:
        return start, end, "A period is at most two years; showing the last 365 days."
    return asked_start, asked_end, ""


@require_GET
@supplier_page
def scorecard(request: HttpRequest, actor: Actor) -> HttpResponse:
    supplier = Supplier.objects.get(pk=acting_supplier_id(actor))
    start, end, problem = _period(request)
    totals, monthly = supplier_scorecard(actor=actor, supplier_code=supplier.code, start=start, end=end)
    context = {
        "supplier": supplier,
        "headlines": scorecard_headlines(totals),
        "charts": monthly,
        "start": start,
        "end": end,
        "problem": problem,
        "section": "scorecard",
    }
    return render(request, "portal/scorecard.html", context, status=400 if problem else 200)
