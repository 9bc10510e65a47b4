"""Invoices: one in against a PO, and how it shows with its match status."""

from decimal import Decimal

from rest_framework import serializers

from procurement import inputs
from procurement.models import Invoice, InvoiceLine

from .fields import MAX_LINES, optional_text, price, quantity, text


class InvoiceLineIn(serializers.Serializer):
    line_no = text(16)
    quantity = quantity(min_value=Decimal("0.0001"))
    unit_price = price()
    part_number = optional_text(64)


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

    def to_input(self) -> inputs.InvoiceInput:
        data = dict(self.validated_data)
        lines = tuple(inputs.InvoiceLineInput(**line) for line in data.pop("lines"))
        return inputs.InvoiceInput(lines=lines, **data)


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
        ]
