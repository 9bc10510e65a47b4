"""Field helpers every resource's serializers share: quantities, prices, text, instants."""

from decimal import Decimal

from rest_framework import serializers

MAX_LINES = 2000


def quantity(**kwargs) -> serializers.DecimalField:
    # Up to 10^12 - 0.0001 (procurement.models.fields.QUANTITY_LIMIT).
    return serializers.DecimalField(max_digits=16, decimal_places=4, **kwargs)


def price(**kwargs) -> serializers.DecimalField:
    # Up to 10^10 - 0.000001 (PRICE_LIMIT).
    return serializers.DecimalField(max_digits=16, decimal_places=6, min_value=Decimal("0"), **kwargs)


def text(max_length: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, **kwargs)


def optional_text(max_length: int) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, default="")


# An instant as every DateTimeField of the API writes it (ISO 8601, "Z" for UTC).
instant_out = serializers.DateTimeField().to_representation
