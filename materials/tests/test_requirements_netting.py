"""Netting terms worked by hand: alternates standing in for a short primary, stock in quality
inspection and allocations, and dates that fall below safety stock without going short.

The model is ``test_requirements``' PUMP (4 BOLT, 1 HOUSING) at Detroit: BOLT is bought from BOLTS,
lead time 7 days, MOQ 100, multiple 25, safety stock 10. Today is 1 March 2027.

PUMP2 is built from 4 BOLT, or, when BOLT is short, 4 BOLT-SS (priority 2, safety stock 5), then
8 BOLT-M (priority 3: two for each BOLT, no safety stock).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from materials import requirements as engine
from materials.inputs import InventoryEventInput, ItemPlantInput
from materials.models import InventoryPolicy, PlannedPurchase, ProjectionRow, RequirementRun, Shortage, SupplyPeg
from materials.services import inventory_events_apply, requirements_regenerate
from procurement import inputs as p_inputs
from procurement.models import Item, Plant, POLine, ProcurementException
from procurement.services import WriteSource, acknowledgement_record

from .helpers import items, line, receive, release
from .test_requirements import demand, publish, pump, results, send  # noqa: F401  (pump is a fixture)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 3, 1)
D = Decimal
MAR = dt.date(2027, 3, 1).replace


def event(part, kind, quantity, sequence, *, lot="", status="usable", on=dt.date(2027, 2, 27), **kwargs):
    return InventoryEventInput(
        plant_code="DET",
        part_number=part,
        kind=kind,
        quantity=Decimal(quantity),
        source_event_id=f"E{sequence}",
        source_sequence=sequence,
        occurred_at=dt.datetime(on.year, on.month, on.day, 8, tzinfo=dt.UTC),
        lot=lot,
        stock_status=status,
        **kwargs,
    )


def land(system, *events):
    return inventory_events_apply(actor=system, company_code="ACME", source_system="WMS", events=list(events))


def table(part):
    """date, opening, allocated, receipts, in transit, in inspection, demand, given as an alternate,
    covered by alternates, planned, projected."""
    return [
        (
            r.date,
            r.opening,
            r.allocated,
            r.receipts,
            r.in_transit,
            r.quality_inspection,
            r.demand,
            r.for_primaries,
            r.by_alternates,
            r.planned,
            r.projected,
        )
        for r in ProjectionRow.objects.filter(item__part_number=part, plant__code="DET").order_by("date")
    ]


def shortages():
    return sorted(
        (s.item.part_number, s.kind, s.date, s.quantity, tuple(p["reference"] for p in s.pegs))
        for s in Shortage.objects.select_related("item")
    )


# Alternates ------------------------------------------------------------------------------------


@pytest.fixture
def alternates(pump, system, company):  # noqa: F811
    """MO-1 builds 10 PUMP2 on 10 March: 40 BOLT. BOLT has no stock and PO-1 brings 50 on 15 March, too
    late. BOLT-SS has 30 on hand and spares SP-9 need 12 of it on 20 March; BOLT-M has 10 on hand."""
    items(
        system,
        "BOLT-M",
        PUMP2={"make_or_buy": "make"},
        **{"BOLT-SS": {"safety_stock": Decimal(5), "inspection_days": 2}},
    )
    receive(
        system,
        release(
            "PUMP2",
            "A",
            None,
            [
                line("10", "BOLT", "4", alternate_group="G", alternate_priority=1),
                line("11", "BOLT-SS", "4", alternate_group="G", alternate_priority=2),
                line("12", "BOLT-M", "8", alternate_group="G", alternate_priority=3),
            ],
            plants=["DET"],
        ),
    )
    land(system, event("BOLT-SS", "receipt", "30", 1), event("BOLT-M", "receipt", "10", 2))
    send(
        system,
        demand("MO-1", "PUMP2", "10", MAR(day=10)),
        demand("SP-9", "BOLT-SS", "12", MAR(day=20), kind="independent"),
    )
    publish("PO-1", "BOLT", "50", MAR(day=15))
    requirements_regenerate(company=company, today=TODAY)
    return company


def test_alternates_cover_the_primarys_shortage_in_priority_order_up_to_what_they_can_spare(alternates):
    # BOLT on 10 March: 0 − 40 = −40. BOLT-SS can spare 13: the least it has from 10 March on is
    # 30 − 12 = 18 (after SP-9), less its safety stock 5. BOLT-M can spare 10, two for each BOLT: 5 BOLT.
    # 18 covered; 22 stay on BOLT: its shortage, and its planned purchase (10 − (−22) = 32 → MOQ 100).
    assert table("BOLT") == [
        (MAR(day=10), D(0), D(0), D(0), D(0), D(0), D(40), D(0), D(18), D(100), D(-22)),
        (MAR(day=15), D(0), D(0), D(50), D(0), D(0), D(0), D(0), D(0), D(0), D(28)),
    ]
    # BOLT-SS gives 13 on 10 March and still meets SP-9 at its safety stock; BOLT-M gives all it has.
    assert table("BOLT-SS") == [
        (MAR(day=10), D(30), D(0), D(0), D(0), D(0), D(0), D(13), D(0), D(0), D(17)),
        (MAR(day=20), D(0), D(0), D(0), D(0), D(0), D(12), D(0), D(0), D(0), D(5)),
    ]
    assert table("BOLT-M") == [(MAR(day=10), D(10), D(0), D(0), D(0), D(0), D(0), D(10), D(0), D(0), D(0))]
    assert shortages() == [("BOLT", "short", MAR(day=10), D(22), ("MO-1",))]
    bolt = PlannedPurchase.objects.get(item__part_number="BOLT")
    assert (bolt.quantity, bolt.net_quantity, bolt.release_date) == (D(100), D(32), MAR(day=3))
    assert [(p["reference"], p["quantity"]) for p in bolt.pegs] == [("MO-1", "22")]
    assert not PlannedPurchase.objects.exclude(item__part_number="BOLT").exists()


def test_the_pegging_names_the_demand_each_alternate_covered(alternates):
    row = ProjectionRow.objects.get(item__part_number="BOLT", date=MAR(day=10))
    covered = [(s["alternate"], s["quantity"], s["alternate_quantity"], s["reference"]) for s in row.substitutions]
    assert covered == [("BOLT-SS", "13", "13", "MO-1"), ("BOLT-M", "5", "10", "MO-1")]
    given = ProjectionRow.objects.get(item__part_number="BOLT-M", date=MAR(day=10))
    assert [(s["primary"], s["alternate_quantity"], s["reference"]) for s in given.substitutions] == [
        ("BOLT", "10", "MO-1")
    ]
    # The alternates' stock is pegged to the order it stands in for; SP-9 keeps BOLT-SS's rest.
    assert sorted(
        (p.item.part_number, p.po_line_id, p.demand.source_id, p.quantity)
        for p in SupplyPeg.objects.select_related("item", "demand")
    ) == [
        ("BOLT-M", None, "MO-1", D(10)),
        ("BOLT-SS", None, "MO-1", D(13)),
        ("BOLT-SS", None, "SP-9", D(12)),
    ]


def test_an_alternate_never_gives_what_it_needs_itself(pump, system, company):  # noqa: F811
    items(system, "BOLT-SS", PUMP2={"make_or_buy": "make"})
    receive(
        system,
        release(
            "PUMP2",
            "A",
            None,
            [
                line("10", "BOLT", "4", alternate_group="G", alternate_priority=1),
                line("11", "BOLT-SS", "4", alternate_group="G", alternate_priority=2),
            ],
            plants=["DET"],
        ),
    )
    # BOLT-SS: 20 on hand, SP-9 takes 25 on 20 March: it goes short itself later, so it spares nothing.
    land(system, event("BOLT-SS", "receipt", "20", 1))
    send(
        system,
        demand("MO-1", "PUMP2", "2", MAR(day=10)),
        demand("SP-9", "BOLT-SS", "25", MAR(day=20), kind="independent"),
    )
    requirements_regenerate(company=company, today=TODAY)
    assert [(r[0], r[6], r[8], r[10]) for r in table("BOLT")] == [(MAR(day=10), D(8), D(0), D(-8))]
    assert [(r[0], r[6], r[7], r[10]) for r in table("BOLT-SS")] == [(MAR(day=20), D(25), D(0), D(-5))]
    assert shortages() == [
        ("BOLT", "short", MAR(day=10), D(8), ("MO-1",)),
        ("BOLT-SS", "short", MAR(day=20), D(5), ("SP-9",)),
    ]


def test_an_independent_demand_for_the_primary_is_not_covered_by_alternates(alternates, system, company):
    land(system, event("BOLT-SS", "receipt", "30", 5))
    send(system, demand("SP-1", "BOLT", "5", MAR(day=12), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)
    # BOLT-SS (60 on hand) spares 60 − 12 − 5 = 43 on 10 March: MO-1's 40 all. On 12 March it could still
    # spare 3, but SP-1 is the primary's own demand: no alternate stands in for it, BOLT is 5 short.
    assert [(r[0], r[6], r[8], r[10]) for r in table("BOLT")] == [
        (MAR(day=10), D(40), D(40), D(0)),
        (MAR(day=12), D(5), D(0), D(-5)),
        (MAR(day=15), D(0), D(0), D(45)),
    ]
    assert [(r[0], r[6], r[7], r[10]) for r in table("BOLT-SS")] == [
        (MAR(day=10), D(0), D(40), D(20)),
        (MAR(day=20), D(12), D(0), D(8)),
    ]
    assert table("BOLT-M") == []
    assert shortages() == [("BOLT", "short", MAR(day=12), D(5), ("SP-1",))]


def test_a_supplier_date_the_alternates_absorb_is_a_procurement_delay_not_a_stop(alternates, system, company, supplier):
    send(system, demand("MO-1", "PUMP2", "4", MAR(day=10)))  # 16 BOLT
    publish("PO-3", "BOLT", "50", MAR(day=8))
    requirements_regenerate(company=company, today=TODAY)
    assert [(r[0], r[6], r[8], r[10]) for r in table("BOLT")][:2] == [
        (MAR(day=8), D(0), D(0), D(50)),
        (MAR(day=10), D(16), D(0), D(34)),
    ]
    exception = reschedule(supplier, MAR(day=25), po="PO-3", document_id="ACK-3")
    exception.refresh_from_db()
    # Without PO-3 on 10 March, BOLT-SS spares 13 and BOLT-M 6 (for 3 BOLT): MO-1 is covered, BOLT stays
    # at 0, under its safety stock of 10 but not short: nothing stops.
    assert table("BOLT")[0] == (MAR(day=10), D(0), D(0), D(0), D(0), D(0), D(16), D(0), D(16), D(0), D(0))
    row = ProjectionRow.objects.get(item__part_number="BOLT", date=MAR(day=10))
    assert [(s["alternate"], s["quantity"]) for s in row.substitutions] == [("BOLT-SS", "13"), ("BOLT-M", "3")]
    assert (exception.kind, exception.severity) == ("date_deviation", "procurement_delay")
    assert exception.evidence["requirements"] == {
        "plant_id": exception.po_line.po.ship_to_id,
        "item_id": exception.po_line.item_id,
        "date": "2027-03-10",
        "below_safety_stock": "10",
    }


def reschedule(supplier, to, document_id="ACK-1", po="PO-1"):
    return acknowledgement_record(
        supplier=supplier,
        ack=p_inputs.AcknowledgementInput(
            document_id=document_id,
            po_number=po,
            header=p_inputs.ACK_ACCEPTED_WITH_CHANGES,
            lines=(p_inputs.AckLineInput("1", p_inputs.LINE_RESCHEDULE, promised_date=to),),
        ),
        source=WriteSource(channel="api", label="supplier BOLTS", correlation_id=f"corr-{document_id}"),
    ).exceptions[0]


def assert_net_change_equals_full(company):
    assert RequirementRun.objects.latest("pk").mode == RequirementRun.Mode.NET_CHANGE
    after_net_change = results()
    # An event's net change plans as of the real today, which dates stock in inspection: so does this run.
    requirements_regenerate(company=company, today=timezone.localdate())
    assert results() == after_net_change
    return after_net_change


@pytest.mark.parametrize(
    "events",
    [
        [("BOLT-SS", "receipt", "20", 11)],  # the alternate can spare more
        [("BOLT-SS", "issue", "25", 11)],  # the alternate can spare nothing
        [("BOLT-M", "issue", "4", 11)],
        [("BOLT", "receipt", "15", 11)],  # the primary needs less from its alternates
        [("PUMP2", "receipt", "1", 11)],  # a finished PUMP2 in stock changes nothing below a production order
        [("BOLT-SS", "reservation", "10", 11)],
        [("BOLT-SS", "receipt", "8", 11, {"status": "quarantine", "lot": "Q1"})],
    ],
)
def test_net_change_with_alternates_equals_a_full_regeneration(alternates, system, events):
    before = results()
    InventoryPolicy.objects.update_or_create(company=alternates, defaults={"subtract_reserved": True})
    land(system, *(event(*e[:4], **(e[4] if len(e) > 4 else {})) for e in events))
    after = assert_net_change_equals_full(alternates)
    if events[0][0] != "PUMP2":
        assert after != before


def test_net_change_after_the_primarys_po_moves_equals_a_full_regeneration(alternates, supplier):
    before = results()
    reschedule(supplier, MAR(day=8))  # now in time: BOLT needs nothing from its alternates
    after = assert_net_change_equals_full(alternates)
    assert after != before
    assert [(r[0], r[8]) for r in table("BOLT")] == [(MAR(day=8), D(0)), (MAR(day=10), D(0))]
    assert ProjectionRow.objects.filter(for_primaries__gt=0).count() == 0


# Quality inspection and allocations -------------------------------------------------------------


@pytest.fixture
def inspected(pump, system, company):  # noqa: F811
    """BOLT inspects for 5 days; planning takes reservations off. On hand 60 usable, 15 of it reserved;
    lot L1 (40) went into quarantine on 27 February, lot L2 (5) on 1 February (its inspection is late)."""
    items(
        system,
        "HOUSING",
        PUMP={"make_or_buy": "make", "lead_time_days": 3},
        BOLT={
            "safety_stock": Decimal(10),
            "moq": Decimal(100),
            "order_multiple": Decimal(25),
            "inspection_days": 5,
        },
    )
    InventoryPolicy.objects.create(company=company, subtract_reserved=True)
    land(
        system,
        event("BOLT", "receipt", "60", 1),
        event("BOLT", "reservation", "15", 2),
        event("BOLT", "receipt", "40", 3, lot="L1", status="quarantine", location="QI-1"),
        event("BOLT", "receipt", "5", 4, lot="L2", status="quarantine", location="QI-1", on=dt.date(2027, 2, 1)),
    )
    send(
        system,
        demand("MO-1", "PUMP", "25", MAR(day=3)),
        demand("SP-1", "BOLT", "30", MAR(day=10), kind="independent"),
    )
    requirements_regenerate(company=company, today=TODAY)
    return company


def test_inspection_lots_arrive_at_their_release_and_allocations_come_off_the_opening_stock(inspected):
    # 60 on hand − 15 allocated = 45. L2 (1 Feb + 5 days: late) is expected today: 50. MO-1 takes 100 on
    # 3 March: −50. L1 (27 Feb + 5 days) lands on 4 March: −10. SP-1 takes 30 on 10 March: −40.
    # Planned on 3 March: lowest through 9 March −50, so 10 + 50 = 60 → MOQ 100.
    assert table("BOLT") == [
        (MAR(day=1), D(60), D(15), D(0), D(0), D(5), D(0), D(0), D(0), D(0), D(50)),
        (MAR(day=3), D(0), D(0), D(0), D(0), D(0), D(100), D(0), D(0), D(100), D(-50)),
        (MAR(day=4), D(0), D(0), D(0), D(0), D(40), D(0), D(0), D(0), D(0), D(-10)),
        (MAR(day=10), D(0), D(0), D(0), D(0), D(0), D(30), D(0), D(0), D(0), D(-40)),
    ]
    assert shortages() == [
        ("BOLT", "short", MAR(day=3), D(50), ("MO-1",)),
        ("BOLT", "short", MAR(day=10), D(30), ("SP-1",)),
        ("HOUSING", "short", MAR(day=3), D(25), ("MO-1",)),
    ]


def test_a_plants_own_inspection_days_come_before_the_items(inspected, system, company):
    # Detroit's lab releases BOLT in 3 days where the item says 5: L1 (27 February) is usable on 2 March
    # instead of 4 March; L2 is late either way, expected today. At Monterrey the item's 5 days stand.
    bolt = {"safety_stock": Decimal(10), "moq": Decimal(100), "order_multiple": Decimal(25), "inspection_days": 5}
    items(system, BOLT={**bolt, "plants": (ItemPlantInput("DET", inspection_days=3),)})
    requirements_regenerate(company=company, today=TODAY)
    assert [(r[0], r[5]) for r in table("BOLT") if r[5]] == [(MAR(day=1), D(5)), (MAR(day=2), D(40))]
    params = engine.params_load(
        company_id=company.pk,
        item_ids={Item.objects.get(part_number="BOLT").pk},
        plant_ids=set(Plant.objects.values_list("pk", flat=True)),
    )
    assert sorted((Plant.objects.get(pk=plant).code, p.inspection_days) for (plant, _), p in params.items()) == [
        ("DET", 3),
        ("MTY", 5),
    ]
    # A plant that inspects in 0 days says nothing of how long: its quarantine is not planned on.
    items(system, BOLT={**bolt, "plants": (ItemPlantInput("DET", inspection_days=0),)})
    requirements_regenerate(company=company, today=TODAY)
    assert [(r[0], r[5]) for r in table("BOLT") if r[5]] == []


def test_quarantine_of_an_item_without_inspection_days_is_not_planned_on(inspected, system, company):
    # The item says nothing of how long its inspection takes: its 45 in quarantine may end in scrap, so
    # the plan counts 60 − 15 = 45 only, and nothing moves before MO-1 takes 100 on 3 March: −55.
    # Planned then: 10 + 55 = 65 → MOQ 100; SP-1 takes 30 on 10 March: −85 (15 with the planned 100).
    items(system, BOLT={"safety_stock": Decimal(10), "moq": Decimal(100), "order_multiple": Decimal(25)})
    requirements_regenerate(company=company, today=TODAY)

    assert table("BOLT") == [
        (MAR(day=3), D(60), D(15), D(0), D(0), D(0), D(100), D(0), D(0), D(100), D(-55)),
        (MAR(day=10), D(0), D(0), D(0), D(0), D(0), D(30), D(0), D(0), D(0), D(-85)),
    ]


@pytest.mark.parametrize(
    "events",
    [
        [
            (
                "BOLT",
                "status_change",
                "40",
                11,
                {"lot": "L1", "location": "QI-1", "status": "quarantine", "to_status": "usable"},
            )
        ],
        [("BOLT", "reservation", "-15", 11)],
        [("BOLT", "receipt", "7", 11, {"lot": "L3", "status": "quarantine", "on": dt.date(2027, 2, 28)})],
    ],
)
def test_net_change_after_inspection_or_allocation_moves_equals_a_full_regeneration(inspected, system, events):
    before = results()
    land(system, *(event(*e[:4], **e[4]) if len(e) > 4 else event(*e) for e in events))
    after = assert_net_change_equals_full(inspected)
    assert after != before


def test_the_inspection_released_today_joins_the_stock(inspected, system):
    land(
        system,
        event("BOLT", "status_change", "40", 11, lot="L1", location="QI-1", status="quarantine", to_status="usable"),
    )
    first = table("BOLT")[0]
    # on hand 100, 15 allocated, L2 still in inspection: 90; L1 is no longer a receipt on 4 March
    assert (first[1], first[2], first[5], first[10]) == (D(100), D(15), D(5), D(90))
    assert MAR(day=4) not in [r[0] for r in table("BOLT")]


# Below safety stock -----------------------------------------------------------------------------


def test_a_date_below_safety_stock_but_not_short_is_its_own_row(pump, system, company):  # noqa: F811
    # PO-1 brings 50 BOLT on 5 March; MO-1 takes 44 on 10 March: 6 left, 4 under the safety stock of 10.
    send(system, demand("MO-1", "PUMP", "11", MAR(day=10)))
    publish("PO-1", "BOLT", "50", MAR(day=5))
    requirements_regenerate(company=company, today=TODAY)
    assert [(r[0], r[3], r[6], r[9], r[10]) for r in table("BOLT")] == [
        (MAR(day=5), D(50), D(0), D(0), D(50)),
        (MAR(day=10), D(0), D(44), D(100), D(6)),
    ]
    assert shortages() == [
        ("BOLT", "below_safety", MAR(day=10), D(4), ("MO-1",)),
        ("HOUSING", "short", MAR(day=10), D(11), ("MO-1",)),
    ]
    below = Shortage.objects.get(kind="below_safety")
    assert below.po_lines == [] and below.planned_purchase.quantity == D(100)
    # Only the HOUSING shortage is the buyer's exception: below safety stock nothing stops.
    raised = ProcurementException.objects.filter(kind="material_shortage")
    assert [e.evidence["part_number"] for e in raised] == ["HOUSING"]


def test_a_supplier_date_that_leaves_stock_below_safety_is_a_procurement_delay(pump, system, company, supplier):  # noqa: F811
    send(system, demand("MO-1", "PUMP", "11", MAR(day=10)))
    publish("PO-1", "BOLT", "50", MAR(day=5))
    publish("PO-2", "BOLT", "10", MAR(day=6))
    requirements_regenerate(company=company, today=TODAY)
    assert [s[1] for s in shortages() if s[0] == "BOLT"] == []  # 60 − 44 = 16: above safety stock
    line = POLine.objects.get(po__number="PO-2")
    exception = acknowledgement_record(
        supplier=supplier,
        ack=p_inputs.AcknowledgementInput(
            document_id="ACK-2",
            po_number="PO-2",
            header=p_inputs.ACK_ACCEPTED_WITH_CHANGES,
            lines=(p_inputs.AckLineInput("1", p_inputs.LINE_RESCHEDULE, promised_date=MAR(day=20)),),
        ),
        source=WriteSource(channel="api", label="supplier BOLTS", correlation_id="corr-ack-2"),
    ).exceptions[0]
    exception.refresh_from_db()
    # Now 6 on 10 March: the same below-safety-stock row the shortage list shows, and a procurement delay.
    assert exception.po_line_id == line.pk
    assert (exception.severity, exception.evidence["requirements"]["date"]) == ("procurement_delay", "2027-03-10")
    assert [s for s in shortages() if s[0] == "BOLT"] == [("BOLT", "below_safety", MAR(day=10), D(4), ("MO-1",))]
