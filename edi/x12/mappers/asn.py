"""856 Ship Notice/Manifest → ``ShipmentInput``.

* ``shipment_id`` BSN02, ``ship_date`` BSN03, ``expected_delivery`` DTM*017/067;
* the HL tree (HL01 id, HL02 parent, HL03 level S/O/T/P/I) gives each item its
  order (PRF01 PO number) and pack (MAN*GM/W SSCC) from its ancestors;
* items: the PO line number from the LIN pair qualified PL (purchaser's order line number),
  else LIN01, else SN101, else none (the write path finds the PO line whose part is the item's
  buyer part; an item with neither is a problem); buyer part from the LIN pairs qualified as the buyer's (BP, IN …: the
  write path checks it against the PO line's), SN102 quantity and SN103 unit, lot and
  serial from REF*LT/SE or LIN LT/SN pairs;
* a pack below a level with its own SSCC (cartons on a pallet, HL*..*T) travels on it
  (``pack_parents``);
* a pack's SSCC is 18 digits: MAN*GM is "SSCC-18 and Application Identifier", so a 20-digit
  value starting with the AI ``00`` is that SSCC behind its AI;
* carrier TD503 (else TD505), tracking REF*CN (else REF*BM), ``company`` N1*BY N104 of
  the shipment level.

Segments the input does not carry are listed in ``Mapped.unused`` with the reason in ``UNUSED``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from edi.x12.envelope import TransactionSet
from edi.x12.mappers.common import OPTIONAL_LOOPS_UNUSED, PARTIES_AND_REFERENCES_UNUSED, CodeMaps, Mapped, Reader, first
from edi.x12.tokenizer import Segment
from procurement import inputs as ci

_SSCC_QUALIFIERS = ("GM", "W", "AA")
_DELIVERY_QUALIFIERS = ("017", "067", "002")

# Why the segments an 856 may carry, beyond those mapped, are left out.
UNUSED = {
    **PARTIES_AND_REFERENCES_UNUSED,
    **OPTIONAL_LOOPS_UNUSED,
    "DTM": "date the gateway does not keep (the expected delivery is the first DTM*017/067/002)",
    "TD1": "packaging and weight the gateway does not keep",
    "TD3": "equipment the gateway does not keep",
    "TD4": "special handling the gateway does not keep",
    "TD5": "carrier details the gateway does not keep (the carrier is the first TD5's)",
    "FOB": "shipping terms the gateway does not keep",
    "MEA": "measurement the gateway does not keep",
    "PO4": "packaging the gateway does not keep",
    "PID": "item description the gateway does not keep",
    "PKG": "packaging the gateway does not keep",
    "MAN": "marks the gateway does not keep (packs are MAN*GM/W/AA)",
    "PRF": "order reference no item below it uses",
    "SLN": "subline the gateway does not keep",
    "CUR": "currency the gateway does not keep",
    "CLD": "load detail the gateway does not keep",
    "MSG": "free-form message text",
    "NTE": "free-form note text",
    "CTT": "line count the gateway does not check",
}


class _Level:
    __slots__ = ("code", "hl", "parent", "segments")

    def __init__(self, hl: Segment, parent: _Level | None) -> None:
        self.hl = hl
        self.code = hl[3].strip()
        self.parent = parent
        self.segments: list[Segment] = []

    def inherited(self, r: Reader, seg_id: str, qualifiers: tuple[str, ...] | None, position: int) -> str:
        """Element ``position`` of the nearest ``seg_id`` here or in an ancestor level (accounted as used)."""
        level: _Level | None = self
        while level is not None:
            for seg in level.segments:
                if seg.id == seg_id and (qualifiers is None or seg[1] in qualifiers) and seg[position]:
                    r.use(seg)
                    return seg[position].strip()
            level = level.parent
        return ""


def map_856(ts: TransactionSet, code_maps: CodeMaps | None = None) -> Mapped[ci.ShipmentInput]:
    """Map an 856 set into one shipment with its lines and packs."""
    r = Reader(ts, "856", code_maps)
    body = [s for s in ts.segments if s.id not in ("ST", "SE")]
    heading = body[: next((i for i, s in enumerate(body) if s.id == "HL"), len(body))]
    levels: list[_Level] = []
    by_id: dict[str, _Level] = {}
    for seg in body[len(heading) :]:
        if seg.id == "HL":
            parent = by_id.get(seg[2].strip()) if seg[2].strip() else None
            if seg[2].strip() and parent is None:
                r.problem(f"HL02 {seg[2]!r} refers to no earlier HL", seg, 2)
            level = _Level(seg, parent)
            r.use(seg)  # the tree every item's order and pack come from
            levels.append(level)
            by_id[seg[1].strip()] = level
        elif levels:
            levels[-1].segments.append(seg)
    bsn = first(heading, "BSN")
    if bsn is None:
        r.problem("BSN segment missing")
        shipment_id, ship_date = "", None
    else:
        shipment_id = bsn[2].strip()
        if not shipment_id:
            r.problem("BSN02 shipment identification missing", bsn, 2)
        ship_date = r.date(bsn, 3, required=True)
        r.purpose(bsn, 1, f"ship notice {shipment_id}")
        r.use(bsn)
    everything = [*heading, *(s for level in levels for s in level.segments)]
    delivery = None
    for qualifier in _DELIVERY_QUALIFIERS:
        dtm = first(everything, "DTM", qualifier)
        if dtm is not None:
            delivery = r.date(dtm, 2)
            r.use(dtm)
            break
    lines: list[ci.ShipmentLineInput] = []
    packs: list[str] = []
    own: dict[int, str] = {}  # each level's own SSCC, by the level's id()
    parents: dict[str, str] = {}
    for level in levels:
        man = next((s for s in level.segments if s.id == "MAN" and s[1] in _SSCC_QUALIFIERS and s[2].strip()), None)
        sscc = _sscc(man[2]) if man is not None else ""
        r.use(man)
        if sscc and sscc not in packs:
            packs.append(sscc)
        if sscc:
            own[id(level)] = sscc
            # A pack below a level with its own SSCC (cartons on a tare, HL*..*T) travels on it.
            above = level.parent
            while above is not None and id(above) not in own:
                above = above.parent
            if above is not None and own[id(above)] != sscc:
                parents.setdefault(sscc, own[id(above)])
        lin = first(level.segments, "LIN")
        sn1 = first(level.segments, "SN1")
        if sn1 is None:
            if level.code == "I":
                r.problem(f"item HL {level.hl[1]} has no SN1", level.hl)
            continue
        lines.append(_line(r, level, lin, sn1))
    carrier = ""
    td5 = first(everything, "TD5")
    if td5 is not None:
        carrier = td5[3].strip() or td5[5].strip()
        r.use(td5)
    tracking = ""
    for qualifier in ("CN", "BM"):
        ref = first(everything, "REF", qualifier)
        if ref is not None and ref[2].strip():
            tracking = ref[2].strip()
            r.use(ref)
            break
    bill_of_lading = ""
    bol = first(everything, "REF", "BM")
    if bol is not None and bol[2].strip():
        bill_of_lading = bol[2].strip()[:80]
        r.use(bol)
    value = ci.ShipmentInput(
        shipment_id=shipment_id,
        ship_date=ship_date or dt.date.min,
        lines=tuple(lines),
        expected_delivery=delivery,
        carrier=carrier,
        tracking_number=tracking,
        bill_of_lading=bill_of_lading,
        packs=tuple(packs),
        pack_parents=tuple(parents.items()),
        # Only the heading and the shipment level name the buyer; order-level N1*BY is a store.
        company=r.party([*heading, *(s for lv in levels if lv.code == "S" for s in lv.segments)], "BY"),
    )
    return r.result(value, UNUSED)


def _sscc(value: str) -> str:
    """The SSCC-18 of a MAN02: a 20-digit value is the SSCC behind its Application Identifier ``00``
    (qualifier GM's form, printed on the GS1-128 label as "(00)" and the 18 digits)."""
    value = value.strip()
    return value[2:] if len(value) == 20 and value.isdigit() and value.startswith("00") else value


def _line(r: Reader, level: _Level, lin: Segment | None, sn1: Segment) -> ci.ShipmentLineInput:
    pairs = {lin[i]: lin[i + 1].strip() for i in range(2, len(lin.elements), 2) if lin[i + 1]} if lin else {}
    # PL (purchaser's order line number) names the PO line outright; partners whose LIN01 is a
    # sequence of their own give the PO line that way.
    line_no = pairs.get("PL", "") or (lin[1].strip() if lin is not None else "") or sn1[1].strip()
    part, lot, serial = "", "", ""
    r.use(lin, sn1)
    if lin is not None:
        part, _ = r.part_numbers(lin, 2, buyer_only=True)
        lot, serial = pairs.get("LT", ""), pairs.get("SN", "")
    if not line_no and not part:
        lacks = r.unnumbered(lin, 2) if lin is not None else "a LIN with the buyer's part number"
        r.problem(f"item HL {level.hl[1]} names its PO line by neither LIN PL, LIN01, SN101 nor {lacks}", lin or sn1, 1)
    for seg in level.segments:
        if seg.id == "REF" and seg[1] == "LT" and not lot:
            lot = seg[2].strip()
            r.use(seg)
        elif seg.id == "REF" and seg[1] in ("SE", "SN") and not serial:
            serial = seg[2].strip()
            r.use(seg)
    po_number = level.inherited(r, "PRF", None, 1)
    if not po_number:
        r.problem(f"item HL {level.hl[1]} has no PRF purchase order above it", level.hl)
    quantity = r.decimal(sn1, 2, required=True)
    pack = _sscc(level.inherited(r, "MAN", _SSCC_QUALIFIERS, 2))
    return ci.ShipmentLineInput(
        po_number=po_number,
        line_no=line_no,
        quantity=quantity if quantity is not None else Decimal(0),
        uom=sn1[3].strip(),
        part_number=part,
        pack_sscc=pack,
        lot=lot,
        serial=serial,
    )
