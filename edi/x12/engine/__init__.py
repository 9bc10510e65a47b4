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

from dataclasses import dataclass, field

from edi.x12.engine.values import check_value, evaluate_note
from edi.x12.engine.walker import Walker
from edi.x12.envelope import Document, Group, TransactionSet
from edi.x12.errors import ERROR, KIND_ELEMENT, KIND_SEGMENT, KIND_SET, Issue, SchemaNotFoundError
from edi.x12.schemas import SetSchema, get_schema
from edi.x12.tokenizer import count_value

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
    def rejected_whole(self) -> bool:
        """The group's own envelope (GS/GE) is in error: none of its sets is accepted, whatever they hold."""
        return any(i.severity == ERROR for i in self.issues)

    @property
    def accepted(self) -> int:
        """AK904: sets accepted (A or E); none in a group rejected whole."""
        if self.rejected_whole:
            return 0
        return sum(1 for s in self.sets if s.code in ("A", "E"))

    @property
    def code(self) -> str:
        """AK901: A, E (errors noted), P (some sets rejected) or R."""
        if self.rejected_whole or (self.sets and not self.accepted):
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
        declared = count_value(ge01)
        return len(self.sets) if declared is None else declared


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
    "check_value",
    "evaluate_note",
    "validate",
    "validate_group",
    "validate_set",
]
