"""Requirement flags and syntax notes as the X12 standard has them, on real-shaped partner sets.

Each flag the schemas had wrong is checked both ways: a set that leaves out what the standard
makes optional passes, and one that leaves out what it makes mandatory fails with the exact
AK3/AK4 code. Syntax notes of segments that were not checked before fail with the note's code.
"""

from __future__ import annotations

import pytest

from edi.tests.x12.samples import interchange
from edi.x12 import parse
from edi.x12.engine import validate


def seg(seg_id: str, **at: str) -> str:
    """A segment from its elements by position: ``seg("TXI", e01="ST", e08="150")``."""
    last = max(int(k[1:]) for k in at)
    return "*".join([seg_id, *(at.get(f"e{i:02d}", "") for i in range(1, last + 1))])


GS01 = {"810": "IN", "850": "PO", "855": "PR", "856": "SH", "860": "PC", "865": "CA"}


def issues(st01: str, lines: list[str], version: str = "004010") -> list[tuple]:
    """(kind, code, segment, position in set, element position) for each issue in one set."""
    body = [
        f"GS*{GS01[st01]}*SUPPLIER*BUYER*20260102*1200*41*X*{version}",
        f"ST*{st01}*0001",
        *lines,
        f"SE*{len(lines) + 2}*0001",
        "GE*1*41",
        "IEA*1*000000001",
    ]
    isa12 = "00501" if version >= "005010" else "00401"
    (group,) = validate(parse(interchange(body, isa12=isa12)))
    (report,) = group.sets
    return [(i.kind, i.code, i.segment_id, i.segment_position, i.element_position) for i in report.issues]


# A supplier's change acknowledgment: the heading, then each changed line with its answer.
ACK_865 = [
    "BCA*01*AC*PO-5000**1*20260110",
    "N1*SU*CASTINGS INC*92*CAST-01",
    "{poc}",
    "ACK*IA*120*EA*068*20260301",
    "CTT*1",
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_865_line_without_poc01_is_accepted(version: str) -> None:
    lines = [line.format(poc="POC**QI*120*120*EA*12.5**BP*P-100") for line in ACK_865]
    assert issues("865", lines, version) == []


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_865_line_without_its_change_type_is_rejected(version: str) -> None:
    lines = [line.format(poc="POC*1**120*120*EA*12.5**BP*P-100") for line in ACK_865]
    assert issues("865", lines, version) == [("AK3", "8", "POC", 4, None), ("AK4", "1", "POC", 4, 2)]


def test_an_860_line_without_poc01_is_accepted() -> None:
    lines = ["BCH*04*SA*PO-5000**1*20260105", "POC**DI*0*0*EA*10**BP*P-200", "CTT*1"]
    assert issues("860", lines) == []


# An invoice heading with a reference note (N9 loop) before the lines.
INVOICE = [
    "BIG*20260215*INV-881*20260110*PO-5000",
    "N1*RE*CASTINGS INC*92*CAST-01",
    "N9*L1*GENERAL",
    "{msg}",
    "IT1*1*120*EA*12.5**BP*P-100",
    "TDS*150000",
    "CTT*1",
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_invoice_note_with_its_message_is_accepted(version: str) -> None:
    lines = [line.format(msg="MSG*PAYMENT BY WIRE ONLY") for line in INVOICE]
    assert issues("810", lines, version) == []


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_invoice_note_without_its_message_is_rejected(version: str) -> None:
    """MSG is mandatory in the 810 heading N9 loop: an N9 alone misses it (AK304 3)."""
    lines = [line for line in INVOICE if line != "{msg}"]
    assert issues("810", lines, version) == [("AK3", "3", "MSG", 5, None)]


@pytest.mark.parametrize(
    ("version", "cad", "expected"),
    [
        ("004010", "CAD**TRLR*88123*FDEG", []),
        ("005010", "CAD*M*TRLR*88123*FDEG", []),
        ("005010", "CAD**TRLR*88123*FDEG", [("AK3", "8", "CAD", 7, None), ("AK4", "1", "CAD", 7, 1)]),
    ],
)
def test_invoice_carrier_detail_transport_method(version: str, cad: str, expected: list) -> None:
    """CAD01 is optional in 004010 and mandatory from 005010."""
    lines = [line.format(msg="MSG*PAYMENT BY WIRE ONLY") for line in INVOICE]
    lines.insert(5, cad)
    assert issues("810", lines, version) == expected


PO_HEAD = ["BEG*00*SA*PO-5000**20260102", "N1*ST*DETROIT PLANT*92*DET"]
PO_LINES = ["PO1*1*120*EA*12.5**BP*P-100", "CTT*1"]


@pytest.mark.parametrize(
    ("version", "n4", "expected"),
    [
        # 005010 adds N407, a country subdivision for addresses outside the US.
        ("005010", "N4*TORONTO**M5V 2T6*CA***ON", []),
        ("005010", "N4*TORONTO*ON*M5V 2T6*CA***ON", [("AK3", "8", "N4", 4, None), ("AK4", "10", "N4", 4, 7)]),
        ("005010", "N4*TORONTO**M5V 2T6****ON", [("AK3", "8", "N4", 4, None), ("AK4", "2", "N4", 4, 4)]),
        ("004010", "N4*TORONTO**M5V 2T6*CA***ON", [("AK3", "8", "N4", 4, None), ("AK4", "3", "N4", 4, 7)]),
    ],
)
def test_n4_country_subdivision(version: str, n4: str, expected: list) -> None:
    assert issues("850", [*PO_HEAD, n4, *PO_LINES], version) == expected


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("TXI*ST*12.40", []),
        ("TXI*ST**0.0825*CD*OH-CUY", []),
        (seg("TXI", e01="ST", e06="E"), []),
        ("TXI*ST", [("AK4", "2", 2)]),  # R020306: an amount, a percent or an exemption
        ("TXI*ST*12.40**CD", [("AK4", "2", 5)]),  # P0405: jurisdiction qualifier without its code
        (seg("TXI", e01="ST", e02="12.40", e08="150.00"), [("AK4", "2", 3)]),  # C0803: a basis needs the percent
        ("TXI**12.40", [("AK4", "1", 1)]),
    ],
)
def test_invoice_line_tax_syntax_notes(segment: str, expected: list) -> None:
    lines = [line.format(msg="MSG*PAYMENT BY WIRE ONLY") for line in INVOICE]
    lines.insert(5, segment)
    found = issues("810", lines)
    assert [(k, c, e) for k, c, _, _, e in found if k == "AK4"] == expected
    assert [(k, c, s, p) for k, c, s, p, _ in found if k == "AK3"] == ([("AK3", "8", "TXI", 7)] if expected else [])


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("CTP**CON*12.5", []),
        ("CTP**CON*12.5*120*EA", []),
        ("CTP**CON*12.5*120", [("AK4", "2", 5)]),  # P0405: a quantity needs its unit
        (seg("CTP", e06="CSD", e07="1.05"), []),
        (seg("CTP", e06="CSD"), [("AK4", "2", 7)]),  # C0607: a multiplier qualifier needs its multiplier
        (seg("CTP", e03="12.5", e10="10"), [("AK4", "2", 2)]),  # C1002: a condition value needs the price ID
        (seg("CTP", e02="CON", e11="2"), [("AK4", "2", 3)]),  # C1103: a multiple price quantity needs the price
    ],
)
def test_line_pricing_syntax_notes(segment: str, expected: list) -> None:
    lines = [*PO_HEAD, PO_LINES[0], segment, PO_LINES[1]]
    found = issues("850", lines)
    assert [(k, c, e) for k, c, _, _, e in found if k == "AK4"] == expected


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("QTY*38*40", []),
        ("QTY*38**EA*SEE SCHEDULE", []),
        ("QTY*38", [("AK4", "2", 2)]),  # R0204: a quantity or free-form information
        ("QTY*38*40**SEE SCHEDULE", [("AK4", "10", 4)]),  # E0204: not both
    ],
)
def test_line_quantity_syntax_notes(segment: str, expected: list) -> None:
    lines = [*PO_HEAD, PO_LINES[0], segment, PO_LINES[1]]
    found = issues("850", lines)
    assert [(k, c, e) for k, c, _, _, e in found if k == "AK4"] == expected


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (seg("TD5", e02="2", e03="FDEG", e04="M", e12="CG"), []),  # a two-letter service level in TD512
        (seg("TD5", e02="2", e03="FDEG", e04="M", e12="CG", e13="SD", e14="ON", e15="USA"), []),
        (seg("TD5", e02="2", e03="FDEG", e04="M", e12="CGX"), [("AK4", "5", 12)]),
        (seg("TD3", e01="TL", e02="ABCD", e03="88123", e10="TF40"), []),  # TD310: equipment type, 4 characters
        (seg("TD3", e01="TL", e02="ABCD", e03="88123", e10="TRAILER"), [("AK4", "5", 10)]),
        ("NTE*GEN*DELIVER TO DOCK 4", []),
        ("NTE*GEN", [("AK4", "1", 2)]),
    ],
)
def test_heading_carrier_and_note_elements(segment: str, expected: list) -> None:
    lines = [PO_HEAD[0], segment, *PO_HEAD[1:], *PO_LINES]
    if segment.startswith("NTE"):
        lines = [line.format(msg="MSG*PAYMENT BY WIRE ONLY") for line in INVOICE]
        lines.insert(1, segment)
        found = issues("810", lines)
    else:
        found = issues("850", lines)
    assert [(k, c, e) for k, c, _, _, e in found if k == "AK4"] == expected


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("TD4*FRZ", []),
        ("TD4**D*3*FLAMMABLE LIQUID", []),
        (seg("TD4", e05="Y"), [("AK4", "2", 1)]),  # R010204: a handling code, a hazard or a description
        ("TD4**D", [("AK4", "2", 3)]),  # C0203: a hazard qualifier needs its class
        ("TD4**D*3.1.2", [("AK4", "5", 3)]),  # a hazard class is at most four characters
    ],
)
def test_ship_notice_special_handling_syntax_notes(segment: str, expected: list) -> None:
    lines = ["BSN*00*ASN-77*20260110*1200", "HL*1**S", segment, "CTT*1"]
    found = issues("856", lines)
    assert [(k, c, e) for k, c, _, _, e in found if k == "AK4"] == expected


def test_line_lead_times_between_loop_header_and_trailer() -> None:
    lines = [*PO_HEAD, PO_LINES[0], "LS*LDT", "LDT*AE*6*WK", "LE*LDT", PO_LINES[1]]
    assert issues("850", lines) == []
    lines = [*PO_HEAD, PO_LINES[0], "LS*LDT", "LDT*AE**WK", "LE", PO_LINES[1]]
    assert issues("850", lines) == [
        ("AK3", "8", "LDT", 6, None),
        ("AK4", "1", "LDT", 6, 2),
        ("AK3", "8", "LE", 7, None),
        ("AK4", "1", "LE", 7, 1),
    ]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("005010", []),
        ("004010", [("AK3", "8", "MEA", 5, None), ("AK4", "3", "MEA", 5, 11)]),
    ],
)
def test_measurement_industry_codes_exist_from_005010(version: str, expected: list) -> None:
    mea = seg("MEA", e01="PD", e02="WT", e03="12.5", e04="LB", e11="UN", e12="1203")
    lines = [*PO_HEAD, PO_LINES[0], mea, PO_LINES[1]]
    assert issues("850", lines, version) == expected


def test_change_sets_allow_more_restrictions_and_summary_amounts_than_an_850() -> None:
    """CTB is >1 in the 855/860/865 heading (5 in an 850), AMT 5 in their CTT loop (1 in an 850)."""
    ctbs = [f"CTB*OR*NO BACKORDERS {n}" for n in range(6)]
    change = ["BCH*04*SA*PO-5000**1*20260105", *ctbs, "POC**DI*0*0*EA*10**BP*P-200", "CTT*1", "AMT*TT*0", "AMT*1*10"]
    assert issues("860", change) == []
    order = [PO_HEAD[0], *ctbs, *PO_HEAD[1:], *PO_LINES, "AMT*TT*1500", "AMT*1*10"]
    assert issues("850", order) == [("AK3", "5", "CTB", 8, None), ("AK3", "5", "AMT", 13, None)]


def test_lead_time_quantities_are_not_limited_to_five() -> None:
    qtys = [f"QTY*38*{n}" for n in range(1, 7)]
    lines = [*ACK_865[:2], "POC**QI*120*120*EA*12.5**BP*P-100", "LDT*AE*6*WK", *qtys, "CTT*1"]
    assert issues("865", lines) == []


@pytest.mark.parametrize(
    ("version", "expected"),
    [("005010", []), ("004010", [("AK3", "5", "TD5", 15, None)])],
)
def test_an_850_heading_carries_more_than_twelve_routings_from_005010(version: str, expected: list) -> None:
    routings = [f"TD5*{n % 9 + 1}*2*CARRIER{n}" for n in range(13)]
    assert issues("850", [PO_HEAD[0], *routings, *PO_HEAD[1:], *PO_LINES], version) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [("005010", []), ("004010", [("AK3", "5", "TXI", 17, None)])],
)
def test_invoice_line_taxes_are_unbounded_from_005010(version: str, expected: list) -> None:
    taxes = [f"TXI*{code}*1.00" for code in ("ST", "CT", "CA", "LS", "FT", "GS", "VA", "SP", "SU", "EV", "TX")]
    lines = [line.format(msg="MSG*PAYMENT BY WIRE ONLY") for line in INVOICE]
    lines[5:5] = taxes
    assert issues("810", lines, version) == expected


def test_a_change_line_basis_of_price_needs_the_price() -> None:
    """POC C0706: a basis of unit price (POC07) without the unit price (POC06)."""
    lines = [line.format(poc="POC*1*PC*120*120*EA**PE*BP*P-100") for line in ACK_865]
    assert issues("865", lines) == [("AK3", "8", "POC", 4, None), ("AK4", "2", "POC", 4, 6)]
    lines = [line.format(poc="POC*1*PC*120*120*EA*12.5*PE*BP*P-100") for line in ACK_865]
    assert issues("865", lines) == []


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize(
    ("poc", "expected"),
    [
        ("POC*1*QI*120*120*EA*12.5**BP*P-100", []),
        ("POC*1*QI*120**EA*12.5**BP*P-100", [("AK3", "8", "POC", 4, None), ("AK4", "2", "POC", 4, 4)]),
        ("POC*1*QI*120*120**12.5**BP*P-100", [("AK3", "8", "POC", 4, None), ("AK4", "2", "POC", 4, 5)]),
        ("POC*1*PC***EA*12.5**BP*P-100", []),
    ],
    ids=["ordered-left-and-unit", "no-quantity-left", "no-unit", "no-quantity-at-all"],
)
def test_a_change_line_quantity_ordered_needs_the_quantity_left_to_receive_and_its_unit(
    version: str, poc: str, expected: list
) -> None:
    """POC C030405 (as in stupidedi's 004010 POC definition and the 003xxx standard pages)."""
    lines = [line.format(poc=poc) for line in ACK_865]
    assert issues("865", lines, version) == expected
