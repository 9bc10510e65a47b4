"""Requirements through the system API: demand batches, a run, shortages, planned purchases, an item's
projection, and a planned purchase turned into a PO. Personas: ``system`` (ACME's ERP key), ``foreign``
(GLOBEX's ERP key), ``owner`` (a supplier's key)."""

import pytest

from materials.models import Demand, PlannedPurchase, RequirementRun
from materials.tasks import requirements_run
from procurement.models import InboundDocument, PurchaseOrder

from .conftest import results

ITEMS = "/api/v1/system/items/"
RELEASES = "/api/v1/system/bom-releases/"
DEMANDS = "/api/v1/system/demands/"
RUNS = "/api/v1/system/requirement-runs/"


@pytest.fixture
def pump(system, plant, supplier):
    body = {
        "company": "ACME",
        "items": [
            {"part_number": "PUMP", "make_or_buy": "make"},
            {
                "part_number": "BOLT",
                "moq": "100",
                "approved_suppliers": [{"supplier_code": "BOLTS", "lead_time_days": 7}],
            },
        ],
    }
    assert system.post(ITEMS, body).status_code == 200
    release = {
        "company": "ACME",
        "bom_type": "manufacturing",
        "release_id": "PUMP-A",
        "parent_part_number": "PUMP",
        "revision": "A",
        "status": "approved_for_production",
        "effectivity": [{"plant_code": "DET"}],
        "components": [{"position": "10", "part_number": "BOLT", "quantity_per": "4"}],
    }
    assert system.post(RELEASES, release).status_code == 201


def demands(*rows, company="ACME"):
    return {
        "company": company,
        "demands": [
            dict(zip(("source_id", "kind", "part_number", "plant_code", "quantity", "need_date"), r)) for r in rows
        ],
    }


def test_a_demand_batch_is_stored_and_answered_demand_by_demand(pump, system):
    response = system.post(
        DEMANDS,
        demands(
            ("MO-1", "production_order", "PUMP", "DET", "10", "2027-03-10"),
            ("MO-2", "production_order", "NOPE", "DET", "1", "2027-03-10"),
        ),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["refused"], body["run"]) == (1, 1, None)
    assert body["demands"][1] == {"source_id": "MO-2", "outcome": "refused", "reason": "item 'NOPE' is not known"}
    assert InboundDocument.objects.get(pk=body["document"]).document_type == "demands"
    assert Demand.objects.get().reference == ""


def full_run(system) -> dict:
    """Ask for a full run, run the task the worker would, and answer the run as a poll then reads it."""
    queued = system.post(RUNS)
    assert (queued.status_code, queued.json()["state"]) == (202, "queued"), queued.content
    assert requirements_run(queued.json()["id"]) == "done"
    return system.get(f"{RUNS}{queued.json()['id']}/").json()


def test_a_run_lists_its_shortage_planned_purchase_and_projection_and_a_buyer_orders_it(pump, system):
    system.post(DEMANDS, demands(("MO-1", "production_order", "PUMP", "DET", "10", "2027-03-10")))
    run = full_run(system)
    # PUMP and BOLT at DET are netted; only BOLT has requirements (a production order's own item is not netted)
    assert run["counts"] == {"item_locations": 2, "projection_rows": 1, "planned_purchases": 1, "shortages": 1}

    [shortage] = results(system.get("/api/v1/system/shortages/"))
    assert (shortage["part_number"], shortage["kind"], shortage["date"], shortage["quantity"]) == (
        "BOLT",
        "short",
        "2027-03-10",
        "40.0000",
    )
    assert [p["reference"] for p in shortage["pegs"]] == ["MO-1"]
    [planned] = results(system.get("/api/v1/system/planned-purchases/"))
    assert (planned["supplier"], planned["quantity"], planned["release_date"]) == ("BOLTS", "100.0000", "2027-03-03")
    projection = system.get("/api/v1/system/items/BOLT/projection/", {"plant": "DET"}).json()
    # every term a planner reads, by name
    assert [{k: v for k, v in r.items() if k != "pegs"} for r in projection] == [
        {
            "date": "2027-03-10",
            "opening": "0.0000",
            "allocated": "0.0000",
            "receipts": "0.0000",
            "in_transit": "0.0000",
            "quality_inspection": "0.0000",
            "demand": "40.0000",
            "for_primaries": "0.0000",
            "by_alternates": "0.0000",
            "planned": "100.0000",
            "safety_stock": "0.0000",
            "projected": "-40.0000",
            "substitutions": [],
        }
    ]

    ordered = system.post(f"/api/v1/system/planned-purchases/{planned['id']}/order/", {"number": "PO-PLAN-1"})
    assert ordered.status_code == 201, ordered.content
    po = PurchaseOrder.objects.get(number="PO-PLAN-1")
    assert (po.supplier.code, po.lines.get().quantity, str(po.lines.get().need_by)) == ("BOLTS", 100, "2027-03-10")
    assert PlannedPurchase.objects.get().state == "ordered"
    again = system.post(f"/api/v1/system/planned-purchases/{planned['id']}/order/", {"number": "PO-PLAN-2"})
    assert (again.status_code, again.json()["code"]) == (409, "already_ordered")
    assert PurchaseOrder.objects.count() == 1


def test_a_changed_demand_is_re_planned_at_once_after_a_full_run(pump, system):
    system.post(DEMANDS, demands(("MO-1", "production_order", "PUMP", "DET", "10", "2027-03-10")))
    full_run(system)
    body = system.post(DEMANDS, demands(("MO-1", "production_order", "PUMP", "DET", "20", "2027-03-10"))).json()
    assert body["updated"] == 1
    assert RequirementRun.objects.get(pk=body["run"]).mode == "net_change"
    projection = system.get("/api/v1/system/items/BOLT/projection/", {"plant": "DET"}).json()
    assert [r["demand"] for r in projection] == ["80.0000"]


def test_another_company_sees_nothing_and_cannot_order_and_a_supplier_key_is_refused(pump, system, foreign, owner):
    system.post(DEMANDS, demands(("MO-1", "production_order", "PUMP", "DET", "10", "2027-03-10")))
    full_run(system)
    planned = PlannedPurchase.objects.get()
    assert results(foreign.get("/api/v1/system/shortages/")) == []
    assert results(foreign.get("/api/v1/system/planned-purchases/")) == []
    assert foreign.get("/api/v1/system/items/BOLT/projection/", {"plant": "DET"}).json() == []
    assert foreign.post(f"/api/v1/system/planned-purchases/{planned.pk}/order/", {"number": "X"}).status_code == 404
    assert (
        foreign.post(DEMANDS, demands(("MO-9", "production_order", "PUMP", "DET", "1", "2027-03-10"))).status_code
        == 404
    )
    assert owner.get("/api/v1/system/shortages/").status_code == 403
    assert (
        owner.post(DEMANDS, demands(("MO-9", "production_order", "PUMP", "DET", "1", "2027-03-10"))).status_code == 403
    )
    assert PurchaseOrder.objects.count() == 0
    assert Demand.objects.count() == 1


@pytest.mark.parametrize(
    ("quantity", "need_date", "field", "message"),
    [
        ("\u0663", "2027-03-10", "demands[0].quantity", "Use the digits 0-9."),
        ("\u00b2", "2027-03-10", "demands[0].quantity", "Use the digits 0-9."),
        ("9" * 5000, "2027-03-10", "demands[0].quantity", "String value too large."),
        ("10", "\uff12\uff10\uff12\uff17-03-10", "demands[0].need_date", "Use the digits 0-9."),
        (
            "10",
            "2026-13-45",
            "demands[0].need_date",
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
        ),
    ],
)
def test_a_demand_in_other_digits_a_huge_number_or_a_date_that_does_not_exist_is_refused(
    pump, system, quantity, need_date, field, message
):
    response = system.post(DEMANDS, demands(("MO-1", "production_order", "PUMP", "DET", quantity, need_date)))

    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [(field, message)]
    assert Demand.objects.count() == 0


def test_a_run_asked_for_twice_is_queued_once_and_polled_until_done(pump, system, foreign):
    system.post(DEMANDS, demands(("MO-1", "production_order", "PUMP", "DET", "10", "2027-03-10")))

    first = system.post(RUNS)
    second = system.post(RUNS)
    assert (first.status_code, second.status_code) == (202, 200)
    assert (second.json()["id"], second.json()["state"]) == (first.json()["id"], "queued")
    polled = system.get(f"{RUNS}{first.json()['id']}/").json()
    assert (polled["state"], polled["started_at"], polled["finished_at"], polled["counts"]) == (
        "queued",
        None,
        None,
        {},
    )
    assert foreign.get(f"{RUNS}{first.json()['id']}/").status_code == 404

    assert requirements_run(first.json()["id"]) == "done"

    polled = system.get(f"{RUNS}{first.json()['id']}/").json()
    assert (polled["state"], polled["error"], polled["counts"]["planned_purchases"]) == ("done", "", 1)
    third = system.post(RUNS)
    assert (third.status_code, third.json()["state"]) == (202, "queued")
    assert third.json()["id"] != first.json()["id"]
    assert RequirementRun.objects.filter(mode="full").count() == 2
