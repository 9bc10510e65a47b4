"""The walker: places each segment of a set in its schema table, then checks it.

Placement follows the table's order and loops (a loop's first segment starts a new
iteration; a segment found only in an enclosing loop closes the inner ones, and the
mandatory children they skipped are reported missing). Element checks are in
``values.py``.
"""

from __future__ import annotations

import re

from edi.x12.engine.values import check_value, element_ref, evaluate_note
from edi.x12.envelope import TransactionSet
from edi.x12.errors import ERROR, KIND_ELEMENT, KIND_SEGMENT, KIND_SET, Issue
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
    known_segments,
)
from edi.x12.tokenizer import Segment

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
_MEMO_ELEMENTS = 64  # segments with more elements are checked each time (rare, and costly keys)
_MEMO_SIZE = 4096  # distinct bad segments remembered per set
# Segments in error detailed per set (an AK3/IK3 loop each in the 997/999). The set is rejected from
# the first; past this many, checking stops and one set-level issue (AK502 5) says where and how many
# segments were left unchecked. The 997/999 make the AK3 loop optional ("one or more segments in
# error" is the set's answer): a partner's file that is garbage from end to end gets the answer a
# readable one does, in time that does not grow with its tens of thousands of errors.
MAX_SEGMENTS_IN_ERROR = 1000


class _Frame:
    __slots__ = ("counts", "loop", "pos")

    def __init__(self, loop: LoopDef) -> None:
        self.loop = loop
        self.pos = -1
        self.counts = [0] * len(loop.children)


class Walker:
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
        self.reported: set[tuple] = set()
        self.where: tuple[int, int, int] | None = None
        # A segment's element issues by its elements (and definition and loop): a set that repeats
        # one bad segment thousands of times has it checked once (``_again``).
        self.memo: dict[tuple, list[Issue]] = {}
        self.gs06, self.st02 = ts.group.gs06, ts.st02

    # -- reporting ---------------------------------------------------------------

    def _where(self) -> tuple[int, int, int]:
        """(interchange, byte offset, line) of the current segment, worked out once for all its issues."""
        where = self.where
        if where is None:
            seg = self.segment
            assert seg is not None
            where = self.where = (seg.interchange, seg.offset, seg.line)
        return where

    def _issue(
        self,
        kind: str,
        code: str,
        message: str,
        seg_id: str,
        loop_id: str = "",
        element_position: int | None = None,
        component_position: int | None = None,
        repetition: int | None = None,
        element_ref: str = "",
        value: str = "",
    ) -> None:
        interchange, offset, line = self._where()
        self.issues.append(
            Issue(
                kind,
                code,
                message,
                ERROR,
                interchange,
                self.gs06,
                self.st02,
                seg_id,
                self.position,
                loop_id,
                element_position,
                component_position,
                repetition,
                element_ref,
                value,
                offset,
                line,
            )
        )

    # -- structure -----------------------------------------------------------------

    def run(self) -> None:
        segments = self.ts.segments
        place, check, issues = self._place, self._check_segment, self.issues
        in_error = 0
        for position, seg in enumerate(segments, 1):
            self.segment, self.position, self.where = seg, position, None
            before = len(issues)
            seg_id = seg.id
            placed = place(seg_id)
            if placed is None:
                valid = _SEGMENT_ID.match(seg_id) and seg_id in self.known
                code = "2" if valid else "1"
                what = "unexpected here" if valid else "not a recognized segment ID"
                shown = _LINE_BREAK.sub("[line break]", seg_id)  # a reason never holds a raw line break
                self._issue(KIND_SEGMENT, code, f"{shown} is {what}", seg_id)
            else:
                check(seg, placed[0].segment, placed[1])
            if len(issues) > before:
                in_error += 1
                if in_error == MAX_SEGMENTS_IN_ERROR and position < len(segments):
                    self._stop(len(segments) - position)
                    return
        if segments:
            complete = segments[-1].id == "SE"
            self._pop_to(0)
            self._missing(self.stack[0], len(self.stack[0].loop.children) - (0 if complete else 1))

    def _stop(self, unchecked: int) -> None:
        """Checking ends at the current segment, the ``MAX_SEGMENTS_IN_ERROR``-th in error: one
        set-level issue (AK502 5) at it says so and how many segments after it were not checked."""
        seg = self.segment
        assert seg is not None
        self._issue(
            KIND_SET,
            "5",
            f"{MAX_SEGMENTS_IN_ERROR} segments in error: checking stopped at {seg.id} (segment {self.position}), "
            f"the {unchecked} segment(s) after it not checked",
            seg.id,
        )

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
                    if len(self.stack) - 1 > depth:
                        self._pop_to(depth)
                    if j != frame.pos:
                        self._missing(frame, j)
                        frame.pos = j
                    frame.counts[j] += 1
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
        for k in _mandatory(frame.loop):
            if k <= frame.pos:
                continue
            if k >= upto:
                break
            child = children[k]
            if frame.counts[k] == 0:
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
        els = seg.elements
        if _clean(els, _plan(sdef), seg.block.ctx.delimiters.repetition, self.old_dates):
            # Nothing the element checks below would report; only the HL tree is left to check.
            if seg.id == "HL" and self.schema.hierarchical:
                before = len(self.issues)
                self._flag_segment(seg, loop_id, before, self._check_hl(seg, loop_id))
            return
        before = len(self.issues)
        hl = seg.id == "HL" and self.schema.hierarchical
        key = None if hl or len(els) > _MEMO_ELEMENTS else (id(sdef), loop_id, *els)
        found = self.memo.get(key) if key is not None else None
        if found is not None:
            self._again(found)
            self._flag_segment(seg, loop_id, before)
            return
        self._check_elements(seg, sdef, loop_id)
        tree = None
        if hl:
            elements_clean = len(self.issues) == before
            tree = self._check_hl(seg, loop_id)
            tree = tree if elements_clean else None  # the tree's words only when they are all that is wrong
        elif key is not None and len(self.memo) < _MEMO_SIZE:
            self.memo[key] = self.issues[before:]
        self._flag_segment(seg, loop_id, before, tree)

    def _again(self, issues: list[Issue]) -> None:
        """The element issues of an earlier segment with the same elements, at the current one."""
        interchange, offset, line = self._where()
        gs06, st02, position, append = self.gs06, self.st02, self.position, self.issues.append
        for i in issues:
            append(
                Issue(
                    i.kind,
                    i.code,
                    i.message,
                    ERROR,
                    interchange,
                    gs06,
                    st02,
                    i.segment_id,
                    position,
                    i.loop_id,
                    i.element_position,
                    i.component_position,
                    i.repetition,
                    i.element_ref,
                    i.value,
                    offset,
                    line,
                )
            )

    def _check_elements(self, seg: Segment, sdef: SegmentDef, loop_id: str) -> None:
        els = seg.elements
        uses = sdef.elements
        assert uses is not None
        n = len(els) - 1
        if n > len(uses) and not sdef.open_ended:
            extra = next((i for i in range(len(uses) + 1, n + 1) if els[i]), 0)
            if extra:
                self._element(seg.id, loop_id, "3", "too many data elements", extra, value=els[extra])
        for i, use in enumerate(uses, 1):
            value = els[i] if i <= n else ""
            if not value:
                if use.req == "M":
                    self._element(seg.id, loop_id, "1", "required element missing", i, ref=element_ref(use))
                continue
            if isinstance(use.element, CompositeDef):
                self._check_composite(seg, loop_id, i, use, value)
            else:
                self._check_simple(seg, loop_id, i, use, value)
        flags = [False, *(bool(v) for v in els[1:])]
        self._check_notes(seg.id, loop_id, sdef.notes, flags, uses)

    def _flag_segment(self, seg: Segment, loop_id: str, before: int, message: str | None = None) -> None:
        """Put the AK3 code 8 issue before the element issues found since ``before``, if any;
        ``message`` says what is wrong when one sentence can (an HL naming a missing parent)."""
        if len(self.issues) > before:
            interchange, offset, line = self._where()
            self.issues.insert(
                before,
                Issue(
                    KIND_SEGMENT,
                    "8",
                    message or f"{seg.id} has data element errors",
                    ERROR,
                    interchange=interchange,
                    group_control=self.gs06,
                    set_control=self.st02,
                    segment_id=seg.id,
                    segment_position=self.position,
                    loop_id=loop_id,
                    offset=offset,
                    line=line,
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
        # Two syntax notes can blame the same element (PO4 C0506 and P0607): report it once.
        key = (self.position, position, component, repetition, code)
        if key in self.reported:
            return
        self.reported.add(key)
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
                ref = element_ref(uses[pos - 1]) if pos <= len(uses) else ""
                self._element(seg_id, loop_id, code, message, pos, ref=ref)

    def _check_hl(self, seg: Segment, loop_id: str) -> str | None:
        """Check the HL tree (ids unique, a parent named before its children); the first problem
        in words, or ``None``."""
        hl01, hl02 = seg[1], seg[2]
        problems = []
        if hl01 in self.hl_ids:
            self._element("HL", loop_id, "7", f"HL01 {hl01} repeated", 1, ref="628", value=hl01)
            problems.append(f"HL {hl01} is a repeated HL id")
        if hl02 and hl02 not in self.hl_ids:
            self._element("HL", loop_id, "7", f"HL02 {hl02} is not an earlier HL01", 2, ref="734", value=hl02)
            problems.append(f"HL {hl01} names parent {hl02}, which is not an earlier HL in this {_words(self.schema)}")
        self.hl_ids.add(hl01)
        return problems[0] if problems else None


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _words(schema: SetSchema) -> str:
    """What a reader calls a set of ``schema``: "ship notice" for an 856, else its ST01."""
    return "ship notice" if schema.set_id == "856" else f"{schema.set_id} set"


# -- the fast path ---------------------------------------------------------------------
#
# Most segments are valid. ``_clean`` decides that with a few cheap tests per element; it
# says True only when ``Walker._check_segment``'s full checks would find nothing (every
# test is a sufficient condition for the full check's "valid"), and anything unusual (a
# composite, a repetition, a value it cannot vouch for) sends the segment down the full path,
# which then finds and words the problem. Tests compare both paths on every corpus file.

_MANDATORY: dict[int, tuple[LoopDef, tuple[int, ...]]] = {}


def _mandatory(loop: LoopDef) -> tuple[int, ...]:
    """Positions of ``loop``'s mandatory children, in order."""
    found = _MANDATORY.get(id(loop))
    if found is None or found[0] is not loop:
        found = _MANDATORY[id(loop)] = (loop, tuple(k for k, c in enumerate(loop.children) if c.req == "M"))
    return found[1]


_SKIP, _CODES, _TEXT, _INT, _DEC, _CALL, _FULL = range(7)
_PLANS: dict[int, tuple] = {}
_CALL_CACHE: dict[tuple[str, int, bool], bool] = {}


def _plan(sdef: SegmentDef) -> tuple:
    """(uses, open ended, mandatory positions, per-position checks, note masks) for ``sdef``."""
    plan = _PLANS.get(id(sdef))
    if plan is not None and plan[0] is sdef:
        return plan[1]
    uses = sdef.elements or ()
    checks: list[tuple] = [(_SKIP,)]
    for use in uses:
        edef = use.element
        repeats = use.repeat > 1
        if isinstance(edef, CompositeDef):
            checks.append((_FULL,))
        elif edef.type in ("DT", "TM"):
            checks.append((_CALL, edef, repeats))
        elif edef.codes is not None:
            valid = frozenset(c for c in edef.codes if not check_value(c, edef)[0])
            checks.append((_CODES, valid, repeats))
        elif edef.type[0] == "N":
            checks.append((_INT, edef.min, edef.max, repeats))
        elif edef.type == "R":
            checks.append((_DEC, edef.min, edef.max, repeats))
        else:
            checks.append((_TEXT, edef.min, edef.max, repeats))
    mandatory = tuple(i for i, use in enumerate(uses, 1) if use.req == "M")
    notes = []
    for note in sdef.notes:
        bits = 0
        for p in note.positions:
            bits |= 1 << p
        first = 1 << note.positions[0]
        notes.append((note.kind, bits, first, bits & ~first))
    plan = (len(uses), sdef.open_ended, mandatory, tuple(checks), tuple(notes))
    _PLANS[id(sdef)] = (sdef, plan)
    return plan


def _clean(els: list[str], plan: tuple, rep_sep: str, old_dates: bool) -> bool:
    """True when the segment with elements ``els`` certainly has no element or note problem."""
    nuses, open_ended, mandatory, checks, notes = plan
    n = len(els) - 1
    for i in mandatory:
        if i > n or not els[i]:
            return False
    if n > nuses and not open_ended and any(els[nuses + 1 :]):
        return False
    mask = 0
    for i in range(1, n + 1):
        v = els[i]
        if not v:
            continue
        mask |= 1 << i
        if i > nuses:
            continue
        check = checks[i]
        kind = check[0]
        if kind == _CODES:
            if v not in check[1] or (check[2] and rep_sep and rep_sep in v):
                return False
        elif kind == _TEXT:
            if not (check[1] <= len(v) <= check[2] and v.isprintable()) or (check[3] and rep_sep and rep_sep in v):
                return False
        elif kind == _INT:
            if not (check[1] <= len(v) <= check[2] and v.isdigit() and v.isascii()):
                return False
            if check[3] and rep_sep and rep_sep in v:
                return False
        elif kind == _DEC:
            digits = v.replace(".", "", 1)
            if not (check[1] <= len(digits) <= check[2] and digits.isdigit() and digits.isascii()):
                return False
            if check[3] and rep_sep and rep_sep in v:
                return False
        elif kind == _CALL:
            if check[2] and rep_sep and rep_sep in v:
                return False
            key = (v, id(check[1]), old_dates)
            ok = _CALL_CACHE.get(key)
            if ok is None:
                if len(_CALL_CACHE) > 50_000:
                    _CALL_CACHE.clear()
                ok = _CALL_CACHE[key] = not check_value(v, check[1], old_dates)[0]
            if not ok:
                return False
        else:
            return False
    for kind, bits, first, rest in notes:
        have = mask & bits
        if kind == "P":
            if have and have != bits:
                return False
        elif kind == "R":
            if not have:
                return False
        elif kind == "E":
            if have & (have - 1):
                return False
        elif kind == "C":
            if have & first and (have & rest) != rest:
                return False
        elif kind == "L":
            if have & first and not have & rest:
                return False
        else:
            return False
    return True
