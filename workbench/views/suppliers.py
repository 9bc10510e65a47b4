"""Inviting a supplier's first portal administrator, for the suppliers the buyer's companies order from.

The supplier's admin invites everyone else from the portal. The invitation goes through
``suppliers.services`` (audited, e-mailed after commit).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from gateway.actors import Actor
from procurement.models import CompanyMembership, PurchaseOrder
from procurement.selectors import scoped_for
from procurement.services.sources import WriteSource
from suppliers import services
from suppliers.models import Supplier, SupplierInvitation, SupplierMembership

from ..forms import FirstAdminInvitationForm
from .access import buyer_page


def suppliers_for(actor: Actor) -> QuerySet[Supplier]:
    """The active suppliers the actor's companies have ordered from."""
    ordered_from = scoped_for(PurchaseOrder.objects.all(), actor=actor).values("supplier_id")
    return Supplier.objects.filter(pk__in=ordered_from, active=True).order_by("code")


@require_http_methods(["GET", "POST"])
@buyer_page
def supplier_invitations(request: HttpRequest, actor: Actor) -> HttpResponse:
    suppliers = list(suppliers_for(actor))
    form = FirstAdminInvitationForm(request.POST or None, suppliers=suppliers)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            supplier = next(s for s in suppliers if s.code == form.cleaned_data["supplier"])
            source = WriteSource("workbench", f"user {request.user.get_username()}", request.user)
            link = lambda token: request.build_absolute_uri(reverse("portal:invitation_accept", args=[token]))  # noqa: E731
            try:
                services.invitation_create(
                    supplier=supplier,
                    email=form.cleaned_data["email"],
                    role=SupplierMembership.Role.ADMIN,
                    source=source,
                    link=link,
                    first_admin=True,
                )
            except services.PeopleError as error:
                form.add_error("email", str(error))
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return HttpResponseRedirect(reverse("workbench:supplier_invitations"))
    # Only the invitations made by the actor's companies' people: another company's buyers and the
    # supplier's own admins are none of this buyer's business.
    colleagues = CompanyMembership.objects.filter(company_id__in=actor.company_ids).values("user_id")
    invitations = (
        SupplierInvitation.objects.filter(
            supplier__in=suppliers, role=SupplierMembership.Role.ADMIN, invited_by_id__in=colleagues
        )
        .select_related("supplier")
        .order_by("-created_at", "-id")[:50]
    )
    admins = set(
        SupplierMembership.objects.filter(
            supplier__in=suppliers, role=SupplierMembership.Role.ADMIN, active=True
        ).values_list("supplier_id", flat=True)
    )
    context = {
        "form": form,
        "suppliers": [(s, s.pk in admins) for s in suppliers],
        "invitations": invitations,
        "section": "suppliers",
    }
    return render(request, "workbench/supplier_invitations.html", context, status=status)
