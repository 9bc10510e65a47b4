"""The workbench's front door: sign-in and sign-out, the start page at the site's root, the home page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from gateway.actors import Actor
from gateway.signin import StaffAuthenticationForm
from materials import selectors
from procurement import queue
from procurement.models import ProcurementException
from procurement.selectors import supplier_ids_for_user

from ..requirements import requirement_counts
from .access import SIGN_IN_URL, buyer_actor, buyer_page


class SignInView(auth_views.LoginView):
    """Sign-in for buyers and planners: the admin's form (staff only; a supplier's person is told where
    to go), with django-axes counting failures and locking out, exactly as on the admin's sign-in."""

    authentication_form = StaffAuthenticationForm
    template_name = "workbench/sign_in.html"
    redirect_authenticated_user = False

    def get_default_redirect_url(self) -> str:
        return reverse("workbench:home")


sign_in = login_not_required(SignInView.as_view())
sign_out = auth_views.LogoutView.as_view(next_page=SIGN_IN_URL)


@login_not_required
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The site's root: where a signed-in person can go; anyone else is sent to sign in."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(f"{SIGN_IN_URL}?next={reverse('workbench:home')}")
    context = {
        "workbench": buyer_actor(request) is not None,
        "admin": request.user.is_staff,
        "portal": bool(supplier_ids_for_user(request.user)),
    }
    return render(request, "workbench/start.html", context)


@require_GET
@buyer_page
def home(request: HttpRequest, actor: Actor) -> HttpResponse:
    context = {
        "held_count": selectors.held_releases_for(actor=actor).count(),
        "exceptions": queue.exception_queue_counts(actor=actor, where=queue.QueueFilter()),
        "severities": ProcurementException.Severity.choices,
        "requirements": requirement_counts(actor=actor),
        "section": "home",
    }
    return render(request, "workbench/home.html", context)
