"""Acknowledgements: 997 and 999 from the engine's group report, and TA1.

* 997: AK1 (GS01, GS06[, GS08 in 005010]), per set AK2 (ST01, ST02[, ST03]), AK3
  (segment ID, position, loop, AK304) and AK4 (position[>component[>repeat]], element
  reference, AK403, copy of the bad value) for each error, AK5, then AK9 with the
  included/received/accepted counts and the group codes;
* 999: the same with IK3/IK4/IK5;
* both in the plain version of the group they answer (GS08 without any implementation-guide suffix,
  no ST03): our answers claim no guide the partner's group did not ask for (005010X231A1 would
  hold an 810's ``AK1*IN`` to the HIPAA codes);
* TA1: ISA13, ISA09, ISA10 of the interchange answered, TA104 A/E/R and TA105.
"""

from __future__ import annotations

import re

from edi.x12.engine import GroupReport, SetReport
from edi.x12.envelope import Interchange
from edi.x12.errors import ERROR, KIND_TA1, Issue
from edi.x12.generators.writer import (
    Envelope,
    GroupBody,
    SegmentData,
    SetBody,
    write_interchange,
)
from edi.x12.schemas import base_version
from edi.x12.tokenizer import Delimiters, is_digits


def ack_version(group_version: str, fallback: str = "004010") -> str:
    """The version our 997/999 answering a group in ``group_version`` carries in GS08: its plain
    release, any guide suffix dropped (``"005010X222A1"`` → ``"005010"``); ``fallback`` when
    the group's GS08 is not a release."""
    return base_version(group_version) or base_version(fallback) or "004010"


_UNSAFE = r"\x00-\x1f\x7f"
_SEGMENT_ID = re.compile(r"[A-Z0-9]{2,3}")


def ack_kind(group_version: str) -> str:
    """``"999"`` for 005010 and later groups, else ``"997"``."""
    base = base_version(group_version)
    return "999" if base and base >= "005010" else "997"


# By delimiters: a file of thousands of sets answers each with its AK2 loop, all in one interchange's.
_UNSAFE_BY_DELIMITERS: dict[Delimiters, re.Pattern[str]] = {}


def _unsafe(d: Delimiters) -> re.Pattern[str]:
    """What ``_bad_value`` blanks out: control characters and ``d``'s delimiters."""
    unsafe = _UNSAFE_BY_DELIMITERS.get(d)
    if unsafe is None:
        delimiters = "".join(re.escape(ch) for ch in (d.element, d.component, d.segment, d.repetition) if ch)
        unsafe = re.compile(f"[{_UNSAFE}{delimiters}]")
        if len(_UNSAFE_BY_DELIMITERS) < 256:  # partners' delimiters are few; garbage ones are not kept
            _UNSAFE_BY_DELIMITERS[d] = unsafe
    return unsafe


def _bad_value(value: str, d: Delimiters, unsafe: re.Pattern[str] | None = None) -> str:
    """A value copied from inbound data (AK404/IK404, AK1, AK2), stripped of anything that
    would break the ack: the inbound data may be garbage, the ack must still be written."""
    if value.isascii() and value.isalnum():  # no delimiter (never an ASCII letter or digit), control or space
        return value[:99]
    if not value:
        return ""
    return (unsafe or _unsafe(d)).sub(" ", value).strip()[:99]


def _position(issue: Issue, wide: bool) -> str | tuple[str, ...]:
    element = str(issue.element_position or 1)
    component, repetition = issue.component_position, wide and issue.repetition
    if not component and not repetition:
        return element
    parts = [element, str(component or "")]
    if repetition:
        parts.append(str(repetition))
    return tuple(parts)


def _set_loop(report: SetReport, implementation: bool, wide: bool, d: Delimiters) -> list[SegmentData]:
    ts = report.transaction_set
    seg3, seg4, seg5 = ("IK3", "IK4", "IK5") if implementation else ("AK3", "AK4", "AK5")
    unsafe = _unsafe(d)
    ids = [_bad_value(v, d, unsafe) for v in (ts.st01, ts.st02, ts.st03)]
    segs: list[SegmentData] = [["AK2", ids[0], ids[1], *([ids[2]] if wide and ids[2] else [])]]
    for seg_issue, element_issues in report.segment_issues():
        seg_id = seg_issue.segment_id if _SEGMENT_ID.fullmatch(seg_issue.segment_id) else "ZZZ"
        loop = seg_issue.loop_id if len(seg_issue.loop_id) <= 4 else ""
        segs.append([seg3, seg_id, str(seg_issue.segment_position or 1), loop, seg_issue.code])
        for issue in element_issues[:99]:
            ref = issue.element_ref if is_digits(issue.element_ref) else ""
            segs.append([seg4, _position(issue, wide), ref, issue.code, _bad_value(issue.value, d, unsafe)])
    segs.append([seg5, report.code, *report.set_codes])
    return segs


def build_997(report: GroupReport, version: str, delimiters: Delimiters) -> list[SegmentData]:
    """The segments between ST and SE of a 997 answering ``report``'s group."""
    return _build(report, version, delimiters, implementation=False)


def build_999(report: GroupReport, delimiters: Delimiters, version: str = "005010") -> list[SegmentData]:
    """The segments between ST and SE of a 999 answering ``report``'s group."""
    return _build(report, version, delimiters, implementation=True)


def _build(report: GroupReport, version: str, d: Delimiters, implementation: bool) -> list[SegmentData]:
    group = report.group
    wide = (base_version(version) or "004010") >= "005010"
    ak1: SegmentData = ["AK1", _bad_value(group.gs01, d), _bad_value(group.gs06, d)]
    if wide and group.gs08:
        ak1.append(_bad_value(group.gs08, d))
    segs: list[SegmentData] = [ak1]
    for set_report in report.sets:
        segs.extend(_set_loop(set_report, implementation, wide, d))
    segs.append(
        ["AK9", report.code, str(report.included), str(report.received), str(report.accepted), *report.group_codes]
    )
    return segs


def write_ack(
    reports: list[GroupReport],
    envelope: Envelope,
    st02_start: int,
    kind: str | None = None,
) -> bytes:
    """One interchange with a 997 or 999 group per inbound group (GS06 from the envelope on).

    ``kind`` forces ``"997"`` or ``"999"``; by default 005010 groups get a 999. Each
    acknowledgement group carries the envelope's version (the partner's, from its GS08) as a
    plain release (``ack_version``), and no implementation guide.
    """
    groups = []
    version_asked = ack_version(envelope.version)
    for n, report in enumerate(reports):
        chosen = kind or ack_kind(report.group.gs08)
        st02 = st02_start + n
        version = version_asked
        if chosen == "999":
            version = max(version, "005010")  # there is no 999 before 005010
            body = SetBody("999", st02, build_999(report, envelope.delimiters, version))
        else:
            body = SetBody("997", st02, build_997(report, version, envelope.delimiters))
        groups.append(GroupBody("FA", [body], envelope.group_control + n, version))
    return write_interchange(envelope, groups)


def ta1_segment(interchange: Interchange, rejected_for: str = "") -> SegmentData:
    """TA1 answering ``interchange``: R on any TA1 error, E on TA1 warnings, else A.

    ``rejected_for`` is a TA105 note code found by the receiver beyond the syntax (an interchange
    addressed to someone else: 007/008; from someone else: 005/006; test or production: 020): the
    TA1 is then R with that note.
    """
    codes = [i for i in interchange.errors if i.kind == KIND_TA1 and i.code]
    errors = [i for i in codes if i.severity == ERROR]
    status = "R" if errors or rejected_for else "E" if codes else "A"
    note = rejected_for or ((errors or codes)[0].code if codes else "000")
    # A broken ISA still gets an answer: echo its numbers as far as they are digits.
    isa13 = _digits(interchange.isa13, 9, "0" * 9)
    return ["TA1", isa13, _digits(interchange.isa09, 6, "000000"), _digits(interchange.isa10, 4, "0000"), status, note]


def _digits(value: str, width: int, fallback: str) -> str:
    digits = "".join(ch for ch in value if ch in "0123456789")
    if len(digits) == width:
        return digits
    return digits.zfill(width) if 0 < len(digits) < width and width == 9 else fallback


def write_ta1(interchange: Interchange, envelope: Envelope, rejected_for: str = "") -> bytes:
    """An interchange holding only the TA1 for ``interchange`` (IEA01 = 0); see ``ta1_segment``."""
    return write_interchange(envelope, [], ta1=[ta1_segment(interchange, rejected_for)])
