"""Shared pieces of the mappers: the result type, code maps, value readers.

Code maps are plain dicts keyed by the X12 element they translate (``"bak02"``,
``"ack01"``, ``"big07_credit"``). A partner's map is merged over the default one per
key, so a partner only lists the codes it uses differently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, NamedTuple, TypeVar

from edi.x12.envelope import TransactionSet
from edi.x12.errors import ERROR, KIND_MAPPING, WARNING, Issue, MappingError
from edi.x12.schemas import base_version
from edi.x12.tokenizer import Segment, is_digits
from procurement import inputs as ci

T = TypeVar("T")

CodeMaps = Mapping[str, Mapping[str, str]]

DEFAULT_CODE_MAPS: dict[str, dict[str, str]] = {
    # BAK02 acknowledgment type → canonical header code.
    "bak02": {
        "AC": ci.ACK_ACCEPTED_WITH_CHANGES,
        "AD": ci.ACK_ACCEPTED,
        "AE": ci.ACK_ACCEPTED_WITH_CHANGES,
        "AH": ci.ACK_ACKNOWLEDGED,
        "AK": ci.ACK_ACKNOWLEDGED,
        "AP": ci.ACK_ACKNOWLEDGED,
        "AT": ci.ACK_ACCEPTED,
        "NA": ci.ACK_ACKNOWLEDGED,
        "RD": ci.ACK_REJECTED,
        "RF": ci.ACK_REJECTED,
        "RJ": ci.ACK_REJECTED,
        "RO": ci.ACK_REJECTED,
        "ZZ": ci.ACK_ACKNOWLEDGED,
    },
    # ACK01 line item status → canonical line response.
    "ack01": {
        "AC": ci.LINE_ACCEPT,
        "AR": ci.LINE_ACCEPT,
        "IA": ci.LINE_ACCEPT,
        "IE": ci.LINE_ACCEPT,
        "IC": ci.LINE_CHANGE_QTY,
        "IP": ci.LINE_CHANGE_PRICE,
        "IQ": ci.LINE_CHANGE_QTY,
        "DR": ci.LINE_RESCHEDULE,
        "IS": ci.LINE_SUBSTITUTE,
        "IB": ci.LINE_BACKORDER,
        "BP": ci.LINE_PARTIAL_BACKORDER,
        "IF": ci.LINE_HOLD,
        "IH": ci.LINE_HOLD,
        "IW": ci.LINE_HOLD,
        "SP": ci.LINE_HOLD,
        "ID": ci.LINE_REJECT,
        "IR": ci.LINE_REJECT,
        "R1": ci.LINE_REJECT,
        "R2": ci.LINE_REJECT,
        "R3": ci.LINE_REJECT,
        "R4": ci.LINE_REJECT,
        "R5": ci.LINE_REJECT,
        "R6": ci.LINE_REJECT,
        "R7": ci.LINE_REJECT,
        "R8": ci.LINE_REJECT,
    },
    # BIG07 transaction type codes that make an invoice a credit memo.
    "big07_credit": {"CR": ci.INVOICE_PURPOSE_CREDIT_MEMO, "CN": ci.INVOICE_PURPOSE_CREDIT_MEMO},
    # Product ID qualifiers (235) naming the buyer's and the supplier's part numbers.
    # Values are ranks: the lowest-ranked qualifier present wins.
    "buyer_part_qualifiers": {"BP": "1", "IN": "2", "PN": "3", "CB": "4", "SK": "5"},
    "supplier_part_qualifiers": {"VP": "1", "VN": "2", "VC": "3", "VA": "4"},
}


# Transaction set purpose codes (353) that take a document back rather than send one.
CANCELLING_PURPOSES = {"01": "cancellation", "03": "delete"}


# Why a segment is left out, when its set's table does not name it.
NOT_USED = "not used by the gateway"


# Parties, addresses, contacts and references: carried by every set, kept by none of the canonical inputs.
PARTIES_AND_REFERENCES_UNUSED = {
    "REF": "reference the gateway does not keep",
    "N9": "reference the gateway does not keep",
    "N1": "party the gateway does not keep",
    "N2": "party name the gateway does not keep",
    "N3": "address the gateway does not keep",
    "N4": "address the gateway does not keep",
    "PER": "contact the gateway does not keep",
}


# Segments of optional loops of the standard tables that no canonical input carries.
OPTIONAL_LOOPS_UNUSED = {
    "LM": "industry code source the gateway does not keep",
    "LQ": "industry code the gateway does not keep",
    "FA1": "accounting data the gateway does not keep",
    "FA2": "accounting data the gateway does not keep",
    "SPI": "specification the gateway does not keep",
    "G61": "contact the gateway does not keep",
    "CB1": "contract and cost accounting data the gateway does not keep",
    "ADV": "advertising data the gateway does not keep",
    "MTX": "free-form text the gateway does not keep",
    "DMG": "demographic data the gateway does not keep",
    "L7": "tariff reference the gateway does not keep",
    "BAL": "balance the gateway does not keep",
    "CRC": "conditions indicator the gateway does not keep",
    "SR": "requested service schedule the gateway does not keep",
    "V1": "vessel the gateway does not keep",
    "R4": "port or terminal the gateway does not keep",
    "DTP": "load date the gateway does not keep",
    "LH1": "hazardous material data the gateway does not keep",
    "LH2": "hazardous material data the gateway does not keep",
    "LH3": "hazardous material data the gateway does not keep",
    "LFH": "hazardous material data the gateway does not keep",
    "LEP": "hazardous material data the gateway does not keep",
    "LH4": "hazardous material data the gateway does not keep",
    "LHT": "hazardous material data the gateway does not keep",
    "LHR": "hazardous material data the gateway does not keep",
    "LHE": "hazardous material data the gateway does not keep",
}


class Unused(NamedTuple):
    """A segment of a set that the canonical input does not carry: its position (ST = 1), ID and why."""

    position: int
    segment_id: str
    reason: str


@dataclass(frozen=True)
class Mapped(Generic[T]):
    """A canonical input built from a transaction set, what went wrong doing it, and where every
    segment between ST and SE went: ``used`` holds the positions (ST = 1) of those whose content
    the input carries, ``unused`` the others with a reason. ``value, errors = mapped`` unpacks
    the first two."""

    value: T
    errors: list[Issue]
    used: tuple[int, ...] = ()
    unused: tuple[Unused, ...] = ()

    def __iter__(self) -> Iterator[Any]:
        return iter((self.value, self.errors))


def merge_code_maps(partner: CodeMaps | None) -> dict[str, dict[str, str]]:
    """Default code maps with ``partner``'s entries laid over them, key by key."""
    merged = {key: dict(table) for key, table in DEFAULT_CODE_MAPS.items()}
    for key, table in (partner or {}).items():
        merged.setdefault(key, {}).update(table)
    return merged


# The maps without partner overrides, merged once (readers only look values up).
_DEFAULT_MERGED = merge_code_maps(None)


class Reader:
    """Reads values out of one transaction set and records mapping problems."""

    def __init__(self, ts: TransactionSet, expected: str, code_maps: CodeMaps | None) -> None:
        if ts.st01 != expected:
            raise MappingError(f"transaction set {ts.st01!r} is not an {expected}")
        self.ts = ts
        self.maps = merge_code_maps(code_maps) if code_maps else _DEFAULT_MERGED
        self.errors: list[Issue] = []
        self.used: set[int] = set()
        self.reasons: dict[int, str] = {}
        version = base_version(ts.version)
        self.old_dates = bool(version) and version < "004010"

    def use(self, *segments: Segment | None) -> None:
        """Account ``segments`` as carried by the canonical input (``None`` is skipped)."""
        for seg in segments:
            if seg is not None:
                self.used.add(self.ts.position(seg))

    def leave(self, seg: Segment, reason: str) -> None:
        """Account ``seg`` as not carried, for ``reason`` (rather than the one its ID has)."""
        position = self.ts.position(seg)
        self.used.discard(position)
        self.reasons[position] = reason

    def result(self, value: T, reasons: Mapping[str, str]) -> Mapped[T]:
        """``value`` with the mapping problems and the segment account: every segment between ST
        and SE not used is listed with the reason it was left for (``leave``), else the one
        ``reasons`` gives for its ID, else ``NOT_USED``."""
        unused = tuple(
            Unused(position, seg.id, self.reasons.get(position) or reasons.get(seg.id, NOT_USED))
            for seg in self.ts.segments
            if seg.id not in ("ST", "SE") and (position := self.ts.position(seg)) not in self.used
        )
        return Mapped(value, self.errors, tuple(sorted(self.used)), unused)

    def party(self, segments: Iterable[Segment], entity: str) -> str:
        """``party`` of ``segments``, accounting the N1 it reads."""
        seg = first(segments, "N1", entity)
        self.use(seg)
        return party([seg] if seg is not None else [], entity)

    def notes(self, segments: list[Segment]) -> str:
        """``notes`` of ``segments``, accounting every MSG."""
        self.use(*(s for s in segments if s.id == "MSG"))
        return notes(segments)

    def problem(
        self, message: str, seg: Segment | None = None, position: int | None = None, severity: str = ERROR
    ) -> None:
        first = seg or self.ts.segments[0]
        self.errors.append(
            Issue(
                KIND_MAPPING,
                "",
                message,
                severity,
                interchange=first.interchange,
                group_control=self.ts.group.gs06,
                set_control=self.ts.st02,
                segment_id=first.id,
                segment_position=self.ts.position(first),
                element_position=position,
                value=first[position] if position else "",
                offset=first.offset,
                line=first.line,
            )
        )

    def warn(self, message: str, seg: Segment | None = None, position: int | None = None) -> None:
        self.problem(message, seg, position, WARNING)

    def decimal(self, seg: Segment, position: int, *, required: bool = False) -> Decimal | None:
        raw = seg[position].strip()
        if not raw:
            if required:
                self.problem(f"{seg.id}{position:02d} is missing", seg, position)
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.problem(f"{seg.id}{position:02d} {raw!r} is not a number", seg, position)
            return None
        if not value.is_finite():
            self.problem(f"{seg.id}{position:02d} {raw!r} is not a number", seg, position)
            return None
        return value

    def implied(self, seg: Segment, position: int, decimals: int = 2) -> Decimal | None:
        """An Nn element (implied decimals), e.g. TDS01 in cents."""
        raw = seg[position].strip()
        if not raw:
            return None
        if not is_digits(raw.lstrip("-")):
            self.problem(f"{seg.id}{position:02d} {raw!r} is not a whole number", seg, position)
            return None
        return Decimal(raw).scaleb(-decimals)

    def date(self, seg: Segment, position: int, *, required: bool = False) -> dt.date | None:
        raw = seg[position].strip()
        if not raw:
            if required:
                self.problem(f"{seg.id}{position:02d} date is missing", seg, position)
            return None
        value = parse_date(raw, self.old_dates)
        if value is None:
            self.problem(f"{seg.id}{position:02d} {raw!r} is not a date", seg, position)
        return value

    def code(self, table: str, raw: str, seg: Segment, position: int, default: str) -> str:
        value = self.maps.get(table, {}).get(raw)
        if value is None:
            self.problem(f"{seg.id}{position:02d} code {raw!r} has no canonical meaning", seg, position)
            return default
        return value

    def purpose(self, seg: Segment, position: int, document: str) -> None:
        """A transaction set purpose code (353) that cancels or deletes ``document`` is refused: the
        gateway applies documents, it does not take one back from a file (the buyer does that)."""
        code = seg[position].strip()
        if code in CANCELLING_PURPOSES:
            self.problem(
                f"{seg.id}{position:02d} {code!r} ({CANCELLING_PURPOSES[code]}) asks to take back {document}; "
                "the gateway takes nothing back from a file, so nothing was applied",
                seg,
                position,
            )

    def part_numbers(self, seg: Segment, first_pair: int, *, buyer_only: bool = False) -> tuple[str, str]:
        """(buyer part, supplier part) from the product ID pairs starting at ``first_pair``.

        The buyer part is the best-ranked buyer qualifier, else (unless ``buyer_only``: a part
        the write path checks against the PO line's) the first ID whose qualifier is not a
        supplier one (UPC, EAN, manufacturer part…).
        """
        pairs = [(seg[i], seg[i + 1].strip()) for i in range(first_pair, len(seg.elements) - 1, 2)]
        pairs = [(q, v) for q, v in pairs if v]
        buyer_rank, supplier_rank = self.maps["buyer_part_qualifiers"], self.maps["supplier_part_qualifiers"]
        buyer = _best(pairs, buyer_rank)
        if not buyer and not buyer_only:
            buyer = next((v for q, v in pairs if q not in supplier_rank), "")
        return buyer, _best(pairs, supplier_rank)

    def unnumbered(self, seg: Segment, first_pair: int) -> str:
        """What a line without its PO line number lacks, and the IDs it gives instead (for a problem)."""
        qualifiers = ", ".join(self.maps["buyer_part_qualifiers"])
        pairs = [f"{seg[i]} {seg[i + 1].strip()}" for i in range(first_pair, len(seg.elements) - 1, 2) if seg[i + 1]]
        verb = "names" if len(pairs) == 1 else "name"
        given = f" ({', '.join(pairs)} {verb} no PO line)" if pairs else ""
        return f"a buyer's part number ({qualifiers}){given}"


def _best(pairs: list[tuple[str, str]], ranking: Mapping[str, str]) -> str:
    ranked = sorted((ranking[q], v) for q, v in pairs if q in ranking)
    return ranked[0][1] if ranked else ""


def parse_date(raw: str, old_dates: bool = False) -> dt.date | None:
    """CCYYMMDD, or YYMMDD (pivot 50) before 004010; ``None`` when not a date."""
    if not is_digits(raw):
        return None
    if len(raw) == 6 and old_dates:
        raw = ("19" if raw[:2] > "50" else "20") + raw
    if len(raw) != 8:
        return None
    try:
        return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def first(segments: Iterable[Segment], seg_id: str, qualifier: str | None = None) -> Segment | None:
    """The first ``seg_id`` segment (with element 1 equal to ``qualifier`` if given)."""
    for seg in segments:
        if seg.id == seg_id and (qualifier is None or seg[1] == qualifier):
            return seg
    return None


def party(segments: Iterable[Segment], entity: str) -> str:
    """N104 (else N102) of the first N1 with N101 ``entity``."""
    seg = first(segments, "N1", entity)
    if seg is None:
        return ""
    return seg[4].strip() or seg[2].strip()


def notes(segments: list[Segment]) -> str:
    """MSG texts as lines; MSG02 ``LC`` continues the previous line."""
    lines: list[str] = []
    for seg in segments:
        if seg.id != "MSG":
            continue
        if seg[2] == "LC" and lines:
            lines[-1] += seg[1]
        else:
            lines.append(seg[1])
    return "\n".join(lines)


def split(
    segments: list[Segment], starter: str, summary: tuple[str, ...]
) -> tuple[list[Segment], list[list[Segment]], list[Segment]]:
    """(heading, one list per ``starter`` loop, summary) of a set's segments, ST/SE excluded."""
    body = [s for s in segments if s.id not in ("ST", "SE")]
    heading: list[Segment] = []
    groups: list[list[Segment]] = []
    tail: list[Segment] = []
    for seg in body:
        if seg.id == starter and not tail:
            groups.append([seg])
        elif (groups and seg.id in summary) or tail:
            tail.append(seg)
        elif groups:
            groups[-1].append(seg)
        else:
            heading.append(seg)
    return heading, groups, tail
