"""Property: however a stream of releases arrives — out of order, duplicated, with a missing item
turning up at any point — the applied state is the one from applying the releases in revision
order once."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from materials.models import BomPlantRevision, BomRelease

from .helpers import D, items, line, receive, release, window

PARTS = ["X1", "X2", "X3", "X4", "LATE"]
DATES = [None, D(2027, 1, 1), D(2027, 2, 1), D(2027, 3, 1)]

components = st.lists(
    st.tuples(st.sampled_from(PARTS), st.integers(min_value=1, max_value=9)),
    min_size=1,
    max_size=4,
    unique_by=lambda c: c[0],
)
windows = st.lists(
    st.tuples(st.sampled_from(["DET", "MTY"]), st.sampled_from(DATES)), max_size=2, unique_by=lambda w: w[0]
)
revisions = st.lists(st.tuples(components, windows), min_size=1, max_size=5)


@st.composite
def streams(draw):
    chain = draw(revisions)
    releases = [
        release(
            "A",
            f"R{n}",
            f"R{n - 1}" if n else None,
            [line(str(10 * i), part, str(q)) for i, (part, q) in enumerate(parts)],
            plants=[window(plant, start) for plant, start in plants],
        )
        for n, (parts, plants) in enumerate(chain)
    ]
    events = list(range(len(releases))) + draw(st.lists(st.integers(0, len(releases) - 1), max_size=4))
    events.append("item")
    return releases, draw(st.permutations(events))


def applied_state():
    rows = sorted(
        BomPlantRevision.objects.values_list("plant_code", "sequence", "revision", "valid_from", "effective_to")
    )
    releases = sorted(BomRelease.objects.exclude(state="duplicate").values_list("revision", "state"))
    return rows, releases


def play(system, events, releases):
    sid = transaction.savepoint()
    try:
        for event in events:
            if event == "item":
                items(system, "LATE")
            else:
                receive(system, releases[event])
        return applied_state()
    finally:
        transaction.savepoint_rollback(sid)


@pytest.fixture
def parts(system):
    items(system, "A", "X1", "X2", "X3", "X4")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=streams())
def test_any_arrival_order_gives_the_state_of_revision_order(system, parts, stream):
    releases, events = stream
    expected = play(system, ["item", *range(len(releases))], releases)

    assert play(system, events, releases) == expected
    assert {state for _, state in expected[1]} <= {"applied", "superseded"}
    assert expected[1][-1] == (f"R{len(releases) - 1}", "applied")


def test_a_long_chain_in_reverse_order_applies_whole(system, parts):
    releases = [
        release("A", f"R{n:02}", f"R{n - 1:02}" if n else None, [line("10", "X1", str(n + 1))]) for n in range(30)
    ]
    for rel in reversed(releases):
        receive(system, rel)

    assert BomRelease.objects.filter(state="applied").get().revision == "R29"
    assert BomRelease.objects.filter(state="superseded").count() == 29
    assert list(BomPlantRevision.objects.order_by("sequence").values_list("revision", flat=True)) == [
        f"R{n:02}" for n in range(30)
    ]
    assert Decimal(BomRelease.objects.get(revision="R29").components.get().quantity_per) == 30
