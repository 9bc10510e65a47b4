"""Generators: envelope rules, round trips through the mappers, exact 997/999/TA1."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from edi.tests.x12.corpus import corpus_bytes, manifest
from edi.tests.x12.samples import interchange
from edi.x12 import (
    Envelope,
    GenerationError,
    SetBody,
    parse,
    reply_envelope,
    validate,
    validate_group,
    write_810,
    write_850,
    write_855,
    write_856,
    write_860,
    write_ack,
    write_interchange,
    write_ta1,
)
from edi.x12.generators import GroupBody, build_855, changed_lines
from edi.x12.mappers import (
    MAPPERS,
    Context,
    ElementNote,
    FunctionalAck,
    SegmentNote,
    SetAck,
    map_810,
    map_850,
    map_855,
    map_856,
    map_865,
    map_functional_ack,
)
from edi.x12.tokenizer import Delimiters
from procurement import inputs as ci

WHEN = dt.datetime(2026, 1, 2, 12, 30)
ENV = Envelope("GATEWAY", "SUPPLIER01", 42, 7, when=WHEN)

PO = ci.PurchaseOrderInput(
    company="ACME-US",
    number="PO-1001",
    supplier="SUP-9",
    ship_to="PLANT-1",
    currency="USD",
    order_date=dt.date(2026, 1, 2),
    revision=0,
    buyer="JANE BUYER",
    notes="DELIVER TO DOCK 4\n" + "X" * 300,
    lines=(
        ci.POLineInput("1", "P-100", Decimal("10"), "EA", Decimal("2.50"), dt.date(2026, 2, 1), "S-100", "BOLT M8"),
        ci.POLineInput("2", "P-200", Decimal("4.5"), "KG", Decimal("10"), dt.date(2026, 2, 15)),
    ),
)


def segments(data: bytes) -> list[str]:
    return [s.text() for s in parse(data).interchanges[0].block.segments()]


def only_set(data: bytes):
    doc = parse(data)
    (group,) = validate(doc)
    assert [s.code for s in group.sets] == ["A"], [i.message for s in group.sets for i in s.issues]
    (ts,) = doc.transaction_sets()
    return ts


def test_envelope_layout() -> None:
    data = write_850(PO, ENV, 17)
    text = data.decode()
    isa = text.split("~\n", 1)[0]
    assert len(isa) + 1 == 106
    assert isa == (
        "ISA*00*          *00*          *ZZ*GATEWAY        *ZZ*SUPPLIER01     *260102*1230*U*00401*000000042*0*P*>"
    )
    segs = segments(data)
    assert segs[1] == "GS*PO*GATEWAY*SUPPLIER01*20260102*1230*7*X*004010"
    assert segs[2] == "ST*850*0017"
    assert segs[-3:] == [f"SE*{len(segs) - 4}*0017", "GE*1*7", "IEA*1*000000042"]
    assert list(parse(data).all_issues()) == []


def test_850_round_trip_is_exact_and_valid() -> None:
    ts = only_set(write_850(PO, ENV, 1))
    value, errors = map_850(ts)
    assert errors == []
    assert value == dataclasses.replace(PO, notes="DELIVER TO DOCK 4\n" + "X" * 300)
    assert [s.text() for s in ts.segments[:12]] == [
        "ST*850*0001",
        "BEG*00*SA*PO-1001**20260102",
        "CUR*BY*USD",
        "PER*BD*JANE BUYER",
        "N9*L1*NOTES",
        "MSG*DELIVER TO DOCK 4",
        "MSG*" + "X" * 264,
        "MSG*" + "X" * 36 + "*LC",
        "N1*BY**92*ACME-US",
        "N1*SU**92*SUP-9",
        "N1*ST**92*PLANT-1",
        "PO1*1*10*EA*2.5**BP*P-100*VP*S-100",
    ]


def test_850_in_5010_with_partner_delimiters_and_revision() -> None:
    env = dataclasses.replace(ENV, version="005010", delimiters=Delimiters("|", "^", "\n", "~", ""))
    po = dataclasses.replace(PO, revision=3)
    data = write_850(po, env, 1)
    isa = data.decode().splitlines()[0].split("|")
    assert (isa[11], isa[12], isa[16]) == ("~", "00501", "^")
    value, _ = map_850(only_set(data))
    assert value == po


def test_860_carries_only_changed_lines_with_change_codes() -> None:
    new = dataclasses.replace(
        PO,
        revision=1,
        lines=(
            dataclasses.replace(PO.lines[0], quantity=Decimal(12)),
            ci.POLineInput("3", "P-300", Decimal(1), "EA", Decimal(99), dt.date(2026, 3, 1)),
        ),
    )
    assert [(code, line.line_no) for code, line in changed_lines(new, PO)] == [("QI", "1"), ("AI", "3"), ("DI", "2")]
    data = write_860(new, ENV, 5, previous=PO)
    (group,) = validate(parse(data))
    assert group.code == "A"
    pocs = [s for s in segments(data) if s.startswith(("BCH", "POC"))]
    assert pocs == [
        "BCH*04*SA*PO-1001**1*20260102",
        "POC*1*QI*12*12*EA*2.5**BP*P-100*VP*S-100",
        "POC*3*AI*1*1*EA*99**BP*P-300",
        "POC*2*DI*0*0*KG*10**BP*P-200",
    ]
    with pytest.raises(GenerationError, match="changes nothing"):
        write_860(dataclasses.replace(PO, revision=1), ENV, 5, previous=PO)
    # POC04, which C030405 requires beside POC03, is what is left after what was received.
    received = write_860(new, ENV, 5, previous=PO, received={"1": Decimal(5), "3": Decimal(4)})
    assert [s for s in segments(received) if s.startswith("POC")] == [
        "POC*1*QI*12*7*EA*2.5**BP*P-100*VP*S-100",
        "POC*3*AI*1*0*EA*99**BP*P-300",
        "POC*2*DI*0*0*KG*10**BP*P-200",
    ]


def test_860_for_a_heading_only_change_carries_the_new_heading_and_no_line() -> None:
    new = dataclasses.replace(PO, revision=2, ship_to="MTY", notes="Deliver to dock 4")

    data = write_860(new, ENV, 6, previous=PO)

    (group,) = validate(parse(data))
    assert group.code == "A"
    body = [s for s in segments(data) if not s.startswith(("ISA", "GS", "ST", "SE", "GE", "IEA"))]
    assert [s for s in body if s.startswith(("BCH", "POC", "CTT", "N1*ST", "MSG"))] == [
        "BCH*04*SA*PO-1001**2*20260102",
        "MSG*Deliver to dock 4",
        "N1*ST**92*MTY",
    ]


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ({}, {"unit_price": Decimal(3)}, "PC"),
        ({}, {"need_by": dt.date(2026, 5, 1)}, "CT"),
        ({}, {"quantity": Decimal(1)}, "QD"),
        ({}, {"quantity": Decimal(1), "unit_price": Decimal(3)}, "PQ"),
        ({}, {"quantity": Decimal(1), "need_by": dt.date(2026, 5, 1)}, "RQ"),
        ({}, {"unit_price": Decimal(3), "need_by": dt.date(2026, 5, 1)}, "PR"),
        ({}, {"description": "NEW"}, "CA"),
    ],
)
def test_860_change_codes(old: dict, new: dict, code: str) -> None:
    before = dataclasses.replace(PO, lines=(dataclasses.replace(PO.lines[0], **old),))
    after = dataclasses.replace(PO, lines=(dataclasses.replace(PO.lines[0], **new),))
    assert [c for c, _ in changed_lines(after, before)] == [code]


def corpus_values(st01: str) -> list:
    out = []
    for row in manifest():
        for ts in parse(corpus_bytes(row["filename"])).transaction_sets():
            if ts.st01 == st01:
                out.append(pytest.param(MAPPERS[st01](ts).value, id=f"{row['filename']}:{ts.st02}"))
    return out


@pytest.mark.parametrize("value", corpus_values("850"))
def test_corpus_850s_round_trip(value: ci.PurchaseOrderInput) -> None:
    data = write_850(value, ENV, 1)
    assert map_850(next(parse(data).transaction_sets())).value == value


@pytest.mark.parametrize("value", corpus_values("855"))
def test_corpus_855s_round_trip(value: ci.AcknowledgementInput) -> None:
    data = write_855(value, ENV, 1, po_date=dt.date(2026, 1, 1))
    assert map_855(only_set(data)).value == value


@pytest.mark.parametrize("value", corpus_values("856"))
def test_corpus_856s_round_trip(value: ci.ShipmentInput) -> None:
    if any(not line.po_number for line in value.lines):
        with pytest.raises(GenerationError, match="no PO number"):
            write_856(value, ENV, 1)
        return
    data = write_856(value, ENV, 1)
    assert map_856(next(parse(data).transaction_sets())).value == value


@pytest.mark.parametrize("value", corpus_values("810"))
def test_corpus_810s_round_trip(value: ci.InvoiceInput) -> None:
    data = write_810(value, ENV, 1)
    # A line without its unit (an empty IT103) is written in EA, which IT102 and IT104 require.
    billed = dataclasses.replace(
        value, lines=tuple(dataclasses.replace(line, uom=line.uom or "EA") for line in value.lines)
    )
    assert map_810(only_set(data)).value == billed


def test_855_schedule_lines_are_written_as_sch_and_read_back() -> None:
    deliveries = (
        ci.ScheduleLineInput(Decimal(40), dt.date(2026, 2, 26)),
        ci.ScheduleLineInput(Decimal(30), dt.date(2026, 3, 2)),
        ci.ScheduleLineInput(Decimal("30.5"), dt.date(2026, 3, 10)),
    )
    ack = ci.AcknowledgementInput(
        document_id="ACK-2",
        po_number="PO-1001",
        header=ci.ACK_ACCEPTED,
        raw_code="AD",
        acknowledged_on=dt.date(2026, 1, 3),
        lines=(
            ci.AckLineInput("1", ci.LINE_ACCEPT, "IA", Decimal("100.5"), Decimal("2.5"), schedule=deliveries, uom="EA"),
            ci.AckLineInput("2", ci.LINE_ACCEPT, unit_price=Decimal(3), schedule=deliveries[:1]),
            ci.AckLineInput("3", ci.LINE_ACCEPT, "IA", Decimal(7), Decimal(4), uom="EA"),
        ),
    )
    body = build_855(ack, "005010", uoms={"1": "DZN"})
    assert [seg for seg in body if seg[0] in ("PO1", "ACK", "SCH")] == [
        ["PO1", "1", "", "", "2.5"],
        ["ACK", "IA", "100.5", "DZN", "", ""],
        ["SCH", "40", "DZN", "", "", "068", "20260226"],
        ["SCH", "30", "DZN", "", "", "068", "20260302"],
        ["SCH", "30.5", "DZN", "", "", "068", "20260310"],
        ["PO1", "2", "", "", "3"],
        ["SCH", "40", "EA", "", "", "068", "20260226"],
        ["PO1", "3", "", "", "4"],
        ["ACK", "IA", "7", "EA", "", ""],
    ]
    for version in ("004010", "005010"):
        assert map_855(only_set(write_855(ack, dataclasses.replace(ENV, version=version), 1))).value == ack


def test_855_856_810_written_from_canonical_parse_back_equal() -> None:
    ack = ci.AcknowledgementInput(
        document_id="ACK-1",
        po_number="PO-1001",
        header=ci.ACK_ACCEPTED_WITH_CHANGES,
        raw_code="AC",
        po_revision=1,
        company="ACME-US",
        acknowledged_on=dt.date(2026, 1, 3),
        note="WILL SHIP IN TWO LOTS",
        lines=(
            ci.AckLineInput("1", ci.LINE_ACCEPT, "IA", Decimal(10), Decimal("2.5"), dt.date(2026, 2, 1), uom="EA"),
            ci.AckLineInput(
                "2", ci.LINE_PARTIAL_BACKORDER, "BP", Decimal(2), Decimal(10), dt.date(2026, 2, 20), uom="EA"
            ),
            ci.AckLineInput("2", ci.LINE_BACKORDER, "IB", Decimal("2.5"), Decimal(10), uom="EA"),
            ci.AckLineInput("3", ci.LINE_SUBSTITUTE, "IS", None, None, None, "P-301"),
        ),
    )
    assert map_855(only_set(write_855(ack, ENV, 1))).value == ack
    shipment = ci.ShipmentInput(
        shipment_id="ASN-77",
        ship_date=dt.date(2026, 2, 1),
        expected_delivery=dt.date(2026, 2, 3),
        carrier="Blue Truck Lines",
        tracking_number="PRO-12345",
        bill_of_lading="BOL-55",
        company="ACME-US",
        packs=("000111222333444555", "000111222333444562", "000111222333444579"),
        lines=(
            ci.ShipmentLineInput("PO-1001", "1", Decimal(6), "EA", "P-100", "000111222333444555", "LOT-1"),
            ci.ShipmentLineInput("PO-1001", "1", Decimal(4), "EA", "P-100", "000111222333444562", "LOT-2"),
            ci.ShipmentLineInput("PO-2002", "7", Decimal(1), "EA", "", "", "", "SN-9"),
        ),
    )
    assert map_856(only_set(write_856(shipment, ENV, 1))).value == shipment
    invoice = ci.InvoiceInput(
        invoice_number="INV-9",
        po_number="PO-1001",
        invoice_date=dt.date(2026, 2, 5),
        currency="USD",
        total=Decimal("70.00"),
        company="ACME-US",
        lines=(
            ci.InvoiceLineInput("1", Decimal(10), Decimal("2.5"), "P-100", uom="EA"),
            ci.InvoiceLineInput("2", Decimal("4.5"), Decimal(10), uom="CA"),
        ),
    )
    assert map_810(only_set(write_810(invoice, ENV, 1))).value == invoice
    credit = dataclasses.replace(invoice, purpose=ci.INVOICE_PURPOSE_CREDIT_MEMO, total=Decimal("-70"))
    assert map_810(only_set(write_810(credit, ENV, 2))).value == credit


def test_810_line_charges_and_taxes_are_written_in_their_it1_loop_and_read_back() -> None:
    line = ci.InvoiceLineInput(
        "1",
        Decimal(10),
        Decimal("2.5"),
        "P-100",
        charges=(
            ci.InvoiceChargeInput("A", "C310", Decimal("1.25"), Decimal(5), "VOLUME DISCOUNT"),
            ci.InvoiceChargeInput("C", "G830", Decimal(3)),
        ),
        taxes=(ci.InvoiceTaxInput("ST", Decimal("2.18"), Decimal("8.25")),),
        uom="EA",
    )
    invoice = ci.InvoiceInput(
        invoice_number="INV-10",
        po_number="PO-1001",
        invoice_date=dt.date(2026, 2, 5),
        currency="USD",
        total=Decimal("70.00"),
        lines=(line, ci.InvoiceLineInput("2", Decimal("4.5"), Decimal(10), uom="EA")),
    )
    data = write_810(invoice, ENV, 1)
    assert [s.rstrip("~") for s in data.decode().splitlines() if s.startswith(("IT1", "TXI", "SAC", "TDS"))] == [
        "IT1*1*10*EA*2.5**BP*P-100",
        "TXI*ST*2.18*8.25",
        "SAC*A*C310***125*Z*5********VOLUME DISCOUNT",
        "SAC*C*G830***300",
        "IT1*2*4.5*EA*10",
        "TDS*7000",
    ]
    assert map_810(only_set(data)).value == invoice


def test_997_for_syntax_note_errors_is_exact() -> None:
    doc = parse(corpus_bytes("850_ediengine_syntaxnotes_err.edi"))
    ic = doc.interchanges[0]
    report = validate_group(ic.groups[0])
    env = reply_envelope(ic, ic.groups[0], interchange_control=900, group_control=901, when=WHEN)
    data = write_ack([report], env, 1)
    assert data.decode().splitlines() == [
        "ISA*00*          *00*          *ZZ*123456789012345*ZZ*ABCDEFGHIJKLMNO*260102*1230*U*00400*000000900*0*P*>",
        "GS*FA*999999999*4405197800*20260102*1230*901*X*004010",
        "ST*997*0001",
        "AK1*PO*1421",
        "AK2*850*000000010",
        "AK3*PO1*13*PO1*8",
        "AK4*7*234*2",
        "AK3*PO4*30*PO1*8",
        "AK4*6*384*2",
        "AK5*R*5",
        "AK9*R*1*1*0",
        "SE*10*0001",
        "GE*1*901",
        "IEA*1*000000900",
    ]


def test_999_with_components_values_and_group_codes() -> None:
    doc = parse(corpus_bytes("999_staedi_invalid.edi"))
    ic = doc.interchanges[0]
    report = validate_group(ic.groups[0])
    env = reply_envelope(ic, ic.groups[0], interchange_control=5, group_control=6, when=WHEN)
    lines = [line.rstrip("~") for line in write_ack([report], env, 3).decode().splitlines()]
    # The partner's group is 005010X231: our answer carries 005010 and claims no guide (no ST03).
    assert lines[1] == "GS*FA*SNDR*RCVR*20260102*1230*6*X*005010"
    assert lines[2:] == [
        "ST*999*0003",
        "AK1*FA*287*005010X231",
        "AK2*999*2870001*005010X231",
        "IK3*IK5*2**2",
        "IK3*AK1*3**8",
        "IK4*1*479*5*HC",
        "IK3*AK2*4*AK2*8",
        "IK4*4**3*Y",
        "IK3*IK5*5*AK2*8",
        "IK4*1*717*7*Q",
        "IK3*IK5*6*AK2*5",
        "IK3*CTX*14*IK3*8",
        "IK4*6:1*725*6*C023",
        "IK5*R*4*5",
        "AK9*R*1*1*0",
        "SE*16*0003",
        "GE*1*6",
        "IEA*1*000000005",
    ]


def test_ta1_answers_the_interchange() -> None:
    broken = parse(corpus_bytes("855_stupidedi_fail_broken_isa.edi")).interchanges[0]
    env = Envelope("GATEWAY", "SUPPLIER001", 9, 9, when=WHEN)
    assert segments(write_ta1(broken, env))[1:] == ["TA1*702351422*060814*2135*R*015", "IEA*0*000000009"]
    padded = parse(corpus_bytes("860_stupidedi_3010_fail.edi")).interchanges[0]
    assert segments(write_ta1(padded, env))[1] == "TA1*000000001*970501*1200*E*011"
    clean = parse(write_850(PO, ENV, 1)).interchanges[0]
    assert segments(write_ta1(clean, env))[1] == "TA1*000000042*260102*1230*A*000"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"number": "PO*1"}, "delimiter"),
        ({"number": "PO\n1"}, "control character"),
        ({"number": ""}, "PO number is required"),
    ],
)
def test_values_that_cannot_be_written_raise_generation_error(change: dict, message: str) -> None:
    with pytest.raises(GenerationError, match=message):
        write_850(dataclasses.replace(PO, **change), ENV, 1)


@pytest.mark.parametrize(
    ("env_change", "st02"),
    [
        ({"interchange_control": 0}, 1),
        ({"interchange_control": 10**9}, 1),
        ({"sender_id": "X" * 16}, 1),
        ({"delimiters": Delimiters("*", "*", "~")}, 1),
        ({}, "12"),
        ({}, 10**9),
    ],
)
def test_bad_envelope_values_raise_generation_error(env_change: dict, st02) -> None:
    with pytest.raises(GenerationError):
        write_interchange(dataclasses.replace(ENV, **env_change), [GroupBody("PO", [SetBody("850", st02, [])])])


def test_acks_read_back_as_functional_acks_and_pass_our_own_schemas() -> None:
    doc = parse(corpus_bytes("850_ediengine_syntaxnotes_err.edi"))
    ic = doc.interchanges[0]
    report = validate_group(ic.groups[0])
    for kind, version in (("997", "004010"), ("997", "005010"), ("999", "005010")):
        env = dataclasses.replace(
            reply_envelope(ic, ic.groups[0], interchange_control=1, group_control=2), version=version
        )
        ack_doc = parse(write_ack([report], env, 1, kind=kind))
        (ack_report,) = validate(ack_doc)
        assert (kind, version, ack_report.code) == (kind, version, "A")
        value, errors = map_functional_ack(next(ack_doc.transaction_sets()))
        assert errors == []
        assert value == FunctionalAck(
            kind=kind,
            functional_id="PO",
            group_control="1421",
            version="004010" if version == "005010" else "",
            code="R",
            included=1,
            received=1,
            accepted=0,
            sets=(
                SetAck(
                    "850",
                    "000000010",
                    "R",
                    ("5",),
                    (
                        SegmentNote("PO1", 13, "PO1", "8", (ElementNote(7, None, None, "234", "2", ""),)),
                        SegmentNote("PO4", 30, "PO1", "8", (ElementNote(6, None, None, "384", "2", ""),)),
                    ),
                ),
            ),
        )


@pytest.mark.parametrize("name", ["997_staedi_simple_5010.edi", "999_staedi_simple.edi", "997_stupidedi_4010.edi"])
def test_corpus_functional_acks_are_read(name: str) -> None:
    value, errors = map_functional_ack(next(parse(corpus_bytes(name)).transaction_sets()))
    assert errors == []
    summary = (value.kind, value.functional_id, value.code, value.included, value.received, value.accepted)
    expected = {
        "997_staedi_simple_5010.edi": ("997", "HC", "R", 1, 1, 0),
        "999_staedi_simple.edi": ("999", "HC", "P", 3, 3, 1),
        "997_stupidedi_4010.edi": ("997", "AG", "A", 1, 1, 1),
    }[name]
    assert summary == expected
    if name == "999_staedi_simple.edi":
        assert [(s.st02, s.code, s.errors, [n.segment_id for n in s.segments]) for s in value.sets] == [
            ("0001", "A", (), []),
            ("0002", "R", ("5",), ["CLM"]),
            ("0003", "R", ("5",), ["REF"]),
        ]
        assert value.sets[1].segments[0].elements == (ElementNote(2, None, None, "782", "1", ""),)
        # CTX after an IK3 is the segment's context: the claim it belongs to, the trigger that made it needed.
        assert value.sets[1].segments[0].context == (Context((("CLM01", "123456789"),)),)
        assert value.sets[2].segments[0].context == (
            Context(
                (("SITUATIONAL TRIGGER", ""), ("SITUATIONAL TRIGGER", "2"), ("SITUATIONAL TRIGGER", "3")),
                "CLM",
                43,
                "",
                "5:3",
                "1325",
            ),
            Context((("CLM01", "987654321"),)),
        )


def test_865_maps_to_an_acknowledgement_with_the_change_sequence() -> None:
    body = [
        "GS*CA*S*R*20260102*1200*3*X*004010",
        "ST*865*0001",
        "BCA*01*AC*PO-1001**2*20260102*****CHG-ACK-9",
        "N1*BY**92*ACME-US",
        "POC*1*QI*12*12*EA*2.5",
        "ACK*IA*12*EA*068*20260210",
        "POC*3*AI*1*1*EA*99",
        "ACK*IR*0*EA",
        "CTT*2",
        "SE*9*0001",
        "GE*1*3",
        "IEA*1*000000001",
    ]
    doc = parse(interchange(body))
    (group,) = validate(doc)
    assert group.code == "A"
    value, errors = map_865(next(doc.transaction_sets()))
    assert errors == []
    assert value == ci.AcknowledgementInput(
        document_id="000000001:3:0001",
        po_number="PO-1001",
        header=ci.ACK_ACCEPTED_WITH_CHANGES,
        raw_code="AC",
        po_revision=2,
        company="ACME-US",
        lines=(
            ci.AckLineInput("1", ci.LINE_ACCEPT, "IA", Decimal(12), Decimal("2.5"), dt.date(2026, 2, 10), uom="EA"),
            ci.AckLineInput("3", ci.LINE_REJECT, "IR", Decimal(0), Decimal(99), uom="EA"),
        ),
    )


def test_acks_survive_garbage_copied_from_inbound_data() -> None:
    body = ["GS*PO*S*R*20260102*1200*7*X*004010", "ST*8\x015*0001", "SE*2*0001", "GE*1*7", "IEA*1*000000001"]
    ic = parse(interchange(body)).interchanges[0]
    report = validate_group(ic.groups[0])
    env = reply_envelope(ic, ic.groups[0], interchange_control=1, group_control=2)
    lines = write_ack([report], env, 1).decode().splitlines()
    assert lines[4:6] == ["AK2*8 5*0001~", "AK5*R*6*1~"]


def test_an_855_line_answered_in_parts_is_written_as_its_acks_and_reads_back_equal() -> None:
    ack = ci.AcknowledgementInput(
        document_id="ACK-2",
        po_number="PO-1001",
        header=ci.ACK_ACCEPTED_WITH_CHANGES,
        raw_code="AC",
        acknowledged_on=dt.date(2026, 1, 3),
        lines=(
            ci.AckLineInput(
                "1",
                ci.LINE_PARTIAL_BACKORDER,
                "IA+IB",
                Decimal(60),
                Decimal(10),
                dt.date(2026, 2, 1),
                backordered_quantity=Decimal(40),
                backorder_date=dt.date(2026, 3, 15),
                uom="EA",
            ),
            ci.AckLineInput(
                "2", ci.LINE_PARTIAL_BACKORDER, "IA+IB", Decimal(5), None, backordered_quantity=Decimal(5), uom="EA"
            ),
        ),
    )
    body = build_855(ack)
    assert [row for row in body if row[0] == "ACK"] == [
        ["ACK", "IA", "60", "EA", "068", "20260201"],
        ["ACK", "IB", "40", "EA", "068", "20260315"],
        ["ACK", "IA", "5", "EA", "", ""],
        ["ACK", "IB", "5", "EA"],
    ]
    assert map_855(only_set(write_855(ack, ENV, 1))).value == ack
