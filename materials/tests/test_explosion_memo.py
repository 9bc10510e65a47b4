"""Property: exploding each item once per span of unchanged structure and scaling it per demand gives
exactly what walking the tree for every demand on its own need date gives."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from materials.explosion import Demand, explode

from .helpers import D, items, line, receive, release, window

PARTS = ["P0", "P1", "P2", "P3", "P4", "P5"]
DATES = [D(2027, 1, 1), D(2027, 1, 2), D(2027, 2, 1), D(2027, 2, 2), D(2027, 3, 1)]
ENDS = [None, *DATES]

# A line of a part: (component index offset, quantity, scrap, phantom, valid from, valid to); components
# always come later in PARTS, so every structure is free of cycles.
lines_of = st.lists(
    st.tuples(
        st.integers(1, 5),
        st.integers(1, 4),
        st.sampled_from([Decimal(0), Decimal("0.5")]),
        st.booleans(),
        st.sampled_from(ENDS),
        st.sampled_from(ENDS),
    ),
    max_size=3,
)


@st.composite
def structures(draw):
    """Part → its revisions: (date the revision takes effect at DET or None, lines)."""
    chosen = {}
    for index, part in enumerate(PARTS[:-1]):
        revisions = draw(st.lists(st.tuples(st.sampled_from(DATES), lines_of), max_size=2))
        chosen[part] = [
            (
                None if n == 0 else start,
                [_line(PARTS[index + offset], *rest) for offset, *rest in lines if index + offset < 6],
            )
            for n, (start, lines) in enumerate(revisions)
        ]
    return chosen


def _line(child, quantity, scrap, phantom, valid_from, valid_to):
    if valid_from and valid_to and valid_to < valid_from:
        valid_from, valid_to = valid_to, valid_from
    return child, quantity, scrap, phantom, valid_from, valid_to


demands = st.lists(
    st.tuples(st.sampled_from(PARTS[:3]), st.integers(1, 5), st.sampled_from(DATES)), min_size=1, max_size=12
)


def lines_on(structure, part, on):
    """The lines of ``part``'s revision in effect on ``on`` (the last one started), each in effect on ``on``."""
    in_effect = None
    for start, lines in structure.get(part, []):
        if start is None or start <= on:
            in_effect = lines
    return [
        line for line in in_effect or [] if (line[4] is None or line[4] <= on) and (line[5] is None or on <= line[5])
    ]


def walk(structure, part, quantity, on, needs):
    """The rules of explosion, written out plainly, one demand at a time."""
    lines = lines_on(structure, part, on)
    real_here = {child for child, _, _, phantom, _, _ in lines if not phantom}
    for child, quantity_per, scrap, phantom, _, _ in lines:
        amount = quantity * quantity_per * (1 + scrap)
        if not (phantom and child not in real_here and lines_on(structure, child, on)):
            needs[child] += amount
        walk(structure, child, amount, on, needs)


def store(system, structure):
    for part, revisions in structure.items():
        for n, (start, lines) in enumerate(revisions):
            components = [
                line(str(10 * (i + 1)), child, str(q), scrap_factor=scrap, phantom=phantom, valid_from=f, valid_to=t)
                for i, (child, q, scrap, phantom, f, t) in enumerate(lines)
            ]
            outcome = receive(
                system,
                release(part, f"R{n}", f"R{n - 1}" if n else None, components, plants=[window("DET", start)]),
            )
            assert outcome.state == "applied", outcome


@pytest.fixture
def parts(system):
    items(system, *PARTS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(structure=structures(), wanted=demands)
def test_the_memoised_explosion_equals_a_walk_per_demand(company, system, parts, structure, wanted):
    sid = transaction.savepoint()
    try:
        store(system, structure)
        result = explode(company_id=company.pk, demands=[Demand(part, "DET", Decimal(q), on) for part, q, on in wanted])
    finally:
        transaction.savepoint_rollback(sid)
    expected: dict = defaultdict(Decimal)
    for part, q, on in wanted:
        needs: dict = defaultdict(Decimal)
        walk(structure, part, Decimal(q), on, needs)
        for child, amount in needs.items():
            expected[("DET", child, on)] += amount

    assert result == dict(expected)
