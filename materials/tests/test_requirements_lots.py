"""Lot sizing with a maximum, worked by hand.

BOLT (from ``test_requirements``' PUMP model): safety stock 10, MOQ 100, multiple 25, supplier lead
time 7 days; here also a maximum lot size. No stock.
"""

import datetime as dt
from decimal import Decimal

import pytest

from materials import inputs
from materials.models import PlannedPurchase, Shortage
from materials.requirements import MAX_LOTS, Params, lot_sizes
from materials.services import requirements_regenerate

from .helpers import items
from .test_requirements import demand, pump, rows, send  # noqa: F401  (pump is a fixture)

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.date(2027, 3, 1)


def bolt(system, max_lot, plant_max=None):
    items(
        system,
        BOLT={
            "safety_stock": D(10),
            "moq": D(100),
            "order_multiple": D(25),
            "max_lot": max_lot,
            "plants": (inputs.ItemPlantInput("DET", max_lot=plant_max),) if plant_max is not None else (),
            "approved_suppliers": (inputs.ApprovedSupplierInput("BOLTS", lead_time_days=7),),
        },
    )


def orders():
    return [
        (p.need_date, p.release_date, p.quantity, p.net_quantity)
        for p in PlannedPurchase.objects.filter(item__part_number="BOLT").order_by("need_date", "-quantity", "pk")
    ]


def test_an_order_above_the_maximum_is_split_into_full_lots_and_a_rest(pump, system, company):  # noqa: F811
    # | date   | demand | firm | net (to safety 10) | orders (max 160 → 150, the largest multiple of 25) |
    # | 20 Mar | 400    | −400 | 410                | 150 + 150 + rest 110 → MOQ 100 → multiple → 125    |
    bolt(system, D(160))
    send(system, demand("SP-1", "BOLT", "400", dt.date(2027, 3, 20), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)
    assert orders() == [
        (dt.date(2027, 3, 20), dt.date(2027, 3, 13), D(150), D(150)),
        (dt.date(2027, 3, 20), dt.date(2027, 3, 13), D(150), D(150)),
        (dt.date(2027, 3, 20), dt.date(2027, 3, 13), D(125), D(110)),
    ]
    assert [(r[0], r[4], r[5], r[6]) for r in rows("BOLT")] == [(dt.date(2027, 3, 20), D(400), D(425), D(-400))]
    shortage = Shortage.objects.get(item__part_number="BOLT")
    assert (shortage.quantity, shortage.planned_purchase.quantity) == (D(400), D(150))
    # first in, first out: the two full lots cover SP-1's 400 (150 + 150 + 100 of the rest)
    assert sorted(
        sum(D(p["quantity"]) for p in order.pegs) for order in PlannedPurchase.objects.filter(item__part_number="BOLT")
    ) == [D(100), D(150), D(150)]


def test_an_order_within_the_maximum_is_one_lot(pump, system, company):  # noqa: F811
    # 90 short → net 100 → MOQ 100, within the maximum 150
    bolt(system, D(150))
    send(system, demand("SP-1", "BOLT", "90", dt.date(2027, 3, 20), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)
    assert orders() == [(dt.date(2027, 3, 20), dt.date(2027, 3, 13), D(100), D(100))]


def test_the_plants_maximum_wins_over_the_items(pump, system, company):  # noqa: F811
    # net 310: the plant's maximum 100 gives 100 + 100 + 100 + rest 10 → 100; the item's 1000 would give one 325
    bolt(system, D(1000), plant_max=D(100))
    send(system, demand("SP-1", "BOLT", "300", dt.date(2027, 3, 20), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)
    assert [(q, n) for _, _, q, n in orders()] == [(D(100), D(100))] * 3 + [(D(100), D(10))]


def test_a_maximum_below_the_minimum_order_quantity_is_refused(pump, system):  # noqa: F811
    outcome = items(system, BOLT={"moq": D(100), "max_lot": D(50)})
    assert [(o.outcome, o.reason) for o in outcome] == [
        ("refused", "item BOLT: the maximum lot size must not be below the minimum order quantity")
    ]


def test_a_plant_maximum_of_zero_is_refused(pump, system):  # noqa: F811
    outcome = items(system, BOLT={"moq": D(100), "plants": (inputs.ItemPlantInput("DET", moq=D(0), max_lot=D(0)),)})
    assert [(o.outcome, o.reason) for o in outcome] == [
        ("refused", "item BOLT: plant DET: the maximum lot size must be positive, not below its minimum order quantity")
    ]


def test_a_maximum_that_rounds_to_no_order_does_not_split_forever():
    # A plant's minimum of 0 and a maximum below one order multiple: no lot fits under the maximum.
    params = Params(moq=D(0), multiple=D(1), max_lot=D("0.5"))
    assert lot_sizes(D(7), params) == [(D(7), D(7))]


def test_a_split_makes_a_bounded_number_of_orders_the_last_taking_the_rest():
    # One ten-thousandth per lot against a need of a billion would be ten trillion orders.
    params = Params(moq=D("0.0001"), multiple=D("0.0001"), max_lot=D("0.0001"))
    lots = lot_sizes(D(10) ** 9, params)
    assert len(lots) == MAX_LOTS
    assert lots[: MAX_LOTS - 1] == [(D("0.0001"), D("0.0001"))] * (MAX_LOTS - 1)
    rest = D(10) ** 9 - D("0.0001") * (MAX_LOTS - 1)
    assert lots[-1] == (rest, rest)
    assert sum(n for _, n in lots) == D(10) ** 9
