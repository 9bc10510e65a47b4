"""The inventory examples of the schema are real: sent in order, they get exactly the answers shown.

The story: the ERP's key sends the pallet's put-away, then the example batch (the put-away again,
its release from quarantine, a consumption); the MES-style snapshot of the line; a CSV export with
a line that has no time zone; then the housing's balance at the line and its latest event.
"""

import pytest

from procurement import factories

from .conftest import results
from .test_examples import request_example, response_example, steady

V1 = "/api/v1/"
CSV = (
    "source_event_id,source_sequence,occurred_at,plant,part_number,kind,quantity,location,to_location\n"
    "WMS-779100,91040,2026-12-05T11:00:00Z,DET,BRG-6204,receipt,500,DOCK-1,\n"
    "WMS-779110,91041,2026-12-05T11:20:00Z,DET,BRG-6204,transfer,200,DOCK-1,A-07\n"
    "WMS-779120,91042,2026-12-05T11:40:00,DET,BRG-6204,issue,10,DOCK-1,\n"
)


@pytest.fixture
def schema(anonymous):
    return anonymous.get("/api/schema/", {"format": "json"}).json()


def test_the_inventory_story_told_by_the_examples_is_what_the_api_answers(schema, system, company, plant):
    for part in ("HSG-2200", "BRG-6204"):
        factories.ItemFactory(company=company, part_number=part)

    def answers(path: str, got, method: str = "get") -> None:
        assert steady(got) == steady(response_example(schema, V1 + path, method)), got

    batch = request_example(schema, V1 + "system/inventory-events/")
    assert system.post(V1 + "system/inventory-events/", {**batch, "events": batch["events"][:1]}).status_code == 200
    answers("system/inventory-events/", system.post(V1 + "system/inventory-events/", batch).json(), "post")
    snapshot = request_example(schema, V1 + "system/inventory-snapshots/")
    answers("system/inventory-snapshots/", system.post(V1 + "system/inventory-snapshots/", snapshot).json(), "post")
    bulk = system.post(V1 + "system/inventory-events/bulk/", raw=CSV.encode(), content_type="text/csv").json()
    answers("system/inventory-events/bulk/", bulk, "post")
    balances = system.get(V1 + "system/inventory-balances/", {"plant": "DET", "location": "LINE-3", "lot": "L-0412"})
    answers("system/inventory-balances/", balances.json()[0])
    history = system.get(V1 + "system/items/HSG-2200/inventory-events/")
    answers("system/items/{part_number}/inventory-events/", results(history)[0])
