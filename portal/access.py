"""Who may open a portal page: a signed-in person acting for a supplier, and in which role.

Anyone not signed in is sent to the portal's sign-in; a buyer, staff acting for no supplier, or a
person whose memberships are all inactive get 403. A person with several memberships acts for the
supplier chosen in the session (the switcher), or the first by code. A page receives the supplier
``Actor`` and reads only through selectors that take it, so another supplier's order is "not
found", like a missing one. The membership in force is ``request.supplier_membership``.

Supplier admins must have set up an authenticator app before any portal page opens: they manage
who acts for the supplier.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse, reverse_lazy

from gateway.actors import Actor
from procurement.selectors import actor_for_user, supplier_ids_for_user
from suppliers.models import Supplier, SupplierMembership

SIGN_IN_URL = reverse_lazy("account_login")
SESSION_SUPPLIER_KEY = "portal_supplier_id"
MFA_REQUIRED_MESSAGE = "Supplier administrators must set up an authenticator app before using the portal."

PageView = Callable[..., HttpResponse]


def supplier_actor(request: HttpRequest) -> Actor | None:
    """The supplier actor of the signed-in person for the supplier chosen in the session, or None."""
    actor = actor_for_user(request.user, supplier_id=request.session.get(SESSION_SUPPLIER_KEY))
    if not actor.is_supplier:
        return None
    return actor


def _page(view: PageView, allowed: Callable[[SupplierMembership], bool], refusal: str) -> PageView:
    @wraps(view)
    def page(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        actor = supplier_actor(request)
        if actor is None:
            raise PermissionDenied("The portal is for a supplier's people.")
        membership = SupplierMembership.objects.select_related("supplier").get(
            user_id=actor.user_id or 0, supplier_id=acting_supplier_id(actor)
        )
        if membership.is_admin and not _has_totp(request):
            messages.warning(request, MFA_REQUIRED_MESSAGE)
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if not allowed(membership):
            raise PermissionDenied(refusal)
        request.supplier_membership = membership  # type: ignore[attr-defined]
        # For the header's switcher: every supplier the person acts for.
        request.portal_suppliers = list(  # type: ignore[attr-defined]
            Supplier.objects.filter(pk__in=supplier_ids_for_user(request.user)).order_by("code")
        )
        return view(request, actor, *args, **kwargs)

    return login_required(page, login_url=SIGN_IN_URL)


def _has_totp(request: HttpRequest) -> bool:
    return Authenticator.objects.filter(user_id=request.user.pk, type=Authenticator.Type.TOTP).exists()


def acting_supplier_id(actor: Actor) -> int:
    """The supplier a portal page acts for: always set once ``supplier_page`` let the request through."""
    if actor.supplier_id is None:
        raise PermissionDenied("The portal is for a supplier's people.")
    return actor.supplier_id


def supplier_page(view: PageView) -> PageView:
    """Wrap a page ``view(request, actor, ...)``: sign-in required, then a supplier actor or 403."""
    return _page(view, lambda membership: True, "")


def supplier_writer_page(view: PageView) -> PageView:
    """As ``supplier_page``, and the person may answer for the supplier (not read-only), else 403."""
    return _page(view, lambda membership: membership.may_write, "Your role for this supplier is read only.")


def supplier_admin_page(view: PageView) -> PageView:
    """As ``supplier_page``, and the person is an admin of the supplier, else 403."""
    return _page(view, lambda membership: membership.is_admin, "Only the supplier's administrators may do this.")
