"""The explosion's answer kept as columns per day, the lean read of the structure, and the fast path
(per-item needs built once, days as scaled columns) against a plain walk per demand, on random
structures with shared parts, base quantities, scrap, units, phantoms, alternates and line windows."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from materials.explosion import Demand, GrossRequirements, Structures, explode
from materials.inputs import UomConversionInput

from .helpers import D, items, line, receive, release

ON = D(2027, 3, 1)
LATER = D(2027, 3, 2)


@pytest.fixture
def parts(system):
    items(system, "A", "B", "P", "X", "Y", "Z")


def run(company, *demands):
    return explode(company_id=company.pk, demands=[Demand(*d) for d in demands])


def test_the_answer_reads_as_a_mapping_and_as_columns(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X", "2"), line("20", "Y", "1")]))
    receive(system, release("B", "1", None, [line("10", "X", "1"), line("20", "Z", "3")]))

    result = run(company, ("A", "DET", Decimal(1), ON), ("B", "DET", Decimal(2), ON), ("B", "DET", Decimal(1), LATER))

    assert isinstance(result, GrossRequirements)
    expected = {
        ("DET", "X", ON): Decimal(4),
        ("DET", "Y", ON): Decimal(1),
        ("DET", "Z", ON): Decimal(6),
        ("DET", "X", LATER): Decimal(1),
        ("DET", "Z", LATER): Decimal(3),
    }
    assert result == expected
    assert expected == result
    assert len(result) == 5
    assert dict(result) == expected
    assert dict(result.items()) == expected
    assert sorted(result.values()) == sorted(expected.values())
    assert sorted(result) == sorted(expected)
    assert sorted(result.rows()) == sorted((p, part, on, q) for (p, part, on), q in expected.items())
    days = {(plant, on): dict(zip(parts, quantities, strict=True)) for plant, on, parts, quantities in result.days()}
    assert days == {
        ("DET", ON): {"X": Decimal(4), "Y": Decimal(1), "Z": Decimal(6)},
        ("DET", LATER): {"X": Decimal(1), "Z": Decimal(3)},
    }
    assert result[("DET", "Z", ON)] == Decimal(6)
    assert ("DET", "Y", LATER) not in result
    assert result.get(("DET", "Y", LATER)) is None
    assert result.get("not a key", Decimal(0)) == Decimal(0)
    with pytest.raises(KeyError):
        result[("MTY", "X", ON)]
    assert result != {**expected, ("DET", "Y", LATER): Decimal(1)}


def test_nothing_demanded_is_an_empty_answer(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X")]))

    assert run(company) == {}
    assert len(run(company, ("Z", "DET", Decimal(3), ON))) == 0


def test_a_serial_demand_adds_to_the_same_day_of_a_dated_one(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X", "2")]))

    result = run(company, ("A", "DET", Decimal(1), ON), ("A", "DET", Decimal(3), ON, "0001"))

    assert result == {("DET", "X", ON): Decimal(8)}
    assert len(result) == 1


def test_the_lean_read_gives_the_stated_read_s_quantities(company, system, parts):
    """What explosion reads (only quantities, on PostgreSQL) equals the full read, line for line."""
    from materials.services import category_conversions_set

    items(system, Y={"category": "fasteners"}, Z={"conversions": (UomConversionInput("BOX", Decimal(12)),)})
    category_conversions_set(
        actor=system,
        company_code="ACME",
        category="fasteners",
        base_uom="EA",
        conversions=(UomConversionInput("BAG", Decimal("2.5")),),
    )
    receive(
        system,
        release(
            "A",
            "1",
            None,
            [
                line("10", "B", "2.5000", scrap_factor=Decimal("0.015")),
                line("20", "P", "1", phantom=True),
                line("30", "X", "1", alternate_group="G", alternate_priority=1, valid_to=LATER),
                line("30", "Z", "1", alternate_group="G", alternate_priority=2),
            ],
            base_quantity=Decimal(3),
        ),
    )
    receive(system, release("B", "1", None, [line("10", "Y", "4", uom="BAG"), line("20", "Z", "1", uom="BOX")]))
    receive(system, release("P", "1", None, [line("10", "Y", "0.3333", scrap_factor=Decimal("0.1"))]))

    stated = Structures(company.pk, "manufacturing", {"DET"})
    stated.load(["A"])
    lean = Structures(company.pk, "manufacturing", {"DET"}, as_stated=False)
    lean.load(["A"])

    def read(structures):
        return {
            structures.parent_of[release_id]: [
                (x.part_number, x.per_unit, x.phantom, x.alternate_group, x.alternate_priority, x.valid_to)
                for x in lines
            ]
            for release_id, lines in structures.lines.items()
        }

    assert read(lean) == read(stated)
    assert lean.bounds == stated.bounds
    assert set(lean.revisions) == set(stated.revisions) == {"A", "B", "P", "X", "Y", "Z"}
    assert read(lean)["A"][0][1] == Decimal("2.5") / 3 * Decimal("1.015")
    assert read(lean)["B"] == [("Y", Decimal(10), False, "", 0, None), ("Z", Decimal(12), False, "", 0, None)]


def test_a_unit_that_no_longer_converts_is_named(company, system, parts):
    from materials.explosion import ExplosionError
    from materials.models import BomComponent

    receive(system, release("A", "1", None, [line("10", "X", "2")]))
    BomComponent.objects.filter(part_number="X").update(uom="PAL")

    with pytest.raises(ExplosionError) as error:
        run(company, ("A", "DET", Decimal(1), ON))
    assert str(error.value) == "unit PAL of X does not convert to EA"


# --- the fast path against a plain walk -------------------------------------------------------

PARTS = ["T0", "T1", "T2", "M0", "M1", "L0", "L1", "L2"]  # two demanded levels share what is below
DATES = [D(2027, 1, 1), D(2027, 1, 2), D(2027, 2, 1)]
WINDOW_ENDS = [None, *DATES]

lines_of = st.lists(
    st.tuples(
        st.integers(1, 7),  # how far down PARTS the component is
        st.sampled_from(["1", "2", "0.5", "3"]),
        st.sampled_from([Decimal(0), Decimal("0.25")]),
        st.booleans(),  # phantom
        st.sampled_from(["", "G"]),  # alternate group
        st.integers(0, 2),  # priority
        st.sampled_from(WINDOW_ENDS),  # valid to
    ),
    max_size=4,
)


@st.composite
def structures(draw):
    """Part → (base quantity, lines); components always come later in PARTS, so there are no cycles."""
    chosen = {}
    for index, part in enumerate(PARTS[:-1]):
        lines = [(PARTS[index + offset], *rest) for offset, *rest in draw(lines_of) if index + offset < len(PARTS)]
        chosen[part] = (draw(st.sampled_from([Decimal(1), Decimal(2)])), lines)
    return chosen


demands = st.lists(
    st.tuples(st.sampled_from(PARTS[:4]), st.sampled_from(["1", "2", "0.5", "7"]), st.sampled_from(DATES)),
    min_size=1,
    max_size=10,
)


def lines_on(structure, part, on):
    """The lines of ``part`` in effect on ``on``, each alternate group reduced to its lowest priority."""
    if part not in structure:
        return []
    base, lines = structure[part]
    lines = [x for x in lines if x[6] is None or on <= x[6]]
    primary = {}
    for x in lines:
        if x[4]:
            primary[x[4]] = min(primary.get(x[4], x[5]), x[5])
    return [(x, base) for x in lines if not x[4] or x[5] == primary[x[4]]]


def walk(structure, part, quantity, on, needs):
    lines = lines_on(structure, part, on)
    real_here = {x[0] for x, _ in lines if not x[3]}
    for (child, quantity_per, scrap, phantom, *_), base in lines:
        amount = quantity * (Decimal(quantity_per) / base * (1 + scrap))
        if not (phantom and child not in real_here and lines_on(structure, child, on)):
            needs[child] += amount
        walk(structure, child, amount, on, needs)


@pytest.fixture
def random_parts(system):
    items(system, *PARTS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(structure=structures(), wanted=demands)
def test_the_fast_path_equals_a_plain_walk_per_demand(company, system, random_parts, structure, wanted):
    sid = transaction.savepoint()
    try:
        for part, (base, lines) in structure.items():
            components = [
                line(
                    str(10 * (i + 1)),
                    child,
                    quantity,
                    scrap_factor=scrap,
                    phantom=phantom,
                    alternate_group=group,
                    alternate_priority=priority,
                    valid_to=valid_to,
                )
                for i, (child, quantity, scrap, phantom, group, priority, valid_to) in enumerate(lines)
            ]
            outcome = receive(system, release(part, "1", None, components, base_quantity=base, plants=["DET"]))
            assert outcome.state == "applied", outcome
        result = explode(company_id=company.pk, demands=[Demand(part, "DET", Decimal(q), on) for part, q, on in wanted])
    finally:
        transaction.savepoint_rollback(sid)
    expected: dict = defaultdict(Decimal)
    for part, q, on in wanted:
        needs: dict = defaultdict(Decimal)
        walk(structure, part, Decimal(q), on, needs)
        for child, amount in needs.items():
            expected[("DET", child, on)] += amount

    assert dict(result) == dict(expected)
    assert len(result) == len(expected)
