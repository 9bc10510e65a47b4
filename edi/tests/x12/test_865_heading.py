"""The 865's heading against the 004010 standard table, and what 005010 changes in the purchasing sets.

The 865 (Purchase Order Change Acknowledgment/Request - Seller Initiated) heading, positions 040–260
of the 004010 table: CUR, REF, PER, TAX, FOB, CTP, PAM, CSH (once), the SAC loop, ITD (up to 5),
DIS, INC, DTM, LDT, LIN, SI, PID, MEA, PWK, PKG (up to 25), TD1, TD5, TD3, TD4; then MAN, PCT,
CTB, TXI and the AMT, N9 and N1 loops (N1 at 300). Unlike the 850 and 860 it has no TC2.
"""

from __future__ import annotations

import difflib

import pytest

from edi.tests.x12.test_schema_standard import issues
from edi.x12.schemas.sets import SETS

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
