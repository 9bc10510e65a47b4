"""Why is my invoice on hold: each rule that fired, expected against actual, and what fixes it.

Built from the exceptions the invoice raised (their ``evidence`` is what the match compared, and
the tolerance it applied) in words a supplier's accounts person can act on. Nothing here is
internal to the buyer: ``resolution_note`` and the buyer's summary are never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from gateway.formatting import po_label
from procurement.models import Invoice, ProcurementException

Kind = ProcurementException.Kind


@dataclass(frozen=True)
class HoldReason:
    rule: str
    where: str
    expected: str
    actual: str
    allowed: str
    fix: str
    open: bool


def hold_reasons(invoice: Invoice, exceptions: list[ProcurementException]) -> list[HoldReason]:
    """The reasons ``invoice`` is (or was) held, one per exception it raised, in the order raised."""
    return [
        _reason(invoice, e)
        for e in exceptions
        if e.kind in (Kind.INVOICE_PRICE_MISMATCH, Kind.INVOICE_QUANTITY_MISMATCH)
    ]


def _reason(invoice: Invoice, exception: ProcurementException) -> HoldReason:
    evidence = exception.evidence or {}
    line = exception.po_line.line_no if exception.po_line_id and exception.po_line else ""
    where = f"{po_label(invoice.po.number)} line {line}" if line else f"invoice {invoice.invoice_number} as a whole"
    expected, actual = str(evidence.get("expected", "")), str(evidence.get("actual", ""))
    allowed = allowed_words(evidence.get("tolerance"))
    is_open = exception.state in ProcurementException.OPEN_STATES
    if exception.dedup_key.startswith("invoice_currency:"):
        return HoldReason(
            rule="Currency differs from the PO",
            where=where,
            expected=expected,
            actual=actual,
            allowed="The currency must be the PO's.",
            fix=f"Send a credit note for this invoice, then invoice again in {expected}.",
            open=is_open,
        )
    if exception.dedup_key.startswith("invoice_total:"):
        return HoldReason(
            rule="The total does not add up",
            where=where,
            expected=_amount(expected),
            actual=_amount(actual),
            allowed="The total must equal the lines plus charges, less allowances, plus taxes.",
            fix="Send a credit note for this invoice, then invoice again with the total the lines add up to.",
            open=is_open,
        )
    deviation = _decimal(evidence.get("deviation"))
    if exception.kind == Kind.INVOICE_PRICE_MISMATCH:
        if deviation is not None and deviation > 0:
            fix = (
                f"Send a credit note for {_amount(str(deviation))} per unit on the quantity invoiced. If the buyer "
                "agreed a new price, ask them to put it on the PO (a price you proposed in your acknowledgement "
                "counts once the buyer accepts it); the invoice is then matched again."
            )
        else:
            fix = (
                "You invoiced below the PO price. If that was a mistake, send an invoice for the difference; "
                "the buyer decides on this one."
            )
        return HoldReason(
            rule="Unit price differs from the PO price",
            where=where,
            expected=_amount(expected),
            actual=_amount(actual),
            allowed=allowed,
            fix=fix,
            open=is_open,
        )
    basis = evidence.get("basis", "ordered")
    over = _amount(str(deviation)) if deviation is not None else "the difference"
    if basis == "received":
        received = (
            "Nothing has been received yet"
            if _decimal(expected) == 0
            else f"Only {_amount(expected)} has been received"
        )
        fix = (
            f"{received}. If you shipped more than your ship notices say, send a "
            f"corrected ship notice; the invoice matches once the goods are received. If not, send a credit note "
            f"for {over}."
        )
    else:
        fix = f"Only {_amount(expected)} was ordered. Send a credit note for {over}, or ask the buyer to change the PO."
    return HoldReason(
        rule=f"Quantity invoiced is more than {basis}",
        where=where,
        expected=f"{_amount(expected)} {basis}",
        actual=f"{_amount(actual)} invoiced in all",
        allowed=allowed,
        fix=fix,
        open=is_open,
    )


def allowed_words(tolerance: object) -> str:
    """What the buyer's tolerance allows above the expected value, in words."""
    if not isinstance(tolerance, dict):
        return ""
    percent, amount = tolerance.get("over_percent"), tolerance.get("over_amount")
    parts = []
    if percent is not None:
        parts.append(f"{_amount(str(percent))}%")
    if amount is not None:
        parts.append(_amount(str(amount)))
    if not parts:
        return "The buyer allows any amount above."
    if all(_decimal(p.rstrip("%")) == 0 for p in parts):
        return "The buyer allows no difference."
    return "The buyer allows up to " + " and ".join(parts) + " above."


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _amount(text: str) -> str:
    value = _decimal(text)
    if value is None or not value.is_finite():
        return text
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0").rstrip(".")
