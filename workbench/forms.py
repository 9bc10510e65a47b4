"""The workbench's query forms: what a person asks for, checked before any selector is called.

Each form is built for one actor, so its choices (companies, plants) are only what that actor may see.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from gateway.actors import Actor
from materials.inputs import BOM_MANUFACTURING, BOM_TYPES
from materials.models import BomRelease
from procurement.selectors import companies_for, plants_for

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


class FirstAdminInvitationForm(forms.Form):
    """A buyer's invitation: a supplier's first administrator. The supplier choices are the buyer's suppliers."""

    supplier = forms.ChoiceField(label="Supplier")
    email = forms.EmailField(label="E-mail address", max_length=254)

    def __init__(self, *args, suppliers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supplier"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s.code, f"{s.code} — {s.name}") for s in suppliers]
