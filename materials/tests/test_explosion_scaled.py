"""The scaled path of explosion (whole numbers of a power of ten) answers exactly what the decimal path
answers, and is left for the decimal path when it could not: a per-unit quantity that does not end
(1/3), more places than it counts in, or quantities too large for decimals' 28 digits."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from materials import explosion
from materials.explosion import Demand, explode

from .helpers import D, items, line, receive, release, window
from .test_explosion_columns import demands, structures

ON = D(2027, 3, 1)
LATER = D(2027, 3, 2)


def run(company, wanted, *, decimal=False):
    """``explode`` for ``wanted`` (part, quantity, date) at DET, and whether the scaled path answered."""
    taken = []
    scaled = explosion._explode_scaled

    def spy(*args):
        taken.append(False if decimal else scaled(*args))
        return taken[-1]

    with mock.patch.object(explosion, "_explode_scaled", spy):
        result = explode(company_id=company.pk, demands=[Demand(p, "DET", Decimal(q), on) for p, q, on in wanted])
    return result, taken == [True]


def test_the_scaled_path_answers_in_decimals_when_it_returns(company, system):
    items(system, "A", "B", "X", "Y")
    receive(
        system, release("A", "1", None, [line("10", "B", "2", scrap_factor=Decimal("0.25")), line("20", "X", "1.5")])
    )
    receive(system, release("B", "1", None, [line("10", "Y", "0.4")], base_quantity=Decimal(2)))

    result, scaled = run(company, [("A", "2", ON), ("A", "1.5", LATER)])

    assert scaled
    expected = {
        ("DET", "B", ON): Decimal("5"),  # 2 × 2 × 1.25
        ("DET", "X", ON): Decimal("3"),
        ("DET", "Y", ON): Decimal("1"),  # 5 × 0.4 / 2
        ("DET", "B", LATER): Decimal("3.75"),
        ("DET", "X", LATER): Decimal("2.25"),
        ("DET", "Y", LATER): Decimal("0.75"),
    }
    assert dict(result) == expected
    assert all(type(quantity) is Decimal for _, _, _, quantities in result.days() for quantity in quantities)
    assert result[("DET", "Y", LATER)] == Decimal("0.75")
    assert sorted(result.rows()) == sorted((p, part, on, q) for (p, part, on), q in expected.items())
    decimal, scaled = run(company, [("A", "2", ON), ("A", "1.5", LATER)], decimal=True)
    assert not scaled
    assert dict(decimal) == dict(result)


def test_a_per_unit_quantity_that_does_not_end_is_left_to_decimals(company, system):
    items(system, "A", "X")
    receive(system, release("A", "1", None, [line("10", "X", "1")], base_quantity=Decimal(3)))

    result, scaled = run(company, [("A", "2", ON)])

    assert not scaled
    assert dict(result) == {("DET", "X", ON): Decimal(2) * (Decimal(1) / Decimal(3))}


def test_more_places_than_it_counts_in_is_left_to_decimals(company, system):
    items(system, "A", "X")
    receive(system, release("A", "1", None, [line("10", "X", "1")]))

    result, scaled = run(company, [("A", "0.0000000001", ON)])  # ten places

    assert not scaled
    assert dict(result) == {("DET", "X", ON): Decimal("0.0000000001")}


def test_quantities_past_decimal_precision_are_left_to_decimals(company, system):
    """Where decimals would round (28 digits), the scaled path does not answer with more digits than they keep."""
    items(system, "A", "B", "X")
    receive(system, release("A", "1", None, [line("10", "B", "123456789.123")]))
    receive(system, release("B", "1", None, [line("10", "X", "987654321.987")]))

    result, scaled = run(company, [("A", "12345678912345.123", ON)])

    assert not scaled
    assert result[("DET", "X", ON)] == Decimal("12345678912345.123") * (
        Decimal("123456789.123") * Decimal("987654321.987")
    )
    small, scaled = run(company, [("A", "1.5", ON)])
    assert scaled
    assert small[("DET", "X", ON)] == Decimal("1.5") * Decimal("123456789.123") * Decimal("987654321.987")


def test_a_cycle_in_effect_is_named_by_the_decimal_path_and_one_out_of_effect_is_scaled(company, system):
    items(system, "A", "B")
    receive(system, release("A", "1", None, [line("10", "B", "2")], plants=[window("DET", None, D(2020, 12, 31))]))
    receive(system, release("B", "1", None, [line("10", "A", "3")]))

    result, scaled = run(company, [("B", "1", ON)])
    assert scaled
    assert dict(result) == {("DET", "A", ON): Decimal(3)}
    with pytest.raises(explosion.ExplosionError) as error:
        run(company, [("A", "1", D(2020, 6, 1))])
    assert str(error.value) == "the structure has a cycle: A > B > A"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(structure=structures(), wanted=demands)
def test_the_scaled_path_equals_the_decimal_path(company, system, structure, wanted):
    """Random structures (shared parts, base quantities, scrap, phantoms, alternates, line windows): the
    scaled path takes every one of them, but for one deep enough to pass its bound on decimals' digits,
    and the answer is the decimal path's quantities, key for key."""
    sid = transaction.savepoint()
    try:
        items(system, "T0", "T1", "T2", "M0", "M1", "L0", "L1", "L2")
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
        result, scaled = run(company, wanted)
        decimal, _ = run(company, wanted, decimal=True)
        if not scaled:
            # The one way a random structure may leave it: a chain deep enough below per-unit quantities
            # under 1 that decimals could need more than their 28 digits (``_BOUND``), and nothing else.
            with mock.patch.object(explosion, "_BOUND", 10**80):
                _, scaled = run(company, wanted)
    finally:
        transaction.savepoint_rollback(sid)

    assert scaled
    assert dict(result) == dict(decimal)
    assert len(result) == len(decimal)
