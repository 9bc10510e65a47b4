"""The workbench's query forms: what a person asks for, checked before any selector is called.

Each form is built for one actor, so its choices (companies, plants) are only what that actor may see.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import QueryDict
from django.utils import timezone

from gateway.actors import Actor
from materials.inputs import BOM_MANUFACTURING, BOM_TYPES
from materials.models import BomRelease
from notifications.models import OutboundMessage
from procurement.kpis import KpiQuery
from procurement.models import InboundDocument
from procurement.selectors import companies_for, plants_for, suppliers_for
from suppliers.models import Supplier

BOM_TYPE_CHOICES = [(value, BomRelease.BomType(value).label) for value in BOM_TYPES]


class PlantChoiceField(forms.ChoiceField):
    """A plant of the actor's companies, by code; ``empty_label`` names the blank choice of an optional one."""

    def __init__(self, *, required: bool = True, empty_label: str = "", **kwargs) -> None:
        super().__init__(required=required, **kwargs)
        self.empty_label = empty_label


class ActorForm(forms.Form):
    """A form whose company and plant choices are the actor's; the company defaults to its first."""

    company = forms.ChoiceField(label="Company")

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        companies = list(companies_for(actor=actor))
        company = self.fields["company"]
        assert isinstance(company, forms.ChoiceField)
        company.choices = [(c.code, f"{c.code} — {c.name}") for c in companies]
        company.initial = companies[0].code if companies else None
        self.single_company = len(companies) == 1
        self.plants = list(plants_for(actor=actor))
        plant = self.fields.get("plant")
        if isinstance(plant, PlantChoiceField):
            blank = [] if plant.required else [("", plant.empty_label)]
            plant.choices = blank + [
                (p.code, f"{p.code} — {p.name}" + (f" ({p.company.code})" if len(companies) > 1 else ""))
                for p in self.plants
            ]
            if plant.required and self.plants:
                plant.initial = self.plants[0].code

    def clean(self) -> dict:
        data = super().clean() or {}
        company, plant = data.get("company"), data.get("plant")
        if company and plant and not any(p.code == plant and p.company.code == company for p in self.plants):
            self.add_error("plant", f"Plant {plant} is not a plant of {company}.")
        return data


class BomForm(ActorForm):
    """Which BOM to show: a parent part, built at a plant, on a date, engineering or manufacturing."""

    part = forms.CharField(label="Part number", max_length=64, strip=True)
    plant = PlantChoiceField(label="Plant")
    on = forms.DateField(label="As of", widget=forms.DateInput(attrs={"type": "date"}))
    bom_type = forms.ChoiceField(label="BOM type", choices=BOM_TYPE_CHOICES, initial=BOM_MANUFACTURING)
    serial = forms.CharField(
        label="Serial",
        max_length=64,
        required=False,
        strip=True,
        help_text="Optional: the end item's serial, for revisions in effect from or to a serial.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class WhereUsedForm(ActorForm):
    """Which part to look up, optionally at one plant and on one date."""

    part = forms.CharField(label="Part number", max_length=64, strip=True)
    plant = PlantChoiceField(label="Plant", required=False, empty_label="Every plant")
    on = forms.DateField(
        label="As of", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Empty: any date."
    )


class ReleaseFilterForm(ActorForm):
    """Narrow the release history to one parent part and one state."""

    part = forms.CharField(label="Parent part", max_length=64, required=False, strip=True)
    state = forms.ChoiceField(label="State", required=False, choices=[("", "Any state"), *BomRelease.State.choices])


class KpiForm(forms.Form):
    """The dashboard's period, slices and grouping; choices are the actor's plants and suppliers."""

    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    plant = forms.ChoiceField(label="Plant", required=False)
    supplier = forms.ChoiceField(label="Supplier", required=False)
    tier = forms.ChoiceField(label="Supplier tier", required=False, choices=[("", "Any tier"), *Supplier.Tier.choices])
    channel = forms.ChoiceField(
        label="Channel", required=False, choices=[("", "Any channel"), *Supplier.Channel.choices]
    )
    group = forms.ChoiceField(
        label="Group by",
        required=False,
        choices=[
            ("month", "Month"),
            ("plant", "Plant"),
            ("supplier", "Supplier"),
            ("tier", "Tier"),
            ("channel", "Channel"),
        ],
    )

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        plant = self.fields["plant"]
        supplier = self.fields["supplier"]
        assert isinstance(plant, forms.ChoiceField) and isinstance(supplier, forms.ChoiceField)
        plant.choices = [("", "Any plant"), *((p.code, f"{p.code} — {p.name}") for p in plants_for(actor=actor))]
        supplier.choices = [
            ("", "Any supplier"),
            *((s.code, f"{s.code} — {s.name}") for s in suppliers_for(actor=actor)),
        ]

    def clean(self) -> dict:
        data = super().clean() or {}
        end = data.get("end") or timezone.now().date()
        start = data.get("start") or end - dt.timedelta(days=364)
        if end >= dt.date.max:  # the period runs to the end of its last day: the day after must exist
            self.add_error("end", "A period ends by 9999-12-30.")
        elif start > end:
            self.add_error("start", "The period must start on or before its end.")
        elif (end - start).days > 731:
            self.add_error("start", "Choose a period of two years at most.")
        data["start"], data["end"] = start, end
        data["group"] = data.get("group") or "month"
        # The form shows the period the charts cover: a date left empty is filled with its default.
        shown = self.data.copy() if isinstance(self.data, QueryDict) else {**self.data}
        for name, value in (("start", start), ("end", end)):
            if not self.data.get(name):
                shown[name] = value.isoformat()
        self.data = shown
        return data

    def query(self) -> KpiQuery:
        """The valid form as a ``KpiQuery`` (call after ``is_valid()``)."""
        d = self.cleaned_data
        return KpiQuery(
            start=d["start"],
            end=d["end"],
            plant=d["plant"],
            supplier=d["supplier"],
            tier=d["tier"],
            channel=d["channel"],
            group=d["group"],
        )


class DocumentFilterForm(forms.Form):
    """Which documents the console lists: received or sent, channel, partner, state and time."""

    direction = forms.ChoiceField(label="Direction", required=False, choices=[("in", "Received"), ("out", "Sent")])
    channel = forms.ChoiceField(
        label="Channel",
        required=False,
        choices=[
            ("", "Any channel"),
            ("edi", "EDI"),
            ("api", "API"),
            ("portal", "Portal"),
            ("file", "File"),
            ("http", "Webhook"),
            ("email", "E-mail"),
        ],
    )
    partner = forms.CharField(label="Partner", required=False, max_length=80, help_text="Supplier code or sender.")
    state = forms.ChoiceField(label="State", required=False)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        state = self.fields["state"]
        assert isinstance(state, forms.ChoiceField)
        states = {**dict(InboundDocument.State.choices), **dict(OutboundMessage.State.choices)}
        state.choices = [("", "Any state"), *states.items()]

    def clean(self) -> dict:
        data = super().clean() or {}
        data["direction"] = data.get("direction") or "in"
        return data


class FirstAdminInvitationForm(forms.Form):
    """A buyer's invitation: a supplier's first administrator. The supplier choices are the buyer's suppliers."""

    supplier = forms.ChoiceField(label="Supplier")
    email = forms.EmailField(label="E-mail address", max_length=254)

    def __init__(self, *args, suppliers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supplier"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s.code, f"{s.code} — {s.name}") for s in suppliers]


class InventoryFilterForm(ActorForm):
    """Which stock to show: a company, optionally one plant and one part number."""

    plant = PlantChoiceField(label="Plant", required=False, empty_label="Every plant")
    part = forms.CharField(label="Part number", max_length=64, required=False, strip=True)


class ItemHistoryForm(ActorForm):
    """Whose history: the company (the part is in the page's address), optionally at one plant."""

    plant = PlantChoiceField(label="Plant", required=False, empty_label="Every plant")
