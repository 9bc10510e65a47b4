"""The portal's forms: inbox filters, invitations, and a person's role. Each is checked before any service runs."""

from __future__ import annotations

from django import forms

from gateway.actors import Actor
from procurement.selectors import LINE_STATUS_CONDITIONS
from suppliers.models import SupplierMembership

from .selectors import InboxFilters, inbox_plants_for

STATUS_CHOICES = [("", "Any status")] + [
    (f"{dimension}:{value}", f"{dimension.title()}: {value.replace('_', ' ')}")
    for dimension, values in LINE_STATUS_CONDITIONS.items()
    for value in values
]
BADGE_CHOICES = [
    ("", "All orders"),
    ("new", "New"),
    ("changed", "Changed since I last looked"),
    ("awaiting", "Awaiting my answer"),
]


class InboxFilterForm(forms.Form):
    """The inbox's filters. The plant choices are the plants of the actor's own orders."""

    q = forms.CharField(label="PO or part number", required=False, max_length=64)
    badge = forms.ChoiceField(label="Show", choices=BADGE_CHOICES, required=False)
    status = forms.ChoiceField(label="Line status", choices=STATUS_CHOICES, required=False)
    plant = forms.ChoiceField(label="Ship-to plant", required=False)
    need_by_from = forms.DateField(label="Needed from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    need_by_to = forms.DateField(label="Needed by", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        plant = self.fields["plant"]
        assert isinstance(plant, forms.ChoiceField)
        plant.choices = [("", "Any plant")] + [(p.code, f"{p.code} — {p.name}") for p in inbox_plants_for(actor=actor)]

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("need_by_from"), data.get("need_by_to")
        if start and end and start > end:
            raise forms.ValidationError("“Needed from” is after “Needed by”.")
        return data

    def filters(self) -> InboxFilters:
        """The filters asked for; a form with errors filters nothing (its errors are shown instead)."""
        if not self.is_valid():
            return InboxFilters()
        data = self.cleaned_data
        status = None
        if data.get("status"):
            dimension, _, value = data["status"].partition(":")
            status = (dimension, value)
        return InboxFilters(
            status=status,
            plant=data.get("plant") or "",
            need_by_from=data.get("need_by_from"),
            need_by_to=data.get("need_by_to"),
            query=(data.get("q") or "").strip(),
            badge=data.get("badge") or "",
        )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(label="Role", choices=SupplierMembership.Role.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=SupplierMembership.Role.choices)


class AcceptInvitationForm(forms.Form):
    """A new person's name and password; the e-mail address is the invitation's."""

    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict:
        from django.contrib.auth.password_validation import validate_password

        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise forms.ValidationError("The two passwords differ.")
        if data.get("password1"):
            validate_password(data["password1"])
        return data
