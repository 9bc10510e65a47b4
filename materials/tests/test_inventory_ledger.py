"""The inventory ledger: events in exactly once, in source order, balances per source with physical and posted."""

from decimal import Decimal

import pytest

from materials.models import InventoryBalance, InventoryEvent, InventoryEventConflict
from materials.services import inventory_events_apply
from materials.services.errors import NotFound
from procurement import factories
from procurement.models import UomConversion

from .inventory_helpers import balances, event

D = Decimal


@pytest.fixture
def bolt(company, plants):
    item = factories.ItemFactory(company=company, part_number="BOLT")
    item.base_uom = "EA"
    item.save()
    UomConversion.objects.create(item=item, uom="BOX", factor=D(50))
    return item


def apply(system, events, source="WMS"):
    return [
        (o.source_event_id, o.outcome, o.reason)
        for o in inventory_events_apply(actor=system, company_code="ACME", source_system=source, events=events)
    ]


def test_receipt_issue_transfer_status_change_and_scrap_in_order(system, bolt):
    outcomes = apply(
        system,
        [
            event("w1", 1, "receipt", "8", uom="BOX", location="DOCK", stock_status="quarantine"),
            event("w2", 2, "status_change", "300", location="DOCK", stock_status="quarantine", to_status="usable"),
            event("w3", 3, "transfer", "250", location="DOCK", to_location="A-01"),
            event("w4", 4, "issue", "40", location="A-01"),
            event("w5", 5, "scrap", "10", location="DOCK"),
            event("w6", 6, "adjustment", "-5", location="A-01"),
        ],
    )
    assert [o[1] for o in outcomes] == ["applied"] * 6
    assert balances() == {
        ("BOLT", "DOCK", "", "quarantine", "WMS"): (D(100), D(0)),
        ("BOLT", "DOCK", "", "usable", "WMS"): (D(40), D(0)),
        ("BOLT", "A-01", "", "usable", "WMS"): (D(205), D(0)),
    }
    assert InventoryEvent.objects.get(source_event_id="w1").base_quantity == D(400)
    assert set(InventoryBalance.objects.values_list("last_sequence", flat=True)) == {6}


def test_a_replay_has_no_effect_and_other_content_under_a_used_id_is_refused_and_kept(system, bolt):
    apply(system, [event("e1", 1, "receipt", "100")])
    again = apply(system, [event("e1", 1, "receipt", "100.0000"), event("e1b", 2, "receipt", "5")])
    assert again == [("e1", "duplicate", "already in the ledger: no effect"), ("e1b", "applied", "")]
    assert apply(system, [event("e1", 1, "receipt", "999")]) == [
        ("e1", "conflict", "event id e1 was used for another event: refused")
    ]
    assert balances() == {("BOLT", "", "", "usable", "WMS"): (D(105), D(0))}
    conflict = InventoryEventConflict.objects.get()
    assert (conflict.source_system, conflict.source_event_id, conflict.payload["quantity"]) == ("WMS", "e1", "999")
    assert InventoryEvent.objects.count() == 2


def test_the_same_id_twice_in_one_batch(system, bolt):
    outcomes = apply(
        system, [event("e1", 1, "receipt", "10"), event("e1", 1, "receipt", "10"), event("e1", 1, "receipt", "11")]
    )
    assert [o[1] for o in outcomes] == ["applied", "duplicate", "conflict"]
    assert balances() == {("BOLT", "", "", "usable", "WMS"): (D(10), D(0))}


def test_a_late_event_is_applied_as_a_correction_and_a_count_is_absolute(system, bolt):
    apply(system, [event("c", 10, "count", "500"), event("i", 11, "issue", "20")])
    assert balances() == {("BOLT", "", "", "usable", "WMS"): (D(480), D(0))}
    # Sequence 5 comes before the count: the count already includes it, so nothing changes.
    assert apply(system, [event("early", 5, "receipt", "70")]) == [("early", "applied", "")]
    assert balances() == {("BOLT", "", "", "usable", "WMS"): (D(480), D(0))}
    # Sequence 12, after the count, arriving after 13: relative to the count, in sequence order.
    apply(system, [event("r13", 13, "receipt", "1")])
    apply(system, [event("r12", 12, "issue", "30")])
    assert balances() == {("BOLT", "", "", "usable", "WMS"): (D(451), D(0))}
    assert set(InventoryBalance.objects.values_list("last_sequence", flat=True)) == {13}


def test_sources_and_physical_posted_are_kept_apart(system, bolt):
    apply(system, [event("w1", 1, "receipt", "400")], source="WMS")
    apply(system, [event("e1", 1, "receipt", "400", posting="posted"), event("e2", 2, "issue", "50")], source="ERP")
    assert balances() == {
        ("BOLT", "", "", "usable", "WMS"): (D(400), D(0)),
        ("BOLT", "", "", "usable", "ERP"): (D(-50), D(400)),
    }


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (event("x", 1, "receipt", "1", plant="NOPE"), "plant 'NOPE' is not known"),
        (event("x", 1, "receipt", "1", part="NOPE"), "item 'NOPE' is not known"),
        (
            event("x", 1, "melt", "1"),
            "kind must be one of receipt, issue, transfer, adjustment, scrap, status_change, count, reservation, "
            "not 'melt'",
        ),
        (event("x", 1, "issue", "-3"), "a issue needs a positive quantity (the magnitude moved)"),
        (event("x", 1, "count", "-1"), "a count cannot be negative"),
        (event("x", 1, "transfer", "1", location="A"), "a transfer needs a to_location other than its location"),
        (event("x", 1, "receipt", "1", uom="PAL"), "no conversion of 'PAL' to BOLT's base unit EA"),
        (
            event("x", 1, "receipt", "1", stock_status="lost"),
            "stock status must be one of usable, quarantine, blocked, not 'lost'",
        ),
        (event("", 1, "receipt", "1"), "a source event id needs 1 to 128 characters"),
    ],
)
def test_a_refused_event_says_why_and_the_others_go_ahead(system, bolt, given, reason):
    outcomes = apply(system, [given, event("ok", 2, "receipt", "3")])
    assert outcomes == [(given.source_event_id, "refused", reason), ("ok", "applied", "")]
    assert balances() == {("BOLT", "", "", "usable", "WMS"): (D(3), D(0))}


def test_another_companys_code_is_not_known(system, bolt, other_company):
    with pytest.raises(NotFound):
        inventory_events_apply(
            actor=system, company_code="OTHER", source_system="WMS", events=[event("x", 1, "receipt", "1")]
        )
    assert InventoryEvent.objects.count() == 0


def test_a_large_batch_goes_through_staging_with_the_same_outcomes(system, bolt):
    """600 events: on PostgreSQL COPYed into staging and merged with one INSERT … SELECT … ON CONFLICT."""
    first = [event(f"r{n}", n, "receipt", "2") for n in range(300)]
    apply(system, first[:100])
    batch = first + [event(f"i{n}", 300 + n, "issue", "1") for n in range(300)]
    outcomes = apply(system, batch)
    assert [o[1] for o in outcomes] == ["duplicate"] * 100 + ["applied"] * 500
    assert balances() == {("BOLT", "", "", "usable", "WMS"): (D(300), D(0))}
    assert InventoryEvent.objects.count() == 600


def test_a_late_event_on_a_long_history_is_reprojected_on_the_plants_queue(
    system, bolt, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from materials import tasks

    settings.GATEWAY_INVENTORY_INLINE_REPROJECT_EVENTS = 3
    queued = []
    monkeypatch.setattr(tasks.inventory_reproject, "apply_async", lambda args, queue: queued.append((args, queue)))
    apply(system, [event(f"r{n}", 10 + n, "receipt", "1") for n in range(4)])
    with django_capture_on_commit_callbacks(execute=True):
        apply(system, [event("late", 1, "count", "100")])
    # Until the plant's worker has run, the balance is the one before the late count.
    assert balances() == {("BOLT", "", "", "usable", "WMS"): (D(4), D(0))}
    ((args, queue),) = queued
    assert (args[2:], queue) == ((bolt.pk, "WMS"), "materials.DET")
    assert tasks.inventory_reproject(*args) == 5
    assert balances() == {("BOLT", "", "", "usable", "WMS"): (D(104), D(0))}


def test_reservations_set_stock_aside_without_moving_it_and_a_count_leaves_them(system, bolt):
    from .inventory_helpers import reservations

    outcomes = apply(
        system,
        [
            event("r1", 1, "receipt", "400", location="A-01"),
            event("r2", 2, "reservation", "3", uom="BOX", location="A-01"),
            event("r3", 3, "reservation", "-30", location="A-01"),
            event("r4", 4, "count", "380", location="A-01"),
            event("r5", 5, "reservation", "25", posting="posted"),
        ],
    )
    assert [o[1] for o in outcomes] == ["applied"] * 5
    # Physical stock is what was counted; the reservations (150 - 30, and 25 with no bin) are apart from it.
    assert balances() == {("BOLT", "A-01", "", "usable", "WMS"): (D(380), D(0))}
    assert reservations() == {("BOLT", "A-01", "", "usable", "WMS"): D(120), ("BOLT", "", "", "usable", "WMS"): D(25)}
    # Replayed, and a late release re-projected in sequence: 150 - 30 - 20.
    again = apply(system, [event("r2", 2, "reservation", "3", uom="BOX", location="A-01")])
    assert again == [("r2", "duplicate", "already in the ledger: no effect")]
    apply(system, [event("r2b", 2, "reservation", "-20", location="A-01")])
    assert reservations()[("BOLT", "A-01", "", "usable", "WMS")] == D(100)
    assert balances() == {("BOLT", "A-01", "", "usable", "WMS"): (D(380), D(0))}


def test_a_reservation_of_nothing_is_refused(system, bolt):
    assert apply(system, [event("z1", 1, "reservation", "0")]) == [
        ("z1", "refused", "a reservation of 0 changes nothing")
    ]
