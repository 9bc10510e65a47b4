"""Numbers in messages for people: as they are written, without the trailing zeros of a column's scale."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def plain(value: object) -> object:
    """``"18.500000"`` → ``18.5``, ``"120.000"`` → ``120``; anything that is not a number as it is."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value
    if not number.is_finite():
        return value
    return format(number.normalize(), "f")
