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

A set is detailed up to its 1,000th segment in error (``walker.MAX_SEGMENTS_IN_ERROR``, an AK3/IK3
loop each): there checking stops, and one set-level issue (AK502 5) names the segment it stopped at
and counts the segments after it that were not checked. The set is rejected either way.

A group is read up to its 1,000th rejected set (``envelope.MAX_REJECTED_SETS``), whether its envelope
or its content rejected it: there reading stops, the rest of the group is skimmed (its sets counted,
not read), and one group-level issue names the set it stopped at and counts the sets after it that
were not read. The group is then rejected whole (AK9 R, AK903 every set counted, AK904 0). A stream's
caller says which sets its validation rejected (``StreamReader.set_rejected``); ``validate_group``
counts them itself over a parsed group.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from edi.x12 import envelope
from edi.x12.engine.values import check_value, evaluate_note
from edi.x12.engine.walker import Walker
from edi.x12.envelope import Document, Group, TransactionSet, stopped_issue
from edi.x12.errors import ERROR, KIND_ELEMENT, KIND_SEGMENT, KIND_SET, Issue, SchemaNotFoundError
from edi.x12.schemas import SetSchema, get_schema
from edi.x12.tokenizer import count_value, is_digits

_X12_KINDS = (KIND_SET, KIND_SEGMENT, KIND_ELEMENT)


@dataclass(slots=True)
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
        # One pass that stops at the first error: a rejected set usually has one at the start, and
        # a file of thousands of sets asks each for its code more than once.
        noted = False
        for i in self.issues:
            if i.kind in _X12_KINDS:
                if i.severity == ERROR:
                    return "R"
                noted = True
        return "E" if noted else "A"

    @property
    def set_codes(self) -> list[str]:
        """AK502…AK506 / IK502…IK506 syntax error codes (at most five)."""
        codes: list[str] = []
        for issue in self.issues:
            if issue.severity != ERROR:
                continue
            kind = issue.kind
            if kind == KIND_SET:
                code = issue.code
            elif kind in _X12_KINDS:
                code = "5"
            else:
                continue
            if code not in codes:
                codes.append(code)
                if len(codes) == 5:
                    break
        return codes

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


class _Run:
    """Consecutive sets accepted without a note: one ST01 and ST03, ST02s counting up from ``first``."""

    __slots__ = ("count", "first", "st01", "st03", "width")

    def __init__(self, st01: str, st03: str, width: int, first: int) -> None:
        self.st01, self.st03, self.width, self.first, self.count = st01, st03, width, first, 1

    def st02(self, k: int) -> str:
        return f"{self.first + k:0{self.width}d}"


def _slim(report: SetReport) -> SetReport:
    """``report`` without its set's segments: its ids and issues are all the AK2…AK5 loop needs."""
    ts = report.transaction_set
    kept = TransactionSet(ts.st01, ts.st02, ts.st03, ts.group, ts.start, ts.stop, ts.se01, ts.se02)
    return SetReport(kept, report.schema, report.issues)


class SetReports(Sequence[SetReport]):
    """A group's set reports as a stream reads them, kept in memory that does not grow with the
    accepted sets: a run of sets accepted without any note (AK5 ``A``, no issue) whose ST02s count
    up (0001, 0002, …) is kept as its first number and a count; every other set keeps its report.

    Iterating gives every set's report in order, as a list of them would (an accepted set of a run
    as a report with no issues): the 997/999 written from it lists every set, the rejected ones
    with all their detail (kept without the set's segments). ``code_counts`` gives the AK5 codes'
    counts without iterating.
    """

    def __init__(self, group: Group | None = None) -> None:
        self.group = group
        self._items: list[SetReport | _Run] = []
        self._len = 0
        self.code_counts: dict[str, int] = {"A": 0, "E": 0, "R": 0}

    def append(self, report: SetReport) -> None:
        code = report.code
        self._len += 1
        self.code_counts[code] += 1
        ts = report.transaction_set
        if self.group is None:
            self.group = ts.group
        st02 = ts.st02
        if code != "A" or report.issues or not is_digits(st02) or len(st02) > 9:
            self._items.append(_slim(report))
            return
        number = int(st02)
        last = self._items[-1] if self._items else None
        if isinstance(last, _Run) and last.st01 == ts.st01 and last.st03 == ts.st03 and last.st02(last.count) == st02:
            last.count += 1
            return
        self._items.append(_Run(ts.st01, ts.st03, len(st02), number))

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[SetReport]:
        for item in self._items:
            if isinstance(item, SetReport):
                yield item
                continue
            for k in range(item.count):
                yield self._accepted(item, k)

    @overload
    def __getitem__(self, index: int) -> SetReport: ...

    @overload
    def __getitem__(self, index: slice) -> list[SetReport]: ...

    def __getitem__(self, index: int | slice) -> SetReport | list[SetReport]:
        """The report at ``index`` (found by walking the runs: for a look at one, not for a loop)."""
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(index)
        for item in self._items:
            size = item.count if isinstance(item, _Run) else 1
            if index < size:
                return self._accepted(item, index) if isinstance(item, _Run) else item
            index -= size
        raise IndexError(index)

    def _accepted(self, run: _Run, k: int) -> SetReport:
        assert self.group is not None
        return SetReport(TransactionSet(run.st01, run.st02(k), run.st03, group=self.group, start=0), None)


@dataclass(slots=True)
class GroupReport:
    """The outcome for one functional group: its sets and AK9 values."""

    group: Group
    sets: Sequence[SetReport]
    issues: list[Issue] = field(default_factory=list)
    # Sets of the group counted but not read (past its ``MAX_REJECTED_SETS``-th rejected one);
    # None: the group's own count (``Group.unread``), as a stream read it.
    unread: int | None = None

    @property
    def received(self) -> int:
        """AK903: the sets the group holds, read or not."""
        return len(self.sets) + (self.group.unread if self.unread is None else self.unread)

    @property
    def rejected_whole(self) -> bool:
        """The group's own envelope (GS/GE) is in error: none of its sets is accepted, whatever they hold."""
        return any(i.severity == ERROR for i in self.issues)

    @property
    def accepted(self) -> int:
        """AK904: sets accepted (A or E); none in a group rejected whole."""
        if self.rejected_whole:
            return 0
        if isinstance(self.sets, SetReports):
            return self.sets.code_counts["A"] + self.sets.code_counts["E"]
        return sum(1 for s in self.sets if s.code in ("A", "E"))

    @property
    def code(self) -> str:
        """AK901: A, E (errors noted), P (some sets rejected) or R."""
        if self.rejected_whole or (self.sets and not self.accepted):
            return "R"
        if self.accepted < len(self.sets):
            return "P"
        noted = (
            self.sets.code_counts["E"] if isinstance(self.sets, SetReports) else any(s.code == "E" for s in self.sets)
        )
        if self.issues or noted:
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
        declared = count_value(ge01)
        return self.received if declared is None else declared


def validate(document: Document) -> list[GroupReport]:
    """Validate every group of every interchange in ``document``."""
    return [validate_group(g) for ic in document.interchanges for g in ic.groups]


def validate_group(group: Group) -> GroupReport:
    """Validate each set of ``group`` against its schema (AK2…AK5 material, AK9 values), up to its
    ``MAX_REJECTED_SETS``-th rejected set: the sets after it are counted, not validated, as a stream
    whose caller says which sets it rejected reads them."""
    reports: list[SetReport] = []
    rejected = 0
    sets = group.sets
    for number, ts in enumerate(sets, 1):
        report = validate_set(ts)
        reports.append(report)
        if report.code != "R":
            continue
        rejected += 1
        if rejected == envelope.MAX_REJECTED_SETS and number < len(sets):
            # Stopped before the envelope reading did (some of the sets were rejected by their content).
            unread = len(sets) - number + group.unread
            issues = group.errors[:-1] if group.unread else list(group.errors)  # the reader's own is last
            return GroupReport(group, reports, [*issues, stopped_issue(ts, number, unread)], unread)
    return GroupReport(group, reports, list(group.errors))


def validate_set(ts: TransactionSet, schema: SetSchema | None = None) -> SetReport:
    """Walk ``schema`` (default: by ST01 and GS08) over ``ts`` and report every problem."""
    if schema is None:
        try:
            schema = get_schema(ts.st01, ts.version)
        except SchemaNotFoundError:
            issue = _set_issue(ts, "1", f"transaction set {ts.st01!r} is not supported")
            return SetReport(ts, None, [*ts.errors, issue])
    walker = Walker(ts, schema)
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


__all__ = [
    "GroupReport",
    "SetReport",
    "SetReports",
    "check_value",
    "evaluate_note",
    "validate",
    "validate_group",
    "validate_set",
]
