"""Invoices: one in against a PO, and how it shows with its match status."""

from decimal import Decimal

from rest_framework import serializers

from procurement import inputs
from procurement.models import Invoice, InvoiceLine

from .fields import MAX_LINES, optional_text, price, quantity, text

# At most as many adjustments per line or per invoice as an 004010 810 carries SAC loops.
MAX_ADJUSTMENTS = 25


def _amount_in() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=17, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True, default=None
    )


def _percent_in() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=9, decimal_places=4, min_value=Decimal("0"), required=False, allow_null=True, default=None
    )


class InvoiceChargeIn(serializers.Serializer):
    """An allowance (A, taken off), a charge (C) or an information-only amount (N); its amount, else
    a percent of the line's amount (of the lines' amounts for the invoice's own), as an 810's SAC."""

    indicator = serializers.ChoiceField(choices=("A", "C", "N"))
    code = text(4)
    amount = _amount_in()
    percent = _percent_in()
    description = optional_text(80)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("amount") is None and attrs.get("percent") is None:
            raise serializers.ValidationError("give an amount or a percent")
        return attrs


class InvoiceTaxIn(serializers.Serializer):
    """A tax: its type (TXI01 code, e.g. ST sales tax) and its amount, else its percent."""

    tax_type = text(2)
    amount = _amount_in()
    percent = _percent_in()

    def validate(self, attrs: dict) -> dict:
        if attrs.get("amount") is None and attrs.get("percent") is None:
            raise serializers.ValidationError("give an amount or a percent")
        return attrs


def _charges_in() -> InvoiceChargeIn:
    return InvoiceChargeIn(many=True, required=False, default=list, max_length=MAX_ADJUSTMENTS)  # type: ignore[call-arg]


def _taxes_in() -> InvoiceTaxIn:
    return InvoiceTaxIn(many=True, required=False, default=list, max_length=MAX_ADJUSTMENTS)  # type: ignore[call-arg]


def _adjustments(data: dict) -> dict:
    """``charges`` and ``taxes`` of ``data`` as canonical tuples."""
    return {
        "charges": tuple(inputs.InvoiceChargeInput(**c) for c in data.pop("charges", [])),
        "taxes": tuple(inputs.InvoiceTaxInput(**t) for t in data.pop("taxes", [])),
    }


class InvoiceLineIn(serializers.Serializer):
    line_no = text(16)
    quantity = quantity(min_value=Decimal("0.0001"))
    unit_price = price()
    part_number = optional_text(64)
    charges = _charges_in()
    taxes = _taxes_in()


class InvoiceIn(serializers.Serializer):
    invoice_number = text(80)
    po_number = text(40)
    company = optional_text(32)
    invoice_date = serializers.DateField()
    currency = serializers.RegexField(r"^[A-Z]{3}$")
    purpose = serializers.ChoiceField(
        choices=(inputs.INVOICE_PURPOSE_INVOICE, inputs.INVOICE_PURPOSE_CREDIT_MEMO), default="invoice"
    )
    total = serializers.DecimalField(max_digits=17, decimal_places=2, required=False, allow_null=True, default=None)
    # many=True hands min_length/max_length to the ListSerializer; the stubs' __init__ omits them.
    lines = InvoiceLineIn(many=True, min_length=1, max_length=MAX_LINES)  # type: ignore[call-arg]
    # On the invoice as a whole, as an 810's SAC and TXI after TDS; each line may carry its own.
    charges = _charges_in()
    taxes = _taxes_in()

    def to_input(self) -> inputs.InvoiceInput:
        data = dict(self.validated_data)
        lines = []
        for given in data.pop("lines"):
            line = dict(given)
            adjustments = _adjustments(line)
            lines.append(inputs.InvoiceLineInput(**line, **adjustments))
        adjustments = _adjustments(data)
        return inputs.InvoiceInput(lines=tuple(lines), **data, **adjustments)


def _amount() -> serializers.DecimalField:
    """Wide enough for any SAC05 or TXI02 an 810 can carry, so showing one never fails."""
    return serializers.DecimalField(max_digits=24, decimal_places=2)


def _percent() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True)


class InvoiceChargeOut(serializers.Serializer):
    """An allowance (A), charge (C) or information-only (N) amount on an invoice line."""

    indicator = serializers.CharField()
    code = serializers.CharField()
    amount = _amount()
    percent = _percent()
    description = serializers.CharField()


class InvoiceTaxOut(serializers.Serializer):
    tax_type = serializers.CharField()
    amount = _amount()
    percent = _percent()


class InvoiceLineOut(serializers.ModelSerializer):
    line_no = serializers.CharField(source="po_line.line_no")
    charges = InvoiceChargeOut(many=True, read_only=True)
    taxes = InvoiceTaxOut(many=True, read_only=True)

    class Meta:
        model = InvoiceLine
        fields = ["line_no", "quantity", "unit_price", "amount", "charges", "taxes", "match_status"]


class InvoiceOut(serializers.ModelSerializer):
    po_number = serializers.CharField(source="po.number")
    lines = InvoiceLineOut(many=True)
    charges = InvoiceChargeOut(many=True, read_only=True)
    taxes = InvoiceTaxOut(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "invoice_number",
            "po_number",
            "purpose",
            "invoice_date",
            "currency",
            "total",
            "match_status",
            "hold_reason",
            "received_at",
            "lines",
            "charges",
            "taxes",
        ]
