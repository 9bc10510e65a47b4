"""Who may open a portal page: a signed-in person acting for a supplier, and in which role.

Anyone not signed in is sent to the portal's sign-in; a buyer, staff acting for no supplier, or a
person whose memberships are all inactive get 403. A person with several memberships acts for the
supplier chosen in the session (the switcher), or the first by code. A page receives the supplier
``Actor`` and reads only through selectors that take it, so another supplier's order is "not
found", like a missing one. The membership in force is ``request.supplier_membership``.

Supplier admins must have set up a second factor (an authenticator app or a security key) before any
portal page opens: they manage who acts for the supplier. Anyone with an authenticator must have
proved it in this session (allauth's MFA stage at the portal's sign-in, a passkey sign-in, or its
reauthentication), not merely signed in with a password.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse, reverse_lazy

from gateway.actors import Actor
from portal import selectors
from suppliers.models import SupplierMembership

SIGN_IN_URL = reverse_lazy("account_login")
SESSION_SUPPLIER_KEY = "portal_supplier_id"
MFA_REQUIRED_MESSAGE = (
    "Supplier administrators must set up an authenticator app or a security key before using the portal."
)
MFA_SESSION_MESSAGE = "Confirm with your authenticator app or security key to use the portal."
# What an admin may rely on as a second factor; recovery codes only stand in for one of these.
SECOND_FACTORS = frozenset({Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN})
# What proves an authenticator: a code from the app, a security key, or one of the recovery codes.
MFA_TYPES = SECOND_FACTORS | {Authenticator.Type.RECOVERY_CODES}

PageView = Callable[..., HttpResponse]


def supplier_actor(request: HttpRequest) -> Actor | None:
    """The supplier actor of the signed-in person for the supplier chosen in the session, or None."""
    membership = _membership_in_force(request, _active_memberships(request))
    return None if membership is None else _actor(request, membership)


def _active_memberships(request: HttpRequest) -> list[SupplierMembership]:
    """The person's active memberships of active suppliers, by supplier code, each with its supplier:
    one read gives the actor, the membership in force and the header's switcher."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return []
    memberships = SupplierMembership.objects.filter(user_id=user.pk, active=True, supplier__active=True)
    return list(memberships.select_related("supplier").order_by("supplier__code"))


def _membership_in_force(request: HttpRequest, memberships: list[SupplierMembership]) -> SupplierMembership | None:
    """The membership for the supplier chosen in the session when it is one of them, else the first by
    code, as ``actor_for_user`` chooses."""
    chosen = request.session.get(SESSION_SUPPLIER_KEY)
    return next((m for m in memberships if m.supplier_id == chosen), memberships[0] if memberships else None)


def _actor(request: HttpRequest, membership: SupplierMembership) -> Actor:
    return Actor.for_supplier(
        supplier_id=membership.supplier_id, label=f"user {request.user.get_username()}", user_id=request.user.pk
    )


def _page(view: PageView, allowed: Callable[[SupplierMembership], bool], refusal: str) -> PageView:
    @wraps(view)
    def page(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        memberships = _active_memberships(request)
        membership = _membership_in_force(request, memberships)
        if membership is None:
            raise PermissionDenied("The portal is for a supplier's people.")
        actor = _actor(request, membership)
        authenticators = _authenticator_types(request)
        if membership.is_admin and not authenticators & SECOND_FACTORS:
            messages.warning(request, MFA_REQUIRED_MESSAGE)
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if authenticators & MFA_TYPES and not passed_mfa(request):
            messages.warning(request, MFA_SESSION_MESSAGE)
            return HttpResponseRedirect(
                f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}"
            )
        if not allowed(membership):
            raise PermissionDenied(refusal)
        request.supplier_membership = membership  # type: ignore[attr-defined]
        # For the header's switcher: every supplier the person acts for, from the same read.
        request.portal_suppliers = [m.supplier for m in memberships]  # type: ignore[attr-defined]
        # For the navigation's badge; called by the template, so a partial answer (htmx) never counts.
        request.portal_unread = partial(selectors.unread_notifications_count, actor=actor)  # type: ignore[attr-defined]
        return view(request, actor, *args, **kwargs)

    return login_required(page, login_url=SIGN_IN_URL)


def _authenticator_types(request: HttpRequest) -> set[str]:
    return set(Authenticator.objects.filter(user_id=request.user.pk).values_list("type", flat=True))


def passed_mfa(request: HttpRequest) -> bool:
    """Whether this session proved the person's authenticator: allauth records each authentication
    step of the session (sign-in, reauthentication, activation proofs) for the signed-in user.

    Having an authenticator is not enough: a password sign-in elsewhere (the workbench, the admin)
    skips allauth's MFA stage, and such a session must not open the portal.
    """
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


@receiver(authenticator_added)
def _activation_proves_the_authenticator(sender, request, user, authenticator, **kwargs) -> None:
    """Activating an authenticator app takes a code from it, adding a security key a touch of it:
    either way the session has proved the new second factor — when it is the person's first. Adding
    a key asks only for the password again, so for someone who already has a second factor it proves
    nothing they had to show."""
    if request is None or authenticator.type not in SECOND_FACTORS:
        return
    if Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exclude(pk=authenticator.pk).exists():
        return
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True)


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
