"""Quantities as a planner reads them: 7.35, not 7.3500; 20, not 20.0000."""

from __future__ import annotations

from django import template

from gateway.formatting import plain_number

register = template.Library()


@register.filter
def qty(value: object) -> str:
    """A quantity without trailing zeros (``Decimal("7.3500")`` → ``7.35``); empty text stays empty."""
    return "" if value is None or value == "" else plain_number(value)
