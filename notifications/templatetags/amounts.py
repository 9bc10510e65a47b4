"""Numbers in messages for people: as they are written, without the trailing zeros of a column's scale."""

from django import template

from gateway.formatting import plain_number

register = template.Library()


@register.filter
def plain(value: object) -> str:
    """``"18.500000"`` → ``18.5``, ``"120.000"`` → ``120``; anything that is not a number as it is."""
    return plain_number(value)
