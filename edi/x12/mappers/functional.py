"""Inbound 997/999 → ``FunctionalAck``, for matching acknowledgements to what was sent.

``procurement.inputs`` has no canonical type for functional acknowledgements (they are
about envelopes, not business documents), so this library defines its own frozen
dataclasses: AK1 (functional ID, GS06 answered, version), one ``SetAck`` per AK2 loop
(AK2, AK3/IK3 + AK4/IK4 notes with a 999's CTX context, AK5/IK5) and the AK9 totals and codes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from edi.x12.envelope import TransactionSet
from edi.x12.errors import MappingError
from edi.x12.mappers.common import Mapped, Reader
from edi.x12.tokenizer import Segment, count_value


@dataclass(frozen=True)
class Context:
    """A 999's CTX: what the note is about beyond its own segment.

    ``names`` are the CTX01 repetitions as (context name, reference): a business unit
    (``("CLM01", "123456789")``, the claim the error belongs to) or a situational trigger;
    then the segment that triggered it (CTX02 … CTX04), the element position in it as
    written (CTX05, ``"5:3"``) and its data element reference (CTX06).
    """

    names: tuple[tuple[str, str], ...]
    segment_id: str = ""
    position: int | None = None
    loop_id: str = ""
    element: str = ""
    element_ref: str = ""


@dataclass(frozen=True)
class ElementNote:
    """AK4/IK4: element position (component, repetition), reference, error code, bad value."""

    position: int
    component: int | None
    repetition: int | None
    element_ref: str
    code: str
    value: str
    context: tuple[Context, ...] = ()


@dataclass(frozen=True)
class SegmentNote:
    """AK3/IK3: segment ID, position in set, loop, error code, and its element notes."""

    segment_id: str
    position: int
    loop_id: str
    code: str
    elements: tuple[ElementNote, ...] = ()
    context: tuple[Context, ...] = ()


@dataclass(frozen=True)
class SetAck:
    """AK2 … AK5/IK5: the answer for one of our transaction sets."""

    st01: str
    st02: str
    code: str
    errors: tuple[str, ...] = ()
    segments: tuple[SegmentNote, ...] = ()


@dataclass(frozen=True)
class FunctionalAck:
    """A 997 or 999: which group it answers (AK101/AK102) and with what (AK9)."""

    kind: str
    functional_id: str
    group_control: str
    version: str
    code: str
    included: int | None
    received: int | None
    accepted: int | None
    group_errors: tuple[str, ...] = ()
    sets: tuple[SetAck, ...] = ()


# AK901 (715): accepted, accepted with errors, partially accepted, rejected (R, and M, W, X for
# authentication, assurance and unreadable content).
AK9_CODES = ("A", "E", "P", "R", "M", "W", "X")


def _int(value: str) -> int | None:
    return count_value(value.strip())


def _opt_int(value: str) -> int | None:
    return count_value(value)


def _context(seg: Segment, comp: str, rep: str) -> Context:
    names = []
    for item in seg[1].split(rep) if rep else [seg[1]]:
        name, _, reference = item.partition(comp) if comp else (item, "", "")
        names.append((name, reference))
    element_ref = seg[6].split(comp)[0] if comp else seg[6]
    return Context(tuple(names), seg[2], _int(seg[3]), seg[4], seg[5], element_ref)


def map_functional_ack(ts: TransactionSet) -> Mapped[FunctionalAck]:
    """Read a 997 or 999 (``MappingError`` for any other set)."""
    if ts.st01 not in ("997", "999"):
        raise MappingError(f"transaction set {ts.st01!r} is not a 997 or 999")
    r = Reader(ts, ts.st01, None)
    comp = ts.block.ctx.delimiters.component
    ak1 = ("", "", "")
    ak9: list[str] = []
    sets: list[SetAck] = []
    current: dict | None = None
    previous = ""
    seen_ak1 = False
    for seg in ts.segments:
        sid = seg.id
        if sid != "CTX":
            previous = sid
        if sid == "AK1":
            ak1 = (seg[1].strip(), seg[2].strip(), seg[3].strip())
            seen_ak1 = True
        elif sid == "AK2":
            if current is not None:
                _unanswered(r, current)
            current = {"st01": seg[1], "st02": seg[2], "segments": [], "ak2": seg}
        elif sid in ("AK3", "IK3") and current is not None:
            current["segments"].append(SegmentNote(seg[1], _int(seg[2]) or 0, seg[3], seg[4]))
        elif sid in ("AK4", "IK4") and current is not None and current["segments"]:
            parts = seg[1].split(comp) if comp else [seg[1]]
            parts += ["", "", ""]
            note = ElementNote(_int(parts[0]) or 0, _opt_int(parts[1]), _opt_int(parts[2]), seg[2], seg[3], seg[4])
            last = current["segments"][-1]
            current["segments"][-1] = replace(last, elements=(*last.elements, note))
        elif sid == "CTX" and current is not None and current["segments"]:
            # A CTX after an IK4 is that element's context; after an IK3, the segment's.
            last = current["segments"][-1]
            context = _context(seg, comp, ts.block.ctx.delimiters.repetition)
            if previous == "IK4" and last.elements:
                *head, element = last.elements
                element = replace(element, context=(*element.context, context))
                current["segments"][-1] = replace(last, elements=(*head, element))
            else:
                current["segments"][-1] = replace(last, context=(*last.context, context))
        elif sid in ("AK5", "IK5"):
            if current is None:
                r.problem(f"{sid} without AK2", seg)
                continue
            codes = tuple(v.strip() for v in seg.elements[2:7] if v.strip())
            sets.append(SetAck(current["st01"], current["st02"], seg[1].strip(), codes, tuple(current["segments"])))
            current = None
        elif sid == "AK9":
            if current is not None:
                _unanswered(r, current)
                current = None
            ak9 = [v.strip() for v in seg.elements]
            if ak9[1:2] and ak9[1] not in AK9_CODES:
                r.problem(f"AK901 {seg[1]!r} is not a functional group acknowledgment code", seg, 1)
    if current is not None:
        _unanswered(r, current)
    if not seen_ak1:
        r.problem("AK1 segment missing: the group it answers is not named")
    seen_ak9 = bool(ak9)
    if not ak9:
        r.problem("AK9 segment missing: the group's verdict is not given")
        ak9 = ["AK9"]
    ak9 = [*ak9, "", "", "", ""]
    value = FunctionalAck(
        kind=ts.st01,
        functional_id=ak1[0],
        group_control=ak1[1],
        version=ak1[2],
        code=ak9[1],
        included=_int(ak9[2]),
        received=_int(ak9[3]),
        accepted=_int(ak9[4]),
        group_errors=tuple(v for v in ak9[5:10] if v),
        sets=tuple(sets),
    )
    if seen_ak9:
        _counts_checked(r, value, ts.segments)
    return Mapped(value, r.errors)


def _unanswered(r: Reader, current: dict) -> None:
    """An AK2 loop that ends without its AK5 (IK5 in a 999) gives no verdict on that set."""
    closing = "IK5" if r.ts.st01 == "999" else "AK5"
    r.problem(
        f"AK2 {current['st01'].strip()} {current['st02'].strip()} has no {closing}: its verdict is not given",
        current["ak2"],
    )


def _counts_checked(r: Reader, ack: FunctionalAck, segments: list[Segment]) -> None:
    """AK9's counts must add up: no more sets accepted than received, nor received than included;
    a group accepted (A, E) has every set received accepted; and when every set received has its
    AK2 loop, the accepted count is the number of them accepted (AK501 A or E)."""
    ak9 = next(seg for seg in reversed(segments) if seg.id == "AK9")
    included, received, accepted = ack.included, ack.received, ack.accepted
    said = []
    if included is None or received is None or accepted is None:
        said.append("AK902, AK903 and AK904 must each be a count")
    elif not accepted <= received <= included:
        said.append(f"{accepted} sets accepted of {received} received of {included} included do not add up")
    elif ack.code in ("A", "E") and accepted != received:
        said.append(f"AK901 {ack.code!r} accepts the group, yet only {accepted} of its {received} sets are accepted")
    elif ack.sets and len(ack.sets) == received:
        listed = sum(1 for one in ack.sets if one.code in ("A", "E"))
        if listed != accepted:
            said.append(f"AK904 counts {accepted} sets accepted, the AK2 loops accept {listed}")
    for text in said:
        r.problem(f"AK9 counts do not add up: {text}", ak9)
