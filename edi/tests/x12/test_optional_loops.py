"""Optional loops of the standard tables: read, checked, and accounted as not used.

Partners' standard-conformant sets carry loops the gateway has no use for — industry code
sources (LM/LQ), accounting data (FA1/FA2), specifications (SPI with its N1 and CB1 loops),
advertising (ADV), hazardous materials (LH1…LHE), vessels (V1/R4) — where the 004010 tables
put them. They are not "unexpected segments": the set is accepted, its document mapped as
without them, and each of their segments listed as not used, with the reason.
"""

from __future__ import annotations

from edi.tests.x12.test_schema_standard import issues
from edi.tests.x12.test_segment_account import account_problems, one
from edi.x12.envelope import TransactionSet
from edi.x12.mappers import map_transaction_set
from edi.x12.mappers.common import OPTIONAL_LOOPS_UNUSED

ORDER_850 = [
    "BEG*00*SA*PO-7100**20260105",
    "CUR*BY*USD",
    "AMT*TT*1250",
    "FA1*DZ*A170",
    "FA2*58*4410-200",
    "N1*BY*ACME*92*ACME",
    "N1*ST*ACME DETROIT*92*DET",
    "LM*DF",
    "LQ*0*A1",
    "SPI*1*OU*MIL-STD-129",
    "N1*MF*CASTINGS FOUNDRY",
    "G61*IC*QA DESK*TE*3135550100",
    "CB1*GS*07",
    "ADV*PR*CATALOG",
    "PO1*1*50*EA*25**BP*PART-00001",
    "SLN*1**I*50*EA*25",
    "N9*ZZ*MARKING",
    "SAC*C*H090***500",
    "QTY*38*50",
    "N1*ST*ACME DETROIT*92*DET",
    "LM*DF",
    "LQ*0*B2",
    "CTT*1",
]


def _account(st01: str, body: list[str], version: str = "004010") -> tuple[list[tuple], TransactionSet]:
    segments = [f"ST*{st01}*0001", *body, f"SE*{len(body) + 2}*0001"]
    return issues(st01, body, version), one("~".join(segments) + "~")


def test_an_850_with_the_standards_optional_loops_is_accepted_and_each_segment_accounted() -> None:
    found, ts = _account("850", ORDER_850)
    mapped = map_transaction_set(ts)

    assert found == []
    assert account_problems(ts, mapped) == []
    (line,) = mapped.value.lines
    assert (mapped.value.number, line.line_no, line.quantity, line.part_number) == ("PO-7100", "1", 50, "PART-00001")
    unused = {(u.segment_id, u.reason) for u in mapped.unused}
    assert {seg_id for seg_id, _ in unused} >= {"FA1", "FA2", "LM", "LQ", "SPI", "G61", "CB1", "ADV", "SLN"}
    assert ("LQ", OPTIONAL_LOOPS_UNUSED["LQ"]) in unused


def test_a_code_source_without_its_industry_code_is_a_missing_mandatory_segment() -> None:
    body = [seg for seg in ORDER_850 if seg != "LQ*0*A1"]

    # AK304 3 at the position the LQ was due, right after its LM (position 9).
    assert issues("850", body) == [("AK3", "3", "LQ", 10, None)]


SHIP_856 = [
    "BSN*00*SH-7100*20260110*1200",
    "HL*1**S",
    "TD5**2*UPSN",
    "CLD*4*12*PLT",
    "DTP*011*D8*20260110",
    "V1*9123456*MAERSK KOBE",
    "R4*L*UN*USNYC",
    "DTM*370*20260112",
    "HL*2*1*O",
    "PRF*PO-7100",
    "HL*3*2*I",
    "LIN*1*BP*PART-00001",
    "SN1**50*EA",
    "LH1*EA*50*UN1263",
    "LH2*3*FLAMMABLE",
    "LH3*PAINT*D",
    "LFH*HZC*3",
    "LM*DF",
    "LQ*0*C3",
    "CTT*3",
]


def test_an_856_with_hazardous_material_load_and_vessel_loops_is_accepted_and_accounted() -> None:
    found, ts = _account("856", SHIP_856)
    mapped = map_transaction_set(ts)

    assert found == []
    assert account_problems(ts, mapped) == []
    (line,) = mapped.value.lines
    assert (line.po_number, line.part_number, line.quantity) == ("PO-7100", "PART-00001", 50)
    assert [u.segment_id for u in mapped.unused if u.reason in OPTIONAL_LOOPS_UNUSED.values()] == [
        "DTP", "V1", "R4", "LH1", "LH2", "LH3", "LFH", "LM", "LQ",
    ]  # fmt: skip


INVOICE_810 = [
    "BIG*20260120*INV-7100*20260105*PO-7100",
    "N1*BY*ACME*92*ACME",
    "L7**GOV*10",
    "LM*DF",
    "LQ*0*D4",
    "V1*9123456*MAERSK KOBE",
    "FA1*DZ*A170",
    "FA2*58*4410-200",
    "IT1*1*50*EA*25**BP*PART-00001",
    "CRC*ZZ*Y*01",
    "SR*1",
    "LM*DF",
    "LQ*0*D4",
    "FA1*DZ*A170",
    "FA2*58*4410-200",
    "TDS*125000",
    "CTT*1",
]


def test_an_810_with_tariff_code_source_vessel_and_accounting_loops_is_accepted_and_accounted() -> None:
    found, ts = _account("810", INVOICE_810)
    mapped = map_transaction_set(ts)

    assert found == []
    assert account_problems(ts, mapped) == []
    (line,) = mapped.value.lines
    assert (mapped.value.total, line.quantity, line.unit_price, line.charges) == (1250, 50, 25, ())
    assert [u.position for u in mapped.unused if u.segment_id in ("FA1", "FA2", "LM", "LQ")] == [
        5, 6, 8, 9, 13, 14, 15, 16,
    ]  # fmt: skip


def test_an_865_line_with_its_code_source_loop_is_accepted_and_accounted() -> None:
    body = [
        "BCA*01*AC*PO-7100**1*20260110",
        "N1*SU*CASTINGS INC*92*CAST-01",
        "POC*1*QI*120*120*EA*12.5**BP*P-100",
        "ACK*IA*120*EA*068*20260301",
        "LM*DF",
        "LQ*0*E5",
        "CTT*1",
    ]
    found, ts = _account("865", body)
    mapped = map_transaction_set(ts)

    assert found == []
    assert account_problems(ts, mapped) == []
    assert [(u.position, u.segment_id) for u in mapped.unused][-3:] == [(6, "LM"), (7, "LQ"), (8, "CTT")]
