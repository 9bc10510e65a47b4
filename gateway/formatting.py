"""Numbers and document names as people read them, the same in every page, message and e-mail.

The template filters (``plain``, ``qty``, ``price``, ``po_label``) and the workbench's evidence and
timeline words all call these, so a quantity or a PO reads the same wherever it appears.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")


def _decimal(value: object) -> Decimal | None:
    """``value`` as a finite Decimal, or None when it is not a number."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def plain_number(value: object) -> str:
    """A number without trailing zeros (``"6.500000"`` → ``6.5``, ``"120.000"`` → ``120``, never ``-0``);
    anything that is not a number as text."""
    number = _decimal(value)
    if number is None:
        return str(value)
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "0") else text


def price_text(value: object) -> str:
    """A unit price to the cent (``98.000000`` → ``98.00``); finer prices keep the digits they need.

    Empty for no value; anything that is not a number as text.
    """
    if value is None or value == "":
        return ""
    number = _decimal(value)
    if number is None:
        return str(value)
    cents = number.quantize(CENT)
    return f"{cents:f}" if cents == number else f"{number.normalize():f}"


def po_label(number: object) -> str:
    """``"4500123"`` → ``PO 4500123``; a number that already says it is a PO (``"PO-4500"``) as it is."""
    text = str(number)
    return text if text[:2].upper() == "PO" else f"PO {text}"
