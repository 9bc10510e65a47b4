"""Properties of the ledger: however a stream of events arrives — shuffled, duplicated, in batches of
any size — the balances are those of applying each event once in source order; a count plus the
deltas since equals the balance; no idempotency key is in the ledger twice."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from materials.models import InventoryEvent
from materials.services import inventory_events_apply
from procurement import factories

from .inventory_helpers import balances, event, reservations

PARTS = ["BOLT", "NUT"]
LOCATIONS = ["A", "B"]
STATUSES = ["usable", "quarantine"]


@st.composite
def one_event(draw, number):
    kinds = ["receipt", "issue", "transfer", "adjustment", "scrap", "status_change", "count", "reservation"]
    kind = draw(st.sampled_from(kinds))
    location = draw(st.sampled_from(LOCATIONS))
    status = draw(st.sampled_from(STATUSES))
    quantity = draw(st.integers(min_value=1, max_value=500))
    extra = {}
    if kind in ("adjustment", "reservation"):
        quantity *= draw(st.sampled_from([1, -1]))
    if kind == "count":
        quantity = draw(st.integers(min_value=0, max_value=500))
    if kind == "transfer":
        extra["to_location"] = next(x for x in LOCATIONS if x != location)
    if kind == "status_change":
        extra["to_status"] = next(x for x in STATUSES if x != status)
    return event(
        f"ev-{number}",
        draw(st.integers(min_value=0, max_value=40)),
        kind,
        str(quantity),
        part=draw(st.sampled_from(PARTS)),
        location=location,
        stock_status=status,
        posting=draw(st.sampled_from(["physical", "posted"])),
        **extra,
    )


@st.composite
def streams(draw):
    size = draw(st.integers(min_value=1, max_value=25))
    events = [draw(one_event(n)) for n in range(size)]
    delivered = events + draw(st.lists(st.sampled_from(events), max_size=10))
    delivered = draw(st.permutations(delivered))
    cuts = sorted(draw(st.lists(st.integers(0, len(delivered)), max_size=4)))
    batches = [delivered[a:b] for a, b in zip([0, *cuts], [*cuts, len(delivered)], strict=True)]
    return events, [b for b in batches if b]


def play(system, batches):
    sid = transaction.savepoint()
    try:
        outcomes = Counter()
        for batch in batches:
            for o in inventory_events_apply(actor=system, company_code="ACME", source_system="WMS", events=batch):
                outcomes[o.outcome] += 1
        keys = Counter(InventoryEvent.objects.values_list("source_event_id", flat=True))
        return (balances(), reservations()), outcomes, keys
    finally:
        transaction.savepoint_rollback(sid)


@pytest.fixture
def parts(company, plants):
    for part in PARTS:
        factories.ItemFactory(company=company, part_number=part)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=streams())
def test_shuffled_and_duplicated_streams_are_applied_once_in_sequence(system, parts, stream):
    events, batches = stream
    in_order = sorted(events, key=lambda e: (e.source_sequence, e.source_event_id))
    expected, _, _ = play(system, [in_order])
    actual, outcomes, keys = play(system, batches)
    assert actual == expected
    assert outcomes == Counter({"applied": len(events), "duplicate": sum(len(b) for b in batches) - len(events)})
    assert set(keys.values()) == {1}
    assert len(keys) == len(events)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    count=st.integers(min_value=0, max_value=1000),
    deltas=st.lists(st.tuples(st.sampled_from(["receipt", "issue", "adjustment"]), st.integers(1, 300)), max_size=12),
    before=st.lists(st.integers(1, 300), max_size=5),
)
def test_a_count_plus_the_deltas_since_is_the_balance(system, parts, count, deltas, before):
    # Receipts before the count (sequences 0..) arrive last: the count already holds them.
    events = [event(f"c-{count}", 100, "count", str(count))]
    signed = Decimal(count)
    for n, (kind, quantity) in enumerate(deltas):
        events.append(event(f"d-{n}", 101 + n, kind, str(quantity)))
        signed += -quantity if kind == "issue" else quantity
    events += [event(f"b-{n}", n, "receipt", str(q)) for n, q in enumerate(before)]
    actual, _, _ = play(system, [[e] for e in events])
    assert actual == ({("BOLT", "", "", "usable", "WMS"): (signed, Decimal(0))} if signed else {}, {})
