"""ASN accuracy by SSCC on a hand-built record: each pack a notice announced against what the
receipts against it received under its SSCC, worked out beside the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from api.serializers.receipts import ReceiptIn
from gateway.actors import Actor
from procurement import factories, inputs, kpis
from procurement.kpis import KpiQuery
from procurement.models import Item, POLine, Receipt, ReceiptLine, Shipment, ShipmentLine, ShipmentPack
from suppliers.models import Supplier
from workbench.scorecards import scorecard_headlines, supplier_scorecard

from .kpi_data import END, START, _po, at


def _shipment(supplier, name: str, received: dt.datetime, packs: dict[str, list[tuple[POLine, int]]]) -> Shipment:
    shipment = Shipment.objects.create(
        supplier=supplier,
        shipment_id=name,
        ship_date=received.date(),
        channel="portal",
        document_id=name,
        fingerprint=name,
        received_at=received,
    )
    for sscc, lines in packs.items():
        pack = ShipmentPack.objects.create(shipment=shipment, sscc=sscc)
        for line, quantity in lines:
            ShipmentLine.objects.create(shipment=shipment, pack=pack, po_line=line, quantity=quantity, uom="EA")
    return shipment


def _receipt(company, po, shipment, name: str, received: dt.datetime, lines: list[tuple[POLine, int, int, str]]):
    receipt = Receipt.objects.create(
        company=company,
        po=po,
        shipment=shipment,
        receipt_number=name,
        received_on=received.date(),
        physical_status="received",
        posting_status="posted",
        channel="api",
        document_id=name,
        fingerprint=name,
        received_at=received,
    )
    for line, accepted, rejected, sscc in lines:
        ReceiptLine.objects.create(
            receipt=receipt, po_line=line, quantity_received=accepted, quantity_rejected=rejected, sscc=sscc
        )


@pytest.fixture
def data(company, other_company):
    det = factories.PlantFactory(company=company, code="DET")
    mty = factories.PlantFactory(company=company, code="MTY")
    bolts = Supplier.objects.create(code="BOLTS", name="Bolts", tier="standard", channel="portal")
    cast = Supplier.objects.create(code="CAST", name="Cast", tier="strategic", channel="edi")
    p1 = _po(company, bolts, det, "P1", at("2027-01-02"), at("2027-01-02"))
    p2 = _po(company, bolts, det, "P2", at("2027-01-02"), at("2027-01-02"))
    p3 = _po(company, cast, mty, "P3", at("2027-02-01"), at("2027-02-01"))
    theirs = _po(other_company, bolts, other_company.plants.get(), "X1", at("2027-01-02"), at("2027-01-02"))
    item = Item.objects.get(company=company, part_number="PART-P1")
    p1l1 = p1.lines.get()
    p1l2 = POLine.objects.create(
        po=p1, line_no="2", item=item, quantity=Decimal(10), uom="EA", unit_price=Decimal(1), need_by=START
    )
    p2l1, p3l1, x1l1 = p2.lines.get(), p3.lines.get(), theirs.lines.get()

    s1 = _shipment(
        bolts,
        "S1",
        at("2027-01-08"),
        {"A": [(p1l1, 10)], "B": [(p1l1, 5), (p1l2, 4)], "C": [(p1l2, 6)]},
    )
    _receipt(
        company,
        p1,
        s1,
        "R1",
        at("2027-01-09"),
        [
            (p1l1, 10, 0, "A"),  # A as announced
            (p1l1, 5, 0, "B"),
            (p1l2, 3, 1, "B"),  # B: 5 and 3 + 1 rejected = 4, as announced
            (p1l2, 6, 0, "D"),  # C never scanned (missing); D was never announced
        ],
    )
    s4 = _shipment(bolts, "S4", at("2027-01-20"), {"G": [(p2l1, 10)]})
    _receipt(company, p2, s4, "R4", at("2027-01-21"), [(p2l1, 10, 0, "")])  # received, no pack scanned: G missing
    s2 = _shipment(cast, "S2", at("2027-02-04"), {"E": [(p3l1, 5)], "F": [(p3l1, 2)]})
    _receipt(company, p3, s2, "R2", at("2027-02-05"), [(p3l1, 4, 0, "E"), (p3l1, 2, 0, "F")])  # E: 4 of 5
    _receipt(company, p3, s2, "R3", at("2027-02-06"), [(p3l1, 1, 0, "F")])  # F: 3 in all for 2
    s3 = _shipment(bolts, "S3", at("2027-01-08"), {"X": [(x1l1, 1)]})
    _receipt(other_company, theirs, s3, "RX", at("2027-01-09"), [(x1l1, 1, 0, "X")])  # OTHER's
    return {"bolts": bolts, "cast": cast}


@pytest.fixture
def acme(company, buyer):
    return Actor.for_buyer(company_ids={company.pk}, label="buyer", user_id=buyer.pk)


def period(**slices) -> KpiQuery:
    return KpiQuery(start=START, end=END, **slices)


def test_asn_accuracy_by_sscc_by_month(data, acme):
    chart = kpis.asn_pack_kpis(actor=acme, q=period())

    assert chart.rows == [
        # A and B as announced; C and G never received under their SSCC; D received, never announced.
        {"group": "2027-01", "packs": 4, "accuracy": 50.0, "missing": 2, "unannounced": 1},
        # E short by one; F received twice over two receipts, 3 for 2.
        {"group": "2027-02", "packs": 2, "accuracy": 0.0, "missing": 0, "unannounced": 0},
    ]


def test_asn_accuracy_by_sscc_by_supplier_at_a_plant_and_for_a_supplier(data, acme):
    by_supplier = kpis.asn_pack_kpis(actor=acme, q=period(group="supplier"))
    at_mty = kpis.asn_pack_kpis(actor=acme, q=period(group="all", plant="MTY"))
    cast = kpis.asn_pack_kpis(actor=Actor.for_supplier(supplier_id=data["cast"].pk, label="CAST"), q=period())

    assert by_supplier.rows == [
        {"group": "BOLTS", "packs": 4, "accuracy": 50.0, "missing": 2, "unannounced": 1},
        {"group": "CAST", "packs": 2, "accuracy": 0.0, "missing": 0, "unannounced": 0},
    ]
    assert at_mty.rows == [{"group": "all", "packs": 2, "accuracy": 0.0, "missing": 0, "unannounced": 0}]
    assert cast.rows == [{"group": "2027-02", "packs": 2, "accuracy": 0.0, "missing": 0, "unannounced": 0}]
    assert kpis.asn_pack_kpis(actor=Actor.nobody(), q=period()).rows == []


def test_the_scorecard_shows_a_suppliers_pack_accuracy(data, acme):
    totals, monthly = supplier_scorecard(actor=acme, supplier_code="BOLTS", start=START, end=END)

    lines = [(h.measure, h.value) for h in scorecard_headlines(totals) if h.figure.startswith("Ship notices by SSCC")]
    assert lines == [
        ("Packs announced", 4),
        ("Received as announced", 50.0),
        ("Packs not received", 2),
        ("Packs received, not announced", 1),
    ]
    assert [r["group"] for r in {c.key: c.rows for c in monthly}["asn_packs"]] == ["2027-01"]


def test_a_receipt_names_the_pack_it_was_received_in():
    serializer = ReceiptIn(
        data={
            "receipt_number": "GR-9",
            "company": "ACME",
            "po_number": "P1",
            "received_on": "2027-01-09",
            "lines": [
                {"line_no": "1", "quantity_received": "10", "sscc": "001234560000000018"},
                {"line_no": "2", "quantity_received": "1"},
            ],
        }
    )
    bad = ReceiptIn(
        data={
            "receipt_number": "GR-9",
            "company": "ACME",
            "po_number": "P1",
            "received_on": "2027-01-09",
            "lines": [{"line_no": "1", "quantity_received": "10", "sscc": "12345"}],
        }
    )

    assert serializer.is_valid(), serializer.errors
    assert [line.sscc for line in serializer.to_input().lines] == ["001234560000000018", ""]
    assert not bad.is_valid()
    # A line without a pack keeps the canonical form (and fingerprint) it had before packs were read.
    assert "sscc" not in inputs.canonical_json(serializer.to_input().lines[1])


def test_a_pallet_received_under_its_own_sscc_is_judged_as_the_packs_it_holds(company, acme):
    det = factories.PlantFactory(company=company, code="DET")
    bolts = Supplier.objects.create(code="BOLTS", name="Bolts", tier="standard", channel="edi")
    po = _po(company, bolts, det, "P1", at("2027-01-02"), at("2027-01-02"))
    line = po.lines.get()
    shipment = _shipment(bolts, "S1", at("2027-01-08"), {})

    def pack(sscc: str, pallet: ShipmentPack | None = None, quantity: int = 0) -> ShipmentPack:
        made = ShipmentPack.objects.create(shipment=shipment, sscc=sscc, parent=pallet)
        if quantity:
            ShipmentLine.objects.create(shipment=shipment, pack=made, po_line=line, quantity=quantity, uom="EA")
        return made

    first, second, third = pack("PAL1"), pack("PAL2"), pack("PAL3")
    pack("C1", first, 6)
    pack("C2", first, 4)  # PAL1: 6 + 4 announced, 10 received under the pallet's SSCC
    pack("C3", second, 5)  # PAL2: 5 announced, 4 received under the pallet's SSCC
    pack("C4", third, 3)  # C4 received under its own SSCC; PAL3 never scanned
    pack("C5", third, 2)  # C5 on PAL3 too, never scanned: missing
    _receipt(
        company, po, shipment, "R1", at("2027-01-09"), [(line, 10, 0, "PAL1"), (line, 4, 0, "PAL2"), (line, 3, 0, "C4")]
    )

    # Before pallets were read as their packs: C1–C5 announced, C4 as announced (1 of 5), C1, C2, C3
    # and C5 missing, PAL1 and PAL2 received but never announced.
    assert kpis.asn_pack_kpis(actor=acme, q=period(group="all")).rows == [
        {"group": "all", "packs": 4, "accuracy": 50.0, "missing": 1, "unannounced": 0}
    ]
