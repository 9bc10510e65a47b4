"""The portal's home page: where a supplier's person starts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gateway.actors import Actor
from portal.access import supplier_page
from suppliers.models import Supplier


@require_GET
@supplier_page
def home(request: HttpRequest, actor: Actor) -> HttpResponse:
    supplier = Supplier.objects.get(pk=actor.supplier_id)
    return render(request, "portal/home.html", {"supplier": supplier, "section": "home"})
