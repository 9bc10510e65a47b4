"""The portal's home page and the supplier switcher of a person who acts for several suppliers."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gateway.actors import Actor
from portal import selectors
from portal.access import SESSION_SUPPLIER_KEY, supplier_page
from procurement.selectors import supplier_ids_for_user
from suppliers.models import Supplier


@require_GET
@supplier_page
def home(request: HttpRequest, actor: Actor) -> HttpResponse:
    badges = selectors.inbox_badge_counts_for(actor=actor)
    return render(request, "portal/home.html", {"badges": badges, "section": "home"})


@require_POST
@supplier_page
def switch_supplier(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Act for another of the person's suppliers from now on in this session; one they do not act for is refused."""
    code = request.POST.get("supplier", "")
    supplier = Supplier.objects.filter(code=code, pk__in=supplier_ids_for_user(request.user)).first()
    if supplier is None:
        messages.error(request, "You do not act for that supplier.")
    else:
        request.session[SESSION_SUPPLIER_KEY] = supplier.pk
        messages.success(request, f"You now act for {supplier.name}.")
    return HttpResponseRedirect(reverse("portal:home"))
