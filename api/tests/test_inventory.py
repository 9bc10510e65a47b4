"""The inventory ledger through the system API: events one or in a batch, bulk JSON Lines and CSV,
snapshots, balances (now and as of a time), an item's history, receipts, and who sees what.

Personas: ``system`` is ACME's ERP key, ``wms`` ACME's WMS key, ``foreign`` GLOBEX's ERP key.
"""

import pytest

from api.models import ApiKey
from materials.models import InventoryBalance, InventoryEvent, InventoryEventConflict
from procurement import factories
from procurement.models import InboundDocument

from .conftest import Api, receipt_body, results

EVENTS = "/api/v1/system/inventory-events/"
BULK = "/api/v1/system/inventory-events/bulk/"
SNAPSHOTS = "/api/v1/system/inventory-snapshots/"
BALANCES = "/api/v1/system/inventory-balances/"


@pytest.fixture
def wms(company) -> Api:
    return Api(ApiKey.issue(kind="system", system_name="WMS", company=company, name="WMS", scope="write")[1])


@pytest.fixture
def stocked(company, plant):
    factories.ItemFactory(company=company, part_number="HSG-2200")
    factories.ItemFactory(company=company, part_number="BRG-6204")


def ev(event_id, sequence, kind="receipt", quantity="10", part="HSG-2200", **fields):
    return {
        "plant": "DET",
        "part_number": part,
        "kind": kind,
        "quantity": quantity,
        "source_event_id": event_id,
        "source_sequence": sequence,
        "occurred_at": f"2026-12-03T09:{sequence % 60:02d}:00Z",
        **fields,
    }


def positions(source=None):
    rows = InventoryBalance.objects.select_related("item")
    if source:
        rows = rows.filter(source_system=source)
    return sorted(
        (b.item.part_number, b.location, b.stock_status, b.source_system, str(b.physical), str(b.posted)) for b in rows
    )


def test_a_batch_answers_each_event_in_order(wms, stocked):
    wms.post(EVENTS, {"company": "ACME", "events": [ev("W-1", 1, quantity="400", location="DOCK")]})
    response = wms.post(
        EVENTS,
        {
            "company": "ACME",
            "events": [
                ev("W-1", 1, quantity="400", location="DOCK"),
                ev("W-2", 2, "issue", "25", location="DOCK"),
                ev("W-3", 3, "issue", "-5", location="DOCK"),
                ev("W-1", 1, quantity="401", location="DOCK"),
                {"plant": "DET", "source_event_id": "W-4", "quantiy": "1"},
            ],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("applied", "duplicate", "conflict", "refused")} == {
        "applied": 1,
        "duplicate": 1,
        "conflict": 1,
        "refused": 2,
    }
    assert [(e["line"], e["source_event_id"], e["outcome"], e["reason"]) for e in body["events"]] == [
        (1, "W-1", "duplicate", "already in the ledger: no effect"),
        (2, "W-2", "applied", ""),
        (3, "W-3", "refused", "a issue needs a positive quantity (the magnitude moved)"),
        (4, "W-1", "conflict", "event id W-1 was used for another event: refused"),
        (5, "W-4", "refused", "unknown field 'quantiy'"),
    ]
    assert positions() == [("HSG-2200", "DOCK", "usable", "WMS", "375.0000", "0.0000")]
    assert InventoryEventConflict.objects.get().source_system == "WMS"
    document = InboundDocument.objects.get(pk=body["document"])
    assert (document.document_type, document.state, document.sender) == ("inventory_events", "processed", "WMS")
    assert set(InventoryEvent.objects.filter(source_event_id="W-2").values_list("document_id", flat=True)) == {
        document.pk
    }


def test_one_event_on_its_own(wms, stocked):
    response = wms.post(EVENTS, {"company": "ACME", **ev("W-9", 9, "count", "12")})
    assert (response.status_code, response.json()["applied"]) == (200, 1)
    assert positions() == [("HSG-2200", "", "usable", "WMS", "12.0000", "0.0000")]


def test_another_companys_code_is_refused_as_unknown(foreign, foreign_company, stocked):
    response = foreign.post(EVENTS, {"company": "ACME", "events": [ev("X", 1)]})
    assert (response.status_code, response.json()["code"]) == (404, "unknown_company")
    assert InventoryEvent.objects.count() == 0
    assert InboundDocument.objects.get().state == "refused"


def test_a_batch_over_the_limit_is_refused(wms, stocked):
    response = wms.post(EVENTS, {"company": "ACME", "events": [ev(f"E{n}", n) for n in range(10_001)]})
    assert response.status_code == 400
    assert InventoryEvent.objects.count() == 0


def test_bulk_json_lines(wms, stocked):
    lines = [
        '{"plant":"DET","part_number":"HSG-2200","kind":"receipt","quantity":"5","source_event_id":"B1",'
        '"source_sequence":1,"occurred_at":"2026-12-03T09:00:00Z"}',
        "",
        "{not json",
        '{"plant":"DET","part_number":"NOPE","kind":"receipt","quantity":"5","source_event_id":"B2",'
        '"source_sequence":2,"occurred_at":"2026-12-03T09:00:00Z"}',
        '{"plant":"DET","part_number":"HSG-2200","kind":"receipt","quantity":"5","source_event_id":"B1",'
        '"source_sequence":1,"occurred_at":"2026-12-03T09:00:00Z"}',
    ]
    response = wms.post(BULK, raw="\n".join(lines).encode(), content_type="application/x-ndjson")
    assert response.status_code == 200
    body = response.json()
    assert (body["applied"], body["duplicate"], body["refused"]) == (1, 1, 2)
    assert [(o["line"], o["source_event_id"], o["outcome"]) for o in body["lines"]] == [
        (3, "", "refused"),
        (4, "B2", "refused"),
        (5, "B1", "duplicate"),
    ]
    assert body["lines"][1]["reason"] == "item 'NOPE' is not known"
    assert positions() == [("HSG-2200", "", "usable", "WMS", "5.0000", "0.0000")]


def test_bulk_csv(wms, stocked):
    csv = (
        "source_event_id,source_sequence,occurred_at,plant,part_number,kind,quantity,location,to_location\n"
        "C1,1,2026-12-03T09:00:00+01:00,DET,BRG-6204,receipt,100,A,\n"
        "C2,2,2026-12-03T09:05:00+01:00,DET,BRG-6204,transfer,30,A,B\n"
        "C3,3,2026-12-03T09:05:00,DET,BRG-6204,issue,1,B,\n"
    )
    response = wms.post(BULK, raw=csv.encode(), content_type="text/csv")
    body = response.json()
    assert (response.status_code, body["applied"], body["refused"]) == (200, 2, 1)
    assert body["lines"] == [
        {
            "line": 4,
            "source_event_id": "C3",
            "outcome": "refused",
            "reason": "occurred_at needs a time zone (Z or +hh:mm)",
        }
    ]
    assert positions() == [
        ("BRG-6204", "A", "usable", "WMS", "70.0000", "0.0000"),
        ("BRG-6204", "B", "usable", "WMS", "30.0000", "0.0000"),
    ]


def test_bulk_of_another_type_is_refused_and_recorded(wms, stocked):
    response = wms.post(BULK, raw=b"<xml/>", content_type="application/xml")
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    assert InboundDocument.objects.get().state == "rejected"


def test_a_snapshot_is_counts_and_the_same_snapshot_again_changes_nothing(wms, stocked):
    wms.post(EVENTS, {"company": "ACME", "events": [ev("W-1", 1, quantity="400", location="L3")]})
    snapshot = {
        "company": "ACME",
        "snapshot_id": "MES-1205",
        "scope": "partial",
        "sequence": 5,
        "taken_at": "2026-12-05T23:00:00Z",
        "balances": [
            {"plant": "DET", "part_number": "HSG-2200", "location": "L3", "quantity": "118"},
            {"plant": "DET", "part_number": "BRG-6204", "location": "L3", "quantity": "240"},
        ],
    }
    first = wms.post(SNAPSHOTS, snapshot).json()
    again = wms.post(SNAPSHOTS, snapshot).json()
    assert (first["applied"], again["duplicate"]) == (2, 2)
    assert positions() == [
        ("BRG-6204", "L3", "usable", "WMS", "240.0000", "0.0000"),
        ("HSG-2200", "L3", "usable", "WMS", "118.0000", "0.0000"),
    ]


def test_balances_now_and_as_of_a_time_and_history(wms, system, foreign, stocked):
    wms.post(
        EVENTS,
        {"company": "ACME", "events": [ev("W-1", 1, quantity="400"), ev("W-2", 30, "issue", "100")]},
    )
    system.post(EVENTS, {"company": "ACME", "events": [ev("E-1", 7, quantity="400", posting="posted")]})
    now = wms.get(BALANCES, {"plant": "DET", "part_number": "HSG-2200"}).json()
    assert [(b["source_system"], b["physical"], b["posted"]) for b in now] == [
        ("ERP", "0.0000", "400.0000"),
        ("WMS", "300.0000", "0.0000"),
    ]
    then = wms.get(BALANCES, {"plant": "DET", "source": "WMS", "as_of": "2026-12-03T09:10:00Z"}).json()
    assert [(b["part_number"], b["physical"], b["last_sequence"]) for b in then] == [("HSG-2200", "400.0000", 1)]
    assert foreign.get(BALANCES, {"plant": "DET"}).json() == []
    history = results(wms.get("/api/v1/system/items/HSG-2200/inventory-events/", {"source": "WMS"}))
    assert [(e["source_event_id"], e["kind"], e["base_quantity"]) for e in history] == [
        ("W-2", "issue", "100.0000"),
        ("W-1", "receipt", "400.0000"),
    ]
    assert results(foreign.get("/api/v1/system/items/HSG-2200/inventory-events/")) == []
    assert wms.get(BALANCES, {"plant": "DET", "as_of": "yesterday"}).status_code == 400


def test_a_receipt_posts_physical_then_posted_events(system, published_po):
    assert system.post("/api/v1/system/receipts/", receipt_body(quantity="40")).status_code == 201
    assert positions("PROCUREMENT") == [("PART-00001", "", "usable", "PROCUREMENT", "40.0000", "0.0000")]
    system.post("/api/v1/system/receipts/", receipt_body(quantity="40"))  # the same receipt again
    body = receipt_body(quantity="40") | {"posted": True}
    assert system.post("/api/v1/system/receipts/", body).status_code in (200, 201)
    assert positions("PROCUREMENT") == [("PART-00001", "", "usable", "PROCUREMENT", "40.0000", "40.0000")]
    assert InventoryEvent.objects.count() == 2


def test_a_month_that_does_not_exist_in_as_of_is_a_bad_request(wms, stocked):
    response = wms.get(BALANCES, {"plant": "DET", "as_of": "2026-13-45T00:00:00Z"})
    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("as_of", "Not a timestamp with a time zone: give e.g. 2026-12-03T09:00:00Z.")
    ]


def test_a_sequence_in_other_digits_or_too_big_is_refused_and_the_document_settled(wms, stocked):
    events = [ev("S-1", 1), {**ev("S-2", 2), "source_sequence": "²"}, {**ev("S-3", 3), "source_sequence": 2**63}]
    response = wms.post(EVENTS, {"company": "ACME", "events": events})
    assert response.status_code == 200
    assert [(e["source_event_id"], e["outcome"], e["reason"]) for e in response.json()["events"]] == [
        ("S-1", "applied", ""),
        ("S-2", "refused", "source_sequence must be a whole number"),
        ("S-3", "refused", f"source_sequence must be between 0 and {2**63 - 1}"),
    ]
    assert InventoryEvent.objects.count() == 1
    assert InboundDocument.objects.get().state == "processed"


def test_bulk_lines_nested_too_deeply_are_refused_and_the_rest_applied(wms, stocked):
    good = (
        '{"plant":"DET","part_number":"HSG-2200","kind":"receipt","quantity":"5","source_event_id":"D1",'
        '"source_sequence":1,"occurred_at":"2026-12-03T09:00:00Z"}'
    )
    body = "\n".join(["[" * 60_000, good, '{"source_sequence":"99999999999999999999"}']).encode()
    response = wms.post(BULK, raw=body, content_type="application/x-ndjson")
    assert response.status_code == 200
    result = response.json()
    assert (result["applied"], result["refused"]) == (1, 2)
    assert [(o["line"], o["reason"]) for o in result["lines"]] == [
        (1, "not JSON: nested too deeply"),
        (3, "plant is required"),
    ]
    assert InboundDocument.objects.get().state == "processed"


def test_bulk_csv_with_a_cell_over_the_reader_limit_refuses_the_rest_of_the_file(wms, stocked):
    csv = (
        "source_event_id,source_sequence,occurred_at,plant,part_number,kind,quantity\n"
        "C1,1,2026-12-03T09:00:00Z,DET,BRG-6204,receipt,100\n"
        f"C2,2,2026-12-03T09:05:00Z,DET,BRG-6204,receipt,{'9' * 140_000}\n"
        "C3,3,2026-12-03T09:05:00Z,DET,BRG-6204,receipt,1\n"
    )
    response = wms.post(BULK, raw=csv.encode(), content_type="text/csv")
    assert response.status_code == 200
    body = response.json()
    assert (body["applied"], body["refused"]) == (1, 1)
    assert body["lines"] == [
        {
            "line": 3,
            "source_event_id": "",
            "outcome": "refused",
            "reason": "this row and the rest of the file cannot be read: field larger than field limit (131072)",
        }
    ]
    assert InboundDocument.objects.get().state == "processed"


@pytest.mark.django_db(transaction=True)
def test_a_bulk_failing_in_its_second_chunk_keeps_the_first_and_a_resend_applies_the_rest_once(
    wms, stocked, company, monkeypatch
):
    import functools

    from api.views import inventory as views
    from materials.services import inventory as service
    from materials.services import inventory_bulk as bulk

    monkeypatch.setattr(views, "inventory_csv_ingest", functools.partial(bulk.inventory_csv_ingest, chunk=2))
    real_project, calls = service.balances_project, []

    def failing_second_chunk(**kwargs):
        calls.append(len(kwargs["events"]))
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_project(**kwargs)

    # Each chunk ends by bringing the balances forward, on the SQL path (PostgreSQL) and line by line alike.
    monkeypatch.setattr(service, "balances_project", failing_second_chunk)
    monkeypatch.setattr(bulk, "balances_project", failing_second_chunk)
    body = "\n".join(
        ["plant,part_number,kind,quantity,source_event_id,source_sequence,occurred_at"]
        + [f"DET,HSG-2200,receipt,1,R{n},{n},2026-12-03T09:00:00Z" for n in range(1, 6)]
    ).encode()

    assert wms.post(BULK, raw=body, content_type="text/csv").status_code == 500

    assert sorted(InventoryEvent.objects.values_list("source_event_id", flat=True)) == ["R1", "R2"]
    failed = InboundDocument.objects.get()
    assert (failed.state, failed.outcome_code, failed.error, failed.company_id) == (
        "failed",
        "error",
        "RuntimeError: database went away",
        company.pk,
    )

    monkeypatch.setattr(service, "balances_project", real_project)
    monkeypatch.setattr(bulk, "balances_project", real_project)
    response = wms.post(BULK, raw=body, content_type="text/csv")

    assert response.status_code == 200
    result = response.json()
    assert (result["applied"], result["duplicate"], result["refused"]) == (3, 2, 0)
    assert sorted(InventoryEvent.objects.values_list("source_event_id", flat=True)) == ["R1", "R2", "R3", "R4", "R5"]
    assert positions() == [("HSG-2200", "", "usable", "WMS", "5.0000", "0.0000")]
    resent = InboundDocument.objects.exclude(pk=failed.pk).get()
    assert (resent.state, resent.outcome_code, resent.company_id) == ("processed", "applied", company.pk)


def test_reservations_show_in_the_balances_now_and_as_of_a_time(wms, stocked):
    events = [
        ev("W-1", 1, quantity="400", location="R-1"),
        ev("W-2", 2, "reservation", "150", location="R-1"),
        ev("W-3", 40, "reservation", "-50", location="R-1"),
    ]
    response = wms.post(EVENTS, {"company": "ACME", "events": events})
    assert [e["outcome"] for e in response.json()["events"]] == ["applied"] * 3
    now = wms.get(BALANCES, {"plant": "DET", "part_number": "HSG-2200"}).json()
    assert [(b["location"], b["physical"], b["posted"], b["reserved"]) for b in now] == [
        ("R-1", "400.0000", "0.0000", "100.0000")
    ]
    then = wms.get(BALANCES, {"plant": "DET", "as_of": "2026-12-03T09:10:00Z"}).json()
    assert [(b["physical"], b["reserved"]) for b in then] == [("400.0000", "150.0000")]
    refused = wms.post(EVENTS, {"company": "ACME", "events": [ev("W-4", 41, "reservation", "0")]}).json()
    assert [(e["outcome"], e["reason"]) for e in refused["events"]] == [
        ("refused", "a reservation of 0 changes nothing")
    ]


def snapshot_of(snapshot_id, sequence, scope, balances, **fields):
    return {
        "company": "ACME",
        "snapshot_id": snapshot_id,
        "sequence": sequence,
        "taken_at": f"2026-12-03T10:{sequence:02d}:00Z",
        "scope": scope,
        "balances": balances,
        **fields,
    }


@pytest.fixture
def wms_stock(wms, system, stocked):
    """WMS at DET: HSG-2200 400 at R-1, 50 at R-2 (30 of them reserved), 10 in quarantine at QI;
    BRG-6204 20 at R-1. The ERP posts 400 HSG-2200 at R-1 (another system: no snapshot of the WMS touches it)."""
    events = [
        ev("W-1", 1, quantity="400", location="R-1"),
        ev("W-2", 2, quantity="50", location="R-2"),
        ev("W-3", 3, "reservation", "30", location="R-2"),
        ev("W-4", 4, quantity="10", location="QI", stock_status="quarantine"),
        ev("W-5", 5, quantity="20", location="R-1", part="BRG-6204"),
    ]
    assert wms.post(EVENTS, {"company": "ACME", "events": events}).json()["applied"] == 5
    system.post(EVENTS, {"company": "ACME", "events": [ev("E-1", 1, quantity="400", location="R-1", posting="posted")]})


HSG_R1 = {"plant": "DET", "part_number": "HSG-2200", "location": "R-1", "quantity": "380"}


def test_a_partial_snapshot_leaves_the_positions_it_does_not_list(wms, wms_stock):
    body = wms.post(SNAPSHOTS, snapshot_of("P-1", 10, "partial", [HSG_R1])).json()
    assert (body["applied"], body["zeroed"]) == (1, [])
    assert positions("WMS") == [
        ("BRG-6204", "R-1", "usable", "WMS", "20.0000", "0.0000"),
        ("HSG-2200", "QI", "quarantine", "WMS", "10.0000", "0.0000"),
        ("HSG-2200", "R-1", "usable", "WMS", "380.0000", "0.0000"),
        ("HSG-2200", "R-2", "usable", "WMS", "50.0000", "0.0000"),
    ]


def test_a_full_snapshot_counts_what_it_does_not_list_as_zero_with_an_event_each(wms, wms_stock):
    body = wms.post(SNAPSHOTS, snapshot_of("F-1", 10, "full", [HSG_R1])).json()
    assert (body["applied"], body["duplicate"]) == (1, 0)
    zeroed = [(z["part_number"], z["location"], z["stock_status"], z["outcome"]) for z in body["zeroed"]]
    assert zeroed == [
        ("BRG-6204", "R-1", "usable", "applied"),
        ("HSG-2200", "QI", "quarantine", "applied"),
        ("HSG-2200", "R-2", "usable", "applied"),
    ]
    assert all(z["source_event_id"].startswith("snapshot:F-1:") for z in body["zeroed"])
    assert positions("WMS") == [
        ("BRG-6204", "R-1", "usable", "WMS", "0.0000", "0.0000"),
        ("HSG-2200", "QI", "quarantine", "WMS", "0.0000", "0.0000"),
        ("HSG-2200", "R-1", "usable", "WMS", "380.0000", "0.0000"),
        ("HSG-2200", "R-2", "usable", "WMS", "0.0000", "0.0000"),
    ]
    # The ERP's posting is another system's; the reservation at R-2 is not stock on a side: both stay.
    assert positions("ERP") == [("HSG-2200", "R-1", "usable", "ERP", "0.0000", "400.0000")]
    assert InventoryBalance.objects.get(source_system="WMS", location="R-2").reserved == 30
    zero = InventoryEvent.objects.get(source_event_id=body["zeroed"][2]["source_event_id"])
    assert (zero.kind, zero.base_quantity, zero.source_sequence, zero.location) == ("count", 0, 10, "R-2")
    # The same snapshot again: every line and every zeroed position a duplicate, nothing new in the ledger.
    events = InventoryEvent.objects.count()
    again = wms.post(SNAPSHOTS, snapshot_of("F-1", 10, "full", [HSG_R1])).json()
    assert (again["duplicate"], {z["outcome"] for z in again["zeroed"]}) == (1, {"duplicate"})
    assert InventoryEvent.objects.count() == events


def test_a_full_snapshot_narrowed_to_locations_or_naming_only_a_plant(wms, wms_stock):
    body = wms.post(SNAPSHOTS, snapshot_of("L-1", 10, "full", [HSG_R1], locations=["R-1"])).json()
    assert [(z["part_number"], z["location"]) for z in body["zeroed"]] == [("BRG-6204", "R-1")]
    assert positions("WMS") == [
        ("BRG-6204", "R-1", "usable", "WMS", "0.0000", "0.0000"),
        ("HSG-2200", "QI", "quarantine", "WMS", "10.0000", "0.0000"),
        ("HSG-2200", "R-1", "usable", "WMS", "380.0000", "0.0000"),
        ("HSG-2200", "R-2", "usable", "WMS", "50.0000", "0.0000"),
    ]
    # A plant's full snapshot listing nothing: the system holds nothing there any more.
    empty = wms.post(SNAPSHOTS, snapshot_of("E-1", 11, "full", [], plants=["DET"])).json()
    assert [(z["part_number"], z["location"]) for z in empty["zeroed"]] == [
        ("HSG-2200", "QI"),
        ("HSG-2200", "R-1"),
        ("HSG-2200", "R-2"),
    ]
    assert {p[4] for p in positions("WMS")} == {"0.0000"}


def test_a_snapshot_must_say_its_scope_and_only_a_full_one_covers_plants(wms, stocked):
    missing = wms.post(SNAPSHOTS, {k: v for k, v in snapshot_of("S-1", 1, "full", [HSG_R1]).items() if k != "scope"})
    partial = wms.post(SNAPSHOTS, snapshot_of("S-2", 1, "partial", [HSG_R1], plants=["DET"]))
    empty = wms.post(SNAPSHOTS, snapshot_of("S-3", 1, "full", []))
    assert [r.status_code for r in (missing, partial, empty)] == [400, 400, 400]
    assert [(e["field"], e["message"]) for e in missing.json()["errors"]] == [("scope", "This field is required.")]
    assert [(e["field"], e["message"]) for e in partial.json()["errors"]] == [
        ("plants", "Only a full snapshot covers plants or locations.")
    ]
    assert [(e["field"], e["message"]) for e in empty.json()["errors"]] == [
        ("plants", "A full snapshot without balances names the plants it covers.")
    ]
    assert InventoryEvent.objects.count() == 0


def test_bulk_lines_with_a_nul_character_are_refused_not_a_500(wms, stocked):
    csv = (
        "source_event_id,source_sequence,occurred_at,plant,part_number,kind,quantity,location\n"
        "N1,1,2026-12-03T09:00:00Z,DET,BRG-6204,receipt,100,A\x00B\n"
        "N\x002,2,2026-12-03T09:00:00Z,DET,BRG-6204,receipt,100,A\n"
        "N3,3,2026-12-03T09:00:00Z,DET,BRG-6204,receipt,7,A\n"
    )
    response = wms.post(BULK, raw=csv.encode(), content_type="text/csv")
    body = response.json()
    assert (response.status_code, body["applied"], body["refused"]) == (200, 1, 2)
    assert [(o["line"], o["reason"]) for o in body["lines"]] == [
        (2, "location cannot hold a NUL character"),
        (3, "source_event_id cannot hold a NUL character"),
    ]
    lines = '{"plant":"DET","part_number":"BRG-6204","kind":"receipt","quantity":"5","source_event_id":"J1",'
    lines += '"source_sequence":4,"occurred_at":"2026-12-03T09:00:00Z","lot":"L\\u0000"}'
    response = wms.post(BULK, raw=lines.encode(), content_type="application/x-ndjson")
    assert (response.status_code, response.json()["refused"]) == (200, 1)
    assert positions() == [("BRG-6204", "A", "usable", "WMS", "7.0000", "0.0000")]
