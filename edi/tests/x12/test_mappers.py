"""Mappers: canonical JSON golden files for every 850/855/856/810 in the corpus, plus rules.

Regenerate the golden files with ``X12_REGEN_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from decimal import Decimal

import pytest

from edi.tests.x12.corpus import GOLDEN_DIR, corpus_bytes, manifest
from edi.tests.x12.samples import interchange
from edi.x12 import MappingError, parse
from edi.x12.mappers import MAPPERS, Unused, map_810, map_850, map_855, map_856, map_transaction_set
from procurement import inputs as ci

MAPPED = [
    row["filename"]
    for row in manifest()
    if any(kind.split("x")[0] in MAPPERS for kind in row["transaction_sets"].split(";"))
]


def golden_document(data: bytes) -> dict:
    sets = []
    for ts in parse(data).transaction_sets():
        if ts.st01 not in MAPPERS:
            continue
        value, errors = map_transaction_set(ts)
        sets.append(
            {
                "st01": ts.st01,
                "st02": ts.st02,
                "input": ci.canonical_json(value),
                "mapping_errors": [
                    {"severity": e.severity, "segment": e.segment_id, "line": e.line, "message": e.message}
                    for e in errors
                ],
            }
        )
    return {"sets": sets}


def test_every_mapped_sample_has_a_golden_file() -> None:
    assert len(MAPPED) == 23
    assert sorted(p.name for p in GOLDEN_DIR.glob("*.json")) == sorted(f"{n[:-4]}.json" for n in MAPPED)


@pytest.mark.parametrize("name", MAPPED)
def test_golden(name: str) -> None:
    found = golden_document(corpus_bytes(name))
    path = GOLDEN_DIR / f"{name[:-4]}.json"
    if os.environ.get("X12_REGEN_GOLDEN"):
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert found == json.loads(path.read_text(encoding="utf-8"))


def one(text: str):
    return next(parse(text).transaction_sets())


def ack_855(*lines: str) -> str:
    body = ["GS*PR*S*R*20260102*1200*3*X*004010", "ST*855*0001", *lines]
    body += [f"SE*{len(lines) + 2}*0001", "GE*1*3", "IEA*1*000000001"]
    return interchange(body)


def test_855_header_follows_the_line_responses_and_keeps_raw_codes() -> None:
    text = ack_855(
        "BAK*00*AC*PO-7*20260101****ACK-55*20260102",
        "REF*PP*2",
        "N1*BY*ACME*92*ACME-US",
        "PO1*10*5*EA*2.5",
        "ACK*IA*5*EA*068*20260301",
        "PO1*20*5*EA*3",
        "ACK*IA*5*EA",
        "CTT*2",
    )
    value, errors = map_855(one(text))
    assert errors == []
    assert value == ci.AcknowledgementInput(
        document_id="ACK-55",
        po_number="PO-7",
        header=ci.ACK_ACCEPTED,
        raw_code="AC",
        po_revision=2,
        company="ACME-US",
        acknowledged_on=dt.date(2026, 1, 2),
        lines=(
            ci.AckLineInput("10", ci.LINE_ACCEPT, "IA", Decimal(5), Decimal("2.5"), dt.date(2026, 3, 1), uom="EA"),
            ci.AckLineInput("20", ci.LINE_ACCEPT, "IA", Decimal(5), Decimal(3), uom="EA"),
        ),
    )


def test_855_partner_code_map_overrides_the_default() -> None:
    text = ack_855(
        "BAK*00*AD*PO-7*20260101", "PO1*10*5*EA*2.5", "ACK*Z9*5*EA", "PO1*20*5*EA*2.5", "ACK*IS*5*EA****BP*ALT-1"
    )
    value, errors = map_855(one(text), code_maps={"ack01": {"Z9": ci.LINE_BACKORDER}})
    assert [(line.response, line.raw_code, line.substitute_part_number) for line in value.lines] == [
        (ci.LINE_BACKORDER, "Z9", ""),
        (ci.LINE_SUBSTITUTE, "IS", "ALT-1"),
    ]
    assert value.header == ci.ACK_ACCEPTED_WITH_CHANGES
    assert value.document_id == "000000001:3:0001"
    assert errors == []


def test_855_unknown_codes_and_bad_values_are_mapping_errors() -> None:
    text = ack_855("BAK*00*QQ**20260101", "PO1*10*5*EA*X", "ACK*ZZ*many*EA*068*20261340")
    value, errors = map_855(one(text))
    assert (value.header, value.raw_code, value.lines[0].response) == (ci.ACK_ACKNOWLEDGED, "QQ", ci.LINE_HOLD)
    assert [(e.severity, e.segment_id, e.element_position, e.message) for e in errors] == [
        ("error", "PO1", 4, "PO104 'X' is not a number"),
        ("error", "ACK", 1, "ACK01 code 'ZZ' has no canonical meaning"),
        ("error", "ACK", 2, "ACK02 'many' is not a number"),
        ("error", "ACK", 5, "ACK05 '20261340' is not a date"),
        ("error", "BAK", 2, "BAK02 code 'QQ' has no canonical meaning"),
        ("error", "BAK", 3, "BAK03 purchase order number missing"),
    ]


def test_855_sch_segments_are_the_lines_schedule() -> None:
    text = ack_855(
        "BAK*00*AC*PO-7*20260101****ACK-56*20260102",
        "PO1*10*100*EA*2.5**BP*HSG-2200",
        "PID*F****PUMP HOUSING",
        "ACK*IA*100*EA",
        "SCH*40*EA***068*20260226",
        "SCH*30*EA***068*20260302",
        "SCH*30*EA***002*20260310*****000",
        "PO1*20*5*EA*3",
        "ACK*DR*5*EA",
        "DTM*068*20260305",
        "PO1*30*2*DZN*13.84**VP*420525112",
        "SCH*2*DZN***067*20260317",
        "CTT*3",
    )
    value, errors = map_855(one(text))
    assert errors == []
    assert value.lines == (
        ci.AckLineInput(
            "10",
            ci.LINE_ACCEPT,
            "IA",
            Decimal(100),
            Decimal("2.5"),
            schedule=(
                ci.ScheduleLineInput(Decimal(40), dt.date(2026, 2, 26)),
                ci.ScheduleLineInput(Decimal(30), dt.date(2026, 3, 2)),
                ci.ScheduleLineInput(Decimal(30), dt.date(2026, 3, 10)),
            ),
            part_number="HSG-2200",
            uom="EA",
        ),
        ci.AckLineInput("20", ci.LINE_RESCHEDULE, "DR", Decimal(5), Decimal(3), dt.date(2026, 3, 5), uom="EA"),
        # A line item scheduled without an ACK is accepted on that schedule (as the 855s of some partners do).
        ci.AckLineInput(
            "30",
            ci.LINE_ACCEPT,
            unit_price=Decimal("13.84"),
            schedule=(ci.ScheduleLineInput(Decimal(2), dt.date(2026, 3, 17)),),
            supplier_part_number="420525112",
        ),
    )


def test_855_sch_without_quantity_or_date_is_a_mapping_error() -> None:
    text = ack_855("BAK*00*AC*PO-7*20260101", "PO1*10*5*EA*2.5", "ACK*IA*5*EA", "SCH**EA***068*20260226", "SCH*5*EA")
    value, errors = map_855(one(text))
    assert value.lines[0].schedule == ()
    assert [(e.severity, e.segment_id, e.element_position, e.message) for e in errors] == [
        ("error", "SCH", 1, "SCH01 is missing"),
        ("error", "SCH", 6, "SCH06 date is missing"),
    ]


def test_wrong_set_raises_the_library_error() -> None:
    with pytest.raises(MappingError):
        map_850(one(ack_855("BAK*00*AD*PO-7*20260101")))
    with pytest.raises(MappingError):
        map_transaction_set(
            one(
                interchange(
                    ["GS*IB*S*R*20260102*1200*3*X*004010", "ST*846*0001", "SE*2*0001", "GE*1*3", "IEA*1*000000001"]
                )
            )
        )


def test_856_hierarchy_gives_each_item_its_order_and_pack() -> None:
    body = [
        "GS*SH*S*R*20260102*1200*4*X*004010",
        "ST*856*0001",
        "BSN*00*ASN-1*20260105*0800",
        "DTM*011*20260105",
        "HL*1**S",
        "TD5**2*UPSN",
        "REF*BM*BOL-9",
        "REF*CN*1Z999",
        "DTM*017*20260108",
        "HL*2*1*O",
        "PRF*PO-7",
        "HL*3*2*T",
        "MAN*GM*000123450000000017",
        "HL*4*3*P",
        "MAN*GM*000123450000000024",
        "HL*5*4*I",
        "LIN*10*BP*PART-1*VP*SUP-1*LT*LOT-A",
        "SN1**4*EA",
        "HL*6*3*I",
        "LIN*20*BP*PART-2",
        "SN1**1*EA",
        "REF*SE*SER-7",
        "CTT*6",
        "SE*23*0001",
        "GE*1*4",
        "IEA*1*000000001",
    ]
    value, errors = map_856(one(interchange(body)))
    assert errors == []
    assert value == ci.ShipmentInput(
        shipment_id="ASN-1",
        ship_date=dt.date(2026, 1, 5),
        expected_delivery=dt.date(2026, 1, 8),
        carrier="UPSN",
        tracking_number="1Z999",
        bill_of_lading="BOL-9",
        packs=("000123450000000017", "000123450000000024"),
        # The pack (HL 4) travels on the tare (HL 3), which item HL 6 is packed on directly.
        pack_parents=(("000123450000000024", "000123450000000017"),),
        lines=(
            ci.ShipmentLineInput("PO-7", "10", Decimal(4), "EA", "PART-1", "000123450000000024", "LOT-A"),
            ci.ShipmentLineInput("PO-7", "20", Decimal(1), "EA", "PART-2", "000123450000000017", "", "SER-7"),
        ),
    )


def test_810_credit_memo_total_in_cents_and_line_numbers() -> None:
    body = [
        "GS*IN*S*R*20260102*1200*5*X*004010",
        "ST*810*0001",
        "BIG*20260110*CM-1*20260101*PO-7***CR",
        "CUR*SE*EUR",
        "IT1*10*2*EA*-5**BP*PART-1",
        "IT1*2*1*EA*1.25**UP*0123",
        "TDS*-875",
        "CTT*2",
        "SE*8*0001",
        "GE*1*5",
        "IEA*1*000000001",
    ]
    value, errors = map_810(one(interchange(body)))
    assert value == ci.InvoiceInput(
        invoice_number="CM-1",
        po_number="PO-7",
        invoice_date=dt.date(2026, 1, 10),
        currency="EUR",
        purpose=ci.INVOICE_PURPOSE_CREDIT_MEMO,
        total=Decimal("-8.75"),
        lines=(
            ci.InvoiceLineInput("10", Decimal(2), Decimal(-5), "PART-1", uom="EA"),
            # A UPC alone names no buyer part: nothing the write path could check the line's part against.
            ci.InvoiceLineInput("2", Decimal(1), Decimal("1.25"), "", uom="EA"),
        ),
    )
    assert errors == []


def test_810_line_without_it101_is_found_by_its_buyer_part_and_one_naming_none_is_a_problem() -> None:
    body = [
        "GS*IN*S*R*20260102*1200*5*X*004010",
        "ST*810*0001",
        "BIG*20260110*INV-1*20260101*PO-7",
        "IT1**2*ea*5**PN*PART-1",
        "IT1**1*EA*1.25**UP*0123*VN*S-1",
        "TDS*1125",
        "SE*6*0001",
        "GE*1*5",
        "IEA*1*000000001",
    ]
    value, errors = map_810(one(interchange(body)))
    assert value.lines[0] == ci.InvoiceLineInput("", Decimal(2), Decimal(5), "PART-1", uom="ea")
    assert [(e.severity, e.message) for e in errors] == [
        (
            "error",
            "IT1 2 names its PO line by neither IT101 nor a buyer's part number (BP, IN, PN, CB, SK) "
            "(UP 0123, VN S-1 name no PO line)",
        )
    ]


def test_850_need_by_from_line_then_schedule_then_heading() -> None:
    body = [
        "GS*PO*S*R*20260102*1200*7*X*004010",
        "ST*850*0001",
        "BEG*00*SA*PO-1**20260102",
        "CUR*BY*USD",
        "PER*BD*JANE BUYER",
        "DTM*002*20260401",
        "N1*BY*ACME*92*ACME-US",
        "N1*VN*SUPPLY CO",
        "N1*ST*PLANT 1*92*P1",
        "PO1*1*10*EA*2.5**BP*P-1*VP*S-1",
        "PID*F****BOLT M8",
        "DTM*002*20260301",
        "PO1*2*3*BX*7**CB*P-2",
        "SCH*3*BX***002*20260315",
        "PO1*3*1*EA*1**VN*S-3",
        "CTT*3",
        "SE*17*0001",
        "GE*1*7",
        "IEA*1*000000001",
    ]
    value, errors = map_850(one(interchange(body)))
    assert errors == []
    assert (value.company, value.supplier, value.ship_to, value.buyer, value.currency) == (
        "ACME-US",
        "SUPPLY CO",
        "P1",
        "JANE BUYER",
        "USD",
    )
    assert [(ln.line_no, ln.part_number, ln.supplier_part_number, ln.need_by.isoformat()) for ln in value.lines] == [
        ("1", "P-1", "S-1", "2026-03-01"),
        ("2", "P-2", "", "2026-03-15"),
        ("3", "", "S-3", "2026-04-01"),
    ]
    assert value.lines[0].description == "BOLT M8"


def invoice_810(*lines: str) -> str:
    body = ["GS*IN*S*R*20260102*1200*5*X*004010", "ST*810*0001", *lines]
    body += [f"SE*{len(lines) + 2}*0001", "GE*1*5", "IEA*1*000000001"]
    return interchange(body)


def test_810_line_level_sac_and_txi_stay_with_their_line_and_every_line_is_mapped() -> None:
    # The shape of the partner files that lost lines: an allowance, a charge and a tax inside the
    # first IT1 loops, then more lines, then the summary's own TXI and SAC.
    text = invoice_810(
        "BIG*20260110*INV-40*20260101*PO-7",
        "N1*BY*ACME*92*ACME",
        "IT1*1*2*EA*100**BP*PART-1",
        "PID*F****HOUSING",
        "TXI*ST*16*8",
        "SAC*A*C310***1000*Z*5******ABC123456789**VOLUME DISCOUNT",
        "SAC*C*G830***300",
        "IT1*2*1*EA*50**BP*PART-2",
        "SAC*N*B840*AB*BUYER*5000",
        "IT1*3*4*EA*2.5**BP*PART-3",
        "IT1*4*10*EA*1**BP*PART-4",
        "TXI*LS*0.8*8",
        "TDS*28580",
        "TXI*ST*16.8",
        "SAC*C*G830***600",
        "CTT*4",
    )
    ts = one(text)
    value, errors = map_810(ts)
    assert value.lines == (
        ci.InvoiceLineInput(
            "1",
            Decimal(2),
            Decimal(100),
            "PART-1",
            charges=(
                ci.InvoiceChargeInput("A", "C310", Decimal("10.00"), Decimal(5), "VOLUME DISCOUNT"),
                ci.InvoiceChargeInput("C", "G830", Decimal("3.00")),
            ),
            taxes=(ci.InvoiceTaxInput("ST", Decimal(16), Decimal(8)),),
            uom="EA",
        ),
        ci.InvoiceLineInput(
            "2",
            Decimal(1),
            Decimal(50),
            "PART-2",
            charges=(ci.InvoiceChargeInput("N", "B840", Decimal("50.00")),),
            uom="EA",
        ),
        ci.InvoiceLineInput("3", Decimal(4), Decimal("2.5"), "PART-3", uom="EA"),
        ci.InvoiceLineInput(
            "4",
            Decimal(10),
            Decimal(1),
            "PART-4",
            taxes=(ci.InvoiceTaxInput("LS", Decimal("0.8"), Decimal(8)),),
            uom="EA",
        ),
    )
    assert (value.total, value.currency, value.company) == (Decimal("285.80"), "", "ACME")
    # Lines 270 + 3 - 10 + taxes 16.80 = 279.80: the summary TXI repeats the line taxes (16.80 in
    # all) and TDS does not count it again; the summary freight (6.00, the lines have 3.00) is the
    # invoice's own and TDS counts it.
    assert (value.charges, value.taxes) == ((ci.InvoiceChargeInput("C", "G830", Decimal("6.00")),), ())
    assert value.sums().total == value.total
    assert [(e.severity, e.segment_position, e.message) for e in errors] == [
        ("warning", 15, "summary TXI ST repeats the sum of the lines' TXI ST and is not counted again")
    ]
    assert map_810(ts).unused[-2:] == (
        Unused(15, "TXI", "summary TXI ST repeats the sum of the lines' TXI ST, which the total counts once"),
        Unused(17, "CTT", "line count the gateway does not check"),
    )


@pytest.mark.parametrize("name", [n for n in MAPPED if n.startswith("810")])
def test_every_it1_of_every_corpus_810_is_a_mapped_line(name: str) -> None:
    counted = []
    for ts in parse(corpus_bytes(name)).transaction_sets():
        if ts.st01 == "810":
            it1s = sum(1 for s in ts.segments if s.id == "IT1")
            counted.append((ts.st02, it1s, len(map_810(ts).value.lines)))
    assert counted and all(it1s == mapped for _, it1s, mapped in counted), counted


def test_an_invoice_without_line_charges_or_taxes_keeps_its_json_and_fingerprint() -> None:
    invoice = ci.InvoiceInput(
        invoice_number="INV-7",
        po_number="PO-4504",
        invoice_date=dt.date(2027, 2, 1),
        currency="USD",
        lines=(
            ci.InvoiceLineInput("1", Decimal("100"), Decimal("10.00"), "PART-00001"),
            ci.InvoiceLineInput("2", Decimal("4.5"), Decimal("2.25")),
        ),
        total=Decimal("1010.13"),
        company="ACME",
    )
    # Computed before line charges and taxes were added to the canonical invoice line.
    assert ci.fingerprint(invoice) == "48fb65acc80bd16c52c9fc81b91d71352317806ff43ec8206931aceabeab270e"
    assert ci.canonical_json(invoice)["lines"] == [
        {"line_no": "1", "quantity": "100", "unit_price": "10", "part_number": "PART-00001"},
        {"line_no": "2", "quantity": "4.5", "unit_price": "2.25", "part_number": ""},
    ]
    charged = dataclasses.replace(
        invoice,
        lines=(dataclasses.replace(invoice.lines[0], charges=(ci.InvoiceChargeInput("C", "G830", Decimal(3)),)),),
    )
    assert ci.canonical_json(charged)["lines"][0]["charges"] == [
        {"indicator": "C", "code": "G830", "amount": "3", "percent": None, "description": ""}
    ]


def test_855_and_850_line_level_amt_does_not_end_the_lines() -> None:
    # AMT closes a PO1 loop (the line's amount) as well as the summary's CTT loop.
    ack = ack_855(
        "BAK*00*AC*PO-7*20260101****ACK-56",
        "PO1*10*5*EA*2.5",
        "ACK*IA*5*EA",
        "AMT*1*12.5",
        "PO1*20*5*EA*3",
        "ACK*IA*5*EA",
        "AMT*1*15",
        "CTT*2",
        "AMT*TT*27.5",
    )
    value, errors = map_855(one(ack))
    assert errors == []
    assert value.lines == (
        ci.AckLineInput("10", ci.LINE_ACCEPT, "IA", Decimal(5), Decimal("2.5"), uom="EA"),
        ci.AckLineInput("20", ci.LINE_ACCEPT, "IA", Decimal(5), Decimal(3), uom="EA"),
    )
    order = interchange(
        [
            "GS*PO*SENDER*RECEIVER*20260102*1200*7*X*004010",
            "ST*850*0001",
            "BEG*00*SA*PO-1001**20260102",
            "PO1*1*10*EA*2.5**BP*PART-1",
            "DTM*002*20260301",
            "AMT*1*25",
            "PO1*2*4*EA*10**BP*PART-2",
            "DTM*002*20260401",
            "AMT*1*40",
            "CTT*2",
            "SE*11*0001",
            "GE*1*7",
            "IEA*1*000000001",
        ]
    )
    po, _ = map_850(one(order))
    assert [(line.line_no, line.part_number, line.need_by) for line in po.lines] == [
        ("1", "PART-1", dt.date(2026, 3, 1)),
        ("2", "PART-2", dt.date(2026, 4, 1)),
    ]
