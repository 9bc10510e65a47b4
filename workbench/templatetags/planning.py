"""Quantities as a planner reads them: 7.35, not 7.3500; 20, not 20.0000."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def qty(value: object) -> str:
    """A quantity without trailing zeros (``Decimal("7.3500")`` → ``7.35``); empty text stays empty."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "0") else text
