"""Envelope layer: pairing, counts, control numbers and the codes they report."""

from __future__ import annotations

import pytest

from edi.tests.x12.samples import PO_BODY, interchange
from edi.x12 import parse, parse_file


def codes(issues) -> list[tuple[str, str, str]]:
    return [(i.kind, i.code, i.severity) for i in issues]


def replaced(old: str, new: str | None) -> list[str]:
    body = [*PO_BODY]
    i = next(k for k, s in enumerate(body) if s.startswith(old))
    if new is None:
        del body[i]
    else:
        body[i] = new
    return body


def test_clean_interchange_structure() -> None:
    doc = parse(interchange().encode())
    assert list(doc.all_issues()) == []
    (ic,) = doc.interchanges
    assert (ic.isa05, ic.isa06, ic.isa07, ic.isa08, ic.isa13, ic.isa15) == (
        "ZZ",
        "SENDER",
        "ZZ",
        "RECEIVER",
        "000000001",
        "P",
    )
    assert (ic.iea01, ic.iea02, ic.segment_count) == ("1", "000000001", 13)
    (group,) = ic.groups
    assert (group.gs01, group.gs06, group.gs08, group.ge01, group.ge02) == ("PO", "7", "004010", "1", "7")
    (ts,) = group.sets
    assert (ts.st01, ts.st02, ts.se01, ts.se02, ts.version) == ("850", "0001", "9", "0001", "004010")
    assert [s.id for s in ts.segments] == ["ST", "BEG", "CUR", "N1", "PO1", "DTM", "PO1", "CTT", "SE"]
    assert ts.position(ts.segments[4]) == 5


@pytest.mark.parametrize(
    ("old", "new", "where", "expected"),
    [
        ("IEA", "IEA*1*000000002", "ic", [("TA1", "001", "error")]),
        ("IEA", "IEA*1*1", "ic", [("TA1", "001", "warning")]),
        ("IEA", "IEA*2*000000001", "ic", [("TA1", "021", "error")]),
        ("GE", None, "group", [("AK9", "3", "error")]),
        ("GE", "GE*1*8", "group", [("AK9", "4", "error")]),
        ("GE", "GE*2*7", "group", [("AK9", "5", "error")]),
        ("SE", None, "set", [("AK5", "2", "error")]),
        ("SE", "SE*9*0002", "set", [("AK5", "3", "error")]),
        ("SE", "SE*8*0001", "set", [("AK5", "4", "error")]),
        ("ST", "ST*85X*0001", "set", [("AK5", "6", "error")]),
        ("ST", "ST*850*01", "set", [("AK5", "7", "error"), ("AK5", "3", "error")]),
    ],
)
def test_envelope_codes(old: str, new: str | None, where: str, expected: list) -> None:
    doc = parse(interchange(replaced(old, new)))
    ic = doc.interchanges[0]
    found = {"ic": ic.errors, "group": ic.groups[0].errors, "set": ic.groups[0].sets[0].errors}
    assert codes(found[where]) == expected
    others = [i for k, v in found.items() if k != where for i in v]
    assert others == []


def test_group_control_number_syntax_and_duplicates() -> None:
    body = [
        "GS*PO*S*R*20260102*1200*7*X*004010",
        *PO_BODY[1:11],
        "GS*PO*S*R*20260102*1200*7*X*004010",
        *PO_BODY[1:11],
        "GS*PO*S*R*20260102*1200*A1*X*004010",
        *PO_BODY[1:10],
        "GE*1*A1",
        "IEA*3*000000001",
    ]
    doc = parse(interchange(body))
    groups = doc.interchanges[0].groups
    assert [codes(g.errors) for g in groups] == [[], [("AK9", "19", "error")], [("AK9", "6", "error")]]
    assert list(doc.interchanges[0].errors) == []


def test_duplicate_st02_in_a_group() -> None:
    body = [*PO_BODY[:10], *PO_BODY[1:10], "GE*2*7", "IEA*1*000000001"]
    group = parse(interchange(body)).interchanges[0].groups[0]
    assert [codes(ts.errors) for ts in group.sets] == [[], [("AK5", "23", "error")]]


def test_missing_iea() -> None:
    doc = parse(interchange(PO_BODY[:-1]))
    assert codes(doc.interchanges[0].errors) == [("TA1", "023", "error")]


def test_segments_outside_a_set_and_st_outside_a_group() -> None:
    body = [PO_BODY[0], "REF*ZZ*X", *PO_BODY[1:10], "N9*ZZ*Y", "GE*1*7", *PO_BODY[1:10], "IEA*1*000000001"]
    doc = parse(interchange(body))
    ic = doc.interchanges[0]
    assert [(i.code, i.segment_id, i.line) for i in ic.errors] == [
        ("024", "REF", 3),
        ("024", "N9", 13),
        ("024", "ST", 15),
    ]
    assert [g.implicit for g in ic.groups] == [False, True]
    assert [len(g.sets) for g in ic.groups] == [1, 1]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (1, "99", [("TA1", "010", "error")]),
        (3, "77", [("TA1", "012", "error")]),
        (5, "XX", [("TA1", "005", "error")]),
        (7, "@@", [("TA1", "007", "error")]),
        (9, "261399", [("TA1", "014", "error")]),
        (10, "2561", [("TA1", "015", "error")]),
        (12, "4010X", [("syntax", "", "warning"), ("TA1", "017", "error")]),
        (13, "00000000A", [("TA1", "018", "error"), ("TA1", "001", "error")]),
        (14, "2", [("TA1", "019", "error")]),
        (15, "X", [("TA1", "020", "error")]),
    ],
)
def test_isa_field_conditions(field: int, value: str, expected: list) -> None:
    text = interchange()
    head, rest = text[:105], text[105:]
    fields = head.split("*")
    width = len(fields[field])
    fields[field] = value.ljust(width)[:width] if field != 12 else value[:5]
    doc = parse("*".join(fields) + rest)
    assert codes(doc.interchanges[0].errors) == expected


def test_unpadded_isa_fields_are_warnings() -> None:
    text = "ISA*00**00**ZZ*S*ZZ*R*260102*1200*U*00401*000000001*0*P*>~" + "~".join(PO_BODY) + "~"
    doc = parse(text)
    assert codes(doc.interchanges[0].errors) == [
        ("syntax", "", "warning"),
        ("TA1", "011", "warning"),
        ("TA1", "013", "warning"),
        ("TA1", "006", "warning"),
        ("TA1", "008", "warning"),
    ]
    assert doc.interchanges[0].isa06 == "S"
    assert not doc.has_errors


def test_duplicate_isa13_in_one_file_and_ta1_segments() -> None:
    body = ["TA1*000000005*260101*1200*A*000", *PO_BODY]
    doc = parse(interchange() + interchange(body))
    first, second = doc.interchanges
    assert codes(first.errors) == []
    assert codes(second.errors) == [("TA1", "025", "warning")]
    assert second.ta1 == [["TA1", "000000005", "260101", "1200", "A", "000"]]


@pytest.mark.parametrize(
    ("gs", "expected"),
    [
        ("GS*PO*SENDER*RECEIVER*BAD_DATE*1200*7*X*004010", ["GS04 'BAD_DATE' is not a CCYYMMDD date"]),
        ("GS*PO*SENDER*RECEIVER*20260230*1200*7*X*004010", ["GS04 '20260230' is not a CCYYMMDD date"]),
        ("GS*PO*SENDER*RECEIVER*260102*1200*7*X*004010", ["GS04 '260102' is not a CCYYMMDD date"]),
        ("GS*PO*SENDER*RECEIVER*20260102*1200*7*X*003040", ["GS04 '20260102' is not a YYMMDD date"]),
        (
            "GS*PO*SENDER*RECEIVER*20260102*295335*7*X*004010",
            ["GS05 '295335' is not an HHMM, HHMMSS, HHMMSSD or HHMMSSDD time"],
        ),
        (
            "GS*PO*SENDER*RECEIVER*20260102*12345*7*X*005010",
            ["GS05 '12345' is not an HHMM, HHMMSS, HHMMSSD or HHMMSSDD time"],
        ),
        (
            "GS*PO*SENDER*RECEIVER*20260102*120060*7*X*005010",
            ["GS05 '120060' is not an HHMM, HHMMSS, HHMMSSD or HHMMSSDD time"],
        ),
        (
            "GS*PO*SENDER*RECEIVER*2026010*1260*7*X*004010",
            ["GS04 '2026010' is not a CCYYMMDD date", "GS05 '1260' is not an HHMM, HHMMSS, HHMMSSD or HHMMSSDD time"],
        ),
    ],
)
def test_a_group_date_or_time_that_is_not_one_is_invalid_gs_content(gs: str, expected: list[str]) -> None:
    """The AK905 code list has no code for a group's date or time: TA105 024 names an invalid GS."""
    doc = parse(interchange(replaced("GS", gs)))
    (ic,) = doc.interchanges
    assert [(i.kind, i.code, i.severity, i.segment_id, i.group_control, i.message) for i in ic.errors] == [
        ("TA1", "024", "error", "GS", "7", message) for message in expected
    ]
    assert ic.groups[0].errors == []


@pytest.mark.parametrize(
    "gs",
    [
        "GS*PO*SENDER*RECEIVER*20260102*1200*7*X*004010",
        "GS*PO*SENDER*RECEIVER*20240229*235959*7*X*004010VICS",
        "GS*PO*SENDER*RECEIVER*20260102*0000001*7*X*005010",
        "GS*PO*SENDER*RECEIVER*20260102*23595999*7*X*005010",
        "GS*PO*SENDER*RECEIVER*260102*1200*7*X*003040",
        "GS*PO*SENDER*RECEIVER*991231*2359*7*X*003010",
    ],
)
def test_group_dates_and_times_in_each_allowed_shape_pass(gs: str) -> None:
    doc = parse(interchange(replaced("GS", gs)))
    assert doc.interchanges[0].errors == []


def test_interchange_control_segments_before_the_groups_are_legal() -> None:
    """ISB (grade of service), ISE (deferred delivery) and TA3 (delivery notice) belong to the
    interchange envelope (X12.5) like TA1: read whole or streamed, none is content out of place."""
    control = ["ISB*1", "ISE*260103*0800", "TA3*ZZ*VANID*000*ISA*000000001*260102*1200*ZZ*SENDER*ZZ*RECEIVER"]
    data = interchange([*control, *PO_BODY]).encode()

    for doc in (parse(data), parse_file(data, chunk_size=16)):
        assert list(doc.all_issues()) == []
        (ic,) = doc.interchanges
        assert [len(g.sets) for g in ic.groups] == [1]


def test_interchange_control_segments_inside_a_group_are_out_of_place() -> None:
    body = [*PO_BODY[:10], "ISB*1", *PO_BODY[10:]]
    ic = parse(interchange(body)).interchanges[0]
    assert [(i.code, i.segment_id) for i in ic.errors] == [("024", "ISB")]
