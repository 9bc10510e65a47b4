"""Canonical inputs of the write path.

Every channel (portal, REST API, X12 EDI) translates what it receives into these
plain dataclasses, then calls a service in ``procurement.services``. They carry no
Django imports so that the pure X12 library (``edi.x12``) can build them too.

Quantities and prices are ``Decimal``; dates are ``datetime.date``. Codes are the
canonical vocabulary below; the code a channel actually sent travels beside it in
``raw_code`` so nothing is lost in translation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Header acknowledgement codes (research/portal_anchors.md §4.3).
ACK_ACKNOWLEDGED = "ACKNOWLEDGED"
ACK_ACCEPTED = "ACCEPTED"
ACK_ACCEPTED_WITH_CHANGES = "ACCEPTED_WITH_CHANGES"
ACK_REJECTED = "REJECTED"
ACK_HEADER_CODES = (ACK_ACKNOWLEDGED, ACK_ACCEPTED, ACK_ACCEPTED_WITH_CHANGES, ACK_REJECTED)

# Line responses.
LINE_ACCEPT = "ACCEPT"
LINE_CHANGE_PRICE = "CHANGE_PRICE"
LINE_CHANGE_QTY = "CHANGE_QTY"
LINE_RESCHEDULE = "RESCHEDULE"
LINE_SUBSTITUTE = "SUBSTITUTE"
LINE_BACKORDER = "BACKORDER"
LINE_PARTIAL_BACKORDER = "PARTIAL_BACKORDER"
LINE_HOLD = "HOLD"
LINE_REJECT = "REJECT"
LINE_RESPONSE_CODES = (
    LINE_ACCEPT,
    LINE_CHANGE_PRICE,
    LINE_CHANGE_QTY,
    LINE_RESCHEDULE,
    LINE_SUBSTITUTE,
    LINE_BACKORDER,
    LINE_PARTIAL_BACKORDER,
    LINE_HOLD,
    LINE_REJECT,
)

INVOICE_PURPOSE_INVOICE = "invoice"
INVOICE_PURPOSE_CREDIT_MEMO = "credit_memo"


# A field added to a canonical input after documents were stored under it: left out of the JSON
# form (and so of the fingerprint) while it holds its default, so a stored document sent again
# still has the fingerprint it was stored with.
OMIT_WHEN_DEFAULT = {"omit_when_default": True}


@dataclass(frozen=True)
class POLineInput:
    line_no: str
    part_number: str
    quantity: Decimal
    uom: str
    unit_price: Decimal
    need_by: dt.date
    supplier_part_number: str = ""
    description: str = ""


@dataclass(frozen=True)
class PurchaseOrderInput:
    """A whole purchase order at one revision (replace semantics: the lines are the full picture)."""

    company: str
    number: str
    supplier: str
    ship_to: str
    currency: str
    order_date: dt.date
    lines: tuple[POLineInput, ...]
    revision: int = 0
    buyer: str = ""
    notes: str = ""


@dataclass(frozen=True)
class SupplierItemInput:
    """A supplier's offer of an item: its part number, and its lead time and MOQ when the ERP knows them."""

    supplier_code: str
    supplier_part_number: str = ""
    lead_time_days: int | None = None
    moq: Decimal | None = None


@dataclass(frozen=True)
class ItemMasterInput:
    """An item as the ERP's item master has it, whole: ``conversions`` (unit, factor to the base unit)
    and ``supplier_items`` are the full sets; what they omit, the item no longer has."""

    part_number: str
    description: str = ""
    base_uom: str = "EA"
    conversions: tuple[tuple[str, Decimal], ...] = ()
    supplier_items: tuple[SupplierItemInput, ...] = ()


@dataclass(frozen=True)
class ScheduleLineInput:
    """One delivery the supplier commits to on a line: a quantity on a date (X12 SCH in the PO1 loop).

    ``date`` is None for a delivery on the line's need-by date that the sender did not date (an 855
    line answered ``ACK*IA*60`` undated beside ``ACK*DR*40`` dated): only the write path knows that date.
    """

    quantity: Decimal
    date: dt.date | None


@dataclass(frozen=True)
class AckLineInput:
    """A supplier's response to one PO line.

    ``schedule`` splits the line into deliveries (quantity + date each). When it is given, the
    quantity the line commits to is the schedule's sum (a ``quantity`` beside it must agree) and
    its dates are the promises checked against the need-by date; a ``promised_date`` sent beside
    it (X12 ACK05) is kept on the acknowledgement as sent.

    ``backordered_quantity`` is stated beside what a (partial) backorder commits when the sender
    says how much is backordered (an 855 line answered ``ACK*IA*60`` and ``ACK*IB*40``), with
    ``backorder_date`` when it dates it; without it, the balance of the line is backordered.

    ``part_number`` (the buyer's) and ``supplier_part_number`` identify the line's part as the
    sender read it; a substitute the supplier offers is ``substitute_part_number``.
    """

    line_no: str
    response: str
    raw_code: str = ""
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    promised_date: dt.date | None = None
    substitute_part_number: str = ""
    note: str = ""
    schedule: tuple[ScheduleLineInput, ...] = field(default=(), metadata=OMIT_WHEN_DEFAULT)
    backordered_quantity: Decimal | None = field(default=None, metadata=OMIT_WHEN_DEFAULT)
    backorder_date: dt.date | None = field(default=None, metadata=OMIT_WHEN_DEFAULT)
    # The part the sender says the line is (X12 PO1 BP and VP), when it says: the line of that number
    # must be that part, else the answer was meant for another line and is refused, not applied.
    part_number: str = field(default="", metadata=OMIT_WHEN_DEFAULT)
    supplier_part_number: str = field(default="", metadata=OMIT_WHEN_DEFAULT)
    # The unit the sender's quantity is in (X12 ACK03), when it says: another unit than the line's
    # would confirm a quantity that was not meant, so it is refused, not applied.
    uom: str = field(default="", metadata=OMIT_WHEN_DEFAULT)


@dataclass(frozen=True)
class AcknowledgementInput:
    """A supplier's answer to a PO: a header code and, usually, one response per line.

    ``document_id`` is the sender's own identifier of this document (BAK08 or the ST02
    control number for EDI, the client's id for the API, a generated id for the portal);
    together with the channel and the supplier it is the idempotency key.
    """

    document_id: str
    po_number: str
    header: str
    lines: tuple[AckLineInput, ...] = ()
    raw_code: str = ""
    po_revision: int | None = None
    company: str = ""
    acknowledged_on: dt.date | None = None
    note: str = ""
    # The currency the answer's prices are in (X12 CUR), when it says; empty means the PO's.
    currency: str = field(default="", metadata=OMIT_WHEN_DEFAULT)


@dataclass(frozen=True)
class ShipmentLineInput:
    po_number: str
    line_no: str
    quantity: Decimal
    uom: str = ""
    part_number: str = ""
    pack_sscc: str = ""
    lot: str = ""
    serial: str = ""


@dataclass(frozen=True)
class ShipmentInput:
    """An advance ship notice; its lines may reference several POs of the same supplier."""

    shipment_id: str
    ship_date: dt.date
    lines: tuple[ShipmentLineInput, ...]
    expected_delivery: dt.date | None = None
    carrier: str = ""
    tracking_number: str = ""
    packs: tuple[str, ...] = ()
    company: str = ""
    # The carrier's bill of lading number (X12 REF*BM); left out of the fingerprint when empty.
    bill_of_lading: str = field(default="", metadata=OMIT_WHEN_DEFAULT)
    # Packs on a pallet (X12 856 tare level, HL*..*T, above its packs): (pack SSCC, pallet SSCC).
    pack_parents: tuple[tuple[str, str], ...] = field(default=(), metadata=OMIT_WHEN_DEFAULT)


@dataclass(frozen=True)
class InvoiceChargeInput:
    """An allowance or charge on an invoice line (X12 SAC in the IT1 loop) or on the invoice as a
    whole (SAC in the 810 summary, after TDS).

    ``indicator`` is as sent: A allowance, C charge, N information only; ``amount`` as
    sent (an allowance is a positive amount taken off).
    """

    indicator: str
    code: str
    amount: Decimal | None = None
    percent: Decimal | None = None
    description: str = ""


@dataclass(frozen=True)
class InvoiceTaxInput:
    """A tax on an invoice line (X12 TXI in the IT1 loop) or on the invoice as a whole (TXI after
    TDS): ``tax_type`` TXI01, amount, percent."""

    tax_type: str
    amount: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class InvoiceLineInput:
    line_no: str
    quantity: Decimal
    unit_price: Decimal
    part_number: str = ""
    charges: tuple[InvoiceChargeInput, ...] = field(default=(), metadata=OMIT_WHEN_DEFAULT)
    taxes: tuple[InvoiceTaxInput, ...] = field(default=(), metadata=OMIT_WHEN_DEFAULT)
    # The unit the quantity is billed in (X12 IT103), when the sender says: another unit than the
    # PO line's is converted through the item's conversions, else refused, never read as the line's.
    uom: str = field(default="", metadata=OMIT_WHEN_DEFAULT)


@dataclass(frozen=True)
class InvoiceInput:
    """An invoice or credit memo against one PO; ``currency`` empty means the PO's currency."""

    invoice_number: str
    po_number: str
    invoice_date: dt.date
    currency: str
    lines: tuple[InvoiceLineInput, ...]
    purpose: str = INVOICE_PURPOSE_INVOICE
    total: Decimal | None = None
    company: str = ""
    # Allowances, charges and taxes on the invoice as a whole (freight billed once, a sales tax
    # computed on the total), beside those of each line.
    charges: tuple[InvoiceChargeInput, ...] = field(default=(), metadata=OMIT_WHEN_DEFAULT)
    taxes: tuple[InvoiceTaxInput, ...] = field(default=(), metadata=OMIT_WHEN_DEFAULT)

    def sums(self) -> InvoiceSums:
        """What the invoice adds up to (lines, then every line's and the invoice's own adjustments)."""
        return InvoiceSums.of(self)


CENT = Decimal("0.01")


def charge_amount(charge: InvoiceChargeInput | InvoiceTaxInput, base: Decimal) -> Decimal:
    """An allowance's, charge's or tax's amount as sent, else its percent of ``base`` (the line's
    amount for a line's, the lines' amounts for the invoice's own), in cents."""
    if charge.amount is not None:
        return charge.amount
    if charge.percent is not None:
        return (base * charge.percent / 100).quantize(CENT, ROUND_HALF_UP)
    return Decimal(0)


@dataclass(frozen=True)
class InvoiceSums:
    """What an invoice adds up to, in cents: its lines' amounts, then the charges, allowances and
    taxes of the lines and of the invoice as a whole (an N "information only" SAC counts for nothing)."""

    lines: Decimal
    charges: Decimal
    allowances: Decimal
    taxes: Decimal

    @classmethod
    def of(cls, invoice: InvoiceInput) -> InvoiceSums:
        lines = charges = allowances = taxes = Decimal(0)
        adjusted: list[tuple[Decimal, tuple[InvoiceChargeInput, ...], tuple[InvoiceTaxInput, ...]]] = []
        for line in invoice.lines:
            amount = line.quantity * line.unit_price
            lines += amount
            adjusted.append((amount, line.charges, line.taxes))
        adjusted.append((lines, invoice.charges, invoice.taxes))
        for base, line_charges, line_taxes in adjusted:
            for charge in line_charges:
                if charge.indicator == "C":
                    charges += charge_amount(charge, base)
                elif charge.indicator == "A":
                    allowances += charge_amount(charge, base)
            taxes += sum((charge_amount(tax, base) for tax in line_taxes), Decimal(0))
        return cls(*(value.quantize(CENT, ROUND_HALF_UP) for value in (lines, charges, allowances, taxes)))

    @property
    def total(self) -> Decimal:
        return self.lines + self.charges - self.allowances + self.taxes

    @property
    def adjusted(self) -> bool:
        return bool(self.charges or self.allowances or self.taxes)


@dataclass(frozen=True)
class ReceiptLineInput:
    line_no: str
    quantity_received: Decimal
    quantity_rejected: Decimal = Decimal("0")
    lot: str = ""
    # The pack (SSCC-18) the quantity came in, as scanned at the dock: ASN accuracy is judged per pack.
    sscc: str = field(default="", metadata=OMIT_WHEN_DEFAULT)


@dataclass(frozen=True)
class ReceiptInput:
    """Goods received at a plant (from WMS/ERP). Physical and financial status are kept apart."""

    receipt_number: str
    company: str
    po_number: str
    received_on: dt.date
    lines: tuple[ReceiptLineInput, ...]
    posted: bool = False
    shipment_id: str = ""


# The one JSON normaliser for what the gateway records and sends: canonical inputs, audit rows,
# exception evidence, PO revision snapshots and diffs, outbox payloads (``services.values.jsonable``
# is this function). A Decimal keeps the scale it carries: Decimal("10.50") is "10.50" and a price
# the API took at six places is "18.500000", so a snapshot says what the record holds and agrees
# with the diff, the evidence and the API's own answers beside it. A whole number is written without
# exponent or trailing zeros ("60", never "6E+1"). Fingerprints alone count numbers by value.


def decimal_text(value: Decimal) -> str:
    """A Decimal as recorded: its scale kept, a whole number plain (``"60"``, not ``"6E+1"``)."""
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def decimal_identity(value: Decimal) -> str:
    """A Decimal by value alone, trailing zeros dropped: equal numbers, equal text (for fingerprints)."""
    return format(value.normalize(), "f") if value == value.to_integral() else str(value.normalize())


_PLAIN = frozenset({str, int, bool, float, type(None)})


# Each dataclass's (name, omit when default, default) per field, read once: a file of thousands
# of sets makes thousands of canonical inputs of the same few classes.
_FIELDS: dict[type, tuple[tuple[str, bool, Any], ...]] = {}


def _fields(kind: type) -> tuple[tuple[str, bool, Any], ...]:
    found = _FIELDS.get(kind)
    if found is None:
        found = _FIELDS[kind] = tuple(
            (f.name, bool(f.metadata.get("omit_when_default")), f.default) for f in dataclasses.fields(kind)
        )
    return found


def canonical_json(value: Any, *, decimal: Callable[[Decimal], str] = decimal_text) -> Any:
    """``value`` made JSON-ready: dataclasses as dicts (without ``OMIT_WHEN_DEFAULT`` fields that
    hold their default), Decimals as strings (``decimal``), dates as ISO 8601, tuples as lists."""
    # The common kinds first, by exact type (none of them is a dataclass): an audit row or a payload
    # is mostly strings and nested dicts, and this runs once per value in them.
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k: canonical_json(v, decimal=decimal) for k, v in value.items()}
    if kind is list:
        return [canonical_json(v, decimal=decimal) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name, omit_when_default, default in _fields(kind):
            field_value = getattr(value, name)
            if not (omit_when_default and field_value == default):
                out[name] = canonical_json(field_value, decimal=decimal)
        return out
    if isinstance(value, Decimal):
        return decimal(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: canonical_json(v, decimal=decimal) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical_json(v, decimal=decimal) for v in value]
    return value


def fingerprint(value: Any) -> str:
    """sha256 of a canonical input's JSON form: equal documents, equal fingerprints.

    Numbers count by value (``"10.5"`` and ``"10.50"`` are one document), as they always have: a
    stored fingerprint must keep matching the same document sent again.
    """
    text = json.dumps(canonical_json(value, decimal=decimal_identity), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def purchase_order_from_json(data: dict) -> PurchaseOrderInput:
    """The inverse of ``canonical_json`` for a purchase order (as carried in outbox payloads)."""
    lines = tuple(
        POLineInput(
            line_no=line["line_no"],
            part_number=line["part_number"],
            quantity=Decimal(line["quantity"]),
            uom=line["uom"],
            unit_price=Decimal(line["unit_price"]),
            need_by=dt.date.fromisoformat(line["need_by"]),
            supplier_part_number=line.get("supplier_part_number", ""),
            description=line.get("description", ""),
        )
        for line in data["lines"]
    )
    return PurchaseOrderInput(
        company=data["company"],
        number=data["number"],
        supplier=data["supplier"],
        ship_to=data["ship_to"],
        currency=data["currency"],
        order_date=dt.date.fromisoformat(data["order_date"]),
        lines=lines,
        revision=int(data.get("revision", 0)),
        buyer=data.get("buyer", ""),
        notes=data.get("notes", ""),
    )
