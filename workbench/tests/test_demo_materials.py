"""The demo's materials, as the issue asks for them: a product with a three-level BOM, alternates, a
pending engineering change effective next month at one plant only, and a held release waiting for an item."""

import datetime as dt

from gateway.actors import Actor
from materials import inputs
from materials.demo import materials_demo_seed, next_month
from materials.models import BomRelease
from materials.selectors import bom_as_of
from materials.services import items_upsert

from .conftest import TODAY


def test_next_month_is_the_first_of_the_following_month():
    assert [next_month(d) for d in (dt.date(2027, 1, 10), dt.date(2027, 1, 31), dt.date(2027, 12, 31))] == [
        dt.date(2027, 2, 1),
        dt.date(2027, 2, 1),
        dt.date(2028, 1, 1),
    ]


def test_the_demo_product_has_three_levels_alternates_and_a_change_at_monterrey_only(company, acme_materials):
    actor = Actor.for_system(company_ids={company.pk}, label="test")

    def tree(plant, on):
        return bom_as_of(actor=actor, company_code="ACME", part_number="PUMP-100", plant_code=plant, on=on)

    today, change = tree("DET", TODAY), tree("MTY", dt.date(2027, 2, 1))
    assert max(row.level for row in today.rows) == 3
    assert sorted(row.part_number for row in today.rows if row.is_alternate) == ["BLT-M8-SS", "BRG-331", "GSK-221"]
    assert [
        (t.revision, [r.part_number for r in t.rows if r.part_number.startswith("MTR")])
        for t in (
            tree("MTY", dt.date(2027, 1, 31)),
            change,
            tree("DET", dt.date(2027, 2, 1)),
        )
    ] == [("A", ["MTR-400"]), ("B", ["MTR-410"]), ("A", ["MTR-400"])]
    assert acme_materials == {"sent": 7, "held": 2}


def test_the_release_held_for_an_item_applies_when_the_item_arrives(company, acme_materials):
    actor = Actor.for_system(company_ids={company.pk}, label="system ERP")
    held = BomRelease.objects.get(release_id="DEMO-IMP-300-B")
    assert (held.state, held.waits_for_items) == ("held", ["SEAL-340"])

    items_upsert(
        actor=actor,
        batch=inputs.ItemBatchInput("ACME", "ERP", (inputs.ItemInput(part_number="SEAL-340", description="Seal"),)),
    )

    held.refresh_from_db()
    assert held.state == "applied"


def test_seeding_again_sends_nothing_again(company, acme_materials):
    before = list(BomRelease.objects.order_by("pk").values_list("pk", "state"))

    again = materials_demo_seed(company=company, today=TODAY)

    assert again == {"sent": 0, "held": 2}
    assert list(BomRelease.objects.order_by("pk").values_list("pk", "state")) == before
