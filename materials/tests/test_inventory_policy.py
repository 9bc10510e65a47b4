"""``available_for_planning``: the company's policy over the balances, exact figures."""

from decimal import Decimal

import pytest
from django.utils import timezone

from materials.inventory import available_for_planning
from materials.models import InventoryBalance, InventoryPolicy
from procurement import factories


@pytest.fixture
def stock(company, plants):
    """Part A at DET: WMS sees 400 physical usable, ERP 300 posted usable; 50 in quarantine (WMS); 20 blocked."""
    item = factories.ItemFactory(company=company, part_number="A")
    now = timezone.now()

    def balance(source, status, physical, posted, location="BIN-1"):
        InventoryBalance.objects.create(
            company=company,
            plant=plants["DET"],
            item=item,
            location=location,
            stock_status=status,
            source_system=source,
            physical=Decimal(physical),
            posted=Decimal(posted),
            updated_at=now,
        )

    balance("WMS", "usable", "400", "0")
    balance("ERP", "usable", "300", "300")
    balance("WMS", "quarantine", "50", "0")
    balance("WMS", "blocked", "20", "0")
    balance("MES", "usable", "-5", "0", location="LINE-1")
    return item


def test_default_policy_takes_the_largest_source_per_position_physical_usable(company, plants, stock):
    other = factories.ItemFactory(company=company, part_number="B")
    result = available_for_planning(company_id=company.pk, plant_id=plants["DET"].pk, item_ids=[stock.pk, other.pk])
    # BIN-1 usable: max(WMS 400, ERP 300); LINE-1's negative position counts as zero.
    assert result == {stock.pk: Decimal("400"), other.pk: Decimal("0")}


def test_a_named_source_posted_basis_and_quarantine(company, plants, stock):
    policy = InventoryPolicy.objects.create(company=company, planning_source="ERP", basis="posted")
    assert available_for_planning(company_id=company.pk, plant_id=plants["DET"].pk, item_ids=[stock.pk]) == {
        stock.pk: Decimal("300")
    }
    policy.planning_source, policy.basis, policy.include_quarantine = "WMS", "physical", True
    policy.save()
    assert available_for_planning(company_id=company.pk, plant_id=plants["DET"].pk, item_ids=[stock.pk]) == {
        stock.pk: Decimal("450")
    }


def test_another_plant_has_nothing(company, plants, stock):
    assert available_for_planning(company_id=company.pk, plant_id=plants["MTY"].pk, item_ids=[stock.pk]) == {
        stock.pk: Decimal("0")
    }


def test_reserved_stock_is_subtracted_when_the_policy_says_so(company, plants, stock):
    """WMS reserves 120 at BIN-1 and ERP the same order's 100 there: the larger, 120, is taken off once;
    MES reserves 30 on the line (no stock there): taken off the item's total all the same; a reservation
    of blocked stock is not counted stock, so it is not taken off."""
    rows = InventoryBalance.objects.filter(item=stock, location="BIN-1")
    rows.filter(source_system="WMS", stock_status="usable").update(reserved=Decimal(120))
    rows.filter(source_system="ERP", stock_status="usable").update(reserved=Decimal(100))
    rows.filter(source_system="WMS", stock_status="blocked").update(reserved=Decimal(20))
    InventoryBalance.objects.filter(item=stock, location="LINE-1").update(reserved=Decimal(30))
    asked = {"company_id": company.pk, "plant_id": plants["DET"].pk, "item_ids": [stock.pk]}
    # Without the rule reservations do not count: 400 as before.
    assert available_for_planning(**asked) == {stock.pk: Decimal("400")}
    policy = InventoryPolicy.objects.create(company=company, subtract_reserved=True)
    assert available_for_planning(**asked) == {stock.pk: Decimal("250")}  # 400 - 120 - 30
    policy.planning_source, policy.basis = "ERP", "posted"
    policy.save()
    assert available_for_planning(**asked) == {stock.pk: Decimal("200")}  # 300 - 100
    InventoryBalance.objects.filter(item=stock, source_system="ERP").update(reserved=Decimal(500))
    assert available_for_planning(**asked) == {stock.pk: Decimal("0")}  # never below zero
