"""Stock exports from a WMS or MES dropped as files: stored, streamed through the same ingest as the
bulk API, each line not applied listed with its reason beside the archived file."""

import json
from decimal import Decimal

import pytest

from materials.models import InventoryBalance, InventoryEvent
from procurement import factories
from procurement.models import InboundDocument

from .test_filedrop import archived, drop, scan_and_receive


@pytest.fixture
def files(db, tmp_path, settings):
    settings.GATEWAY_FILE_ROOT = tmp_path / "files"
    settings.GATEWAY_MATERIALS_SETTLE_SECONDS = 0
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    factories.PlantFactory(company=factories.CompanyFactory(code="ACME"), code="DET")
    return tmp_path / "files"


JSONL = (
    b'{"plant":"DET","part_number":"BOLT","kind":"receipt","quantity":"40","source_event_id":"W1",'
    b'"source_sequence":1,"occurred_at":"2026-12-03T09:00:00Z","location":"A"}\n'
    b'{"plant":"DET","part_number":"BOLT","kind":"issue","quantity":"5","source_event_id":"W2",'
    b'"source_sequence":2,"occurred_at":"2026-12-03T09:10:00Z","location":"A"}\n'
    b'{"plant":"XX","part_number":"BOLT","kind":"issue","quantity":"5","source_event_id":"W3",'
    b'"source_sequence":3,"occurred_at":"2026-12-03T09:10:00Z"}\n'
)


def test_a_json_lines_stock_export_is_ingested_and_its_refusals_listed(files):
    factories.ItemFactory(company=factories.CompanyFactory(code="ACME"), part_number="BOLT")
    drop("inventory-2026-12-03.jsonl", JSONL, system="WMS")

    assert scan_and_receive() == ["partly_refused"]

    assert [(b.source_system, b.location, b.physical) for b in InventoryBalance.objects.all()] == [
        ("WMS", "A", Decimal("35.0000"))
    ]
    document = InboundDocument.objects.get()
    assert (document.document_type, document.state, document.outcome_code, document.error) == (
        "inventory_jsonl",
        "processed",
        "partly_refused",
        "line 3 (event W3): plant 'XX' is not known",
    )
    (_, report) = archived("WMS")
    assert json.loads(report.read_text())["counts"] == {"applied": 2, "duplicate": 0, "conflict": 0, "refused": 1}


def test_the_same_csv_export_dropped_twice_applies_once(files):
    factories.ItemFactory(company=factories.CompanyFactory(code="ACME"), part_number="BOLT")
    csv = (
        b"plant,part_number,kind,quantity,source_event_id,source_sequence,occurred_at,location\n"
        b"DET,BOLT,count,120,M1,10,2026-12-03T22:00:00Z,LINE-1\n"
        b"DET,BOLT,issue,\xff20,M2,11,2026-12-03T22:30:00Z,LINE-1\n"
    )
    drop("inventory_mes.csv", csv, system="MES")
    assert scan_and_receive() == ["partly_refused"]
    drop("inventory_mes_again.csv", csv, system="MES")
    assert scan_and_receive() == ["partly_refused"]

    assert InventoryEvent.objects.count() == 1
    assert [(b.source_system, b.physical) for b in InventoryBalance.objects.all()] == [("MES", Decimal("120.0000"))]
    second = InboundDocument.objects.order_by("id").last()
    assert second.error == "line 3 (event M2): quantity '\ufffd20' is not a number"


def test_hostile_lines_in_a_dropped_export_are_recorded_once_not_failed_on_every_sweep(files):
    factories.ItemFactory(company=factories.CompanyFactory(code="ACME"), part_number="BOLT")
    jsonl = (
        b"[" * 60_000 + b"\n" + JSONL.splitlines()[0].replace(b'"source_sequence":1', b'"source_sequence":"\xc2\xb2"')
    )
    drop("inventory-hostile.jsonl", jsonl + b"\n" + JSONL.splitlines()[1] + b"\n", system="WMS")
    csv = (
        b"plant,part_number,kind,quantity,source_event_id,source_sequence,occurred_at\n"
        b"DET,BOLT,receipt,1,M1,1," + b"9" * 140_000 + b"\n"
        b"DET,BOLT,receipt,1,M2,2,2026-12-03T22:00:00Z\n"
    )
    drop("inventory-hostile.csv", csv, system="MES")

    assert scan_and_receive() == ["partly_refused", "partly_refused"]
    assert scan_and_receive() == []

    errors = sorted(InboundDocument.objects.values_list("document_type", "state", "error"))
    assert errors == [
        (
            "inventory_csv",
            "processed",
            "line 2 (event ?): this row and the rest of the file cannot be read: "
            "field larger than field limit (131072)",
        ),
        (
            "inventory_jsonl",
            "processed",
            "line 1 (event ?): not JSON: nested too deeply\nline 2 (event W1): source_sequence must be a whole number",
        ),
    ]
    assert list(InventoryEvent.objects.values_list("source_event_id", flat=True)) == ["W2"]
