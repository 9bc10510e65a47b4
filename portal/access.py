"""Who may open a portal page: a signed-in person acting for a supplier.

Anyone not signed in is sent to sign in; a buyer, staff acting for no supplier, or a person whose
supplier membership is inactive get 403. A page receives the supplier ``Actor`` and reads only
through selectors that take it, so another supplier's order is "not found", like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy

from gateway.actors import Actor
from procurement.selectors import actor_for_user

SIGN_IN_URL = reverse_lazy("workbench:sign_in")

PageView = Callable[..., HttpResponse]


def supplier_actor(request: HttpRequest) -> Actor | None:
    """The supplier actor of the signed-in person, or None when they act for no supplier."""
    actor = actor_for_user(request.user)
    if not actor.is_supplier:
        return None
    return actor


def supplier_page(view: PageView) -> PageView:
    """Wrap a page ``view(request, actor, ...)``: sign-in required, then a supplier actor or 403."""

    @wraps(view)
    def page(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        actor = supplier_actor(request)
        if actor is None:
            raise PermissionDenied("The portal is for a supplier's people.")
        return view(request, actor, *args, **kwargs)

    return login_required(page, login_url=SIGN_IN_URL)
