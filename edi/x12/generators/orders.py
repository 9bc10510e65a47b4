"""Outbound purchase orders: 850 from ``PurchaseOrderInput``, 860 with the changed lines.

Both are written so that ``map_850`` reads back the same canonical input: BEG03/BEG05
(BCH03/BCH06), CUR*BY, REF*PP revision, PER*BD buyer, notes as N9*L1 + MSG lines,
N1*BY/SU/ST with the codes in N104, then one PO1 (POC) per line with BP/VP part
numbers, PID description and DTM*002 need-by date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from edi.x12.errors import GenerationError
from edi.x12.generators.writer import Envelope, SegmentData, SetBody, date, number, write_set
from procurement import inputs as ci

MSG_WIDTH = 264


def _require(value: str, name: str) -> str:
    if not value:
        raise GenerationError(f"{name} is required")
    return value


def _heading(po: ci.PurchaseOrderInput) -> list[SegmentData]:
    segs: list[SegmentData] = []
    if po.currency:
        segs.append(["CUR", "BY", po.currency])
    if po.revision:
        segs.append(["REF", "PP", str(po.revision)])
    if po.buyer:
        segs.append(["PER", "BD", po.buyer])
    note_lines = [line for line in po.notes.splitlines() if line]
    if note_lines:
        segs.append(["N9", "L1", "NOTES"])
        for line in note_lines:
            chunks = [line[i : i + MSG_WIDTH] for i in range(0, len(line), MSG_WIDTH)]
            segs.append(["MSG", chunks[0]])
            segs.extend(["MSG", chunk, "LC"] for chunk in chunks[1:])
    for entity, code in (("BY", po.company), ("SU", po.supplier), ("ST", po.ship_to)):
        if code:
            segs.append(["N1", entity, "", "92", code])
    return segs


def _line_detail(line: ci.POLineInput, version: str) -> list[SegmentData]:
    segs: list[SegmentData] = []
    if line.description:
        segs.append(["PID", "F", "", "", "", line.description])
    segs.append(["DTM", "002", date(line.need_by, version)])
    return segs


def _ids(line: ci.POLineInput) -> list[str]:
    ids: list[str] = []
    if line.part_number:
        ids += ["BP", line.part_number]
    if line.supplier_part_number:
        ids += ["VP", line.supplier_part_number]
    return ids


def build_850(po: ci.PurchaseOrderInput, version: str = "004010") -> list[SegmentData]:
    """The segments between ST and SE of an 850 for ``po`` (BEG … CTT)."""
    segs: list[SegmentData] = [
        ["BEG", "00", "SA", _require(po.number, "PO number"), "", date(po.order_date, version)],
        *_heading(po),
    ]
    for line in po.lines:
        uom = _require(line.uom, f"line {line.line_no} unit of measure")
        segs.append(
            [
                "PO1",
                _require(line.line_no, "line number"),
                number(line.quantity),
                uom,
                number(line.unit_price),
                "",
                *_ids(line),
            ]
        )
        segs.extend(_line_detail(line, version))
    segs.append(["CTT", str(len(po.lines))])
    return segs


def write_850(po: ci.PurchaseOrderInput, envelope: Envelope, st02: str | int) -> bytes:
    """A complete interchange holding one 850 (GS01 PO) for ``po``."""
    return write_set(envelope, "PO", SetBody("850", st02, build_850(po, envelope.version)))


def change_code(old: ci.POLineInput | None, new: ci.POLineInput | None) -> str | None:
    """POC02 for a line that changed from ``old`` to ``new`` (``None`` when unchanged)."""
    if old is None:
        return "AI"
    if new is None:
        return "DI"
    qty, price, when = old.quantity != new.quantity, old.unit_price != new.unit_price, old.need_by != new.need_by
    other = (old.part_number, old.uom, old.supplier_part_number, old.description) != (
        new.part_number,
        new.uom,
        new.supplier_part_number,
        new.description,
    )
    if other or (qty and price and when):
        return "CA"
    if qty and price:
        return "PQ"
    if qty and when:
        return "RQ"
    if price and when:
        return "PR"
    if qty:
        return "QI" if new.quantity > old.quantity else "QD"
    if price:
        return "PC"
    if when:
        return "CT"
    return None


def changed_lines(
    po: ci.PurchaseOrderInput, previous: ci.PurchaseOrderInput | None
) -> list[tuple[str, ci.POLineInput]]:
    """(POC02 code, line) for every added, changed or deleted line; all lines (CA) without ``previous``."""
    if previous is None:
        return [("CA", line) for line in po.lines]
    before = {line.line_no: line for line in previous.lines}
    after = {line.line_no: line for line in po.lines}
    out: list[tuple[str, ci.POLineInput]] = []
    for line in po.lines:
        code = change_code(before.get(line.line_no), line)
        if code:
            out.append((code, line))
    out.extend(("DI", line) for line in previous.lines if line.line_no not in after)
    return out


def build_860(
    po: ci.PurchaseOrderInput,
    previous: ci.PurchaseOrderInput | None = None,
    version: str = "004010",
    lines: Sequence[tuple[str, ci.POLineInput]] | None = None,
    received: Mapping[str, Decimal] | None = None,
) -> list[SegmentData]:
    """The segments of an 860 changing ``previous`` into ``po`` (BCH05 = revision).

    POC03 is the line's new quantity and POC04, which the standard requires with it (C030405),
    the quantity left to receive: the new quantity less what ``received`` (line number → quantity
    accepted so far) says has arrived, never below zero; all of it when nothing is known.

    A revision that changes only the heading (ship-to, buyer, notes, currency, order date) is an
    860 with the new heading and no POC loop; one that changes nothing has nothing to send. A
    heading value that was cleared (notes, buyer) is simply absent from the new heading: the 860
    has no segment that says "removed".
    """
    changes = list(lines) if lines is not None else changed_lines(po, previous)
    if not changes and not heading_changed(po, previous):
        raise GenerationError(f"PO {po.number} revision {po.revision} changes nothing")
    segs: list[SegmentData] = [
        ["BCH", "04", "SA", _require(po.number, "PO number"), "", str(po.revision), date(po.order_date, version)],
        *_heading(po),
    ]
    for code, line in changes:
        uom = _require(line.uom, f"line {line.line_no} unit of measure")
        quantity = Decimal(0) if code == "DI" else line.quantity
        left = max(quantity - (received or {}).get(line.line_no, Decimal(0)), Decimal(0))
        segs.append(
            [
                "POC",
                _require(line.line_no, "line number"),
                code,
                number(quantity),
                number(left),
                (uom,),
                number(line.unit_price),
                "",
                *_ids(line),
            ]
        )
        segs.extend(_line_detail(line, version))
    if changes:
        segs.append(["CTT", str(len(changes))])
    return segs


def heading_changed(po: ci.PurchaseOrderInput, previous: ci.PurchaseOrderInput | None) -> bool:
    """Whether anything above the lines differs from ``previous`` (the revision number aside)."""
    if previous is None:
        return False
    fields = ("company", "supplier", "ship_to", "currency", "order_date", "buyer", "notes")
    return any(getattr(po, name) != getattr(previous, name) for name in fields)


def write_860(
    po: ci.PurchaseOrderInput,
    envelope: Envelope,
    st02: str | int,
    previous: ci.PurchaseOrderInput | None = None,
    received: Mapping[str, Decimal] | None = None,
) -> bytes:
    """A complete interchange holding one 860 (GS01 PC) with the lines that changed."""
    body = build_860(po, previous, envelope.version, received=received)
    return write_set(envelope, "PC", SetBody("860", st02, body))
