"""Sync SLAs by object type on a hand-built record: how many met their SLA and the time to sync
(p50/p95, interpolated between the two nearest values), each worked out beside its rows.

ACME's acknowledgements are due within 24 hours; the other SLAs are the defaults (change answered
in 48 h, ship notice, invoice and inventory synced within 1 h, a BOM release applied within 24 h).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from freezegun import freeze_time

from gateway.actors import Actor
from materials.models import BomRelease, BomReleaseEffectivity, InventoryEvent
from procurement import factories
from procurement.kpis import KpiQuery
from procurement.models import ChangeRequest, InboundDocument, Invoice, Item, Shipment, ShipmentLine
from suppliers.models import Supplier
from workbench.scorecards import sync_kpis

from .kpi_data import END, NOW, START, _po, at

PERIOD = "start=2027-01-01&end=2027-02-28"


def _stored(company, supplier, received: dt.datetime, processed: dt.datetime | None, n: int) -> InboundDocument:
    content = f"sync document {n}".encode()
    return InboundDocument.objects.create(
        channel=supplier.channel if supplier else "api",
        sender=supplier.code if supplier else "WMS",
        supplier=supplier,
        company=company,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        correlation_id=f"sync-{n}",
        received_at=received,
        processed_at=processed,
        state="processed" if processed else "received",
    )


def _keyed(name: str, received: dt.datetime, document: InboundDocument | None) -> dict:
    return {
        "channel": "portal",
        "document_id": name,
        "fingerprint": name,
        "received_at": received,
        "inbound_document": document,
    }


@pytest.fixture
def data(company, other_company):
    company.ack_due_hours = 24
    company.save(update_fields=["ack_due_hours"])
    det = factories.PlantFactory(company=company, code="DET")
    mty = factories.PlantFactory(company=company, code="MTY")
    bolts = Supplier.objects.create(code="BOLTS", name="Bolts", tier="standard", channel="portal")
    cast = Supplier.objects.create(code="CAST", name="Cast", tier="strategic", channel="edi")
    other_plant = other_company.plants.get()

    p1 = _po(company, bolts, det, "P1", at("2027-01-05", 10), at("2027-01-05", 16))  # 6 h, met
    p2 = _po(company, bolts, det, "P2", at("2027-01-10"), at("2027-01-11", 6))  # 30 h, missed
    p3 = _po(company, cast, mty, "P3", at("2027-02-01"), at("2027-02-01", 12))  # 12 h, met
    _po(company, cast, mty, "P4", at("2027-02-27", 12), None)  # due 02-28 12:00, passed: missed
    _po(company, bolts, det, "P5", at("2027-02-28", 20), None)  # not due yet: not counted
    theirs = _po(other_company, bolts, other_plant, "X1", at("2027-01-07"), at("2027-01-09"))  # OTHER's

    for po, created, decided, state in (
        (p1, at("2027-01-06"), at("2027-01-07"), "accepted"),  # 24 h, met
        (p3, at("2027-02-02"), at("2027-02-05"), "declined"),  # 72 h, missed
        (p3, at("2027-02-20"), None, "proposed"),  # due 02-22, unanswered: missed
        (p3, at("2027-02-21"), None, "superseded"),  # replaced, never answered: not counted
        (p1, at("2027-02-28", 12), None, "proposed"),  # not due yet
        (theirs, at("2027-01-08"), at("2027-01-08", 1), "accepted"),  # OTHER's
    ):
        ChangeRequest.objects.create(
            po=po,
            po_line=po.lines.get(),
            response="RESCHEDULE",
            proposed={"need_by": "2027-03-01"},
            current={},
            state=state,
            created_at=created,
            decided_at=decided,
        )

    for n, (supplier, po, received, processed) in enumerate(
        (
            (bolts, p1, at("2027-01-08", 8), at("2027-01-08", 8) + dt.timedelta(minutes=30)),  # 0.5 h, met
            (cast, p3, at("2027-02-05"), at("2027-02-05", 4) + dt.timedelta(minutes=30)),  # 4.5 h, missed
            (bolts, p2, at("2027-01-12"), None),  # no stored document: not measured
        )
    ):
        document = _stored(company, supplier, received, processed, n) if processed else None
        shipment = Shipment.objects.create(
            supplier=supplier, shipment_id=f"S{n}", ship_date=received.date(), **_keyed(f"S{n}", received, document)
        )
        ShipmentLine.objects.create(shipment=shipment, po_line=po.lines.get(), quantity=Decimal(1), uom="EA")

    for n, (supplier, po, received, processed, stored) in enumerate(
        (
            (bolts, p1, at("2027-01-20"), at("2027-01-20") + dt.timedelta(minutes=12), True),  # 0.2 h, met
            (cast, p3, at("2027-02-08"), at("2027-02-08", 2), True),  # 2 h, missed
            (cast, p3, at("2027-02-27"), None, True),  # never applied, past its hour: missed
            (bolts, p2, at("2027-01-25"), None, False),  # no stored document: not measured
        ),
        start=10,
    ):
        document = _stored(company, supplier, received, processed, n) if stored else None
        Invoice.objects.create(
            supplier=supplier,
            po=po,
            invoice_number=f"I{n}",
            invoice_date=received.date(),
            currency="USD",
            total=Decimal(2),
            match_status="matched",
            **_keyed(f"I{n}", received, document),
        )

    item = Item.objects.get(company=company, part_number="PART-P1")
    for n, (owner, plant, occurred, received) in enumerate(
        (
            (company, det, at("2027-01-10"), at("2027-01-10") + dt.timedelta(minutes=30)),  # 0.5 h, met
            (company, det, at("2027-01-11"), at("2027-01-11", 3)),  # 3 h, missed
            (company, mty, at("2027-02-01"), at("2027-02-01") + dt.timedelta(minutes=6)),  # 0.1 h, met
            (other_company, other_plant, at("2027-01-10"), at("2027-01-12")),  # OTHER's
        )
    ):
        event_item = item if owner == company else Item.objects.get(company=other_company, part_number="PART-X1")
        InventoryEvent.objects.create(
            company=owner,
            plant=plant,
            item=event_item,
            kind="receipt",
            quantity=Decimal(1),
            base_quantity=Decimal(1),
            source_system="WMS",
            source_event_id=f"E{n}",
            source_sequence=n,
            occurred_at=occurred,
            received_at=received,
            content_hash=f"h{n}",
        )

    for n, (state, received, applied, plant) in enumerate(
        (
            ("applied", at("2027-01-03"), at("2027-01-03", 12), "DET"),  # 12 h, met; in effect at DET
            ("held", at("2027-02-01"), None, None),  # held past its day: missed; no effectivity: every plant
            ("duplicate", at("2027-02-03"), None, "DET"),  # never applies: not counted
        )
    ):
        release = BomRelease.objects.create(
            company=company,
            source_system="PLM",
            release_id=f"B{n}",
            raw=b"{}",
            sha256="0" * 64,
            state=state,
            received_at=received,
            applied_at=applied,
        )
        if plant:
            BomReleaseEffectivity.objects.create(release=release, plant_code=plant)
    return {"bolts": bolts, "cast": cast}


@pytest.fixture
def acme(company, buyer):
    return Actor.for_buyer(company_ids={company.pk}, label="buyer", user_id=buyer.pk)


def period(**slices) -> KpiQuery:
    return KpiQuery(start=START, end=END, **slices)


def row(group: str, objects: int, met: int, met_rate, p50, p95) -> dict:
    return {"group": group, "objects": objects, "met": met, "met_rate": met_rate, "p50_hours": p50, "p95_hours": p95}


def test_sync_slas_by_object_type(data, acme):
    chart = sync_kpis(actor=acme, q=period(group="all"), now=NOW)

    assert chart.group_label == "Object"
    assert chart.rows == [
        # Synced 6, 30, 12 h; P4 missed unanswered. p95: 12 + (30 − 12) × 0.9.
        row("PO → acknowledgement", 4, 2, 50.0, 12.0, 28.2),
        # Answered 24 and 72 h; one unanswered past 48 h. p95: 24 + 48 × 0.95.
        row("Change → answer", 3, 1, 33.3, 48.0, 69.6),
        # 0.5 and 4.5 h. p95: 0.5 + 4 × 0.95.
        row("Ship notice", 2, 1, 50.0, 2.5, 4.3),
        # 0.2 and 2 h; one never applied. p95: 0.2 + 1.8 × 0.95.
        row("Invoice", 3, 1, 33.3, 1.1, 1.91),
        # 0.1, 0.5, 3 h. p95: 0.5 + 2.5 × 0.9.
        row("Inventory sync", 3, 2, 66.7, 0.5, 2.75),
        # Applied in 12 h; one held past its day.
        row("BOM release", 2, 1, 50.0, 12.0, 12.0),
    ]


def test_sync_slas_at_one_plant(data, acme):
    chart = sync_kpis(actor=acme, q=period(group="all", plant="MTY"), now=NOW)

    assert chart.rows == [
        row("PO → acknowledgement", 2, 1, 50.0, 12.0, 12.0),  # P3 12 h, P4 missed
        row("Change → answer", 2, 0, 0.0, 72.0, 72.0),
        row("Ship notice", 1, 0, 0.0, 4.5, 4.5),
        row("Invoice", 2, 0, 0.0, 2.0, 2.0),
        row("Inventory sync", 1, 1, 100.0, 0.1, 0.1),
        row("BOM release", 1, 0, 0.0, None, None),  # the held one is in effect everywhere
    ]


def test_sync_slas_grouped_by_plant_and_by_tier(data, acme):
    by_plant = sync_kpis(actor=acme, q=period(group="plant"), now=NOW)
    by_tier = sync_kpis(actor=acme, q=period(group="tier"), now=NOW)

    assert by_plant.group_label == "Object · plant"
    assert [(r["group"], r["objects"], r["met"]) for r in by_plant.rows] == [
        ("PO → acknowledgement · DET", 2, 1),
        ("PO → acknowledgement · MTY", 2, 1),
        ("Change → answer · DET", 1, 1),
        ("Change → answer · MTY", 2, 0),
        ("Ship notice · DET", 1, 1),
        ("Ship notice · MTY", 1, 0),
        ("Invoice · DET", 1, 1),
        ("Invoice · MTY", 2, 0),
        ("Inventory sync · DET", 2, 1),
        ("Inventory sync · MTY", 1, 1),
        ("BOM release · —", 2, 1),  # a release names its plants in its effectivity, not as one plant
    ]
    # Inventory and BOM releases have no supplier: grouped by tier they stand apart.
    assert [(r["group"], r["objects"], r["met"]) for r in by_tier.rows] == [
        ("PO → acknowledgement · standard", 2, 1),
        ("PO → acknowledgement · strategic", 2, 1),
        ("Change → answer · standard", 1, 1),
        ("Change → answer · strategic", 2, 0),
        ("Ship notice · standard", 1, 1),
        ("Ship notice · strategic", 1, 0),
        ("Invoice · standard", 1, 1),
        ("Invoice · strategic", 2, 0),
        ("Inventory sync · —", 3, 2),
        ("BOM release · —", 2, 1),
    ]


def test_a_supplier_slice_leaves_out_what_has_no_supplier(data, acme):
    strategic = sync_kpis(actor=acme, q=period(group="all", tier="strategic"), now=NOW)
    edi = sync_kpis(actor=acme, q=period(group="all", channel="edi"), now=NOW)

    assert [r["group"] for r in strategic.rows] == ["PO → acknowledgement", "Change → answer", "Ship notice", "Invoice"]
    assert edi.rows == strategic.rows


def test_a_supplier_sees_only_its_own_sync_figures(data):
    cast = Actor.for_supplier(supplier_id=data["cast"].pk, label="CAST")

    chart = sync_kpis(actor=cast, q=period(group="all"), now=NOW)

    assert chart.rows == [
        row("PO → acknowledgement", 2, 1, 50.0, 12.0, 12.0),
        row("Change → answer", 2, 0, 0.0, 72.0, 72.0),
        row("Ship notice", 1, 0, 0.0, 4.5, 4.5),
        row("Invoice", 2, 0, 0.0, 2.0, 2.0),
    ]


def test_a_company_sets_its_own_sync_sla(data, acme, company):
    company.sla_hours = {"sync.asn": 5, "sync.inventory": 0.05}
    company.save(update_fields=["sla_hours"])

    rows = {r["group"]: r for r in sync_kpis(actor=acme, q=period(group="all"), now=NOW).rows}

    assert (rows["Ship notice"]["met"], rows["Ship notice"]["met_rate"]) == (2, 100.0)
    assert (rows["Inventory sync"]["met"], rows["Inventory sync"]["met_rate"]) == (0, 0.0)  # 3 minutes: none


def test_nobody_sees_sync_figures(data):
    assert sync_kpis(actor=Actor.nobody(), q=period(group="all"), now=NOW).rows == []


def test_the_dashboard_draws_the_sync_chart_and_its_csv(data, client, buyer):
    with freeze_time(NOW):  # the page counts at the time it is asked
        client.force_login(buyer)
        page = client.get(f"/workbench/kpis/?{PERIOD}&group=tier")
        download = client.get(f"/workbench/kpis/sync.csv?{PERIOD}&plant=MTY")  # by month: by object type only

    assert page.status_code == 200
    assert 'id="chart-sync-data"' in page.content.decode()
    assert download.status_code == 200
    assert list(csv.reader(io.StringIO(download.content.decode()))) == [
        [
            "Object",
            "Due or synced (count)",
            "Met their SLA (count)",
            "Met their SLA (percent)",
            "Time to sync p50 (hours)",
            "Time to sync p95 (hours)",
        ],
        ["PO → acknowledgement", "2", "1", "50.0", "12.0", "12.0"],
        ["Change → answer", "2", "0", "0.0", "72.0", "72.0"],
        ["Ship notice", "1", "0", "0.0", "4.5", "4.5"],
        ["Invoice", "2", "0", "0.0", "2.0", "2.0"],
        ["Inventory sync", "1", "1", "100.0", "0.1", "0.1"],
        ["BOM release", "1", "0", "0.0", "", ""],
    ]
