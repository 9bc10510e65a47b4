"""Net change equals a full regeneration, on generated inputs: stock, reservations and lots in quality
inspection of a primary and its two alternates, demands through the primary's line and for each item
on its own, an open PO line of the primary; then one input changes and is re-planned by net change.

The structure is ``test_requirements_netting``'s: PUMP2 from 4 BOLT, or 4 BOLT-SS, or 8 BOLT-M.
Dates are relative to today (a stock event's net change plans as of today).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from materials.inputs import InventoryEventInput
from materials.models import InventoryPolicy, RequirementRun
from materials.services import inventory_events_apply, requirements_regenerate, requirements_replan
from procurement.models import Item, Plant

from .helpers import items, line, receive, release
from .test_requirements import demand, publish, results, send

pytestmark = pytest.mark.django_db
PARTS = ("BOLT", "BOLT-SS", "BOLT-M")


@pytest.fixture
def structure(system, supplier, plants, company):
    items(
        system,
        "BOLT-M",
        PUMP2={"make_or_buy": "make"},
        BOLT={"safety_stock": Decimal(10), "moq": Decimal(20), "inspection_days": 3},
        **{"BOLT-SS": {"safety_stock": Decimal(5), "inspection_days": 1}},
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
    InventoryPolicy.objects.create(company=company, subtract_reserved=True)
    return company


quantities = st.integers(min_value=0, max_value=60)
days = st.integers(min_value=-6, max_value=20)
stock_event = st.tuples(
    st.sampled_from(PARTS),
    st.sampled_from(["receipt", "issue", "reservation", "inspection"]),
    st.integers(min_value=1, max_value=40),
    days,
)
change = st.one_of(
    stock_event.map(lambda e: ("stock", e)),
    st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=20)).map(
        lambda d: ("order", d)
    ),
    st.tuples(st.sampled_from(PARTS), quantities, st.integers(min_value=1, max_value=20)).map(lambda d: ("spare", d)),
)


def stock_events(entries, first):
    """(part, kind, quantity, day) as WMS events: an inspection is a receipt into quarantine on that day."""
    today = timezone.localdate()
    made = []
    for number, (part, kind, quantity, day) in enumerate(entries, start=first):
        on = today + dt.timedelta(days=min(day, 0))  # what happened, happened by today
        quarantine = kind == "inspection"
        made.append(
            InventoryEventInput(
                plant_code="DET",
                part_number=part,
                kind="receipt" if quarantine else kind,
                quantity=Decimal(quantity),
                source_event_id=f"E{number}",
                source_sequence=number,
                occurred_at=dt.datetime(on.year, on.month, on.day, 8, tzinfo=dt.UTC),
                stock_status="quarantine" if quarantine else "usable",
                lot=f"Q{number}" if quarantine else "",
                location="QI-1" if quarantine else "",
            )
        )
    return made


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stock=st.lists(stock_event, min_size=1, max_size=6),
    order=st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=20)),
    spares=st.lists(st.tuples(st.sampled_from(PARTS), quantities, st.integers(min_value=1, max_value=20)), max_size=3),
    po=st.tuples(st.integers(min_value=0, max_value=80), st.integers(min_value=1, max_value=25)),
    then=change,
)
def test_net_change_after_any_single_change_equals_a_full_regeneration(
    system, structure, stock, order, spares, po, then
):
    company, today = structure, timezone.localdate()
    sid = transaction.savepoint()
    try:
        inventory_events_apply(actor=system, company_code="ACME", source_system="WMS", events=stock_events(stock, 1))
        send(system, demand("MO-1", "PUMP2", str(order[0]), today + dt.timedelta(days=order[1])))
        for number, (part, quantity, day) in enumerate(spares):
            if quantity:
                send(
                    system,
                    demand(f"SP-{number}", part, str(quantity), today + dt.timedelta(days=day), kind="independent"),
                )
        if po[0]:
            publish("PO-1", "BOLT", str(po[0]), today + dt.timedelta(days=po[1]))
        requirements_regenerate(company=company, today=today)
        before = RequirementRun.objects.count()

        kind, detail = then
        plant = Plant.objects.get(company=company, code="DET").pk
        if kind == "stock":
            inventory_events_apply(
                actor=system, company_code="ACME", source_system="WMS", events=stock_events([detail], 100)
            )
        else:
            part = "PUMP2" if kind == "order" else detail[0]
            reference = "MO-1" if kind == "order" else "SP-CHANGED"
            quantity, day = (detail[0], detail[1]) if kind == "order" else (detail[1] or 1, detail[2])
            send(
                system,
                demand(
                    reference,
                    part,
                    str(quantity),
                    today + dt.timedelta(days=day),
                    kind="production_order" if kind == "order" else "independent",
                ),
            )
            requirements_replan(
                company=company,
                keys={(plant, Item.objects.get(company=company, part_number=part).pk)},
                reason="demands",
            )
        runs = list(RequirementRun.objects.order_by("pk")[before:])
        after_net_change = results()
        requirements_regenerate(company=company, today=today)
        assert results() == after_net_change
        assert [r.mode for r in runs] == [RequirementRun.Mode.NET_CHANGE]
    finally:
        transaction.savepoint_rollback(sid)
