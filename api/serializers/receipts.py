"""A goods receipt in, from the buyer's systems."""

from decimal import Decimal

from rest_framework import serializers

from procurement import inputs

from .fields import MAX_LINES, optional_text, quantity, text


class ReceiptLineIn(serializers.Serializer):
    line_no = text(16)
    quantity_received = quantity(min_value=Decimal("0"))
    quantity_rejected = quantity(min_value=Decimal("0"), default=Decimal("0"))
    lot = optional_text(40)
    sscc = serializers.RegexField(r"^\d{18}$", required=False, allow_blank=True, default="")


class ReceiptIn(serializers.Serializer):
    receipt_number = text(80)
    company = text(32)
    po_number = text(40)
    received_on = serializers.DateField()
    posted = serializers.BooleanField(default=False)
    shipment_id = optional_text(80)
    # many=True hands min_length/max_length to the ListSerializer; the stubs' __init__ omits them.
    lines = ReceiptLineIn(many=True, min_length=1, max_length=MAX_LINES)  # type: ignore[call-arg]

    def to_input(self) -> inputs.ReceiptInput:
        data = dict(self.validated_data)
        lines = tuple(inputs.ReceiptLineInput(**line) for line in data.pop("lines"))
        return inputs.ReceiptInput(lines=lines, **data)
