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


# An acknowledgement's answer (its header code, as stored) in words.
ACK_HEADER_WORDS = {
    "ACKNOWLEDGED": "Acknowledged",
    "ACCEPTED": "Accepted",
    "ACCEPTED_WITH_CHANGES": "Accepted with changes",
    "REJECTED": "Rejected",
}

# What became of a received document, by its outcome code; an outcome that only repeats the state
# ("processed" for Applied) is not shown again (see ``outcome_words``).
OUTCOME_WORDS = {
    "processed": "Applied",
    "applied": "Applied",
    "duplicate": "Duplicate: already received, nothing changed",
    "duplicate_content": "Duplicate: same content already received",
    "duplicate_interchange": "Duplicate: interchange control number already received, nothing applied",
    "partly_refused": "Partly refused: some lines were not applied",
    "invalid": "Invalid: some fields were wrong",
    "malformed": "Malformed: could not be read",
    "unreadable": "Unreadable",
    "envelope_rejected": "Refused at the envelope",
    "too_large": "Too large",
    "transient_error": "Failed for a passing reason: will be retried",
    "dead_letter": "Given up after repeated failures",
    "error": "Failed with an error",
    "conflict": "Conflicts with what was already recorded",
    "unknown_po": "Unknown PO",
    "ambiguous_po": "PO number matches more than one PO",
    "unknown_line": "Unknown PO line",
    "ambiguous_line": "Part is on several PO lines and no line number is given",
    "unknown_company": "Unknown buying company",
    "unknown_supplier": "Unknown supplier",
    "unknown_plant": "Unknown plant",
    "unknown_release": "Unknown release",
    "stale_revision": "Answers an older PO revision",
    "part_mismatch": "Part number does not match the PO line",
    "line_received": "PO line already received in full",
    "unknown_uom": "Unknown unit of measure",
    "unit_mismatch": "In another unit or currency than the PO",
    "po_closed": "PO closed",
    "po_cancelled": "PO cancelled",
    "date_out_of_range": "Date out of range",
    "duplicate_invoice": "Invoice number already used",
}

# A PO line's status, dimension by dimension (``POLine.statuses()``), in words.
LINE_STATUS_DIMENSIONS = {
    "ack": "Acknowledgement",
    "change": "Change",
    "ship": "Shipping",
    "receipt": "Receipt",
    "invoice": "Invoicing",
    "match": "Invoice match",
}
LINE_STATUS_WORDS = {
    "awaiting": "Awaiting acknowledgement",
    "acknowledged": "Acknowledged",
    "accepted": "Accepted",
    "changes_proposed": "Changes proposed",
    "rejected": "Rejected",
    "on_hold": "On hold",
    "none": "None",
    "proposed": "Supplier proposed",
    "declined": "Declined",
    "not_shipped": "Not shipped",
    "partially_shipped": "Partially shipped",
    "shipped": "Shipped",
    "over_shipped": "Over-shipped",
    "nothing": "Nothing received",
    "partial": "Partially received",
    "full": "Received in full",
    "over": "Over-received",
    "not_invoiced": "Not invoiced",
    "partially_invoiced": "Partially invoiced",
    "invoiced": "Invoiced",
    "over_invoiced": "Over-invoiced",
    "matched": "Matched",
    "within_tolerance": "Within tolerance",
    "exception": "Exception",
    "overridden": "Overridden",
}

CHANNEL_WORDS = {"edi": "EDI", "api": "the API", "portal": "the portal", "system": "a buying system"}
# The same channels as a table's cell names them.
CHANNEL_LABELS = {"edi": "EDI", "api": "API", "portal": "portal", "system": "buying system"}


def _humanized(code: str) -> str:
    """A code nobody worded yet, readable at least: ``unknown_uom`` → ``Unknown uom``."""
    return code.replace("_", " ").capitalize()


def ack_header_words(code: object) -> str:
    """``ACCEPTED_WITH_CHANGES`` → ``Accepted with changes``."""
    text = str(code or "")
    return ACK_HEADER_WORDS.get(text.upper(), _humanized(text.lower()))


# An EDI file is ``processed`` once it is read, whatever became of its sets: its outcome says when
# every set in it was refused, or some of them.
SETS_REFUSED = {
    "refused": "Refused: nothing in it was applied",
    "partly_applied": "Partly applied: some of its sets were refused",
}


def sets_refused_words(state: object, code: object) -> str:
    """For a file read (``processed``) whose sets were refused, all or some, what became of it; else ``""``."""
    return SETS_REFUSED.get(str(code or ""), "") if state == "processed" else ""


def outcome_words(code: object) -> str:
    """A received document's outcome code in words: ``duplicate_content`` → ``Duplicate: same content …``."""
    text = str(code or "")
    return OUTCOME_WORDS.get(text, _humanized(text))


def line_status_words(value: object) -> str:
    """One of a PO line's statuses in words: ``changes_proposed`` → ``Changes proposed``."""
    text = str(value or "")
    return LINE_STATUS_WORDS.get(text, _humanized(text))


def line_status_dimension(dimension: object) -> str:
    """``ack`` → ``Acknowledgement``."""
    text = str(dimension)
    return LINE_STATUS_DIMENSIONS.get(text, _humanized(text))


def channel_words(channel: object) -> str:
    """A channel's code as people name it: ``edi`` → ``EDI``, ``api`` → ``the API``."""
    text = str(channel or "")
    return CHANNEL_WORDS.get(text, text)


def channel_label(channel: object) -> str:
    """A channel's code as a table's cell names it: ``edi`` → ``EDI``, ``api`` → ``API``; others as they are."""
    text = str(channel or "")
    return CHANNEL_LABELS.get(text, text)


def document_words(channel: object, document_type: object) -> str:
    """What a received document is and how it came: ``edi``/``x12`` → ``EDI (X12) file``,
    ``portal``/``acknowledgement`` → ``Acknowledgement through the portal``."""
    channel, kind = str(channel or ""), str(document_type or "")
    if channel == "edi":
        return "EDI (X12) file" if kind in ("", "x12") else f"EDI file ({kind.replace('_', ' ')})"
    what = _humanized(kind) if kind else "Document"
    return f"{what} through {channel_words(channel)}"
