"""Envelope layer: ISA/IEA, GS/GE and ST/SE pairing, counts and control numbers.

``parse()`` turns bytes into a ``Document`` of ``Interchange`` → ``Group`` →
``TransactionSet``. Envelope problems are recorded as ``Issue`` records with the code
an acknowledgement would carry:

* interchange (TA1 TA105): ISA field values, IEA01 group count (021), IEA02 = ISA13
  (001), missing IEA (023), content outside groups or sets (024), duplicate ISA13 (025),
  a GS04 date or GS05 time that is not one (024, "invalid GS segment": the AK905 code
  list has no code for a group's date or time); the other interchange control segments
  (TA1, and ISB, ISE, TA3 before the groups) are legal there and not flagged;
* group (AK905): missing GE (3), GE02 = GS06 (4), GE01 set count (5), GS06 syntax (6),
  duplicate GS06 (19);
* set (AK502/IK502): missing SE (2), SE02 = ST02 (3), SE01 segment count (4), ST01 (6)
  and ST02 (7) syntax, duplicate ST02 (23).

Only the envelope segments are split into elements here; a set's other segments are
kept as text until ``TransactionSet.segments`` is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import BinaryIO, TypedDict

from edi.x12.errors import (
    ERROR,
    KIND_GROUP,
    KIND_SET,
    KIND_SYNTAX,
    KIND_TA1,
    WARNING,
    Issue,
)
from edi.x12.source import Source
from edi.x12.tokenizer import Block, Delimiters, Segment, Tokenizer, count_value, is_digits

# ISA05/ISA07 interchange ID qualifiers (data element I05), supply chain and HIPAA.
ISA_QUALIFIERS = frozenset([f"{n:02d}" for n in (*range(1, 5), *range(7, 39))] + ["AM", "NR", "SA", "SN", "ZZ"])
# GS01 functional identifier code expected for each ST01.
FUNCTIONAL_IDS = {
    "810": "IN",
    "820": "RA",
    "824": "AG",
    "830": "PS",
    "846": "IB",
    "850": "PO",
    "855": "PR",
    "856": "SH",
    "860": "PC",
    "865": "CA",
    "940": "OW",
    "997": "FA",
    "999": "FA",
}
_ENVELOPE_HEADS = frozenset(("GS", "GE", "ST", "SE", "IE", "IS", "TA"))
# Interchange control segments other than ISA/IEA that X12.5 allows between the ISA and the first
# group: ISB grade of service request, ISE deferred delivery request, TA3 interchange delivery
# notice (between service request handlers). They ask nothing of the receiver: read and passed over.
INTERCHANGE_SERVICE_SEGMENTS = frozenset(("ISB", "ISE", "TA3"))
# Rejected transaction sets read per functional group. The group's answer is a rejection from the
# first of them (every rejected set is one the partner must send again); past this many, the rest of
# the group is not read: its segments are skimmed by tag only (its STs counted for the GE01 check,
# its GE, the next GS or the IEA found), and one group-level issue says at which set reading stopped
# and how many sets after it were not read. The group is then rejected whole (AK9 R, no set of it
# accepted), its 997/999 detailing the sets read (the AK2 loop is optional in both). A file of tens
# of thousands of broken sets is answered in time that does not grow with them, as a set of tens of
# thousands of bad segments is (``engine.walker.MAX_SEGMENTS_IN_ERROR``).
MAX_REJECTED_SETS = 1000


@dataclass(eq=False, slots=True)
class TransactionSet:
    """One ST…SE transaction set; ``segments`` runs from ST to SE (or to where it broke off)."""

    st01: str
    st02: str
    st03: str
    group: Group = field(repr=False)
    start: int = field(repr=False)
    stop: int = field(default=-1, repr=False)
    se01: str = ""
    se02: str = ""
    errors: list[Issue] = field(default_factory=list)
    _segments: list[Segment] | None = field(default=None, repr=False)
    _block: Block | None = field(default=None, repr=False)

    @property
    def block(self) -> Block:
        """The block holding this set's segments: the interchange's, or (streamed) the set's own."""
        return self._block if self._block is not None else self.group.interchange.block

    @property
    def segments(self) -> list[Segment]:
        """ST … SE as ``Segment`` objects (built on first access)."""
        if self._segments is None:
            self._segments = list(self.block.segments(self.start, self.stop))
        return self._segments

    @property
    def version(self) -> str:
        """GS08 of the enclosing group (or ST03 when the group has none)."""
        return self.group.gs08 or self.st03

    def position(self, segment: Segment) -> int:
        """Position of ``segment`` in the set, ST = 1 (AK302/IK302)."""
        return segment.index - self.start + 1


@dataclass(eq=False, slots=True)
class Group:
    """One GS…GE functional group: GS01 functional ID, GS06 control number, GS08 version."""

    gs01: str
    gs02: str
    gs03: str
    gs04: str
    gs05: str
    gs06: str
    gs07: str
    gs08: str
    interchange: Interchange = field(repr=False)
    index: int = 0
    ge01: str = ""
    ge02: str = ""
    sets: list[TransactionSet] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    implicit: bool = False
    start: int = field(default=0, repr=False)
    set_count: int = 0
    # Sets counted past the ``MAX_REJECTED_SETS``-th rejected one and not read (in ``set_count`` too).
    unread: int = 0


@dataclass(eq=False)
class Interchange:
    """One ISA…IEA interchange with its header fields (stripped), delimiters and groups."""

    index: int
    isa01: str
    isa02: str
    isa03: str
    isa04: str
    isa05: str
    isa06: str
    isa07: str
    isa08: str
    isa09: str
    isa10: str
    isa11: str
    isa12: str
    isa13: str
    isa14: str
    isa15: str
    isa16: str
    delimiters: Delimiters
    block: Block = field(repr=False)
    groups: list[Group] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    iea01: str = ""
    iea02: str = ""
    ta1: list[list[str]] = field(default_factory=list)
    counted: int = field(default=-1, repr=False)
    # SHA-256 of the ISA and the segments as read, layout aside (the streamed reader's; "" from parse()).
    digest: str = field(default="", repr=False)

    @property
    def sender(self) -> str:
        return self.isa06

    @property
    def receiver(self) -> str:
        return self.isa08

    @property
    def control_number(self) -> str:
        return self.isa13

    @property
    def offset(self) -> int:
        return self.block.ctx.source.byte_offset(self.block.isa_pos)

    @property
    def segment_count(self) -> int:
        """Segments from ISA to IEA (or to where the interchange broke off)."""
        return self.counted if self.counted >= 0 else len(self.block.texts) + 1

    def transaction_sets(self) -> Iterator[TransactionSet]:
        for group in self.groups:
            yield from group.sets


@dataclass(eq=False)
class Document:
    """Everything read from one input: its interchanges and file-level issues."""

    interchanges: list[Interchange]
    errors: list[Issue]
    source: Source = field(repr=False)

    @property
    def encoding(self) -> str:
        return self.source.encoding

    def transaction_sets(self) -> Iterator[TransactionSet]:
        for interchange in self.interchanges:
            yield from interchange.transaction_sets()

    def all_issues(self) -> Iterator[Issue]:
        """File, interchange, group and set issues, in that nesting order."""
        yield from self.errors
        for ic in self.interchanges:
            yield from ic.errors
            for group in ic.groups:
                yield from group.errors
                for ts in group.sets:
                    yield from ts.errors

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == ERROR for issue in self.all_issues())


def parse(data: bytes | bytearray | memoryview | str | BinaryIO) -> Document:
    """Read all interchanges in ``data`` and check their envelopes.

    Raises ``X12SyntaxError`` only when no ISA can be read at all; everything else is
    reported on the returned ``Document`` and its parts.
    """
    tokenizer = Tokenizer(data)
    interchanges: list[Interchange] = []
    seen: set[str] = set()
    for block in tokenizer.blocks():
        ic = _interchange(block)
        if ic.isa13 in seen:
            ic.errors.append(_at(block, 0, KIND_TA1, "025", f"ISA13 {ic.isa13} repeated in file", WARNING))
        seen.add(ic.isa13)
        interchanges.append(ic)
    return Document(interchanges, tokenizer.issues, tokenizer.source)


def _at(block: Block, index: int, kind: str, code: str, message: str, severity: str = ERROR, **kw) -> Issue:
    offset, line = _locate(block, index)
    return Issue(kind, code, message, severity, interchange=block.index, offset=offset, line=line, **kw)


def _locate(block: Block, index: int) -> tuple[int, int]:
    """(byte offset, line) of the segment with interchange index ``index`` (past the end: the block's end)."""
    pos = block.position(index) if index <= len(block.texts) else block.end_pos
    src = block.ctx.source
    return src.byte_offset(pos), src.line_at(pos)


def _interchange(block: Block) -> Interchange:
    ic = _new_interchange(block)
    ic.errors.extend(block.issues)
    ic.errors.extend(_check_isa(block, block.isa))
    _walk(block, ic)
    return ic


def _new_interchange(block: Block) -> Interchange:
    f = [v.strip(" \t\xa0\r\n") for v in block.isa]
    # ISA01 … ISA16: the tokenizer gives every ISA its sixteen elements.
    return Interchange(
        block.index,
        *(f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]),
        *(f[9], f[10], f[11], f[12], f[13], f[14], f[15], f[16]),
        delimiters=block.ctx.delimiters,
        block=block,
    )


def _check_isa(block: Block, isa: list[str]) -> list[Issue]:
    """TA1 conditions on the ISA fields; padding problems alone are warnings."""
    out: list[Issue] = []

    def bad(code: str, message: str, severity: str = ERROR) -> None:
        out.append(_at(block, 0, KIND_TA1, code, message, severity, segment_id="ISA"))

    v = [x.strip(" \t\xa0") for x in isa]
    if v[1] not in ("00", "01", "02", "03", "04", "05", "06"):
        bad("010", f"ISA01 {v[1]!r} is not an authorization qualifier")
    if v[3] not in ("00", "01"):
        bad("012", f"ISA03 {v[3]!r} is not a security qualifier")
    for pos, code, width in ((2, "011", 10), (4, "013", 10), (6, "006", 15), (8, "008", 15)):
        if len(isa[pos]) != width:
            bad(code, f"ISA{pos:02d} is {len(isa[pos])} characters, not {width}", WARNING)
    for pos, code in ((5, "005"), (7, "007")):
        if v[pos] not in ISA_QUALIFIERS:
            bad(code, f"ISA{pos:02d} {v[pos]!r} is not an interchange ID qualifier")
    for pos, code in ((6, "006"), (8, "008")):
        if not v[pos]:
            bad(code, f"ISA{pos:02d} is empty")
    if not _valid_date(v[9], "%y%m%d"):
        bad("014", f"ISA09 {isa[9]!r} is not a YYMMDD date")
    if not _valid_date(v[10], "%H%M"):
        bad("015", f"ISA10 {isa[10]!r} is not an HHMM time")
    if not (len(v[12]) == 5 and is_digits(v[12])):
        bad("017", f"ISA12 {isa[12]!r} is not a version number")
    elif v[12] < "00402" and v[11] != "U":
        bad("016", f"ISA11 {v[11]!r} should be U before version 00402", WARNING)
    if not (len(v[13]) == 9 and is_digits(v[13])):
        bad("018", f"ISA13 {isa[13]!r} is not a 9-digit control number")
    if v[14] not in ("0", "1"):
        bad("019", f"ISA14 {v[14]!r} is not 0 or 1")
    if v[15] not in ("P", "T", "I"):
        bad("020", f"ISA15 {v[15]!r} is not P, T or I")
    return out


@lru_cache(maxsize=1024)
def _valid_date(value: str, fmt: str) -> bool:
    """``value`` is all digits, as long as ``fmt`` renders, and a real date or time.

    Kept for the values seen last: a file of thousands of groups or interchanges dates them alike."""
    if not is_digits(value) or len(value) != len(dt.datetime(2000, 1, 1).strftime(fmt)):
        return False
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _gs_date_time(g: Group) -> tuple[str, ...]:
    """What is wrong with GS04 and GS05: CCYYMMDD (YYMMDD before 004010), HHMM[SS[D[D]]]."""
    return _gs_date_time_of(g.gs04, g.gs05, g.gs08[:6])


@lru_cache(maxsize=256)  # a file of thousands of groups dates them alike
def _gs_date_time_of(gs04: str, gs05: str, version: str) -> tuple[str, ...]:
    out = []
    if len(version) == 6 and is_digits(version):
        formats = ["%y%m%d"] if version < "004010" else ["%Y%m%d"]
    else:
        formats = ["%Y%m%d", "%y%m%d"]
    if not any(_valid_date(gs04, fmt) for fmt in formats):
        shape = "YYMMDD" if formats == ["%y%m%d"] else "CCYYMMDD"
        out.append(f"GS04 {gs04!r} is not a {shape} date")
    if not _valid_time(gs05):
        out.append(f"GS05 {gs05!r} is not an HHMM, HHMMSS, HHMMSSD or HHMMSSDD time")
    return tuple(out)


def _valid_time(value: str) -> bool:
    """HHMM, HHMMSS, HHMMSSD or HHMMSSDD with hours 00-23, minutes and seconds 00-59."""
    if len(value) not in (4, 6, 7, 8) or not is_digits(value):
        return False
    seconds = value[4:6] or "00"
    return value[:2] < "24" and value[2:4] < "60" and seconds < "60"


class ControlNumbers:
    """The ST02s seen in one group, for the duplicate check (AK502 23), in memory that grows with
    how scattered they are, not with how many: numbers (up to nine digits) are bits in chunks of
    64, keyed with their width (``0001`` and ``001`` are different control numbers), so a group of
    500,000 sets numbered in order holds some 8,000 small integers; anything else is kept as text."""

    __slots__ = ("chunks", "others")

    def __init__(self) -> None:
        self.chunks: dict[int, int] = {}
        self.others: set[str] = set()

    def add(self, value: str) -> bool:
        """Remember ``value``; True when it was seen before."""
        if len(value) > 9 or not is_digits(value):
            seen = value in self.others
            self.others.add(value)
            return seen
        number = int(value)
        key, bit = (number >> 6) * 10 + len(value), 1 << (number & 63)
        bits = self.chunks.get(key, 0)
        self.chunks[key] = bits | bit
        return bool(bits & bit)


def set_rejected_by_envelope(ts: TransactionSet) -> bool:
    """The set's own envelope (ST/SE) rejects it (AK5 R whatever its content)."""
    return any(i.severity == ERROR and i.kind == KIND_SET for i in ts.errors)


def stopped_issue(ts: TransactionSet, number: int, unread: int) -> Issue:
    """The group-level issue saying reading stopped at ``ts``, the group's ``number``-th set and its
    ``MAX_REJECTED_SETS``-th rejected one, with ``unread`` sets after it; placed at the set's last
    segment (its SE when it has one)."""
    block = ts.block
    last = block.segment(ts.stop - 1)
    return Issue(
        KIND_GROUP,
        "",
        f"{MAX_REJECTED_SETS} transaction sets rejected: checking stopped at set {number} (ST02 {ts.st02}), "
        f"the {unread} set(s) after it not read",
        interchange=block.index,
        group_control=ts.group.gs06,
        set_control=ts.st02,
        segment_id=last.id,
        offset=last.offset,
        line=last.line,
    )


class _SetPlace(TypedDict):
    """Where an issue with a set's ST or SE segment sits (``Issue`` fields)."""

    set_control: str
    segment_id: str
    segment_position: int


class _Walker:
    """State of the envelope pass over one interchange (which group and set are open).

    Segments are fed in order (``feed`` for envelope segments, ``stray`` for others outside
    a set), so the same walker serves a whole block and a stream read window by window.
    ``locate(index)`` gives the byte offset and line of a segment for an issue; ``pin(index)``
    is called when a position is needed later (a stream drops text as it goes); the hooks
    ``on_set``/``on_group`` are called when a set or group is closed.
    """

    def __init__(self, block: Block, ic: Interchange, *, keep_sets: bool = True) -> None:
        self.block = block
        self.ic = ic
        self.group: Group | None = None
        self.tset: TransactionSet | None = None
        self.stray_from = 0
        self.stray_id = ""
        self.st02s = ControlNumbers()
        # The interchange's explicit GS06s so far, for the repeated-number check (AK905 19) at
        # each GS: an interchange of thousands of groups is not rescanned at every one.
        self.gs06s: set[str] = set()
        self.keep_sets = keep_sets
        # Rejected sets of the open group so far; past ``MAX_REJECTED_SETS`` the rest of it is
        # skimmed (``skipping``), the set reading stopped at and its number kept for the group's issue.
        self.rejected = 0
        self.skipping = False
        self.stopped: tuple[TransactionSet, int] | None = None
        self.element = block.ctx.delimiters.element
        self.locate: Callable[[int], tuple[int, int]] = partial(_locate, block)
        self.pin: Callable[[int], None] | None = None
        self.on_set: Callable[[TransactionSet], None] | None = None
        self.on_group: Callable[[Group], None] | None = None

    def issue(self, index: int, kind: str, code: str, message: str, severity: str = ERROR, **kw) -> Issue:
        offset, line = self.locate(index)
        return Issue(kind, code, message, severity, interchange=self.block.index, offset=offset, line=line, **kw)

    def stray(self, index: int, text: str) -> None:
        """A segment outside any set: remember where a run of them starts."""
        if self.tset is None and not self.stray_from and not self.skipping:
            self.stray_from = index
            self.stray_id = text.split(self.block.ctx.delimiters.element, 1)[0]
            if self.pin is not None:
                self.pin(index)

    def flush_stray(self, index: int) -> None:
        """Report segments found outside any ST…SE (TA1 024), once per run."""
        if self.stray_from:
            ids = self.stray_id
            self.ic.errors.append(
                self.issue(
                    self.stray_from,
                    KIND_TA1,
                    "024",
                    f"{index - self.stray_from} segment(s) outside a transaction set, from {ids}",
                    segment_id=ids,
                )
            )
            self.stray_from = 0

    def close_set(self, index: int, complete: bool) -> None:
        ts = self.tset
        if ts is None:
            return
        if not complete:
            ts.errors.append(self.issue(index, KIND_SET, "2", f"SE missing for ST02 {ts.st02}", set_control=ts.st02))
        ts.stop = index
        self.tset = None
        if self.on_set is not None:
            self.on_set(ts)
        if set_rejected_by_envelope(ts):
            self.count_rejected(ts)

    def set_rejected(self, ts: TransactionSet) -> None:
        """The reader's caller rejected ``ts`` (its validation: AK5 R) as it was handed out, before
        the next segment is read. A set its envelope rejected is counted already."""
        if ts.group is self.group and self.tset is None and not set_rejected_by_envelope(ts):
            self.count_rejected(ts)

    def count_rejected(self, ts: TransactionSet) -> None:
        if self.skipping:
            return
        self.rejected += 1
        if self.rejected == MAX_REJECTED_SETS:
            self.skipping = True
            self.stopped = (ts, ts.group.set_count)

    def close_group(self, index: int, complete: bool) -> None:
        self.close_set(index, False)
        g = self.group
        if g is None:
            return
        if not complete and not g.implicit:
            g.errors.append(self.issue(index, KIND_GROUP, "3", f"GE missing for GS06 {g.gs06}", group_control=g.gs06))
        if self.stopped is not None and g.unread:
            g.errors.append(stopped_issue(*self.stopped, g.unread))  # last: ``validate_group`` may place its own
        self.rejected, self.skipping, self.stopped = 0, False, None
        self.group = None
        if self.on_group is not None:
            self.on_group(g)

    def open_group(self, index: int, els: list[str], implicit: bool = False) -> Group:
        self.close_group(index, False)
        f = [x.strip() for x in els[1:9]] + [""] * (9 - len(els))
        g = Group(
            *(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]),  # GS01 … GS08, padded to eight above
            interchange=self.ic,
            index=len(self.ic.groups),
            implicit=implicit,
            start=index,
        )
        if not implicit:
            if not (is_digits(g.gs06) and len(g.gs06) <= 9):
                g.errors.append(self.issue(index, KIND_GROUP, "6", f"GS06 {g.gs06!r} is not a control number"))
            if g.gs06 in self.gs06s:
                g.errors.append(self.issue(index, KIND_GROUP, "19", f"GS06 {g.gs06} repeated in interchange"))
            if not g.gs08:
                g.errors.append(self.issue(index, KIND_GROUP, "2", "GS08 version is missing"))
            for message in _gs_date_time(g):
                self.ic.errors.append(
                    self.issue(index, KIND_TA1, "024", message, segment_id="GS", group_control=g.gs06)
                )
            self.gs06s.add(g.gs06)
        self.ic.groups.append(g)
        self.group = g
        self.st02s = ControlNumbers()
        return g

    def st(self, index: int, els: list[str]) -> None:
        self.flush_stray(index)
        self.close_set(index, False)
        if self.skipping:
            group = self.group
            assert group is not None
            group.set_count += 1
            group.unread += 1
            return
        if self.group is None:
            self.ic.errors.append(self.issue(index, KIND_TA1, "024", "ST outside a functional group", segment_id="ST"))
            self.open_group(index, ["GS"], implicit=True)
        group = self.group
        assert group is not None
        st = [x.strip() for x in els] + ["", "", ""]
        ts = TransactionSet(st[1], st[2], st[3], group=group, start=index)
        kw: _SetPlace = {"set_control": ts.st02, "segment_id": "ST", "segment_position": 1}
        if not (len(ts.st01) == 3 and is_digits(ts.st01)):
            ts.errors.append(self.issue(index, KIND_SET, "6", f"ST01 {ts.st01!r} is invalid", **kw))
        repeated = self.st02s.add(ts.st02)
        if not 4 <= len(ts.st02) <= 9:
            ts.errors.append(self.issue(index, KIND_SET, "7", f"ST02 {ts.st02!r} is invalid", **kw))
        elif repeated:
            ts.errors.append(self.issue(index, KIND_SET, "23", f"ST02 {ts.st02} repeated in group", **kw))
        expected = FUNCTIONAL_IDS.get(ts.st01)
        if expected and group.gs01 and group.gs01 != expected:
            ts.errors.append(
                self.issue(
                    index,
                    KIND_SYNTAX,
                    "",
                    f"GS01 {group.gs01} is not the functional ID of {ts.st01} ({expected})",
                    WARNING,
                    **kw,
                )
            )
        group.set_count += 1
        if self.keep_sets:
            group.sets.append(ts)
        self.tset = ts

    def se(self, index: int, els: list[str]) -> None:
        ts = self.tset
        if ts is None:
            self.flush_stray(index)
            self.ic.errors.append(self.issue(index, KIND_TA1, "024", "SE without ST", segment_id="SE"))
            return
        ts.se01, ts.se02 = (els[1].strip() if len(els) > 1 else ""), (els[2].strip() if len(els) > 2 else "")
        count = index - ts.start + 1
        kw: _SetPlace = {"set_control": ts.st02, "segment_id": "SE", "segment_position": count}
        if count_value(ts.se01) != count:
            ts.errors.append(
                self.issue(index, KIND_SET, "4", f"SE01 {ts.se01!r} but the set has {count} segments", **kw)
            )
        if ts.se02 != ts.st02:
            ts.errors.append(
                self.issue(index, KIND_SET, "3", f"SE02 {ts.se02!r} does not match ST02 {ts.st02!r}", **kw)
            )
        self.close_set(index + 1, True)

    def ge(self, index: int, els: list[str]) -> None:
        self.flush_stray(index)
        g = self.group
        if g is None or g.implicit:
            self.ic.errors.append(self.issue(index, KIND_TA1, "024", "GE without GS", segment_id="GE"))
            self.close_group(index, True)
            return
        self.close_set(index, False)
        g.ge01 = els[1].strip() if len(els) > 1 else ""
        g.ge02 = els[2].strip() if len(els) > 2 else ""
        if count_value(g.ge01) != g.set_count:
            g.errors.append(
                self.issue(
                    index,
                    KIND_GROUP,
                    "5",
                    f"GE01 {g.ge01!r} but the group has {g.set_count} sets",
                    group_control=g.gs06,
                )
            )
        if g.ge02 != g.gs06:
            same = count_value(g.ge02) is not None and count_value(g.ge02) == count_value(g.gs06)
            g.errors.append(
                self.issue(
                    index,
                    KIND_GROUP,
                    "4",
                    f"GE02 {g.ge02!r} does not match GS06 {g.gs06!r}",
                    WARNING if same else ERROR,
                    group_control=g.gs06,
                )
            )
        self.close_group(index, True)

    def iea(self, index: int, els: list[str]) -> None:
        self.flush_stray(index)
        self.close_group(index, False)
        ic = self.ic
        ic.iea01 = els[1].strip() if len(els) > 1 else ""
        ic.iea02 = els[2].strip() if len(els) > 2 else ""
        groups = sum(1 for g in ic.groups if not g.implicit)
        if count_value(ic.iea01) != groups:
            ic.errors.append(
                self.issue(index, KIND_TA1, "021", f"IEA01 {ic.iea01!r} but the interchange has {groups} groups")
            )
        if ic.iea02 != ic.isa13:
            # Same number without the zero padding: noted, not rejected.
            same = count_value(ic.iea02) is not None and count_value(ic.iea02) == count_value(ic.isa13)
            ic.errors.append(
                self.issue(
                    index,
                    KIND_TA1,
                    "001",
                    f"IEA02 {ic.iea02!r} does not match ISA13 {ic.isa13!r}",
                    WARNING if same else ERROR,
                )
            )

    def feed(self, index: int, text: str) -> bool:
        """One segment whose first two characters are an envelope head; True for IEA."""
        if self.skipping:
            # The rest of a group past its rejected sets: only its STs are counted, only its end looked for.
            sid = text.partition(self.element)[0]
            if sid == "ST":
                self.st(index, [])
                return False
            if sid not in ("GS", "GE", "IEA"):
                return False
        els = text.split(self.element)
        sid = els[0]
        if sid == "ST":
            self.st(index, els)
        elif sid == "SE":
            self.se(index, els)
        elif sid == "GS":
            self.flush_stray(index)
            self.open_group(index, els)
        elif sid == "GE":
            self.ge(index, els)
        elif sid == "IEA":
            self.iea(index, els)
            return True
        elif sid == "TA1" and self.group is None:
            self.ic.ta1.append(els)
        elif sid in INTERCHANGE_SERVICE_SEGMENTS and self.group is None and self.tset is None:
            self.flush_stray(index)
        else:
            self.stray(index, text)
        return False

    def finish(self, end: int, ended: bool) -> None:
        """The interchange's segments are all fed; ``end`` is one past the last index."""
        self.flush_stray(end)
        if not ended:
            self.close_group(end, False)


def _walk(block: Block, ic: Interchange) -> None:
    w = _Walker(block, ic)
    heads = _ENVELOPE_HEADS
    ended = False
    for index, text in enumerate(block.texts, 1):
        if text[:2] not in heads:
            if w.tset is None and not w.stray_from:
                w.stray(index, text)
            continue
        ended = w.feed(index, text) or ended
    w.finish(len(block.texts) + 1, ended)
