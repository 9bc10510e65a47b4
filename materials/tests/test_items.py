"""The item master from the ERP: planning data, plants, approved suppliers, versions."""

from decimal import Decimal

import pytest

from materials import inputs
from materials.models import ApprovedSupplier, ItemPlanning, ItemPlantPlanning, ItemVersion
from materials.services import items_upsert
from materials.services.errors import NotFound
from procurement.models import AuditEvent, Item, SupplierItem, UomConversion

ITEM = inputs.ItemInput(
    part_number="BOLT-10",
    description="Bolt M10",
    base_uom="EA",
    category="fasteners",
    make_or_buy="buy",
    lead_time_days=12,
    moq=Decimal(100),
    order_multiple=Decimal(50),
    safety_stock=Decimal(500),
    conversions=(inputs.UomConversionInput("BOX", Decimal(100)),),
    plants=(inputs.ItemPlantInput("DET", lead_time_days=5, safety_stock=Decimal(200)),),
    approved_suppliers=(inputs.ApprovedSupplierInput("BOLTS", "B-M10", priority=1, lead_time_days=9),),
)


def upsert(actor, *batch):
    return items_upsert(actor=actor, batch=inputs.ItemBatchInput("ACME", "ERP", batch), correlation_id="corr-items")


def test_an_item_is_created_whole_and_versioned(system, supplier):
    outcomes = upsert(system, ITEM)

    assert [(o.part_number, o.outcome, o.reason) for o in outcomes] == [("BOLT-10", "created", "")]
    item = Item.objects.get(part_number="BOLT-10")
    assert (item.description, item.base_uom) == ("Bolt M10", "EA")
    planning = ItemPlanning.objects.get(item=item)
    assert (planning.category, planning.make_or_buy, planning.lead_time_days, planning.version) == (
        "fasteners",
        "buy",
        12,
        1,
    )
    assert (planning.moq, planning.order_multiple, planning.safety_stock) == (Decimal(100), Decimal(50), Decimal(500))
    assert list(UomConversion.objects.filter(item=item).values_list("uom", "factor")) == [("BOX", Decimal(100))]
    plant = ItemPlantPlanning.objects.get(item=item)
    assert (plant.plant.code, plant.lead_time_days, plant.safety_stock, plant.moq) == ("DET", 5, Decimal(200), None)
    offer = SupplierItem.objects.get(item=item)
    assert (offer.supplier.code, offer.supplier_part_number, offer.lead_time_days, offer.moq) == (
        "BOLTS",
        "B-M10",
        9,
        Decimal(1),
    )
    assert ApprovedSupplier.objects.get(item=item).priority == 1
    version = ItemVersion.objects.get(item=item)
    assert (version.version, version.source_system, version.correlation_id) == (1, "ERP", "corr-items")
    assert version.data["approved_suppliers"][0]["supplier_part_number"] == "B-M10"
    assert AuditEvent.objects.filter(action="item_planning.created", correlation_id="corr-items").count() == 1


def test_the_same_item_again_is_unchanged_and_a_change_is_a_new_version(system, supplier):
    from dataclasses import replace

    upsert(system, ITEM)
    assert [o.outcome for o in upsert(system, ITEM)] == ["unchanged"]
    assert ItemVersion.objects.count() == 1

    changed = replace(ITEM, lead_time_days=20, approved_suppliers=(), conversions=())
    assert [o.outcome for o in upsert(system, changed)] == ["updated"]

    item = Item.objects.get(part_number="BOLT-10")
    assert list(ItemVersion.objects.filter(item=item).values_list("version", flat=True)) == [1, 2]
    assert ItemPlanning.objects.get(item=item).lead_time_days == 20
    assert SupplierItem.objects.filter(item=item).count() == 0
    assert ApprovedSupplier.objects.count() == 0
    assert UomConversion.objects.filter(item=item).count() == 0


def test_an_item_a_po_created_is_the_same_item(system, published_po):
    part = published_po.lines.first().item.part_number
    before = Item.objects.get(part_number=part)

    outcomes = upsert(system, inputs.ItemInput(part_number=part, description="From the item master"))

    assert [o.outcome for o in outcomes] == ["created"]
    after = Item.objects.get(part_number=part)
    assert (after.pk, after.description) == (before.pk, "From the item master")


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (inputs.ItemInput("P-1", plants=(inputs.ItemPlantInput("NOPE"),)), "item P-1: plant 'NOPE' is not known"),
        (
            inputs.ItemInput("P-1", approved_suppliers=(inputs.ApprovedSupplierInput("NOBODY"),)),
            "item P-1: supplier 'NOBODY' is not known",
        ),
        (inputs.ItemInput("P-1", moq=Decimal(0)), "item P-1: moq must be positive"),
        (inputs.ItemInput("P-1", make_or_buy="borrow"), "item P-1: make_or_buy must be one of make, buy, not 'borrow'"),
        (
            inputs.ItemInput("P-1", conversions=(inputs.UomConversionInput("BOX", Decimal(-1)),)),
            "item P-1: the factor of BOX must be positive",
        ),
        (inputs.ItemInput(""), "a part number must have 1 to 64 characters"),
    ],
)
def test_an_item_that_breaks_a_rule_is_refused_and_the_others_go_ahead(system, item, reason):
    outcomes = upsert(system, item, inputs.ItemInput("GOOD-1"))

    assert [(o.outcome, o.reason) for o in outcomes] == [("refused", reason), ("created", "")]
    assert list(Item.objects.values_list("part_number", flat=True)) == ["GOOD-1"]


def test_a_part_twice_in_a_batch_is_refused_the_second_time(system):
    outcomes = upsert(
        system, inputs.ItemInput("P-1", description="first"), inputs.ItemInput("P-1", description="second")
    )

    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("created", ""),
        ("refused", "part number P-1 is in the batch twice"),
    ]
    assert Item.objects.get(part_number="P-1").description == "first"


def test_a_supplier_or_another_company_cannot_write_items(system, supplier_actor, other_company):
    from gateway.actors import Actor

    for actor in (supplier_actor, Actor.for_system(company_ids={other_company.pk}, label="x"), Actor.nobody()):
        with pytest.raises(NotFound):
            upsert(actor, ITEM)
    assert Item.objects.count() == 0
    assert ItemVersion.objects.count() == 0
