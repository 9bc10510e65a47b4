"""Net change on stock and structure: an inventory event landing or a BOM release applying re-plans
the items it touches in the same transaction, and the result equals a full regeneration.

The model is ``test_requirements``' PUMP (4 BOLT, 1 HOUSING) at Detroit, with an order, a master
schedule entry and spares, PO-1 (50 BOLT on 5 March) and PO-2 (8 HOUSING on 8 March).
"""

import datetime as dt
from decimal import Decimal

import pytest

from materials.inputs import InventoryEventInput
from materials.models import RequirementRun
from materials.services import inventory_events_apply, requirements_regenerate

from .helpers import items, line, receive, release, window
from .test_requirements import demand, publish, pump, results, rows, send  # noqa: F401  (pump is a fixture)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 3, 1)
D = Decimal


@pytest.fixture
def planned(pump, system, company):  # noqa: F811
    send(
        system,
        demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)),
        demand("MPS-1", "PUMP", "5", dt.date(2027, 3, 20), kind="master_schedule"),
        demand("SP-1", "BOLT", "30", dt.date(2027, 3, 20), kind="independent"),
    )
    publish("PO-1", "BOLT", "50", dt.date(2027, 3, 5))
    publish("PO-2", "HOUSING", "8", dt.date(2027, 3, 8))
    requirements_regenerate(company=company, today=TODAY)
    return company


def event(part, kind, quantity, sequence, plant="DET"):
    return InventoryEventInput(
        plant_code=plant,
        part_number=part,
        kind=kind,
        quantity=Decimal(quantity),
        source_event_id=f"E{sequence}",
        source_sequence=sequence,
        occurred_at=dt.datetime(2027, 2, 27, tzinfo=dt.UTC),
    )


def assert_net_change_equals_full(company, reason):
    net = RequirementRun.objects.latest("pk")
    assert (net.mode, net.reason) == (RequirementRun.Mode.NET_CHANGE, reason)
    after_net_change = results()
    requirements_regenerate(company=company, today=TODAY)
    assert results() == after_net_change
    return after_net_change


@pytest.mark.parametrize(
    "events",
    [
        [("BOLT", "receipt", "100", 1)],
        [("BOLT", "receipt", "35", 1)],
        [("HOUSING", "receipt", "3", 1)],
        [("PUMP", "receipt", "4", 1)],  # a finished pump in stock: fewer pumps to build, fewer bolts
        [("BOLT", "receipt", "100", 1), ("BOLT", "issue", "70", 2)],
        [("BOLT", "receipt", "60", 1), ("HOUSING", "receipt", "20", 2), ("PUMP", "receipt", "2", 3)],
    ],
)
def test_net_change_after_stock_lands_equals_a_full_regeneration(planned, system, events):
    before = results()
    land(system, *events)
    after = assert_net_change_equals_full(planned, "stock changed")
    assert after != before


def land(system, *events):
    inventory_events_apply(actor=system, company_code="ACME", source_system="WMS", events=[event(*e) for e in events])


def test_a_late_stock_event_re_projected_also_re_plans(planned, system):
    land(system, ("BOLT", "receipt", "40", 5))
    # sequence 2 arrives after 5: the balances are re-projected from the events, and the item re-planned
    land(system, ("BOLT", "receipt", "25", 2))
    assert_net_change_equals_full(planned, "stock changed")
    assert rows("BOLT")[0][1] == D(65)


@pytest.mark.parametrize(
    "components",
    [
        [line("10", "BOLT", "6"), line("20", "HOUSING", "1")],  # more bolts per pump
        [line("10", "BOLT", "4"), line("20", "HOUSING", "1"), line("30", "WASHER", "8")],  # a new component
        [line("20", "HOUSING", "2")],  # bolts dropped
    ],
)
def test_net_change_after_a_bom_release_applies_equals_a_full_regeneration(planned, system, components):
    items(system, "WASHER")
    before = results()
    outcome = receive(system, release("PUMP", "B", "A", components, plants=["DET"]))
    assert outcome.state == "applied"
    after = assert_net_change_equals_full(planned, "BOM release applied")
    assert after != before


def test_a_release_effective_from_a_date_re_plans_only_from_that_date(planned, system):
    components = [line("10", "BOLT", "5"), line("20", "HOUSING", "1")]
    receive(system, release("PUMP", "B", "A", components, plants=[window("DET", dt.date(2027, 3, 15))]))
    assert_net_change_equals_full(planned, "BOM release applied")
    # MO-1's 10 pumps on 10 March still take revision A (4 bolts); MPS-1's 5 pumps, planned to start on
    # 17 March (lead time 3), take B (5 bolts); SP-1 asks 30 bolts on 20 March.
    assert [(r[0], r[4]) for r in rows("BOLT")] == [
        (dt.date(2027, 3, 5), D(0)),
        (dt.date(2027, 3, 10), D(40)),
        (dt.date(2027, 3, 17), D(25)),
        (dt.date(2027, 3, 20), D(30)),
    ]


def test_nothing_is_re_planned_before_a_first_full_run(pump, system, company):  # noqa: F811
    land(system, ("BOLT", "receipt", "5", 1))
    receive(system, release("PUMP", "B", "A", [line("10", "BOLT", "6")], plants=["DET"]))
    assert not RequirementRun.objects.exists()
