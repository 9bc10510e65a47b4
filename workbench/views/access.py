"""Who may open a workbench page: a signed-in staff person who buys or plans for a company.

Anyone not signed in is sent to the workbench's sign-in; a supplier's person, or staff who act for
no company, get 403. A page receives the ``Actor`` and reads only through selectors that take it.
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


def buyer_actor(request: HttpRequest) -> Actor | None:
    """The buyer actor of the signed-in person, or None when they may not use the workbench."""
    actor = actor_for_user(request.user)
    if not request.user.is_staff or not actor.is_buyer_side:
        return None
    return actor


def buyer_page(view: PageView) -> PageView:
    """Wrap a page ``view(request, actor, ...)``: sign-in required, then a buyer actor or 403."""

    @wraps(view)
    def page(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        actor = buyer_actor(request)
        if actor is None:
            raise PermissionDenied("The workbench is for the buying company's staff.")
        return view(request, actor, *args, **kwargs)

    return login_required(page, login_url=SIGN_IN_URL)
