"""The acknowledgement form: one row per PO line, turned into the canonical ``AcknowledgementInput``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from procurement import inputs
from procurement.models.fields import PRICE_LIMIT, QUANTITY_LIMIT

RESPONSES = [
    (inputs.LINE_ACCEPT, "Accept as ordered"),
    (inputs.LINE_CHANGE_QTY, "Change quantity"),
    (inputs.LINE_RESCHEDULE, "Change date or split into deliveries"),
    (inputs.LINE_CHANGE_PRICE, "Change price"),
    (inputs.LINE_SUBSTITUTE, "Substitute another part"),
    (inputs.LINE_PARTIAL_BACKORDER, "Ship part now, backorder the rest"),
    (inputs.LINE_BACKORDER, "Backorder all"),
    (inputs.LINE_HOLD, "Hold: cannot answer yet"),
    (inputs.LINE_REJECT, "Reject"),
]
# What each response needs filled in, and the words that say so.
REQUIRED = {
    inputs.LINE_CHANGE_QTY: ("quantity", "Give the quantity you can supply."),
    inputs.LINE_CHANGE_PRICE: ("unit_price", "Give the price you propose."),
    inputs.LINE_SUBSTITUTE: ("substitute_part_number", "Name the part you propose instead."),
    inputs.LINE_PARTIAL_BACKORDER: ("quantity", "Give the quantity you can ship now."),
    inputs.LINE_REJECT: ("note", "Say why you reject the line; the buyer sees it."),
}


class AckLineForm(forms.Form):
    """One PO line's answer. Fields left empty keep the buyer's terms."""

    line_no = forms.CharField(widget=forms.HiddenInput, max_length=20)
    response = forms.ChoiceField(choices=RESPONSES, initial=inputs.LINE_ACCEPT)
    quantity = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_value=QUANTITY_LIMIT - 1, max_digits=24, decimal_places=6
    )
    unit_price = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_value=PRICE_LIMIT - 1, max_digits=24, decimal_places=6
    )
    promised_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    deliveries = forms.CharField(
        required=False,
        max_length=500,
        help_text="Split into deliveries: quantity and date, one pair per delivery, e.g. 40 2027-03-01, 60 2027-03-15",
    )
    substitute_part_number = forms.CharField(required=False, max_length=64)
    note = forms.CharField(required=False, max_length=500)

    def clean_deliveries(self) -> tuple[inputs.ScheduleLineInput, ...]:
        text = self.cleaned_data["deliveries"].strip()
        schedule = []
        for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
            pieces = part.split()
            if len(pieces) != 2:
                raise ValidationError(f"“{part}” is not a quantity and a date, like 40 2027-03-01.")
            try:
                quantity, date = Decimal(pieces[0]), dt.date.fromisoformat(pieces[1])
            except (ArithmeticError, ValueError):
                raise ValidationError(f"“{part}” is not a quantity and a date, like 40 2027-03-01.") from None
            if not quantity.is_finite() or quantity <= 0 or quantity >= QUANTITY_LIMIT:
                raise ValidationError(f"“{part}”: a delivery's quantity must be more than 0.")
            schedule.append(inputs.ScheduleLineInput(quantity=quantity, date=date))
        return tuple(schedule)

    def clean(self) -> dict:
        data = super().clean() or {}
        needed = REQUIRED.get(data.get("response", ""))
        if needed and not data.get(needed[0]) and data.get(needed[0]) != Decimal("0"):
            self.add_error(needed[0], needed[1])
        if data.get("response") == inputs.LINE_RESCHEDULE and not (data.get("promised_date") or data.get("deliveries")):
            self.add_error("promised_date", "Give the date you promise, or split the line into deliveries.")
        schedule = data.get("deliveries") or ()
        quantity = data.get("quantity")
        if schedule and quantity is not None and quantity != sum(s.quantity for s in schedule):
            self.add_error("deliveries", "The deliveries must add up to the quantity given beside them.")
        return data

    def to_input(self) -> inputs.AckLineInput:
        data = self.cleaned_data
        response = data["response"]
        changes = response not in (inputs.LINE_ACCEPT, inputs.LINE_REJECT, inputs.LINE_HOLD, inputs.LINE_BACKORDER)
        return inputs.AckLineInput(
            line_no=data["line_no"],
            response=response,
            raw_code="portal",
            quantity=data.get("quantity") if changes else None,
            unit_price=data.get("unit_price") if changes else None,
            promised_date=data.get("promised_date") if response != inputs.LINE_REJECT else None,
            substitute_part_number=data.get("substitute_part_number", "") if response == inputs.LINE_SUBSTITUTE else "",
            note=data.get("note", ""),
            schedule=data.get("deliveries", ()) if changes else (),
        )


class BaseAckLineFormSet(forms.BaseFormSet):
    """The rows must be exactly the PO's live lines, each once (a tampered form is refused)."""

    def __init__(self, *args, line_nos: list[str], **kwargs) -> None:
        self.line_nos = line_nos
        super().__init__(*args, **kwargs)

    def clean(self) -> None:
        if any(self.errors):
            return
        sent = [form.cleaned_data.get("line_no") for form in self.forms]
        if sorted(map(str, sent)) != sorted(self.line_nos):
            raise ValidationError("The form does not match the PO's lines any more; open the PO again.")


_AckLineFormSet = forms.formset_factory(
    AckLineForm, formset=BaseAckLineFormSet, extra=0, max_num=1000, absolute_max=1000, validate_max=True
)


def ack_line_formset(data=None, *, line_nos: list[str], initial: list[dict] | None = None) -> BaseAckLineFormSet:
    """The rows of one PO's acknowledgement form: bound to ``data``, or unbound with ``initial``."""
    return cast(BaseAckLineFormSet, _AckLineFormSet(data, initial=initial, line_nos=line_nos))  # type: ignore[call-arg]


class AckHeaderForm(forms.Form):
    """The idempotency token and the PO revision the form answers."""

    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    revision = forms.IntegerField(min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput)
    note = forms.CharField(required=False, max_length=500, label="Note to the buyer")


def acknowledgement_input(
    *, po_number: str, company: str, header: AckHeaderForm, lines: list[inputs.AckLineInput] | None
) -> inputs.AcknowledgementInput:
    """The canonical acknowledgement; ``lines=None`` is "received, will confirm later" (the PO acknowledged only).

    The document id is the form's token: the same form sent twice (a double click, a second tab, the
    back button) is the same document, which the write path applies once.
    """
    data = header.cleaned_data
    if lines is None:
        code = inputs.ACK_ACKNOWLEDGED
    elif all(line.response == inputs.LINE_REJECT for line in lines):
        code = inputs.ACK_REJECTED
    elif all(line.response == inputs.LINE_ACCEPT for line in lines):
        code = inputs.ACK_ACCEPTED
    else:
        code = inputs.ACK_ACCEPTED_WITH_CHANGES
    return inputs.AcknowledgementInput(
        document_id=f"portal-{data['token']}",
        po_number=po_number,
        company=company,
        header=code,
        lines=tuple(lines or ()),
        raw_code="portal",
        po_revision=data["revision"],
        note=data.get("note", ""),
    )
