"""ACME's demo stock goes in through the ledger's ingest and the reconciliation finds exactly its two variances."""

from materials.demo import inventory_demo_seed
from materials.inventory import available_for_planning
from materials.models import InventoryBalance, InventoryEvent
from procurement.models import Item, Plant, ProcurementException

from .conftest import NOW, TODAY


def test_the_demo_stock_has_two_variances_explained_in_words(company, acme_inventory):
    assert acme_inventory == {"applied": 13, "variances": 2}
    assert InventoryEvent.objects.count() == 13
    variances = ProcurementException.objects.open().filter(kind="inventory_variance").order_by("summary")
    assert [(v.severity, v.summary) for v in variances] == [
        (
            "financial_mismatch",
            "BRG-330 at DET lot L2412 (quarantine): WMS received 400 EA on 2027-01-08 09:14; "
            "ERP has not posted: in quality inspection 2 days",
        ),
        (
            "financial_mismatch",
            "CAST-210 at MTY: ERP posted a receipt of 120 EA on 2027-01-02 14:45; "
            "WMS has 112 on hand (last: WMS counted 112 EA on 2027-01-09 17:25)",
        ),
    ]


def test_the_ledger_balances_are_what_each_system_reported(company, acme_inventory):
    det = Plant.objects.get(company=company, code="DET")
    bearing = Item.objects.get(company=company, part_number="BRG-330")
    rows = InventoryBalance.objects.filter(plant=det, item=bearing).order_by("lot", "source_system")
    assert [(r.source_system, r.location, r.lot, r.stock_status, r.physical, r.posted) for r in rows] == [
        ("ERP", "", "L2411", "usable", 0, 450),
        ("WMS", "R-12", "L2411", "usable", 450, 0),
        ("WMS", "QI-1", "L2412", "quarantine", 400, 0),
    ]
    # Planning (all sources, physical, usable only) counts the 450 on the shelf, not the 400 in inspection.
    assert available_for_planning(company_id=company.pk, plant_id=det.pk, item_ids=[bearing.pk]) == {bearing.pk: 450}


def test_seeding_the_inventory_again_changes_nothing(company, acme_inventory):
    before = list(ProcurementException.objects.order_by("pk").values_list("pk", "state"))

    again = inventory_demo_seed(company=company, today=TODAY, now=NOW)

    assert again == {"applied": 0, "variances": 2}
    assert InventoryEvent.objects.count() == 13
    assert list(ProcurementException.objects.order_by("pk").values_list("pk", "state")) == before
