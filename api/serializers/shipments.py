"""An advance ship notice in: packs by SSCC and lines that may span several POs."""

from decimal import Decimal

from rest_framework import serializers

from procurement import inputs

from .fields import MAX_LINES, optional_text, quantity, text


class ShipmentLineIn(serializers.Serializer):
    po_number = text(40)
    line_no = text(16)
    quantity = quantity(min_value=Decimal("0.0001"))
    uom = optional_text(8)
    part_number = optional_text(64)
    pack_sscc = serializers.RegexField(r"^\d{18}$", required=False, allow_blank=True, default="")
    lot = optional_text(40)
    serial = optional_text(40)


class ShipmentIn(serializers.Serializer):
    shipment_id = text(80)
    ship_date = serializers.DateField()
    expected_delivery = serializers.DateField(required=False, allow_null=True, default=None)
    carrier = optional_text(80)
    tracking_number = optional_text(80)
    bill_of_lading = optional_text(80)
    company = optional_text(32)
    packs = serializers.ListField(
        child=serializers.RegexField(r"^\d{18}$"), required=False, default=list, max_length=MAX_LINES
    )
    # many=True hands min_length/max_length to the ListSerializer; the stubs' __init__ omits them.
    lines = ShipmentLineIn(many=True, min_length=1, max_length=MAX_LINES)  # type: ignore[call-arg]

    def to_input(self) -> inputs.ShipmentInput:
        data = dict(self.validated_data)
        lines = tuple(inputs.ShipmentLineInput(**line) for line in data.pop("lines"))
        return inputs.ShipmentInput(lines=lines, packs=tuple(data.pop("packs")), **data)
