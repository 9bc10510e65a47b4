"""The validation engine: placement in loops, element checks, syntax notes, reports."""

from __future__ import annotations

import pytest

from edi.tests.x12.corpus import corpus_bytes
from edi.tests.x12.samples import interchange
from edi.x12 import Delimiters, SchemaNotFoundError, parse
from edi.x12.engine import SetReport, check_value, evaluate_note, validate, validate_set
from edi.x12.errors import (
    ERROR,
    KIND_ELEMENT,
    KIND_MAPPING,
    KIND_SEGMENT,
    KIND_SET,
    KIND_SYNTAX,
    WARNING,
    Issue,
)
from edi.x12.generators import build_997
from edi.x12.schemas import ElementDef, SyntaxNote, get_schema


def po(*lines: str, version: str = "004010", isa12: str = "00401") -> str:
    """An 850 with ``lines`` between ST and SE (counts filled in)."""
    body = [f"GS*PO*S*R*20260102*1200*7*X*{version}", "ST*850*0001", *lines]
    body += [f"SE*{len(lines) + 2}*0001", "GE*1*7", "IEA*1*000000001"]
    return interchange(body, isa12=isa12)


BASE = ["BEG*00*SA*PO-1**20260102", "PO1*1*10*EA*2.5**BP*P1", "CTT*1"]


def problems(text: str) -> list[tuple]:
    (group,) = validate(parse(text))
    (report,) = group.sets
    return [(i.kind, i.code, i.segment_id, i.segment_position, i.element_position) for i in report.issues]


def test_valid_set_is_accepted() -> None:
    (group,) = validate(parse(po(*BASE)))
    assert (group.code, group.included, group.accepted, group.group_codes) == ("A", 1, 1, [])
    (report,) = group.sets
    assert (report.code, report.set_codes, report.issues) == ("A", [], [])
    assert report.schema is not None and report.schema.version == "004010"


def test_segment_level_codes() -> None:
    lines = [
        "BEG*00*SA*PO-1**20260102",
        "CUR*BY*USD",
        "CUR*BY*EUR",  # 5: CUR max use 1
        "XQ*1",  # 1: not a segment ID we know
        "BSN*00*1*20260101*1200",  # 2: known, not in an 850
        "PO1*1*10*EA*2.5**BP*P1",
        "CTT*1",
    ]
    assert problems(po(*lines)) == [
        ("AK3", "5", "CUR", 4, None),
        ("AK3", "1", "XQ", 5, None),
        ("AK3", "2", "BSN", 6, None),
    ]


def test_required_segment_and_loop_missing() -> None:
    assert problems(po("CUR*BY*USD", "CTT*0")) == [
        ("AK3", "3", "BEG", 2, None),
        ("AK3", "3", "PO1", 3, None),
    ]


def test_loop_over_maximum() -> None:
    lines = ["BEG*00*SA*PO-1**20260102", *("N9*ZZ*X" for _ in range(1001)), *BASE[1:]]
    assert problems(po(*lines)) == [("AK3", "4", "N9", 1003, None)]


def test_order_matters_and_loops_restart() -> None:
    lines = [
        "BEG*00*SA*PO-1**20260102",
        "N1*ST*PLANT*92*P1",
        "N3*1 MAIN",
        "N1*BT*HQ",
        "N4*AKRON*OH",
        "CUR*BY*USD",  # heading segment after the N1 loop: out of place
        "PO1*1*10*EA*2.5**BP*P1",
        "CTT*1",
    ]
    assert problems(po(*lines)) == [("AK3", "2", "CUR", 7, None)]


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("BEG*00*SA**20260102", [("AK4", "1", 3), ("AK4", "1", 5)]),
        ("BEG*00*SA*PO-1**20261302", [("AK4", "8", 5)]),
        ("BEG*00*S*PO-1**20260102", [("AK4", "4", 2)]),
        ("BEG*00*SAX*PO-1**20260102", [("AK4", "5", 2)]),
        ("BEG*00*XX*PO-1**20260102", [("AK4", "7", 2)]),
        ("BEG*00*SA*PO-1**20260102*C1*NA*INV*CT*PC*SL*TT*EXTRA", [("AK4", "3", 13)]),
        ("BEG*00*SA*PO\x01-1**20260102", [("AK4", "6", 3)]),
    ],
)
def test_element_codes(segment: str, expected: list) -> None:
    found = problems(po(segment, *BASE[1:]))
    assert found[0] == ("AK3", "8", "BEG", 2, None)
    assert [(k, c, e) for k, c, _, _, e in found[1:]] == expected


def test_time_and_numeric_checks() -> None:
    lines = ["BEG*00*SA*PO-1**20260102", "DTM*002*20260301*2561", "PO1*1*1O*EA*2.5**BP*P1", "CTT*X"]
    assert problems(po(*lines)) == [
        ("AK3", "8", "DTM", 3, None),
        ("AK4", "9", "DTM", 3, 3),
        ("AK3", "8", "PO1", 4, None),
        ("AK4", "6", "PO1", 4, 2),
        ("AK3", "8", "CTT", 5, None),
        ("AK4", "6", "CTT", 5, 1),
    ]


def test_syntax_notes_paired_required_conditional_list_exclusion() -> None:
    lines = [
        "BEG*00*SA*PO-1**20260102",
        "REF*ZZ",  # R0203
        "PER*BD*JOHN*TE",  # P0304
        "ITD*01*3*2",  # L03040513
        "N1*ST*PLANT*92",  # P0304
        "N4*AKRON*OH*44139**SN",  # ok (C0605 needs N406 -> N405)
        "N4*AKRON*OH*44139***9",  # C0605
        "PO1*1*10*EA*2.5**BP*P1",
        "MEA*PD*WD*61.5*IN****AA",  # E0803 (MEA08 with MEA03)
        "CTT*1",
    ]
    found = [f for f in problems(po(*lines)) if f[0] == "AK4"]
    assert found == [
        ("AK4", "2", "REF", 3, 2),
        ("AK4", "2", "PER", 4, 4),
        ("AK4", "2", "ITD", 5, 4),
        ("AK4", "2", "N1", 6, 4),
        ("AK4", "2", "N4", 8, 5),
        ("AK4", "10", "MEA", 10, 3),
    ]


def test_composites_components_and_repetitions() -> None:
    lines = [
        "BEG*00*SA*PO-1**20260102",
        "REF*ZZ*A1**AB>123>CD",  # C040: P0304 -> component 4 missing
        "REF*ZZ*A2**>123",  # C040-1 required
        "PO1*1*10*EA*2.5**BP*P1",
        "MEA*PD*WD*61.5*INX",  # C001-1 too long
        "CTT*1",
    ]
    found = [f[1:] for f in problems(po(*lines))]
    report = validate(parse(po(*lines)))[0].sets[0]
    components = [(i.segment_id, i.element_position, i.component_position, i.code) for i in report.issues]
    assert ("REF", 4, 4, "2") in components
    assert ("REF", 4, 1, "1") in components
    assert ("MEA", 4, 1, "5") in components
    assert len(found) == 6


def test_999_repetitions_and_too_many_components() -> None:
    body = [
        "GS*FA*S*R*20260102*1200*9*X*005010X231",
        "ST*999*0001*005010X231",
        "AK1*PO*7*004010",
        "AK2*850*0001",
        "IK3*PO1*3**8",
        "CTX*A^B^C^D^E^F^G^H^I^J^K*PO1*3",
        "IK4*2>1>1>9*330*1",
        "IK5*R*5",
        "AK9*R*1*1*0",
        "SE*9*0001",
        "GE*1*9",
        "IEA*1*000000001",
    ]
    report = validate(parse(interchange(body, isa11="^", isa12="00501")))[0].sets[0]
    elements = [(i.segment_id, i.element_position, i.code) for i in report.issues if i.kind == "AK4"]
    assert elements == [("CTX", 1, "12"), ("IK4", 1, "13")]


def test_hierarchy_checks_in_856() -> None:
    body = [
        "GS*SH*S*R*20260102*1200*8*X*004010",
        "ST*856*0001",
        "BSN*00*ASN1*20260102*1200",
        "HL*1**S",
        "HL*2*1*O",
        "PRF*PO-1",
        "HL*2*1*I",
        "HL*4*9*I",
        "LIN**BP*P1",
        "SN1**5*EA",
        "HL*5*4*Z9",
        "CTT*5",
        "SE*12*0001",
        "GE*1*8",
        "IEA*1*000000001",
    ]
    report = validate(parse(interchange(body)))[0].sets[0]
    assert [(i.segment_position, i.element_position, i.code) for i in report.issues if i.kind == "AK4"] == [
        (6, 1, "7"),
        (7, 2, "7"),
        (10, 3, "7"),
    ]


def test_an_hl_naming_a_missing_parent_says_so_in_words() -> None:
    body = [
        "GS*SH*S*R*20260102*1200*8*X*004010",
        "ST*856*0001",
        "BSN*00*ASN1*20260102*1200",
        "HL*1**S",
        "HL*2*1*O",
        "PRF*PO-1",
        "HL*3*7*I",
        "LIN**BP*P1",
        "SN1**5*EA",
        "CTT*3",
        "SE*10*0001",
        "GE*1*8",
        "IEA*1*000000001",
    ]
    report = validate(parse(interchange(body)))[0].sets[0]
    assert [(i.code, i.message) for i in report.issues] == [
        ("8", "HL 3 names parent 7, which is not an earlier HL in this ship notice"),
        ("7", "HL02: HL02 7 is not an earlier HL01"),
    ]
    # With an element error beside it, the segment keeps the general words.
    bad = [line.replace("HL*3*7*I", "HL*3*7*Z9") for line in body]
    report = validate(parse(interchange(bad)))[0].sets[0]
    assert [(i.code, i.message) for i in report.issues if i.code == "8"] == [("8", "HL has data element errors")]


def test_a_segment_id_with_a_line_break_in_it_names_the_line_break_in_words() -> None:
    body = ["GS*PO*S*R*20260102*1200*7*X*004010", "ST*850*0001", *BASE[:2], "ZZ\r\nQQ*1", "CTT*1", "SE*6*0001"]
    report = validate(parse(interchange([*body, "GE*1*7", "IEA*1*000000001"])))[0].sets[0]
    assert [(i.code, i.message) for i in report.issues] == [("1", "ZZ[line break]QQ is not a recognized segment ID")]


def test_older_versions_fall_back_and_accept_six_digit_dates() -> None:
    text = po("BEG*00*SA*PO-1**260102", *BASE[1:], version="003010", isa12="00300")
    assert problems(text) == []
    text4010 = po("BEG*00*SA*PO-1**260102", *BASE[1:])
    assert problems(text4010)[1:] == [("AK4", "8", "BEG", 2, 5)]
    assert get_schema("850", "003010").version == "004010"
    assert get_schema("850", "004060").version == "004010"
    assert get_schema("850", "005010VICS").version == "005010"
    assert get_schema("999", "004010").version == "005010"
    with pytest.raises(SchemaNotFoundError):
        get_schema("123", "004010")


def test_unsupported_set_and_report_codes() -> None:
    body = [
        "GS*PO*S*R*20260102*1200*7*X*004010",
        "ST*850*0001",
        *BASE,
        "SE*5*0001",
        "ST*123*0002",
        "XX*1",
        "SE*3*0002",
        "ST*850*0003",
        "BEG*00*SA*PO-1**20260102",
        "PO1*1*10*EA*2.5**BP*P1",
        "SE*5*0003",
        "GE*2*7",
        "IEA*1*000000001",
    ]
    (group,) = validate(parse(interchange(body)))
    assert [s.code for s in group.sets] == ["A", "R", "R"]
    assert [s.set_codes for s in group.sets] == [[], ["1"], ["4"]]
    # GE01 is wrong, so the group is rejected whole: none of its sets is accepted (AK904 0).
    assert (group.code, group.included, group.accepted, group.group_codes) == ("R", 2, 0, ["5"])


def test_set_code_and_set_codes_weigh_only_x12_errors_and_keep_five_codes_in_order() -> None:
    (ts,) = parse(po(*BASE)).interchanges[0].groups[0].sets

    def issue(kind: str, code: str, severity: str = ERROR) -> Issue:
        return Issue(kind, code, f"{kind} {code}", severity)

    noted = [issue(KIND_MAPPING, ""), issue(KIND_SYNTAX, "", WARNING), issue(KIND_ELEMENT, "7", WARNING)]
    errors = [issue(KIND_SEGMENT, "2"), issue(KIND_SET, "23"), issue(KIND_ELEMENT, "7"), issue(KIND_SET, "2")]
    errors += [issue(KIND_SET, "3"), issue(KIND_SET, "23"), issue(KIND_SET, "4"), issue(KIND_SET, "6")]

    assert [(r.code, r.set_codes) for r in (SetReport(ts, None), SetReport(ts, None, noted[:2]))] == [
        ("A", []),
        ("A", []),
    ]
    assert (SetReport(ts, None, noted).code, SetReport(ts, None, noted).set_codes) == ("E", [])
    report = SetReport(ts, None, [*noted, *errors])
    # AK502…AK506: an AK3/AK4 error counts as 5, each code once, in order, at most five.
    assert (report.code, report.set_codes) == ("R", ["5", "23", "2", "3", "4"])


def test_partially_accepted_group() -> None:
    body = [
        "GS*PO*S*R*20260102*1200*7*X*004010",
        "ST*850*0001",
        *BASE,
        "SE*5*0001",
        "ST*850*0002",
        "BEG*00*SA*PO-1**2026",
        *BASE[1:],
        "SE*5*0002",
        "GE*2*7",
        "IEA*1*000000001",
    ]
    (group,) = validate(parse(interchange(body)))
    assert [(s.code, s.set_codes) for s in group.sets] == [("A", []), ("R", ["5"])]
    assert group.code == "P"
    (pair,) = group.sets[1].segment_issues()
    assert (pair[0].segment_id, pair[0].code, [(i.element_position, i.code, i.value) for i in pair[1]]) == (
        "BEG",
        "8",
        [(5, "8", "2026")],
    )


def test_explicit_schema_and_positions() -> None:
    doc = parse(po(*BASE))
    ts = next(doc.transaction_sets())
    report = validate_set(ts, get_schema("850", "005010"))
    assert report.code == "A"
    bad = parse(po("BEG*00*SA*PO-1**20260102", "PO1*1*10*EA*2.5**BP", "CTT*1"))
    issue = validate_set(next(bad.transaction_sets())).issues[1]
    assert (issue.line, issue.offset, issue.set_control, issue.group_control) == (
        5,
        bad.source.text.index("PO1*"),
        "0001",
        "7",
    )


@pytest.mark.parametrize(
    ("kind", "flags", "expected"),
    [
        ("P", [False, True, False], [(2, "2")]),
        ("P", [False, False, False], []),
        ("R", [False, False, False], [(1, "2")]),
        ("E", [False, True, True], [(2, "10")]),
        ("C", [False, True, False], [(2, "2")]),
        ("C", [False, False, True], []),
        ("L", [False, True, False, False], [(2, "2")]),
    ],
)
def test_evaluate_note(kind: str, flags: list[bool], expected: list) -> None:
    positions = (1, 2, 3) if kind == "L" else (1, 2)
    found = evaluate_note(SyntaxNote(kind, positions), flags)
    assert [(p, c) for p, c, _ in found] == expected


@pytest.mark.parametrize(
    ("value", "typ", "lo", "hi", "code"),
    [
        ("12", "N0", 1, 2, ""),
        ("-12", "N0", 1, 2, ""),
        ("123", "N0", 1, 2, "5"),
        ("1.5", "N2", 1, 5, "6"),
        ("1.50", "R", 1, 3, ""),
        ("-.5", "R", 1, 3, ""),
        ("1.2.3", "R", 1, 9, "6"),
        ("1E5", "R", 1, 9, ""),
        ("20240229", "DT", 8, 8, ""),
        ("20230229", "DT", 8, 8, "8"),
        ("2359", "TM", 4, 8, ""),
        ("235960", "TM", 4, 8, "9"),
        ("12305", "TM", 4, 8, "9"),
        ("1230591", "TM", 4, 8, ""),
        ("AB\tC", "AN", 1, 9, "6"),
        ("", "AN", 1, 9, "4"),
    ],
)
def test_check_value(value: str, typ: str, lo: int, hi: int, code: str) -> None:
    assert check_value(value, ElementDef("1", typ, lo, hi))[0] == code


def test_syntax_note_corpus_pair() -> None:
    ok = validate(parse(corpus_bytes("850_ediengine_ok.edi")))[0]
    bad = validate(parse(corpus_bytes("850_ediengine_syntaxnotes_err.edi")))[0]
    assert (ok.code, [s.issues for s in ok.sets]) == ("A", [[]])
    assert bad.code == "R"
    notes = [i.message for s in bad.sets for i in s.issues if i.kind == "AK4"]
    assert notes == ["PO107: paired with others (P0607)", "PO406: required by 05 (C0506)"]


def test_issues_are_plain_records() -> None:
    (group,) = validate(parse(po("BEG*00*SA*PO-1**2026", *BASE[1:])))
    issue = group.sets[0].issues[1]
    assert list(issue._asdict()) == list(Issue._fields)
    with pytest.raises(AttributeError):
        issue.code = "1"  # type: ignore[misc]
    assert (issue.kind, issue.code, issue.element_ref, issue.value) == ("AK4", "8", "373", "2026")


def test_checking_stops_at_the_thousandth_segment_in_error_and_says_how_many_are_left() -> None:
    lines = [BASE[0], *["ZZZ*1"] * 1003, *BASE[1:]]  # ST 1, BEG 2, ZZZ 3…1005, PO1, CTT, SE 1008
    (group,) = validate(parse(po(*lines)))
    (report,) = group.sets
    *detailed, stop = report.issues
    assert [(i.kind, i.code, i.segment_position) for i in detailed] == [("AK3", "1", p) for p in range(3, 1003)]
    assert stop == Issue(
        KIND_SET,
        "5",
        "1000 segments in error: checking stopped at ZZZ (segment 1002), the 6 segment(s) after it not checked",
        ERROR,
        interchange=0,
        group_control="7",
        set_control="0001",
        segment_id="ZZZ",
        segment_position=1002,
        offset=stop.offset,
        line=stop.line,
    )
    assert (report.code, report.set_codes, group.code) == ("R", ["5"], "R")
    ak = build_997(group, "004010", Delimiters())
    assert [s[0] for s in ak].count("AK3") == 1000
    assert ak[-2:] == [["AK5", "R", "5"], ["AK9", "R", "1", "1", "0"]]


def test_the_thousandth_segment_in_error_is_detailed_in_full_and_fewer_are_checked_to_the_end() -> None:
    zzz = [("AK3", "1", "ZZZ", p, None) for p in range(3, 1002)]  # 999 segments in error
    assert problems(po(BASE[0], *["ZZZ*1"] * 999, *BASE[1:])) == zzz
    assert problems(po(BASE[0], *["ZZZ*1"] * 999, "PO1*1*10*EA*2.5**BP", "CTT*1")) == [
        *zzz,
        ("AK3", "8", "PO1", 1002, None),
        ("AK4", "2", "PO1", 1002, 7),
        ("AK5", "5", "PO1", 1002, None),
    ]
