"""An acknowledgment's line item in the order its standard table gives (855 PO1, 865 POC loops).

The 855 and 865 tables answer a line (ACK loop) right after its carrier details, before MAN,
AMT, CTB, TXI and the QTY, PKG, SCH, N9, N1 and SLN loops; partners send several ACKs per line
when they split it into deliveries. Such a set is accepted and read exactly; a segment that is
really out of that order is still reported, with AK304 2 (unexpected segment).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from edi.tests.x12.test_schema_standard import issues
from edi.tests.x12.test_segment_account import account_problems, one
from edi.x12.mappers import map_855, map_865
from edi.x12.mappers.ack import SUBLINE_ACK
from procurement import inputs as ci

# Line 1 split over two ACKs (each its quantity and date), then the line's packing, amount,
# restriction, tax and packaging; line 2 one ACK dated by a DTM, a tax and two SCH deliveries.
LINES_855 = [
    "PO1*1*100*EA*10**BP*PART-00001*VP*C-1001",
    "PID*F****PART 1",
    "DTM*002*20270301",
    "TD5*B*2*FDEG*M",
    "ACK*IA*60*EA*068*20270226",
    "ACK*IA*40*EA*068*20270305",
    "MAN*GM*PALLET-7",
    "AMT*1*1000",
    "CTB*OR*HOLD FOR INSPECTION",
    "TXI*ST*62.5",
    "PKG*F*68***BLUE TOTE",
    "PO1*2*100*EA*10**BP*PART-00002",
    "ACK*IA*100*EA",
    "DTM*068*20270301",
    "TXI*ST*62.5",
    "SCH*50*EA***068*20270301",
    "SCH*50*EA***068*20270308",
]
HEAD_855 = [
    "BAK*00*AC*PO-4504*20270115****855-000041*20270120",
    "CUR*BT*USD",
    "REF*VR*CASTINGS-88",
    "N1*ST*ACME DETROIT*92*DET",
]
BODY_855 = [*HEAD_855, *LINES_855, "CTT*2*200"]

EXPECTED_LINES = (
    ci.AckLineInput(
        "1",
        ci.LINE_ACCEPT,
        "IA",
        Decimal(100),
        Decimal(10),
        dt.date(2027, 2, 26),
        schedule=(
            ci.ScheduleLineInput(Decimal(60), dt.date(2027, 2, 26)),
            ci.ScheduleLineInput(Decimal(40), dt.date(2027, 3, 5)),
        ),
        uom="EA",
    ),
    ci.AckLineInput(
        "2",
        ci.LINE_ACCEPT,
        "IA",
        Decimal(100),
        Decimal(10),
        dt.date(2027, 3, 1),
        schedule=(
            ci.ScheduleLineInput(Decimal(50), dt.date(2027, 3, 1)),
            ci.ScheduleLineInput(Decimal(50), dt.date(2027, 3, 8)),
        ),
        uom="EA",
    ),
)
# PO1 (POC) names each line's part: BP the buyer's, VP the vendor's, read beside the answer.
EXPECTED_LINES = (
    dataclasses.replace(EXPECTED_LINES[0], part_number="PART-00001", supplier_part_number="C-1001"),
    dataclasses.replace(EXPECTED_LINES[1], part_number="PART-00002"),
)


def _set(st01: str, body: list[str]):
    return one("~".join([f"ST*{st01}*0001", *body, f"SE*{len(body) + 2}*0001"]) + "~")


def as_865(body: list[str]) -> list[str]:
    """The same answer as an 865: BCA heading, POC lines (POC06 price after the two quantities)."""
    out = []
    for line in body:
        if line.startswith("BAK"):
            line = "BCA*01*AC*PO-4504**1*20270115***855-000041"
        elif line.startswith("PO1"):
            number, rest = line.split("*")[1], line.split("*")[2:]
            line = "*".join(["POC", number, "QI", rest[0], rest[0], *rest[1:]])
        out.append(line)
    return out


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_855_answering_lines_in_the_standards_order_is_accepted_and_read_exactly(version: str) -> None:
    assert issues("855", BODY_855, version) == []
    ts = _set("855", BODY_855)
    mapped = map_855(ts)

    assert mapped.errors == []
    assert account_problems(ts, mapped) == []
    assert mapped.value.lines == EXPECTED_LINES
    unused = {(u.segment_id, u.position) for u in mapped.unused}
    assert {("MAN", 12), ("AMT", 13), ("CTB", 14), ("TXI", 15), ("PKG", 16), ("TXI", 20)} <= unused


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_865_answering_lines_in_the_standards_order_is_accepted_and_read_exactly(version: str) -> None:
    body = as_865(BODY_855)
    assert body[4].startswith("POC*1*QI*100*100*EA*10**BP*PART-00001")
    assert issues("865", body, version) == []
    ts = _set("865", body)
    mapped = map_865(ts)

    assert mapped.errors == []
    assert account_problems(ts, mapped) == []
    assert mapped.value.lines == EXPECTED_LINES


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize(
    ("st01", "moved", "before", "position"),
    [
        # The line's carrier (TD5) after its answer: TD5 precedes the ACK loop.
        ("855", "TD5*B*2*FDEG*M", "MAN*GM*PALLET-7", 11),
        # A tax before the restriction it follows: CTB precedes TXI.
        ("855", "CTB*OR*HOLD FOR INSPECTION", "PKG*F*68***BLUE TOTE", 15),
        # Packaging after the line's delivery schedule: the PKG loop precedes the SCH loop.
        ("855", "PKG*F*68***BLUE TOTE", "CTT*2*200", 22),
        ("865", "TD5*B*2*FDEG*M", "MAN*GM*PALLET-7", 11),
    ],
)
def test_a_segment_really_out_of_order_is_an_unexpected_segment(
    version: str, st01: str, moved: str, before: str, position: int
) -> None:
    body = [line for line in BODY_855 if line != moved]
    body.insert(body.index(before), moved)
    if st01 == "865":
        body = as_865(body)
    assert (body[position - 2], issues(st01, body, version)) == (moved, [("AK3", "2", moved[:3], position, None)])


def _line(*acks: str) -> tuple[tuple[ci.AckLineInput, ...], list[str]]:
    """Line 1 of PO-4504 (100 EA at 10.00) answered by ``acks``: the mapped lines and the problems."""
    body = [*HEAD_855, "PO1*1*100*EA*10**BP*PART-00001", *acks, "CTT*1"]
    assert issues("855", body) == []
    ts = _set("855", body)
    mapped = map_855(ts)
    assert account_problems(ts, mapped) == []
    # The line's part is read from its PO1, whatever its ACKs say (the rest is what these tests look at).
    assert {line.part_number for line in mapped.value.lines} <= {"PART-00001"}
    lines = tuple(dataclasses.replace(line, part_number="") for line in mapped.value.lines)
    return lines, [e.message for e in mapped.errors]


def test_a_line_accepted_in_part_and_backordered_in_part_is_a_partial_backorder_stating_both() -> None:
    lines, problems = _line("ACK*IA*60*EA*068*20270301", "ACK*IB*40*EA*068*20270415")

    assert problems == []
    assert lines == (
        ci.AckLineInput(
            "1",
            ci.LINE_PARTIAL_BACKORDER,
            "IA+IB",
            Decimal(60),
            Decimal(10),
            dt.date(2027, 3, 1),
            backordered_quantity=Decimal(40),
            backorder_date=dt.date(2027, 4, 15),
            uom="EA",
        ),
    )


def test_an_undated_backorder_beside_two_dated_deliveries() -> None:
    lines, problems = _line("ACK*IA*30*EA*068*20270226", "ACK*IB*40*EA", "ACK*IA*30*EA*068*20270305")

    assert problems == []
    assert lines == (
        ci.AckLineInput(
            "1",
            ci.LINE_PARTIAL_BACKORDER,
            "IA+IB",
            Decimal(60),
            Decimal(10),
            dt.date(2027, 2, 26),
            schedule=(
                ci.ScheduleLineInput(Decimal(30), dt.date(2027, 2, 26)),
                ci.ScheduleLineInput(Decimal(30), dt.date(2027, 3, 5)),
            ),
            backordered_quantity=Decimal(40),
            uom="EA",
        ),
    )


def test_a_part_rescheduled_beside_an_undated_accepted_part_is_two_deliveries() -> None:
    lines, problems = _line("ACK*IA*60*EA", "ACK*DR*40*EA*068*20270420")

    assert problems == []
    assert lines == (
        ci.AckLineInput(
            "1",
            ci.LINE_RESCHEDULE,
            "IA+DR",
            Decimal(100),
            Decimal(10),
            dt.date(2027, 4, 20),
            schedule=(ci.ScheduleLineInput(Decimal(60), None), ci.ScheduleLineInput(Decimal(40), dt.date(2027, 4, 20))),
            uom="EA",
        ),
    )


def test_a_part_rejected_beside_an_accepted_part_changes_the_quantity() -> None:
    lines, problems = _line("ACK*IA*70*EA", "ACK*IR*30*EA")

    assert problems == []
    assert lines == (ci.AckLineInput("1", ci.LINE_CHANGE_QTY, "IA+IR", Decimal(70), Decimal(10), uom="EA"),)


def test_a_part_backordered_beside_a_part_rejected_commits_nothing() -> None:
    lines, problems = _line("ACK*IB*40*EA*068*20270415", "ACK*IR*60*EA")

    assert problems == []
    assert lines == (
        ci.AckLineInput(
            "1",
            ci.LINE_BACKORDER,
            "IB+IR",
            None,
            Decimal(10),
            None,
            backordered_quantity=Decimal(40),
            backorder_date=dt.date(2027, 4, 15),
            uom="EA",
        ),
    )


@pytest.mark.parametrize(
    ("acks", "problem"),
    [
        (
            ("ACK*IA*60*EA", "ACK*IH*40*EA"),
            "line 1: its ACKs answer with codes (IA, IH) that cannot split one line: hold covers a whole line",
        ),
        (
            ("ACK*IA*60*EA", "ACK*IS*40*EA****BP*PART-77"),
            "line 1: its ACKs answer with codes (IA, IS) that cannot split one line: substitute covers a whole line",
        ),
        (
            ("ACK*IA*60*EA", "ACK*IB"),
            "line 1: its ACKs answer with codes (IA, IB) that cannot split one line: an ACK (IB) gives no quantity",
        ),
        (
            ("ACK*IA*10*EA", "ACK*IB*10*EA", "ACK*IR*10*EA", "ACK*DR*10*EA*068*20270420"),
            "line 1: its ACKs answer with codes (IA, IB, IR, DR) that cannot split one line: too many different codes",
        ),
    ],
)
def test_acks_that_cannot_split_one_line_are_reported_not_guessed(acks: tuple[str, ...], problem: str) -> None:
    _, problems = _line(*acks)

    assert problems == [problem]


def test_a_sublines_ack_is_listed_as_not_used_and_the_line_keeps_its_own_answer() -> None:
    body = [
        *HEAD_855,
        "PO1*1*100*EA*10**BP*PART-00001",
        "ACK*IA*100*EA*068*20270301",
        "SLN*1**I*100*EA*10",
        "ACK*IR*100*EA",
        "CTT*1",
    ]
    assert issues("855", body) == []
    mapped = map_855(_set("855", body))

    assert mapped.errors == []
    assert mapped.value.lines == (
        ci.AckLineInput(
            "1",
            ci.LINE_ACCEPT,
            "IA",
            Decimal(100),
            Decimal(10),
            dt.date(2027, 3, 1),
            part_number="PART-00001",
            uom="EA",
        ),
    )
    assert [(u.position, u.segment_id, u.reason) for u in mapped.unused if u.segment_id in ("SLN", "ACK")] == [
        (8, "SLN", "subline the gateway does not keep"),
        (9, "ACK", SUBLINE_ACK),
    ]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_855_heading_has_its_tax_before_its_restrictions(version: str) -> None:
    tax_first = [*HEAD_855[:3], "TXI*ST*125", "CTB*OR*HOLD FOR INSPECTION", *HEAD_855[3:], *LINES_855, "CTT*2*200"]
    assert issues("855", tax_first, version) == []

    restriction_first = [*tax_first[:3], tax_first[4], tax_first[3], *tax_first[5:]]
    assert restriction_first[4] == "TXI*ST*125"
    assert issues("855", restriction_first, version) == [("AK3", "2", "TXI", 6, None)]


@pytest.mark.parametrize(("st01", "version"), [("855", "004010"), ("855", "005010"), ("865", "004010")])
def test_an_ack_is_dated_by_one_dtm(st01: str, version: str) -> None:
    body = [*HEAD_855, "PO1*1*100*EA*10**BP*PART-00001", "ACK*IA*100*EA", "DTM*068*20270301", "DTM*002*20270301"]
    body = [*body, "CTT*1"] if st01 == "855" else as_865([*body, "CTT*1"])
    assert issues(st01, body, version) == [("AK3", "5", "DTM", 9, None)]
