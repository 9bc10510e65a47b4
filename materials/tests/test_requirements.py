"""Material requirements, worked by hand: stock, receipts and demands in, shortages and planned purchases out.

ACME builds PUMP at Detroit from 4 BOLT and 1 HOUSING. BOLT is bought from BOLTS: supplier lead
time 7 days, MOQ 100, multiple 25, safety stock 10. No inventory is known (stock 0).
"""

import datetime as dt
from decimal import Decimal

import pytest

from materials import inputs
from materials import requirements as engine
from materials.models import Demand, PlannedPurchase, ProjectionRow, RequirementRun, Shortage, SupplyPeg
from materials.services import demands_upsert, requirements_regenerate
from procurement import factories
from procurement import inputs as p_inputs
from procurement.models import Item, POLine
from procurement.services import WriteSource, purchase_order_publish

from .helpers import items, line, receive, release, window

D = Decimal

pytestmark = pytest.mark.django_db


def demand(source_id, part, quantity, need, kind="production_order", plant="DET", **kwargs):
    return inputs.DemandInput(source_id, kind, part, plant, Decimal(quantity), need, reference=source_id, **kwargs)


def send(system, *demands):
    return demands_upsert(actor=system, batch=inputs.DemandBatchInput("ACME", "ERP", tuple(demands)))


def publish(number, part, quantity, need_by, supplier="BOLTS", plant="DET"):
    po = p_inputs.PurchaseOrderInput(
        company="ACME",
        number=number,
        supplier=supplier,
        ship_to=plant,
        currency="USD",
        order_date=dt.date(2027, 2, 1),
        lines=(p_inputs.POLineInput("1", part, Decimal(quantity), "EA", Decimal("1.00"), need_by),),
    )
    erp = WriteSource(channel="system", label="system ERP", correlation_id=f"corr-{number}")
    return purchase_order_publish(po=po, source=erp).record


@pytest.fixture
def pump(system, supplier, plants):
    items(
        system,
        "HOUSING",
        PUMP={"make_or_buy": "make", "lead_time_days": 3},
        BOLT={
            "safety_stock": Decimal(10),
            "moq": Decimal(100),
            "order_multiple": Decimal(25),
            "approved_suppliers": (inputs.ApprovedSupplierInput("BOLTS", lead_time_days=7),),
        },
    )
    receive(system, release("PUMP", "A", None, [line("10", "BOLT", "4"), line("20", "HOUSING", "1")], plants=["DET"]))
    return plants


def rows(part, plant="DET"):
    return [
        (r.date, r.opening, r.receipts, r.in_transit, r.demand, r.planned, r.projected)
        for r in ProjectionRow.objects.filter(item__part_number=part, plant__code=plant).order_by("date")
    ]


def test_demands_are_idempotent_on_their_source_id_and_change_and_cancel(pump, system):
    first = send(
        system, demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)), demand("X", "NOPE", "1", dt.date(2027, 3, 1))
    )
    assert [(o.source_id, o.outcome, o.reason) for o in first] == [
        ("MO-1", "created", ""),
        ("X", "refused", "item 'NOPE' is not known"),
    ]
    assert [o.outcome for o in send(system, demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)))] == ["unchanged"]
    assert [o.outcome for o in send(system, demand("MO-1", "PUMP", "12", dt.date(2027, 3, 10)))] == ["updated"]
    assert [o.outcome for o in send(system, demand("MO-1", "PUMP", "12", dt.date(2027, 3, 10), cancelled=True))] == [
        "cancelled"
    ]
    row = Demand.objects.get()
    assert (row.quantity, row.version, row.cancelled) == (Decimal("12"), 3, True)


def test_a_worked_example_nets_receipts_against_demand_with_lot_sizing_and_pegs(pump, system):
    send(
        system,
        demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)),
        demand("SP-1", "BOLT", "30", dt.date(2027, 3, 20), kind="independent"),
    )
    order = publish("PO-1", "BOLT", "50", dt.date(2027, 3, 5))
    run = requirements_regenerate(company=order.company, today=dt.date(2027, 3, 1))

    assert run.state == RequirementRun.State.DONE
    # date, opening, receipts, in transit, demand, planned, projected (planned excluded)
    assert rows("BOLT") == [
        (dt.date(2027, 3, 5), D(0), D(50), D(0), D(0), D(0), D(50)),
        (dt.date(2027, 3, 10), D(0), D(0), D(0), D(40), D(0), D(10)),
        (dt.date(2027, 3, 20), D(0), D(0), D(0), D(30), D(100), D(-20)),
    ]
    assert rows("HOUSING") == [(dt.date(2027, 3, 10), D(0), D(0), D(0), D(10), D(10), D(-10))]
    assert rows("PUMP") == []  # a production order's own item is not netted

    bolt = PlannedPurchase.objects.get(item__part_number="BOLT")
    # net 30 (10 safety stock − (−20)), MOQ 100, multiple 25 → 100; released 7 days before 20 March
    assert (bolt.quantity, bolt.net_quantity, bolt.need_date, bolt.release_date, bolt.supplier.code) == (
        D(100),
        D(30),
        dt.date(2027, 3, 20),
        dt.date(2027, 3, 13),
        "BOLTS",
    )
    assert bolt.pegs == [{"demand": Demand.objects.get(source_id="SP-1").pk, "reference": "SP-1", "quantity": "20"}]
    shortages = {
        (s.item.part_number, s.date, s.quantity, tuple(p["reference"] for p in s.pegs), s.planned_purchase_id)
        for s in Shortage.objects.select_related("item")
    }
    housing = PlannedPurchase.objects.get(item__part_number="HOUSING")
    assert shortages == {
        ("BOLT", dt.date(2027, 3, 20), D(20), ("SP-1",), bolt.pk),
        ("HOUSING", dt.date(2027, 3, 10), D(10), ("MO-1",), housing.pk),
    }
    line_id = POLine.objects.get(po=order).pk
    assert sorted(
        (p.po_line_id, p.demand.source_id, p.quantity) for p in SupplyPeg.objects.select_related("demand")
    ) == [
        (line_id, "MO-1", D(40)),
        (line_id, "SP-1", D(10)),
    ]


def test_the_supplier_promised_date_moves_the_receipt_and_names_the_late_line(pump, system, supplier):
    from procurement.services import acknowledgement_record

    send(system, demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)))
    order = publish("PO-1", "BOLT", "50", dt.date(2027, 3, 5))
    acknowledgement_record(
        supplier=supplier,
        ack=p_inputs.AcknowledgementInput(
            document_id="ACK-1",
            po_number="PO-1",
            header=p_inputs.ACK_ACCEPTED_WITH_CHANGES,
            lines=(p_inputs.AckLineInput("1", p_inputs.LINE_RESCHEDULE, promised_date=dt.date(2027, 3, 25)),),
        ),
        source=WriteSource(channel="api", label="supplier BOLTS", correlation_id="corr-ack"),
    )
    requirements_regenerate(company=order.company, today=dt.date(2027, 3, 1))
    assert rows("BOLT") == [
        (dt.date(2027, 3, 10), D(0), D(0), D(0), D(40), D(100), D(-40)),
        (dt.date(2027, 3, 25), D(0), D(50), D(0), D(0), D(0), D(10)),
    ]
    shortage = Shortage.objects.get(item__part_number="BOLT")
    assert (shortage.date, shortage.quantity, shortage.po_lines) == (
        dt.date(2027, 3, 10),
        D(40),
        [POLine.objects.get(po=order).pk],
    )


def test_effectivity_on_the_boundary_dates_picks_each_days_revision(pump, system, company):
    items(system, "BOLT-SS")
    receive(
        system,
        release(
            "PUMP",
            "B",
            "A",
            [line("10", "BOLT-SS", "4"), line("20", "HOUSING", "1")],
            plants=[window("DET", dt.date(2027, 3, 15))],
        ),
    )
    send(
        system,
        demand("MO-14", "PUMP", "1", dt.date(2027, 3, 14)),
        demand("MO-15", "PUMP", "2", dt.date(2027, 3, 15)),
    )
    requirements_regenerate(company=company, today=dt.date(2027, 3, 1))
    assert [(r[0], r[4]) for r in rows("BOLT")] == [(dt.date(2027, 3, 14), D(4))]
    assert [(r[0], r[4]) for r in rows("BOLT-SS")] == [(dt.date(2027, 3, 15), D(8))]
    assert [(r[0], r[4]) for r in rows("HOUSING")] == [(dt.date(2027, 3, 14), D(1)), (dt.date(2027, 3, 15), D(2))]


def test_a_make_items_planned_order_explodes_on_its_release_date(pump, system, company):
    send(system, demand("MPS-1", "PUMP", "5", dt.date(2027, 3, 20), kind="master_schedule"))
    requirements_regenerate(company=company, today=dt.date(2027, 3, 1))
    pump_order = PlannedPurchase.objects.get(item__part_number="PUMP")
    assert (pump_order.make, pump_order.quantity, pump_order.release_date, pump_order.supplier_id) == (
        True,
        D(5),
        dt.date(2027, 3, 17),
        None,
    )
    # lead time 3 days: the components are needed on 17 March
    assert [(r[0], r[4], r[5]) for r in rows("BOLT")] == [(dt.date(2027, 3, 17), D(20), D(100))]
    bolt = PlannedPurchase.objects.get(item__part_number="BOLT")
    assert [p["reference"] for p in bolt.pegs] == ["MPS-1"]


def test_only_the_primary_alternate_is_required(system, supplier, plants, company):
    items(system, "PUMP", "BOLT", "BOLT-SS", PUMP2={"make_or_buy": "make"})
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
    send(system, demand("MO-1", "PUMP2", "3", dt.date(2027, 3, 10)))
    requirements_regenerate(company=company, today=dt.date(2027, 3, 1))
    assert [(r[0], r[4]) for r in rows("BOLT")] == [(dt.date(2027, 3, 10), D(12))]
    assert rows("BOLT-SS") == []


def test_another_companys_demand_is_refused_as_unknown(pump, system):
    other = factories.CompanyFactory(code="OTHER")
    from materials.inputs import DemandBatchInput
    from materials.services import NotFound

    with pytest.raises(NotFound):
        demands_upsert(
            actor=system, batch=DemandBatchInput(other.code, "ERP", (demand("X", "PUMP", "1", dt.date(2027, 3, 1)),))
        )
    assert Demand.objects.count() == 0
    assert Item.objects.filter(company=other).count() == 0


# Severity from the projection ------------------------------------------------------------------


def reschedule(supplier, document_id, to):
    from procurement.services import acknowledgement_record

    return acknowledgement_record(
        supplier=supplier,
        ack=p_inputs.AcknowledgementInput(
            document_id=document_id,
            po_number="PO-1",
            header=p_inputs.ACK_ACCEPTED_WITH_CHANGES,
            lines=(p_inputs.AckLineInput("1", p_inputs.LINE_RESCHEDULE, promised_date=to),),
        ),
        source=WriteSource(channel="api", label="supplier BOLTS", correlation_id=f"corr-{document_id}"),
    ).exceptions[0]


def stock(system, quantity, event_id="E1"):
    from materials.inputs import InventoryEventInput
    from materials.services import inventory_events_apply

    inventory_events_apply(
        actor=system,
        company_code="ACME",
        source_system="WMS",
        events=[
            InventoryEventInput(
                plant_code="DET",
                part_number="BOLT",
                kind="receipt",
                quantity=Decimal(quantity),
                source_event_id=event_id,
                source_sequence=int(event_id[1:]),
                occurred_at=dt.datetime(2027, 2, 27, tzinfo=dt.UTC),
            )
        ],
    )


@pytest.fixture
def planned(pump, system, company):
    """MO-1 needs 40 BOLT on 10 March; PO-1 brings 50 on 5 March; a run has planned it."""
    send(system, demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)))
    publish("PO-1", "BOLT", "50", dt.date(2027, 3, 5))
    requirements_regenerate(company=company, today=dt.date(2027, 3, 1))
    return company


def test_a_date_past_the_orders_need_date_is_a_production_stop_naming_the_order(planned, supplier):
    exception = reschedule(supplier, "ACK-1", dt.date(2027, 3, 25))
    exception.refresh_from_db()
    assert (exception.kind, exception.severity) == ("date_deviation", "production_stop")
    finding = exception.evidence["requirements"]
    assert (finding["orders"], finding["date"], finding["short"]) == (["MO-1"], "2027-03-10", "40")
    # as ordered, covered through 10 March, the last date anything is needed; now short on 10 March
    assert finding["days_of_cover_lost"] == 1
    assert exception.evidence["rule_severity"] == "procurement_delay"


def test_stock_that_covers_the_order_but_not_safety_stock_is_a_procurement_delay(planned, supplier, system):
    stock(system, "40")
    exception = reschedule(supplier, "ACK-1", dt.date(2027, 3, 25))
    exception.refresh_from_db()
    assert exception.severity == "procurement_delay"
    assert exception.evidence["requirements"]["below_safety_stock"] == "10"


def test_stock_landing_later_lowers_a_production_stop_and_the_change_is_audited(planned, supplier, system, company):
    from procurement.models import AuditEvent

    exception = reschedule(supplier, "ACK-1", dt.date(2027, 3, 25))
    assert exception.severity == "production_stop"
    stock(system, "100")
    requirements_regenerate(company=company, today=dt.date(2027, 3, 1))
    exception.refresh_from_db()
    assert (exception.severity, exception.severity_rank) == ("procurement_delay", 1)
    assert "requirements" not in exception.evidence
    changed = AuditEvent.objects.get(action="exception.severity_changed")
    assert changed.before["severity"] == "production_stop"
    assert changed.after["severity"] == "procurement_delay"


# Net change ------------------------------------------------------------------------------------


def results() -> dict[str, list]:
    """Every stored result, without the runs that wrote them: what a planner sees."""
    return {
        "rows": sorted(
            ProjectionRow.objects.values_list(
                "plant_id",
                "item_id",
                "date",
                "opening",
                "allocated",
                "receipts",
                "in_transit",
                "quality_inspection",
                "demand",
                "for_primaries",
                "by_alternates",
                "planned",
                "projected",
                "pegs",
                "substitutions",
            ),
            key=repr,
        ),
        "planned": sorted(
            PlannedPurchase.objects.values_list(
                "plant_id",
                "item_id",
                "make",
                "supplier_id",
                "quantity",
                "net_quantity",
                "need_date",
                "release_date",
                "pegs",
            ),
            key=repr,
        ),
        "shortages": sorted(
            Shortage.objects.values_list(
                "plant_id", "item_id", "kind", "date", "quantity", "pegs", "po_lines", "planned_purchase__quantity"
            ),
            key=repr,
        ),
        "pegs": sorted(
            SupplyPeg.objects.values_list("plant_id", "item_id", "po_line_id", "demand_id", "quantity"), key=repr
        ),
    }


@pytest.mark.parametrize(
    ("number", "answer"),
    [
        ("PO-1", p_inputs.AckLineInput("1", p_inputs.LINE_RESCHEDULE, promised_date=dt.date(2027, 3, 25))),
        ("PO-1", p_inputs.AckLineInput("1", p_inputs.LINE_RESCHEDULE, promised_date=dt.date(2027, 3, 10))),
        ("PO-1", p_inputs.AckLineInput("1", p_inputs.LINE_RESCHEDULE, promised_date=dt.date(2027, 3, 2))),
        ("PO-1", p_inputs.AckLineInput("1", p_inputs.LINE_CHANGE_QTY, quantity=Decimal(20))),
        ("PO-1", p_inputs.AckLineInput("1", p_inputs.LINE_REJECT)),
        ("PO-2", p_inputs.AckLineInput("1", p_inputs.LINE_RESCHEDULE, promised_date=dt.date(2027, 3, 18))),
        ("PO-2", p_inputs.AckLineInput("1", p_inputs.LINE_CHANGE_QTY, quantity=Decimal(2))),
    ],
)
def test_net_change_after_one_answer_equals_a_full_regeneration(pump, system, supplier, company, number, answer):
    from procurement.services import acknowledgement_record

    send(
        system,
        demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)),
        demand("MPS-1", "PUMP", "5", dt.date(2027, 3, 20), kind="master_schedule"),
        demand("SP-1", "BOLT", "30", dt.date(2027, 3, 20), kind="independent"),
    )
    publish("PO-1", "BOLT", "50", dt.date(2027, 3, 5))
    publish("PO-2", "HOUSING", "8", dt.date(2027, 3, 8))
    requirements_regenerate(company=company, today=dt.date(2027, 3, 1))
    before = results()

    acknowledgement_record(
        supplier=supplier,
        ack=p_inputs.AcknowledgementInput(
            document_id="ACK-1", po_number=number, header=p_inputs.ACK_ACCEPTED_WITH_CHANGES, lines=(answer,)
        ),
        source=WriteSource(channel="api", label="supplier BOLTS", correlation_id="corr-ack"),
    )
    net = RequirementRun.objects.latest("pk")
    assert net.mode == RequirementRun.Mode.NET_CHANGE
    after_net_change = results()
    assert after_net_change != before

    requirements_regenerate(company=company, today=dt.date(2027, 3, 1))
    full = results()
    assert full == after_net_change


def test_a_full_run_written_as_it_plans_stores_what_one_written_at_the_end_does(pump, system, company, monkeypatch):
    """A full run hands its results to be written every ``FLUSH_ROWS`` rows (on PostgreSQL, copied in a few
    item-locations at a time, before the other results are deleted): written after every item-location,
    the old results are gone, each shortage still names its own planned purchase, and the run counts every row."""
    send(
        system,
        demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)),
        demand("MPS-1", "PUMP", "5", dt.date(2027, 3, 20), kind="master_schedule"),
        demand("SP-1", "BOLT", "30", dt.date(2027, 3, 20), kind="independent"),
    )
    publish("PO-1", "BOLT", "50", dt.date(2027, 3, 5))
    publish("PO-2", "HOUSING", "8", dt.date(2027, 3, 8))
    at_once = requirements_regenerate(company=company, today=dt.date(2027, 3, 1))
    whole = results()
    monkeypatch.setattr(engine, "FLUSH_ROWS", 1)
    each = requirements_regenerate(company=company, today=dt.date(2027, 3, 1))

    assert results() == whole
    assert each.counts == at_once.counts
    assert each.counts == {
        "item_locations": 6,  # PUMP, BOLT, HOUSING at both plants
        "projection_rows": ProjectionRow.objects.count(),
        "planned_purchases": PlannedPurchase.objects.count(),
        "shortages": Shortage.objects.count(),
    }
    assert set(ProjectionRow.objects.values_list("run_id", flat=True)) == {each.pk}
    linked = Shortage.objects.filter(planned_purchase__isnull=False)
    assert linked.exists()
    assert all(s.planned_purchase.item_id == s.item_id for s in linked.select_related("planned_purchase"))


def test_one_planned_order_covers_its_batch_window_and_the_next_starts_after_it(pump, system, company):
    send(
        system,
        demand("SP-1", "BOLT", "30", dt.date(2027, 3, 20), kind="independent"),
        demand("SP-2", "BOLT", "30", dt.date(2027, 3, 23), kind="independent"),
        demand("SP-3", "BOLT", "40", dt.date(2027, 3, 28), kind="independent"),
    )
    requirements_regenerate(company=company, today=dt.date(2027, 3, 1))
    # 20 March: lowest through 26 March is −60, so 10 + 60 = 70 → MOQ 100. 28 March (outside the window):
    # −100 + 100 = 0, below safety stock 10 → net 10 → 100.
    assert [(r[0], r[4], r[5], r[6]) for r in rows("BOLT")] == [
        (dt.date(2027, 3, 20), D(30), D(100), D(-30)),
        (dt.date(2027, 3, 23), D(30), D(0), D(-60)),
        (dt.date(2027, 3, 28), D(40), D(100), D(-100)),
    ]
    assert sorted(
        (p.need_date, p.net_quantity, [g["reference"] for g in p.pegs]) for p in PlannedPurchase.objects.all()
    ) == [
        # first in, first out: the first order's 100 covers SP-1, SP-2 and SP-3; the second, safety stock
        (dt.date(2027, 3, 20), D(70), ["SP-1", "SP-2", "SP-3"]),
        (dt.date(2027, 3, 28), D(10), []),
    ]


def test_a_ship_notices_finding_is_rated_with_its_own_quantity_on_the_way(planned, supplier):
    """The notice's 40 are counted as arriving on its expected date when its finding is rated: PO-1's
    50 still cover MO-1's 40 (40 in transit, 10 to come), so the missing acknowledgement stays a data
    problem, not a production stop."""
    from procurement.services import shipment_record

    planned.require_ack_before_asn = True
    planned.save(update_fields=["require_ack_before_asn"])
    notice = p_inputs.ShipmentInput(
        shipment_id="ASN-1",
        ship_date=dt.date(2027, 3, 1),
        expected_delivery=dt.date(2027, 3, 4),
        lines=(p_inputs.ShipmentLineInput("PO-1", "1", Decimal(40), "EA"),),
    )
    result = shipment_record(
        supplier=supplier, shipment=notice, source=WriteSource(channel="api", label="supplier BOLTS")
    )

    [exception] = result.exceptions
    exception.refresh_from_db()
    assert (exception.kind, exception.severity) == ("asn_without_ack", "data_quality")
    assert "requirements" not in exception.evidence
