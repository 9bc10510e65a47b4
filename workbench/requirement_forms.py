"""What a planner asks of the requirements pages: shortages narrowed by plant, item, dates and severity;
an item's projection at a plant; planned purchases narrowed by plant, item and state; a PO number.

Built for one actor (``workbench.forms.ActorForm``), so the company and plant choices are only theirs.
"""

from __future__ import annotations

from django import forms

from materials.models import PlannedPurchase

from .forms import ActorForm, PlantChoiceField

# What a shortage hits: a production order or the master schedule (the line stops), or only
# independent demand (spares, samples). Not the exception's severity: that one follows whether the
# purchase that covers the shortage can still be released in time (``materials.severity``).
SHORTAGE_SEVERITIES = [
    ("production_stop", "Stops production"),
    ("procurement_delay", "Independent demand short"),
]


class ShortageFilterForm(ActorForm):
    plant = PlantChoiceField(label="Plant", required=False, empty_label="Every plant")
    part = forms.CharField(label="Item", max_length=64, required=False, strip=True, help_text="Part number.")
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    severity = forms.ChoiceField(label="Hits", required=False, choices=[("", "Any demand"), *SHORTAGE_SEVERITIES])

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("start", "The dates must start on or before their end.")
        return data


class ProjectionForm(ActorForm):
    plant = PlantChoiceField(label="Plant")


class PlannedFilterForm(ActorForm):
    plant = PlantChoiceField(label="Plant", required=False, empty_label="Every plant")
    part = forms.CharField(label="Item", max_length=64, required=False, strip=True, help_text="Part number.")
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "Any state"), *PlannedPurchase.State.choices]
    )


class PlannedOrderForm(forms.Form):
    """The PO number a buyer gives the purchase order a planned purchase becomes."""

    number = forms.RegexField(
        label="PO number",
        max_length=40,
        regex=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
        error_messages={"invalid": "Use letters, digits and . _ / - only."},
        strip=True,
    )
