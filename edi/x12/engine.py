"""One validation engine that walks any set schema over a transaction set.

For each segment the engine finds its place in the set table (loops, order, maximum
use and repeat), then checks its elements (requirement, type, length, code list, date,
time) and the segment's syntax notes. Every problem is an ``Issue``:

* segment level (AK304/IK304): 1 unrecognized segment ID, 2 unexpected segment,
  3 required segment missing, 4 loop over maximum, 5 segment over maximum use,
  8 segment has data element errors;
* element level (AK403/IK403): 1 required element missing, 2 conditional element
  missing, 3 too many elements, 4 too short, 5 too long, 6 invalid character, 7 invalid
  code, 8 invalid date, 9 invalid time, 10 exclusion violated, 12 too many repetitions,
  13 too many components;
* set level (AK502/IK502): 1 set not supported, 5 one or more segments in error, plus
  the envelope's own set codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from edi.x12.envelope import Document, Group, TransactionSet
from edi.x12.errors import (
    ERROR,
    KIND_ELEMENT,
    KIND_SEGMENT,
    KIND_SET,
    Issue,
    SchemaNotFoundError,
)
from edi.x12.schemas import (
    CompositeDef,
    ElementDef,
    ElementUse,
    LoopDef,
    SegmentDef,
    SegmentUse,
    SetSchema,
    SyntaxNote,
    base_version,
    get_schema,
    known_segments,
)
from edi.x12.tokenizer import Segment, is_digits

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
_INTEGER = re.compile(r"-?[0-9]+\Z")
_DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:E-?[0-9]+)?\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_X12_KINDS = (KIND_SET, KIND_SEGMENT, KIND_ELEMENT)


@dataclass
class SetReport:
    """The outcome for one transaction set: schema used, issues, AK5/IK5 codes."""

    transaction_set: TransactionSet
    schema: SetSchema | None
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR and i.kind in _X12_KINDS]

    @property
    def code(self) -> str:
        """AK501/IK501: A accepted, E accepted with errors noted, R rejected."""
        if self.errors:
            return "R"
        if any(i.kind in _X12_KINDS for i in self.issues):
            return "E"
        return "A"

    @property
    def set_codes(self) -> list[str]:
        """AK502…AK506 / IK502…IK506 syntax error codes (at most five)."""
        codes: list[str] = []
        for issue in self.errors:
            code = issue.code if issue.kind == KIND_SET else "5"
            if code not in codes:
                codes.append(code)
        return codes[:5]

    def segment_issues(self) -> list[tuple[Issue, list[Issue]]]:
        """Each AK3/IK3 issue with the AK4/IK4 issues of the same segment, in order."""
        out: list[tuple[Issue, list[Issue]]] = []
        for issue in self.issues:
            if issue.kind == KIND_SEGMENT and issue.severity == ERROR:
                out.append((issue, []))
            elif (
                issue.kind == KIND_ELEMENT
                and issue.severity == ERROR
                and out
                and out[-1][0].segment_position == issue.segment_position
            ):
                out[-1][1].append(issue)
        return out


@dataclass
class GroupReport:
    """The outcome for one functional group: its sets and AK9 values."""

    group: Group
    sets: list[SetReport]
    issues: list[Issue] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for s in self.sets if s.code in ("A", "E"))

    @property
    def code(self) -> str:
        """AK901: A, E (errors noted), P (some sets rejected) or R."""
        group_errors = [i for i in self.issues if i.severity == ERROR]
        if group_errors or (self.sets and not self.accepted):
            return "R"
        if self.accepted < len(self.sets):
            return "P"
        if self.issues or any(s.code == "E" for s in self.sets):
            return "E"
        return "A"

    @property
    def group_codes(self) -> list[str]:
        """AK905…AK909 functional group syntax error codes."""
        codes: list[str] = []
        for issue in self.issues:
            if issue.severity == ERROR and issue.code and issue.code not in codes:
                codes.append(issue.code)
        return codes[:5]

    @property
    def included(self) -> int:
        """AK902: the count the sender declared in GE01 (the actual count if unusable)."""
        ge01 = self.group.ge01
        return int(ge01) if is_digits(ge01) else len(self.sets)


def validate(document: Document) -> list[GroupReport]:
    """Validate every group of every interchange in ``document``."""
    return [validate_group(g) for ic in document.interchanges for g in ic.groups]


def validate_group(group: Group) -> GroupReport:
    """Validate each set of ``group`` against its schema (AK2…AK5 material, AK9 values)."""
    return GroupReport(group, [validate_set(ts) for ts in group.sets], list(group.errors))


def validate_set(ts: TransactionSet, schema: SetSchema | None = None) -> SetReport:
    """Walk ``schema`` (default: by ST01 and GS08) over ``ts`` and report every problem."""
    if schema is None:
        try:
            schema = get_schema(ts.st01, ts.version)
        except SchemaNotFoundError:
            issue = _set_issue(ts, "1", f"transaction set {ts.st01!r} is not supported")
            return SetReport(ts, None, [*ts.errors, issue])
    walker = _Walker(ts, schema)
    walker.run()
    return SetReport(ts, schema, [*ts.errors, *walker.issues])


def _set_issue(ts: TransactionSet, code: str, message: str) -> Issue:
    first = ts.segments[0]
    return Issue(
        KIND_SET,
        code,
        message,
        ERROR,
        interchange=first.interchange,
        group_control=ts.group.gs06,
        set_control=ts.st02,
        segment_id="ST",
        segment_position=1,
        offset=first.offset,
        line=first.line,
    )


class _Frame:
    __slots__ = ("counts", "loop", "pos")

    def __init__(self, loop: LoopDef) -> None:
        self.loop = loop
        self.pos = -1
        self.counts = [0] * len(loop.children)


class _Walker:
    """Places each segment in the set table, then checks its elements."""

    def __init__(self, ts: TransactionSet, schema: SetSchema) -> None:
        self.ts = ts
        self.schema = schema
        self.known = known_segments(schema.version)
        version = base_version(ts.version)
        self.old_dates = bool(version) and version < "004010"
        self.wide_errors = schema.version >= "005010"
        self.issues: list[Issue] = []
        self.stack = [_Frame(schema.root)]
        self.segment: Segment | None = None
        self.position = 0
        self.hl_ids: set[str] = set()

    # -- reporting ---------------------------------------------------------------

    def _issue(self, kind: str, code: str, message: str, seg_id: str, loop_id: str = "", **kw) -> None:
        seg = self.segment
        assert seg is not None
        self.issues.append(
            Issue(
                kind,
                code,
                message,
                ERROR,
                interchange=seg.interchange,
                group_control=self.ts.group.gs06,
                set_control=self.ts.st02,
                segment_id=seg_id,
                segment_position=self.position,
                loop_id=loop_id,
                offset=seg.offset,
                line=seg.line,
                **kw,
            )
        )

    # -- structure -----------------------------------------------------------------

    def run(self) -> None:
        segments = self.ts.segments
        for position, seg in enumerate(segments, 1):
            self.segment, self.position = seg, position
            placed = self._place(seg.id)
            if placed is None:
                valid = _SEGMENT_ID.match(seg.id) and seg.id in self.known
                code = "2" if valid else "1"
                what = "unexpected here" if valid else "not a recognized segment ID"
                self._issue(KIND_SEGMENT, code, f"{seg.id} is {what}", seg.id)
                continue
            use, loop_id = placed
            self._check_segment(seg, use.segment, loop_id)
        if segments:
            complete = segments[-1].id == "SE"
            self._pop_to(0)
            self._missing(self.stack[0], len(self.stack[0].loop.children) - (0 if complete else 1))

    def _place(self, seg_id: str) -> tuple[SegmentUse, str] | None:
        for depth in range(len(self.stack) - 1, -1, -1):
            frame = self.stack[depth]
            candidates = frame.loop.starts.get(seg_id)
            if not candidates:
                continue
            children = frame.loop.children
            for j in candidates:
                if j < frame.pos:
                    continue
                child = children[j]
                if isinstance(child, SegmentUse):
                    # A loop's first segment starts a new iteration (found one level up).
                    if j == 0 and depth > 0:
                        continue
                    self._pop_to(depth)
                    self._advance(frame, j)
                    if child.max_use and frame.counts[j] > child.max_use:
                        self._issue(
                            KIND_SEGMENT,
                            "5",
                            f"{seg_id} used more than {child.max_use} times",
                            seg_id,
                            "" if depth == 0 else frame.loop.id,
                        )
                    return child, ("" if depth == 0 else frame.loop.id)
                self._pop_to(depth)
                self._advance(frame, j)
                if child.max_repeat and frame.counts[j] > child.max_repeat:
                    self._issue(
                        KIND_SEGMENT,
                        "4",
                        f"loop {child.id} repeated more than {child.max_repeat} times",
                        seg_id,
                        child.id,
                    )
                return self._enter(child)
        return None

    def _enter(self, loop: LoopDef) -> tuple[SegmentUse, str]:
        frame = _Frame(loop)
        self.stack.append(frame)
        frame.pos, frame.counts[0] = 0, 1
        first = loop.children[0]
        if isinstance(first, LoopDef):
            return self._enter(first)
        return first, loop.id

    def _advance(self, frame: _Frame, j: int) -> None:
        if j != frame.pos:
            self._missing(frame, j)
        frame.pos = j
        frame.counts[j] += 1

    def _missing(self, frame: _Frame, upto: int) -> None:
        """Report mandatory children of ``frame`` skipped before index ``upto``."""
        children = frame.loop.children
        for k in range(frame.pos + 1, upto):
            child = children[k]
            if child.req == "M" and frame.counts[k] == 0:
                seg_id = child.id if isinstance(child, SegmentUse) else child.trigger
                loop_id = frame.loop.id if frame is not self.stack[0] else ""
                self._issue(KIND_SEGMENT, "3", f"required segment {seg_id} missing", seg_id, loop_id)

    def _pop_to(self, depth: int) -> None:
        while len(self.stack) - 1 > depth:
            frame = self.stack.pop()
            self._missing(frame, len(frame.loop.children))

    # -- elements --------------------------------------------------------------------

    def _check_segment(self, seg: Segment, sdef: SegmentDef, loop_id: str) -> None:
        if sdef.elements is None:
            return
        before = len(self.issues)
        els = seg.elements
        uses = sdef.elements
        n = len(els) - 1
        if n > len(uses) and not sdef.open_ended:
            extra = next((i for i in range(len(uses) + 1, n + 1) if els[i]), 0)
            if extra:
                self._element(seg.id, loop_id, "3", "too many data elements", extra, value=els[extra])
        for i, use in enumerate(uses, 1):
            value = els[i] if i <= n else ""
            if not value:
                if use.req == "M":
                    self._element(seg.id, loop_id, "1", "required element missing", i, ref=_ref(use))
                continue
            if isinstance(use.element, CompositeDef):
                self._check_composite(seg, loop_id, i, use, value)
            else:
                self._check_simple(seg, loop_id, i, use, value)
        flags = [False, *(bool(v) for v in els[1:])]
        self._check_notes(seg.id, loop_id, sdef.notes, flags, uses)
        if seg.id == "HL" and self.schema.hierarchical:
            self._check_hl(seg, loop_id)
        if len(self.issues) > before:
            self.issues.insert(
                before,
                Issue(
                    KIND_SEGMENT,
                    "8",
                    f"{seg.id} has data element errors",
                    ERROR,
                    interchange=seg.interchange,
                    group_control=self.ts.group.gs06,
                    set_control=self.ts.st02,
                    segment_id=seg.id,
                    segment_position=self.position,
                    loop_id=loop_id,
                    offset=seg.offset,
                    line=seg.line,
                ),
            )

    def _element(
        self,
        seg_id: str,
        loop_id: str,
        code: str,
        message: str,
        position: int,
        *,
        component: int | None = None,
        repetition: int | None = None,
        ref: str = "",
        value: str = "",
    ) -> None:
        for issue in self.issues:
            if (
                issue.segment_position == self.position
                and issue.element_position == position
                and issue.component_position == component
                and issue.code == code
            ):
                return
        where = f"{seg_id}{position:02d}" + (f"-{component}" if component else "")
        self._issue(
            KIND_ELEMENT,
            code,
            f"{where}: {message}",
            seg_id,
            loop_id,
            element_position=position,
            component_position=component,
            repetition=repetition,
            element_ref=ref,
            value=value[:99],
        )

    def _check_simple(self, seg: Segment, loop_id: str, i: int, use: ElementUse, value: str) -> None:
        edef = use.element
        assert isinstance(edef, ElementDef)
        values = [value]
        rep_sep = seg.delimiters.repetition
        if use.repeat > 1 and rep_sep:
            values = value.split(rep_sep)
            if len(values) > use.repeat:
                self._element(seg.id, loop_id, "12", "too many repetitions", i, ref=edef.ref, value=value)
        for r, item in enumerate(values, 1):
            if not item:
                continue
            code, message = check_value(item, edef, self.old_dates)
            if code:
                self._element(
                    seg.id,
                    loop_id,
                    code,
                    message,
                    i,
                    repetition=r if len(values) > 1 else None,
                    ref=edef.ref,
                    value=item,
                )

    def _check_composite(self, seg: Segment, loop_id: str, i: int, use: ElementUse, value: str) -> None:
        cdef = use.element
        assert isinstance(cdef, CompositeDef)
        rep_sep, comp_sep = seg.delimiters.repetition, seg.delimiters.component
        values = value.split(rep_sep) if use.repeat > 1 and rep_sep else [value]
        if len(values) > use.repeat:
            self._element(seg.id, loop_id, "12", "too many repetitions", i, value=value)
        for r, item in enumerate(values, 1):
            rep = r if len(values) > 1 else None
            comps = item.split(comp_sep) if comp_sep else [item]
            if len(comps) > len(cdef.elements) and any(comps[len(cdef.elements) :]):
                code = "13" if self.wide_errors else "3"
                self._element(seg.id, loop_id, code, "too many components", i, repetition=rep, value=item)
            for k, cuse in enumerate(cdef.elements, 1):
                part = comps[k - 1] if k <= len(comps) else ""
                edef = cuse.element
                assert isinstance(edef, ElementDef)
                if not part:
                    if cuse.req == "M":
                        self._element(
                            seg.id,
                            loop_id,
                            "1",
                            "required component missing",
                            i,
                            component=k,
                            repetition=rep,
                            ref=edef.ref,
                        )
                    continue
                code, message = check_value(part, edef, self.old_dates)
                if code:
                    self._element(
                        seg.id,
                        loop_id,
                        code,
                        message,
                        i,
                        component=k,
                        repetition=rep,
                        ref=edef.ref,
                        value=part,
                    )
            flags = [False, *(bool(c) for c in comps)]
            for note in cdef.notes:
                for pos, code, message in evaluate_note(note, flags):
                    self._element(seg.id, loop_id, code, message, i, component=pos, repetition=rep)

    def _check_notes(
        self,
        seg_id: str,
        loop_id: str,
        notes: tuple[SyntaxNote, ...],
        flags: list[bool],
        uses: tuple[ElementUse, ...],
    ) -> None:
        for note in notes:
            for pos, code, message in evaluate_note(note, flags):
                ref = _ref(uses[pos - 1]) if pos <= len(uses) else ""
                self._element(seg_id, loop_id, code, message, pos, ref=ref)

    def _check_hl(self, seg: Segment, loop_id: str) -> None:
        hl01, hl02 = seg[1], seg[2]
        if hl01 in self.hl_ids:
            self._element("HL", loop_id, "7", f"HL01 {hl01} repeated", 1, ref="628", value=hl01)
        if hl02 and hl02 not in self.hl_ids:
            self._element("HL", loop_id, "7", f"HL02 {hl02} is not an earlier HL01", 2, ref="734", value=hl02)
        self.hl_ids.add(hl01)


def _ref(use: ElementUse) -> str:
    return use.element.ref if isinstance(use.element, ElementDef) and use.element.ref != "-" else ""


def evaluate_note(note: SyntaxNote, flags: list[bool]) -> list[tuple[int, str, str]]:
    """Violations of ``note`` given presence ``flags`` (index = element position).

    Returns (position, AK403 code, message) for each element the note says is wrong.
    """
    ps = note.positions
    n = len(flags)
    have = [p < n and flags[p] for p in ps]
    if not any(have):
        return [(ps[0], "2", f"at least one required ({note.text})")] if note.kind == "R" else []
    text = note.text
    if note.kind == "P" and any(have) and not all(have):
        return [(p, "2", f"paired with others ({text})") for p, h in zip(ps, have, strict=True) if not h]
    if note.kind == "R" and not any(have):
        return [(ps[0], "2", f"at least one required ({text})")]
    if note.kind == "E" and sum(have) > 1:
        second = [p for p, h in zip(ps, have, strict=True) if h][1]
        return [(second, "10", f"mutually exclusive ({text})")]
    if note.kind == "C" and have[0] and not all(have[1:]):
        return [(p, "2", f"required by {ps[0]:02d} ({text})") for p, h in zip(ps[1:], have[1:], strict=True) if not h]
    if note.kind == "L" and have[0] and not any(have[1:]):
        return [(ps[1], "2", f"one of these required by {ps[0]:02d} ({text})")]
    return []


def check_value(value: str, edef: ElementDef, old_dates: bool = False) -> tuple[str, str]:
    """(AK403 code, message) for one simple value, or ``("", "")`` when it is valid."""
    typ = edef.type
    if typ == "DT":
        return ("", "") if _valid_date(value, old_dates) else ("8", f"invalid date {value!r}")
    if typ == "TM":
        return ("", "") if _valid_time(value) else ("9", f"invalid time {value!r}")
    if typ[0] == "N":
        if not _INTEGER.match(value):
            return "6", f"{value!r} is not numeric"
        size = len(value.lstrip("-"))
    elif typ == "R":
        if not _DECIMAL.match(value):
            return "6", f"{value!r} is not a decimal number"
        size = sum(ch.isdigit() for ch in value.split("E")[0])
    else:
        if _CONTROL.search(value):
            return "6", "control character in data"
        size = len(value)
    if size < edef.min:
        return "4", f"shorter than {edef.min}"
    if size > edef.max:
        return "5", f"longer than {edef.max}"
    if edef.codes is not None and value not in edef.codes:
        return "7", f"{value!r} is not a valid code"
    return "", ""


def _valid_date(value: str, old_dates: bool) -> bool:
    if not is_digits(value):
        return False
    if len(value) == 6 and old_dates:
        value = ("19" if value[:2] > "50" else "20") + value
    if len(value) != 8:
        return False
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    if not 1 <= month <= 12 or day < 1:
        return False
    days = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return day <= days[month - 1]


def _valid_time(value: str) -> bool:
    if not is_digits(value) or not 4 <= len(value) <= 8:
        return False
    hh, mm = int(value[:2]), int(value[2:4])
    ss = int(value[4:6]) if len(value) >= 6 else 0
    return hh < 24 and mm < 60 and ss < 60


__all__ = [
    "GroupReport",
    "SetReport",
    "check_value",
    "evaluate_note",
    "validate",
    "validate_group",
    "validate_set",
]
