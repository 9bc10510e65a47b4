"""Shortages with no supplier deviation behind them: the buyer's own exceptions, worked by hand.

BOLT (``test_requirements``' PUMP model): safety stock 10, MOQ 100, multiple 25, supplier lead time
7 days, no stock. Today is 1 March; a shortage is the buyer's to act on when the purchase that would
cover it is to be released within 14 days (by 15 March).
"""

import datetime as dt
from decimal import Decimal

import pytest

from materials.services import requirements_regenerate
from procurement.models import AuditEvent, ProcurementException

from .test_requirements import demand, planned, publish, pump, reschedule, send  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.date(2027, 3, 1)


def shortages(state=None):
    found = ProcurementException.objects.filter(kind="material_shortage").order_by("pk")
    return list(found.filter(state=state) if state else found)


def test_a_shortage_nothing_ordered_covers_is_a_production_stop_naming_the_planned_purchase(
    pump,  # noqa: F811
    system,
    company,
):
    # | date  | demand | firm | planned (net 40 → MOQ 100) | released (lead 7) |
    # | 5 Mar | SP-1 30 | −30 | 100                         | 26 Feb: late      |
    send(system, demand("SP-1", "BOLT", "30", dt.date(2027, 3, 5), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)
    [exception] = shortages()
    assert (exception.severity, exception.state, exception.po_id, exception.supplier_id) == (
        "production_stop",
        "open",
        None,
        None,
    )
    evidence = exception.evidence
    assert (evidence["part_number"], evidence["date"], evidence["short"], evidence["orders"]) == (
        "BOLT",
        "2027-03-05",
        "30",
        ["SP-1"],
    )
    planned_purchase = evidence["planned_purchase"]
    assert (planned_purchase["quantity"], planned_purchase["release_date"], planned_purchase["late"]) == (
        "100",
        "2027-02-26",
        True,
    )
    assert "30 short on 2027-03-05" in exception.summary
    assert AuditEvent.objects.filter(action="material_shortage.raised").count() == 1

    # another run: the same exception, not a second
    requirements_regenerate(company=company, today=TODAY)
    assert [e.pk for e in shortages()] == [exception.pk]

    # the buyer orders 50 for 4 March: covered (projected 20, above safety stock 10) → cleared
    publish("PO-1", "BOLT", "50", dt.date(2027, 3, 4))
    requirements_regenerate(company=company, today=TODAY)
    exception.refresh_from_db()
    assert (exception.state, exception.resolution) == ("resolved", "auto_cleared")
    assert shortages("open") == []


def test_a_shortage_with_time_to_order_is_a_procurement_delay(pump, system, company):  # noqa: F811
    # 20 March: the planned purchase is released on 13 March, within the 14 days: the buyer should order
    send(system, demand("SP-1", "BOLT", "30", dt.date(2027, 3, 20), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)
    [exception] = shortages()
    assert exception.severity == "procurement_delay"
    assert exception.evidence["planned_purchase"]["release_date"] == "2027-03-13"


def test_a_shortage_far_enough_out_is_left_to_planning(pump, system, company):  # noqa: F811
    # 20 April: released 13 April, beyond 15 March: the planned purchase alone
    send(system, demand("SP-1", "BOLT", "30", dt.date(2027, 4, 20), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)
    assert shortages() == []


def test_a_demand_moving_closer_raises_it_by_net_change_and_moving_away_clears_it(pump, system, company):  # noqa: F811
    send(system, demand("SP-1", "BOLT", "30", dt.date(2027, 4, 20), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)
    from materials.services import requirements_net_change
    from procurement.models import Item, Plant

    keys = {(Plant.objects.get(code="DET").pk, Item.objects.get(part_number="BOLT").pk)}
    send(system, demand("SP-1", "BOLT", "30", dt.date(2027, 3, 20), kind="independent"))
    requirements_net_change(company=company, keys=keys, reason="demand moved", today=TODAY)
    [exception] = shortages("open")
    send(system, demand("SP-1", "BOLT", "30", dt.date(2027, 4, 20), kind="independent"))
    requirements_net_change(company=company, keys=keys, reason="demand moved", today=TODAY)
    exception.refresh_from_db()
    assert exception.state == "resolved"


def test_a_shortage_behind_a_supplier_deviation_is_the_deviations_alone(planned, supplier):  # noqa: F811
    # MO-1 needs 40 BOLT on 10 March; PO-1's 50 move from 5 to 25 March: the date deviation is the stop.
    # (HOUSING, of which nothing is ordered, is a shortage of its own.)
    def parts():
        return [e.evidence["part_number"] for e in shortages("open")]

    assert parts() == ["HOUSING"]
    deviation = reschedule(supplier, "ACK-1", dt.date(2027, 3, 25))
    deviation.refresh_from_db()
    assert deviation.severity == "production_stop"
    assert parts() == ["HOUSING"]
    requirements_regenerate(company=planned, today=TODAY)  # BOLT's shortage is within the 14 days
    assert parts() == ["HOUSING"]
    assert ProcurementException.objects.filter(kind="material_shortage").count() == 1


def test_a_shortages_summary_is_told_again_when_a_net_change_moves_its_evidence(pump, system, company):  # noqa: F811
    send(system, demand("SP-1", "BOLT", "30", dt.date(2027, 3, 5), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)
    [exception] = shortages()
    assert exception.get_kind_display() == "Material shortage"
    assert exception.summary == (
        "BOLT at DET: 30 short on 2027-03-05, not enough ordered; "
        "a planned purchase of 100 due 2027-03-05 would cover it, released 2027-02-26 (late)"
    )
    from materials.services import requirements_net_change
    from procurement.models import Item, Plant

    keys = {(Plant.objects.get(code="DET").pk, Item.objects.get(part_number="BOLT").pk)}
    send(system, demand("SP-1", "BOLT", "45", dt.date(2027, 3, 6), kind="independent"))
    requirements_net_change(company=company, keys=keys, reason="demand moved", today=TODAY)

    exception.refresh_from_db()
    assert exception.summary == (
        "BOLT at DET: 45 short on 2027-03-06, not enough ordered; "
        "a planned purchase of 100 due 2027-03-06 would cover it, released 2027-02-27 (late)"
    )
    changed = AuditEvent.objects.get(action="exception.severity_changed", object_id=str(exception.pk))
    assert (changed.before["summary"], changed.after["summary"]) == (
        "BOLT at DET: 30 short on 2027-03-05, not enough ordered; "
        "a planned purchase of 100 due 2027-03-05 would cover it, released 2027-02-26 (late)",
        exception.summary,
    )


def test_a_make_items_shortage_is_not_enough_planned_and_covered_by_a_planned_make_order(pump, system, company):  # noqa: F811
    send(system, demand("SP-1", "PUMP", "10", dt.date(2027, 3, 5), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)

    pump_shortage = next(e for e in shortages() if e.evidence["part_number"] == "PUMP")
    assert (pump_shortage.get_kind_display(), pump_shortage.summary) == (
        "Material shortage",
        "PUMP at DET: 10 short on 2027-03-05, not enough planned; "
        "a planned make order of 10 due 2027-03-05 would cover it, to release by 2027-03-02",
    )


def test_the_migration_words_open_make_shortages_raised_before_make_orders_had_their_words(pump, system, company):  # noqa: F811
    from importlib import import_module

    from django.apps import apps

    send(system, demand("SP-1", "PUMP", "10", dt.date(2027, 3, 5), kind="independent"))
    requirements_regenerate(company=company, today=TODAY)
    by_part = {e.evidence["part_number"]: e for e in shortages()}
    now = {part: e.summary for part, e in by_part.items()}
    old = (
        "PUMP at DET: 10 short on 2027-03-05, not enough ordered; "
        "a planned purchase of 10 due 2027-03-05 would cover it, to release by 2027-03-02"
    )
    ProcurementException.objects.filter(pk=by_part["PUMP"].pk).update(summary=old)
    closed = by_part["BOLT"]
    ProcurementException.objects.filter(pk=closed.pk).update(state="dismissed", summary="as it was closed")

    import_module("materials.migrations.0012_material_shortage_summaries").summaries_reword(apps, None)

    after = {e.evidence["part_number"]: e.summary for e in shortages()}
    assert after == {**now, "BOLT": "as it was closed"}
    assert after["PUMP"].startswith("PUMP at DET: 10 short on 2027-03-05, not enough planned; a planned make order")
