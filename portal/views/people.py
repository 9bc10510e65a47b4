"""A supplier's people, managed by its admins: invite, revoke an invitation, change a role, deactivate.

Every write goes through ``suppliers.services`` (audited). A membership or invitation of another
supplier is "not found", exactly like a missing one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gateway.actors import Actor
from portal.access import SESSION_SUPPLIER_KEY, acting_supplier_id, supplier_admin_page
from portal.forms import AcceptInvitationForm, InvitationForm, RoleForm
from procurement.services.sources import WriteSource
from suppliers import services
from suppliers.models import Supplier, SupplierInvitation, SupplierMembership


def portal_source(request: HttpRequest) -> WriteSource:
    """The portal as the channel of a write, with the signed-in person behind it."""
    label = f"user {request.user.get_username()}" if request.user.is_authenticated else "anonymous"
    return WriteSource("portal", label, request.user, getattr(request, "correlation_id", ""))


def invitation_link(request: HttpRequest):
    return lambda token: request.build_absolute_uri(reverse("portal:invitation_accept", args=[token]))


@require_GET
@supplier_admin_page
def people(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _people_page(request, actor, InvitationForm())


def _people_page(request: HttpRequest, actor: Actor, form: InvitationForm, status: int = 200) -> HttpResponse:
    members = SupplierMembership.objects.filter(supplier_id=acting_supplier_id(actor)).select_related("user")
    invitations = SupplierInvitation.objects.filter(supplier_id=acting_supplier_id(actor))[:50]
    now = timezone.now()
    context = {
        "members": members.order_by("-active", "user__email"),
        "invitations": [(i, i.shown_state(now)) for i in invitations],
        "form": form,
        "roles": SupplierMembership.Role.choices,
        "section": "people",
    }
    return render(request, "portal/people.html", context, status=status)


@require_POST
@supplier_admin_page
def invite(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _people_page(request, actor, form, status=400)
    supplier = Supplier.objects.get(pk=acting_supplier_id(actor))
    try:
        services.invitation_create(
            supplier=supplier,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            source=portal_source(request),
            link=invitation_link(request),
        )
    except services.PeopleError as error:
        form.add_error("email", str(error))
        return _people_page(request, actor, form, status=400)
    messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
    return HttpResponseRedirect(reverse("portal:people"))


@require_POST
@supplier_admin_page
def invitation_revoke(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    invitation = SupplierInvitation.objects.filter(pk=pk, supplier_id=acting_supplier_id(actor)).first()
    if invitation is None:
        raise Http404("No such invitation.")
    try:
        services.invitation_revoke(invitation=invitation, source=portal_source(request))
        messages.success(request, f"The invitation to {invitation.email} is revoked.")
    except services.PeopleError as error:
        messages.error(request, str(error))
    return HttpResponseRedirect(reverse("portal:people"))


@require_POST
@supplier_admin_page
def membership_update(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Change a person's role, or deactivate or reactivate them (``action`` = role, deactivate, activate)."""
    membership = (
        SupplierMembership.objects.filter(pk=pk, supplier_id=acting_supplier_id(actor)).select_related("user").first()
    )
    if membership is None:
        raise Http404("No such person.")
    action = request.POST.get("action", "")
    changes: dict = {}
    if action == "role":
        form = RoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose one of the roles.")
            return HttpResponseRedirect(reverse("portal:people"))
        changes["role"] = form.cleaned_data["role"]
    elif action in ("deactivate", "activate"):
        changes["active"] = action == "activate"
    else:
        messages.error(request, "Unknown change.")
        return HttpResponseRedirect(reverse("portal:people"))
    try:
        services.membership_change(membership=membership, source=portal_source(request), **changes)
        messages.success(request, f"{membership.user.email} updated.")
    except services.PeopleError as error:
        messages.error(request, str(error))
    return HttpResponseRedirect(reverse("portal:people"))


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation: a new person sets a name and password; a signed-in one just accepts."""
    invitation = services.invitation_open(token=token)
    if invitation is None:
        return render(request, "portal/invitation_invalid.html", status=404)
    signed_in = request.user.is_authenticated
    form = AcceptInvitationForm(request.POST or None) if not signed_in else None
    if request.method == "POST" and (form is None or form.is_valid()):
        data = form.cleaned_data if form is not None else {}
        try:
            membership = services.invitation_accept(
                token=token,
                source=portal_source(request),
                user=request.user if signed_in else None,  # type: ignore[arg-type]
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                password=data.get("password1", ""),
            )
        except services.PeopleError as error:
            messages.error(request, str(error))
            return render(
                request, "portal/invitation_accept.html", {"invitation": invitation, "form": form}, status=400
            )
        if not signed_in:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_SUPPLIER_KEY] = membership.supplier_id
        messages.success(request, f"Welcome: you now act for {membership.supplier.name}.")
        return HttpResponseRedirect(reverse("portal:home"))
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/invitation_accept.html", {"invitation": invitation, "form": form}, status=status)
