"""The 865's heading against the 004010 standard table, and what 005010 changes in the purchasing sets.

The 865 (Purchase Order Change Acknowledgment/Request - Seller Initiated) heading, positions 040–260
of the 004010 table: CUR, REF, PER, TAX, FOB, CTP, PAM, CSH (once), the SAC loop, ITD (up to 5),
DIS, INC, DTM, LDT, LIN, SI, PID, MEA, PWK, PKG (up to 25), TD1, TD5, TD3, TD4. Unlike the 850 and
860 it has no TC2. Beyond the carriers the table is its own, not the 850's: PCT, MAN, TXI, CTB and
G53 (maintenance type); the N9 loop; the N1 loop (at 300) with one N4, closing with PKG (up to 25)
and MSG; an AMT loop of AMT and PCT; the ADV loop. It has no heading LM or SPI loop.
"""

from __future__ import annotations

import difflib

import pytest

from edi.tests.x12.samples import interchange
from edi.tests.x12.test_optional_loops import _account
from edi.tests.x12.test_schema_standard import issues
from edi.tests.x12.test_segment_account import account_problems
from edi.x12 import parse
from edi.x12.engine import validate
from edi.x12.generators.acks import build_997, build_999
from edi.x12.mappers import map_865
from edi.x12.schemas.sets import SETS
from edi.x12.tokenizer import Delimiters

ANSWER = ["POC*1*QI*100*100*EA*10**BP*PART-00001", "ACK*IA*100*EA*068*20270301", "CTT*1"]
BCA = "BCA*01*AC*PO-4504**1*20270115***865-000041"
# Every heading segment of the 865's table up to the carriers, once, in the standard's order.
HEADING = [
    "CUR*BY*USD",
    "REF*VR*CASTINGS-88",
    "PER*IC*JANE ROE",
    "TAX*TX-1",
    "FOB*PP",
    "CTP**RES*10",
    "PAM*1*100*EA",
    "CSH*N",
    "SAC*C*D240***1500",
    "CUR*BY*USD",
    "ITD*01*3",
    "DIS*AAA*DI",
    "INC*01*C",
    "DTM*002*20270301",
    "LDT*AA*5*DA",
    "LIN**BP*PART-00001",
    "SI*ZZ*AB*1",
    "PID*F****CASTINGS",
    "MEA**WT*10*LB",
    "PWK*CT",
    "PKG*F*68***BLUE TOTE",
    "TD1*CTN*2",
    "TD5*B*2*FDEG*M",
    "TD3*TL",
    "TD4*ZZZ",
    "MAN*GM*PALLET-7",
    "N9*L1*NOTES",
    "MSG*SHIP IN TWO LOTS",
    "N1*ST*ACME DETROIT*92*DET",
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_865_heading_in_the_standards_order_is_clean(version: str) -> None:
    assert issues("865", [BCA, *HEADING, *ANSWER], version) == []


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_865_heading_has_no_commodity_segment(version: str) -> None:
    body = [BCA, *HEADING[:8], "TC2*J*0123", *HEADING[8:], *ANSWER]
    assert issues("865", body, version) == [("AK3", "2", "TC2", 11, None)]
    # The 860 it answers has one there.
    assert (
        issues(
            "860",
            [line.replace("BCA*01*AC", "BCH*04*SA") for line in body[:11]] + ["POC*1*QI*100*100*EA*10**BP*PART-00001"],
            version,
        )
        == []
    )


@pytest.mark.parametrize(
    ("repeated", "times", "position"),
    [("CSH*N", 2, 11), ("ITD*01*3", 6, 18), ("PKG*F*68***BLUE TOTE", 26, 48)],
)
def test_an_865_heading_keeps_the_standards_maximum_uses(repeated: str, times: int, position: int) -> None:
    at = HEADING.index(repeated)
    body = [BCA, *HEADING[:at], *[repeated] * times, *HEADING[at + 1 :], *ANSWER]
    assert issues("865", body) == [("AK3", "5", repeated[:3], position, None)]
    one_less = [BCA, *HEADING[:at], *[repeated] * (times - 1), *HEADING[at + 1 :], *ANSWER]
    assert issues("865", one_less) == []


def test_005010_changes_only_the_limits_the_standard_lifted() -> None:
    """004010 → 005010 in the purchasing sets: the same segments in the same order; an 850's heading
    TD5 and an invoice's TXI and SAC (line and summary) lose their limits, and nothing else changes."""

    def changes(st01: str) -> list[str]:
        old, new = SETS[(st01, "004010")][2].splitlines(), SETS[(st01, "005010")][2].splitlines()
        diff = list(difflib.unified_diff(old, new, lineterm="", n=0))[2:]
        return [line[0] + line[1:].strip() for line in diff if line[:1] in "+-"]

    assert {st01: changes(st01) for st01 in ("850", "855", "856", "810", "860", "865", "997")} == {
        "850": ["-TD5 O 12", "+TD5 O >1"],
        "855": [],
        "856": [],
        # the line's (IT1 loop) TXI and SAC loop, its subline's SAC and TXI, the summary's TXI and SAC loop
        "810": [
            *("-TXI O 10", "+TXI O >1", "-SAC loop 25", "+SAC loop >1", "-SAC O 25", "+SAC O >1"),
            *("-TXI O 10", "+TXI O >1", "-TXI O 10", "+TXI O >1", "-SAC loop 25", "+SAC loop >1"),
        ],
        "860": [],
        "865": [],
        "997": [],
    }


# A supplier's 865 using the heading beyond its carriers as the standard places it: terms in percent,
# marks, tax, a restriction, the maintenance type, a note with its date, the ship-to with its
# address, contact, carrier, packaging and a message, an amount with its percent, and advertising.
BEYOND_CARRIERS = [
    "TD4*ZZZ",
    "PCT*DI*2",
    "MAN*GM*PALLET-7",
    "TXI*ST*12.5",
    "CTB*OR*NO PARTIAL",
    "G53*002",
    "N9*L1*NOTES",
    "DTM*097*20270114",
    "MSG*SHIP IN TWO LOTS",
    "N1*BY*ACME*92*ACME-US",
    "N1*ST*ACME DETROIT*92*DET",
    "N3*100 FOUNDRY RD",
    "N4*DETROIT*MI*48201",
    "PER*IC*JANE ROE*TE*3135550100",
    "TD5*B*2*FDEG*M",
    "PKG*F*68***BLUE TOTE",
    "MSG*DOCK 4 ONLY",
    "AMT*TT*1500",
    "PCT*DI*2",
    "ADV*AB*CATALOG",
    "MTX**SPRING CATALOG",
]


def answer(lines: list[str], version: str = "004010") -> list[list]:
    """The 997 (004010) or 999 (005010) segments our gateway sends for one 865 made of ``lines``."""
    body = [
        f"GS*CA*SUPPLIER*BUYER*20270115*1200*41*X*{version}",
        "ST*865*0001",
        *lines,
        f"SE*{len(lines) + 2}*0001",
        "GE*1*41",
        "IEA*1*000000001",
    ]
    (report,) = validate(parse(interchange(body, isa12="00501" if version >= "005010" else "00401")))
    d = Delimiters()
    return build_999(report, d, version) if version >= "005010" else build_997(report, version, d)


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_865_using_the_heading_beyond_its_carriers_is_accepted_and_accounted(version: str) -> None:
    body = [BCA, "CUR*SE*USD", *BEYOND_CARRIERS, *ANSWER]
    found, ts = _account("865", body, version)
    mapped = map_865(ts)

    assert found == []
    assert account_problems(ts, mapped) == []
    # The heading's messages (the N9 loop's and the N1 loop's) are the answer's note.
    assert (mapped.value.po_number, mapped.value.company, mapped.value.note) == (
        "PO-4504",
        "ACME-US",
        "SHIP IN TWO LOTS\nDOCK 4 ONLY",
    )
    (line,) = mapped.value.lines
    assert (line.line_no, line.quantity) == ("1", 100)
    assert [(u.position, u.segment_id) for u in mapped.unused if u.segment_id in ("PCT", "G53", "AMT", "ADV")] == [
        (5, "PCT"), (9, "G53"), (21, "AMT"), (22, "PCT"), (23, "ADV"),
    ]  # fmt: skip
    ack = answer(body, version)
    assert ack[-2:] == [["IK5" if version >= "005010" else "AK5", "A"], ["AK9", "A", "1", "1", "1"]]


# Each misuse the 850's heading would allow, and the precise answer the partner receives.
@pytest.mark.parametrize(
    ("name", "tail", "ak3"),
    [
        # CTB comes after TXI in the 865 table (the 850 has them the other way round).
        (
            "restriction before tax",
            ["TD4*ZZZ", "MAN*GM*PALLET-7", "CTB*OR*NO PARTIAL", "TXI*ST*12.5"],
            ("TXI", 6, "", "2"),
        ),
        # The specification (SPI) loop is the 850's and 860's; the 865 heading has none.
        ("specification loop", ["N1*ST*ACME DETROIT*92*DET", "SPI*00"], ("SPI", 4, "", "2")),
        # The 865's AMT loop follows its N1 loop and carries no reference.
        ("amount with a reference", ["N1*ST*ACME DETROIT*92*DET", "AMT*TT*1500", "REF*VR*88"], ("REF", 5, "", "2")),
        # A party of the 865 has one geographic location (the 850's may have several).
        ("two locations of one party", ["N1*ST*ACME*92*DET", "N4*DETROIT*MI", "N4*TROY*MI"], ("N4", 5, "N1", "5")),
        # The N1 loop's packaging is limited to 25 (the 850's allows 200).
        ("26 packaging lines", ["N1*ST*ACME DETROIT*92*DET", *["PKG*F*68***BLUE TOTE"] * 26], ("PKG", 29, "N1", "5")),
    ],
)
@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_865_misusing_the_heading_beyond_its_carriers_is_rejected_precisely(
    name: str, tail: list[str], ak3: tuple[str, int, str, str], version: str
) -> None:
    seg_id, position, loop, code = ak3
    wide = version >= "005010"
    ack = answer([BCA, *tail, *ANSWER], version)

    assert ack[1:] == [
        ["AK2", "865", "0001"],
        ["IK3" if wide else "AK3", seg_id, str(position), loop, code],
        ["IK5" if wide else "AK5", "R", "5"],
        ["AK9", "R", "1", "1", "0"],
    ]


def test_an_865_maintenance_type_is_checked_as_the_standard_defines_it() -> None:
    assert issues("865", [BCA, "G53*02", *ANSWER]) == [("AK3", "8", "G53", 3, None), ("AK4", "4", "G53", 3, 1)]
    assert issues("865", [BCA, "G53*002", *ANSWER]) == []
