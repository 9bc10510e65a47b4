"""The exception queue's forms: the filters, and what a buyer sends with an action (a reason, a person)."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from gateway.actors import Actor
from procurement.models import CompanyMembership, ProcurementException
from procurement.queue import QueueFilter
from procurement.selectors import plants_for
from suppliers.models import Supplier

Exc = ProcurementException


def _blank(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *[(value, text) for value, text in choices]]


class QueueFilterForm(forms.Form):
    """The queue's filters; every choice is one the actor may see. An unknown value is a form error."""

    severity = forms.ChoiceField(required=False, choices=_blank("Any severity", Exc.Severity.choices))
    kind = forms.ChoiceField(required=False, choices=_blank("Any kind", Exc.Kind.choices))
    plant = forms.ChoiceField(required=False)
    supplier = forms.CharField(required=False, max_length=32, label="Supplier code")
    tier = forms.ChoiceField(required=False, choices=_blank("Any tier", Supplier.Tier.choices), label="Supplier tier")
    channel = forms.ChoiceField(required=False, choices=_blank("Any channel", Supplier.Channel.choices))
    owner = forms.ChoiceField(
        required=False, choices=[("anyone", "Anyone"), ("me", "Me"), ("unassigned", "Unassigned")]
    )
    sla = forms.ChoiceField(
        required=False,
        label="SLA",
        choices=[("", "Any time"), ("overdue", "Overdue"), ("due_soon", "Due soon")],
    )

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        plant = self.fields["plant"]
        assert isinstance(plant, forms.ChoiceField)
        plant.choices = _blank("Any plant", ((p.code, f"{p.code} — {p.name}") for p in plants_for(actor=actor)))

    def queue_filter(self) -> QueueFilter:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return QueueFilter(
            severity=data.get("severity", ""),
            kind=data.get("kind", ""),
            plant=data.get("plant", ""),
            supplier=data.get("supplier", "").strip(),
            tier=data.get("tier", ""),
            channel=data.get("channel", ""),
            owner=data.get("owner") or "anyone",
            sla=data.get("sla", ""),
        )


def colleagues(actor: Actor, *, company_id: int | None = None) -> list[User]:
    """The people who buy or plan for the actor's companies (or for one of them): whom work may be assigned to."""
    companies = sorted(actor.company_ids if company_id is None else actor.company_ids & {company_id})
    ids = CompanyMembership.objects.filter(company_id__in=companies).values("user_id")
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("username")
    return list(users)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(forms.Form):
    body = forms.CharField(max_length=4000, label="Internal note", widget=forms.Textarea(attrs={"rows": 3}))


MAX_BULK_IDS = 500


class BulkForm(forms.Form):
    """The queue's bulk action: selected exceptions, and a person to assign to or a reason to dismiss.

    Which of the selected ids the actor may act on is the view's business (through a selector).
    An id is ASCII digits that fit a database integer (str.isdigit() also accepts "²", which int()
    refuses); at most ``MAX_BULK_IDS`` at once, a page of the queue being far fewer.
    """

    action = forms.ChoiceField(choices=[("assign", "Assign"), ("dismiss", "Dismiss")])
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, choices=[])
    reason = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args, people: list[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = [("", "—"), *[(u.pk, u.get_username()) for u in people]]

    def clean(self) -> dict:
        data = super().clean() or {}
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        if not raw or not all(re.fullmatch(r"[0-9]{1,18}", value) for value in raw):
            raise forms.ValidationError("Select the exceptions to act on.")
        ids = sorted({int(value) for value in raw})
        if len(ids) > MAX_BULK_IDS:
            raise forms.ValidationError(f"Select at most {MAX_BULK_IDS} exceptions at once ({len(ids)} selected).")
        data["ids"] = ids
        if data.get("action") == "assign" and not data.get("owner"):
            self.add_error("owner", "Choose whom to assign the exceptions to.")
        if data.get("action") == "dismiss" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Dismissing needs a reason.")
        return data


class AssignForm(forms.Form):
    owner = forms.TypedChoiceField(coerce=int, choices=[])

    def __init__(self, *args, people: list[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = [(u.pk, u.get_username()) for u in people]


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80, label="Save these filters as")
    query = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)
