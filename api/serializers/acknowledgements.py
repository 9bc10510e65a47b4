"""An acknowledgement in: a header code and a response per line, in the canonical vocabulary."""

from decimal import Decimal

from rest_framework import serializers

from procurement import inputs

from .fields import MAX_LINES, optional_text, price, quantity, text


class ScheduleLineIn(serializers.Serializer):
    quantity = quantity(min_value=Decimal("0"))
    date = serializers.DateField()


class AckLineIn(serializers.Serializer):
    line_no = text(16)
    response = serializers.ChoiceField(choices=inputs.LINE_RESPONSE_CODES)
    raw_code = optional_text(8)
    quantity = quantity(required=False, allow_null=True, default=None, min_value=Decimal("0"))
    unit_price = price(required=False, allow_null=True, default=None)
    promised_date = serializers.DateField(required=False, allow_null=True, default=None)
    # The line's part as you read it (your customer's number, yours): checked against the PO line.
    part_number = optional_text(64)
    supplier_part_number = optional_text(64)
    substitute_part_number = optional_text(64)
    note = optional_text(1000)
    # many=True hands min_length/max_length to the ListSerializer; the stubs' __init__ omits them.
    schedule = ScheduleLineIn(  # type: ignore[call-arg]
        many=True,
        required=False,
        default=list,
        max_length=MAX_LINES,
        help_text="The line split into deliveries, each a quantity on a date. Their sum is the quantity "
        "you confirm (a quantity given beside them must agree); each date is checked against the need-by date.",
    )


class AcknowledgementIn(serializers.Serializer):
    document_id = text(80, help_text="Your own id for this acknowledgement; sending it again is a duplicate.")
    po_number = text(40)
    company = optional_text(32)
    po_revision = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=2_147_483_647
    )
    header = serializers.ChoiceField(choices=inputs.ACK_HEADER_CODES)
    raw_code = optional_text(8)
    acknowledged_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = optional_text(2000)
    # many=True hands min_length/max_length to the ListSerializer; the stubs' __init__ omits them.
    lines = AckLineIn(many=True, required=False, default=list, max_length=MAX_LINES)  # type: ignore[call-arg]

    def to_input(self) -> inputs.AcknowledgementInput:
        data = dict(self.validated_data)
        return inputs.AcknowledgementInput(lines=tuple(_line_input(dict(line)) for line in data.pop("lines")), **data)


def _line_input(line: dict) -> inputs.AckLineInput:
    schedule = tuple(inputs.ScheduleLineInput(**delivery) for delivery in line.pop("schedule"))
    return inputs.AckLineInput(**line, schedule=schedule)
