"""An exception's evidence in words: what a buyer reads on its page instead of the stored JSON.

The evidence is written by many raisers, each with its own keys; here every value becomes text a
buyer reads (numbers without trailing zeros, prices to the cent, lists comma-separated, a planned
purchase as a sentence), ids are dropped where the evidence names the thing as well, and the part
number links to the item's projection when the evidence says at which plant.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.urls import reverse

from gateway.formatting import plain_number
from procurement.models import ProcurementException
from suppliers.models import Supplier

Kind = ProcurementException.Kind

LABELS = {
    "expected": "Expected",
    "actual": "Actual",
    "deviation": "Deviation",
    "deviation_days": "Deviation (days)",
    "deviation_percent": "Deviation (%)",
    "tolerance": "Tolerance rule that fired",
}
# Keys shown elsewhere on the page (the requirement trace).
HIDDEN = frozenset({"requirements"})
# An id is noise beside the name the evidence gives the same thing.
NAMED_BY = {"plant_id": "plant", "item_id": "part_number", "supplier_id": "supplier", "po_id": "po"}
# Kinds whose expected, actual and deviation amounts are prices.
PRICED = frozenset({Kind.PRICE_DEVIATION, Kind.INVOICE_PRICE_MISMATCH})
CENT = Decimal("0.01")


@dataclass(frozen=True)
class EvidenceRow:
    label: str
    text: str
    url: str = ""


def evidence_rows(exception: ProcurementException) -> list[EvidenceRow]:
    """The evidence as labelled rows: expected, actual, deviation and the rule first, the rest after."""
    evidence = {k: v for k, v in (exception.evidence or {}).items() if k not in HIDDEN}
    priced = exception.kind in PRICED
    rows = [
        EvidenceRow(label, _value(key, evidence[key], priced=priced))
        for key, label in LABELS.items()
        if evidence.get(key) not in (None, "")
    ]
    for key in sorted(evidence, key=_row_order):
        value = evidence[key]
        if key in LABELS or (key in NAMED_BY and NAMED_BY[key] in evidence):
            continue
        label = key.replace("_", " ").capitalize()
        rows.append(EvidenceRow(label, _value(key, value, priced=False), _url(key, exception)))
    return rows


# What the exception is about comes first, in this order.
ABOUT = ("plant", "part_number", "supplier", "po", "line_no")


def _row_order(key: str) -> tuple[int, int, str]:
    """Rows after the amounts: ``ABOUT`` first, then the rest shortest key first. PostgreSQL's jsonb
    keeps keys in that order (by length, then bytes) and SQLite as they were written, so the stored
    order is not used: a page reads the same on both."""
    return (ABOUT.index(key), 0, key) if key in ABOUT else (len(ABOUT), len(key), key)


def tolerance_words(tolerance: object, *, priced: bool = False) -> str:
    """A tolerance as a buyer reads it: ``over: up to 2% and 0.50; under: no limit — rule 7``.

    Every limit that is set must hold (``procurement.services.tolerance.evaluate``), so a side with a
    percentage and an amount allows the smaller of the two; a side with neither has no limit.
    """
    if not isinstance(tolerance, dict):
        return str(tolerance)
    rule = tolerance.get("rule")
    if not rule:
        return "no rule set: nothing may deviate"
    sides = []
    for side in ("over", "under"):
        percent, amount = tolerance.get(f"{side}_percent"), tolerance.get(f"{side}_amount")
        limits = [f"{plain_number(percent)}%" if percent is not None else "", _number(amount, priced=priced)]
        given = [limit for limit in limits if limit]
        sides.append(f"{side}: up to {' and '.join(given)}" if given else f"{side}: no limit")
    return f"{'; '.join(sides)} — rule {rule}"


def _number(value: object, *, priced: bool) -> str:
    if value is None or value == "":
        return ""
    if priced:
        try:
            return f"{Decimal(str(value)).quantize(CENT):f}"
        except InvalidOperation:
            return str(value)
    return plain_number(value)


def _value(key: str, value: object, *, priced: bool) -> str:
    if key == "tolerance":
        return tolerance_words(value, priced=priced)
    if key == "planned_purchase":
        return _planned_words(value)
    if key == "deviation_percent":
        return plain_number(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(_value(key, v, priced=priced) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {_value(k, v, priced=priced)}" for k, v in value.items())
    if isinstance(value, int | float | Decimal) or (isinstance(value, str) and _numeric(value)):
        return _number(value, priced=priced)
    return str(value)


def _numeric(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _planned_words(planned: object) -> str:
    """``20 by 2026-12-15, release by 2026-12-15, no approved supplier`` (``late`` when its release is past)."""
    if not isinstance(planned, dict):
        return "none: nothing planned covers it"
    words = [
        f"{plain_number(planned.get('quantity', ''))} by {planned.get('need_date', '')}",
        f"release by {planned.get('release_date', '')}" + (" (late)" if planned.get("late") else ""),
    ]
    supplier = planned.get("supplier_id")
    code = Supplier.objects.filter(pk=supplier).values_list("code", flat=True).first() if supplier else None
    words.append(f"from {code}" if code else "no approved supplier")
    return ", ".join(words)


def _url(key: str, exception: ProcurementException) -> str:
    """The item's projection at the evidence's plant, on the part number's row."""
    evidence = exception.evidence or {}
    if key != "part_number" or not evidence.get("plant"):
        return ""
    query = urlencode({"company": exception.company.code, "plant": evidence["plant"]})
    return f"{reverse('workbench:item_projection', args=[evidence['part_number']])}?{query}"
