"""The invoice form: lines prefilled from a PO or a ship notice, editable, with freight and tax."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from procurement import inputs
from procurement.models import POLine
from procurement.models.fields import PRICE_LIMIT, QUANTITY_LIMIT

TAX_TYPES = [("", "No tax"), ("ST", "Sales tax"), ("VA", "Value added tax"), ("GS", "Goods and services tax")]
FREIGHT = "D240"  # X12 SAC02: freight


def _money(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        required=False, min_value=Decimal("0"), max_value=PRICE_LIMIT - 1, max_digits=24, decimal_places=6, **kwargs
    )


class InvoiceHeaderForm(forms.Form):
    invoice_number = forms.RegexField(
        regex=r"^[A-Za-z0-9._/-]{1,40}$",
        label="Invoice number",
        error_messages={"invalid": "Use up to 40 letters, digits and . _ / -"},
    )
    purpose = forms.ChoiceField(
        choices=[(inputs.INVOICE_PURPOSE_INVOICE, "Invoice"), (inputs.INVOICE_PURPOSE_CREDIT_MEMO, "Credit note")],
        initial=inputs.INVOICE_PURPOSE_INVOICE,
    )
    invoice_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    freight = _money(label="Freight charge")
    tax_type = forms.ChoiceField(choices=TAX_TYPES, required=False)
    tax_percent = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_value=Decimal("100"), max_digits=7, decimal_places=3
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("tax_type") and data.get("tax_percent") is None:
            self.add_error("tax_percent", "Give the tax rate in percent.")
        if data.get("tax_percent") and not data.get("tax_type"):
            self.add_error("tax_type", "Choose which tax the rate is.")
        return data


class InvoiceLineForm(forms.Form):
    line_id = forms.IntegerField(widget=forms.HiddenInput)
    include = forms.BooleanField(required=False)
    quantity = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_value=QUANTITY_LIMIT - 1, max_digits=24, decimal_places=6
    )
    unit_price = _money()

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("include"):
            if not data.get("quantity"):
                self.add_error("quantity", "Give the quantity you invoice.")
            if data.get("unit_price") is None:
                self.add_error("unit_price", "Give the unit price.")
        return data


InvoiceLineFormSet = forms.formset_factory(InvoiceLineForm, extra=0, max_num=1000, absolute_max=1000, validate_max=True)


def invoice_input(
    *, header: InvoiceHeaderForm, rows: list[InvoiceLineForm], lines: dict[int, POLine], po_number: str, company: str
) -> tuple[inputs.InvoiceInput | None, list[str]]:
    """The canonical invoice from valid forms (against one PO), or why it cannot be one."""
    data = header.cleaned_data
    chosen = [row.cleaned_data for row in rows if row.cleaned_data.get("include")]
    if any(given["line_id"] not in lines for given in chosen):
        return None, ["A line is not on this PO; open the invoice form again."]
    if not chosen:
        return None, ["Choose at least one line to invoice."]
    freight = data.get("freight")
    return (
        inputs.InvoiceInput(
            invoice_number=data["invoice_number"],
            po_number=po_number,
            company=company,
            invoice_date=data["invoice_date"],
            currency="",  # the PO's
            purpose=data["purpose"],
            lines=tuple(
                inputs.InvoiceLineInput(
                    line_no=lines[given["line_id"]].line_no,
                    part_number=lines[given["line_id"]].item.part_number,
                    quantity=given["quantity"],
                    unit_price=given["unit_price"],
                )
                for given in chosen
            ),
            charges=(inputs.InvoiceChargeInput(indicator="C", code=FREIGHT, amount=freight, description="Freight"),)
            if freight
            else (),
            taxes=(inputs.InvoiceTaxInput(tax_type=data["tax_type"], percent=data["tax_percent"]),)
            if data.get("tax_type")
            else (),
        ),
        [],
    )
