"""The requirements examples of the schema are real: sent in order, they get exactly the answers shown.

The story (see api/examples.py): on 22 February 2027 ACME's ERP has the pump PUMP-100 and its casting
CAST-210 (CASTINGS: 21 days, at least 50), PO-4520 bringing 20 castings on 22 March, and production
order MO-2027-0412 for 30 pumps on 15 March; it makes a full run, then sends the example batch, which
re-plans the castings at once. Then it reads the runs, shortages, planned purchases and the castings'
projection, and orders the planned purchase. Ids, instants and the key's prefix differ from run to
run; every other value must be equal.
"""

import datetime as dt

import pytest
from django.utils import timezone

from api.examples import REQUIREMENT_RUN_DONE
from materials.tasks import requirements_run
from procurement import factories

from .conftest import results
from .test_examples import VOLATILE, request_example, response_example

V1 = "/api/v1/"
# The day the story is planned on: the run's horizon and whether a release date is already past.
TODAY = dt.date(2027, 2, 22)
# Besides what test_examples blanks: the requirement records' ids and a run's instants.
IDS = VOLATILE | {"demand", "run", "planned_purchase", "po", "po_lines", "requested_at", "started_at", "finished_at"}
EXAMPLE_PREFIX = "3f9a1c2e"


def steady(value):
    """``value`` with ids and instants blanked (each id of a list on its own, so their count is compared)."""
    if isinstance(value, dict):
        return {k: blank(v) if k in IDS else steady(v) for k, v in value.items()}
    if isinstance(value, list):
        return [steady(v) for v in value]
    return value


def blank(value):
    if isinstance(value, list):
        return ["~" for _ in value]
    return None if value is None else "~"


@pytest.fixture
def schema(anonymous):
    return anonymous.get("/api/schema/", {"format": "json"}).json()


def test_the_requirements_story_told_by_the_examples_is_what_the_api_answers(
    schema, system, system_key, company, plant, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    factories.SupplierFactory(code="CASTINGS", name="Castings Co")

    def post(path: str, body=None, code: int = 201) -> dict:
        response = system.post(V1 + path, request_example(schema, V1 + path) if body is None else body)
        assert response.status_code == code, response.content
        return response.json()

    def answers(path: str, got, method: str = "get", code: str = "200", template: str | None = None) -> None:
        assert steady(got) == steady(response_example(schema, V1 + (template or path), method, code)), got

    items = {
        "company": "ACME",
        "items": [
            {"part_number": "PUMP-100", "description": "Centrifugal pump assembly", "make_or_buy": "make"},
            {
                "part_number": "CAST-210",
                "description": "Housing casting, grey iron",
                "moq": "50",
                "order_multiple": "10",
                "approved_suppliers": [{"supplier_code": "CASTINGS", "lead_time_days": 21}],
            },
        ],
    }
    post("system/items/", items, 200)
    release = {
        "company": "ACME",
        "bom_type": "manufacturing",
        "release_id": "ECN-2027-003",
        "parent_part_number": "PUMP-100",
        "revision": "A",
        "status": "approved_for_production",
        "effectivity": [{"plant_code": "DET"}],
        "components": [{"position": "0010", "part_number": "CAST-210", "quantity_per": "1", "uom": "EA"}],
    }
    post("system/bom-releases/", release)
    line = {"line_no": "1", "part_number": "CAST-210", "quantity": "20", "uom": "EA", "unit_price": "42.00"}
    po = {"company": "ACME", "number": "PO-4520", "supplier": "CASTINGS", "ship_to": "DET", "currency": "USD"}
    post("system/purchase-orders/", po | {"order_date": "2027-02-01", "lines": [line | {"need_by": "2027-03-22"}]})

    batch = request_example(schema, V1 + "system/demands/")
    first = {"company": "ACME", "demands": [batch["demands"][0] | {"quantity": "30"}]}
    assert post("system/demands/", first, 200)["run"] is None  # never planned yet: nothing to re-plan
    full = post("system/requirement-runs/", {}, 202)
    assert full["reason"] == f"API key {system_key[0].label}"
    full["reason"] = full["reason"].replace(system_key[0].prefix, EXAMPLE_PREFIX)
    answers("system/requirement-runs/", full, "post", "202")
    assert requirements_run(full["id"]) == "done"  # what the worker does with the queued run
    done = system.get(f"{V1}system/requirement-runs/{full['id']}/").json()
    assert steady(done | {"reason": full["reason"]}) == steady(REQUIREMENT_RUN_DONE.value)

    demanded = post("system/demands/", code=200)
    answers("system/demands/", demanded, "post")

    (net_change, _) = results(system.get(V1 + "system/requirement-runs/"))
    assert (net_change["id"], net_change["reason"]) == (demanded["run"], f"demands {demanded['document']}")
    shown = response_example(schema, V1 + "system/requirement-runs/")
    answers("system/requirement-runs/", net_change | {"reason": shown["reason"]})
    detail = system.get(f"{V1}system/requirement-runs/{net_change['id']}/").json()
    assert detail == net_change
    answers(
        f"system/requirement-runs/{detail['id']}/",
        detail | {"reason": shown["reason"]},
        template="system/requirement-runs/{id}/",
    )

    shortages = results(system.get(V1 + "system/shortages/"))
    answers("system/shortages/", shortages[0])
    (planned,) = results(system.get(V1 + "system/planned-purchases/"))
    answers("system/planned-purchases/", planned)
    assert [s["planned_purchase"] for s in shortages] == [None, planned["id"]]
    projection = system.get(V1 + "system/items/CAST-210/projection/", {"plant": "DET"}).json()
    answers("system/items/CAST-210/projection/", projection[0], template="system/items/{part_number}/projection/")
    assert [(r["date"], r["receipts"], r["projected"]) for r in projection] == [
        ("2027-03-15", "0.0000", "-40.0000"),
        ("2027-03-19", "0.0000", "-45.0000"),
        ("2027-03-22", "20.0000", "-25.0000"),
    ]

    order = f"system/planned-purchases/{planned['id']}/order/"
    ordered = post(order, request_example(schema, V1 + "system/planned-purchases/{id}/order/"))
    answers(order, ordered, "post", "201", template="system/planned-purchases/{id}/order/")
    (now,) = results(system.get(V1 + "system/planned-purchases/"))
    assert (now["state"], now["po"]) == ("ordered", "PO-4531")
