from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from procurement.services.sources import WriteSource

from . import services
from .models import Supplier, SupplierInvitation, SupplierMembership


class MembershipInline(admin.TabularInline):
    model = SupplierMembership
    extra = 0


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tier", "channel", "active")
    list_filter = ("tier", "channel", "active")
    search_fields = ("code", "name")
    inlines = [MembershipInline]


class InvitationAddForm(forms.ModelForm):
    """Staff invite a supplier's first person from outside it: refused once the supplier has an admin
    (who invites everyone else from the portal) or an open admin invitation to another address."""

    class Meta:
        model = SupplierInvitation
        fields = ["supplier", "email", "role"]

    def clean(self):
        data = super().clean() or {}
        supplier, email = data.get("supplier"), data.get("email")
        if supplier and email:
            refusal = services.first_admin_refusal(supplier=supplier, email=email)
            if refusal:
                raise forms.ValidationError(refusal)
            if services.person_acts_for(supplier=supplier, email=email):
                raise forms.ValidationError(f"{email} already acts for {supplier.name}.")
        return data


@admin.register(SupplierInvitation)
class SupplierInvitationAdmin(admin.ModelAdmin):
    """Staff invite a supplier's people here (usually its first admin); the invitation is made, audited and
    e-mailed by ``suppliers.services``, never saved directly. Existing invitations are read only."""

    list_display = ("email", "supplier", "role", "state", "expires_at", "created_at")
    list_filter = ("state", "role")
    search_fields = ("email", "supplier__code")
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = InvitationAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["supplier", "email", "role"] if obj is None else super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [f.name for f in SupplierInvitation._meta.fields if f.name != "token_hash"]

    def get_exclude(self, request, obj=None):
        return ["token_hash"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        source = WriteSource("admin", f"user {request.user.get_username()}", request.user)
        link = lambda token: request.build_absolute_uri(reverse("portal:invitation_accept", args=[token]))  # noqa: E731
        try:
            created = services.invitation_create(
                supplier=form.cleaned_data["supplier"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                source=source,
                link=link,
                first_admin=True,
            )
        except services.PeopleError as error:
            # The form's check raced with another invitation or a new admin: nothing was saved.
            messages.error(request, str(error))
            return
        obj.pk = created.pk
        messages.info(request, f"The invitation link was e-mailed to {created.email}.")

    def log_addition(self, request, obj, message):
        return None if obj.pk is None else super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:  # refused in save_model: the message says why
            return HttpResponseRedirect(reverse("admin:suppliers_supplierinvitation_changelist"))
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Revoke the selected pending invitations")
    def revoke(self, request, queryset) -> None:
        source = WriteSource("admin", f"user {request.user.get_username()}", request.user)
        for invitation in queryset.filter(state=SupplierInvitation.State.PENDING):
            services.invitation_revoke(invitation=invitation, source=source)
