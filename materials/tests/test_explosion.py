"""Explosion: gross requirements at every level, resolved at the need date."""

from decimal import Decimal

import pytest

from materials.explosion import Demand, explode
from materials.inputs import UomConversionInput

from .helpers import D, items, line, receive, release, window

ON = D(2027, 3, 1)


@pytest.fixture
def parts(system):
    items(system, "A", "B", "P", "X", "Y", "Z", "ALT1", "ALT2")


def run(company, *demands, bom_type="manufacturing"):
    return explode(company_id=company.pk, demands=[Demand(*d) for d in demands], bom_type=bom_type)


def test_levels_multiply_and_base_quantity_divides(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "B", "2"), line("20", "X", "3")]))
    receive(system, release("B", "1", None, [line("10", "Y", "5"), line("20", "X", "1")], base_quantity=Decimal(10)))

    assert run(company, ("A", "DET", Decimal(4), ON)) == {
        ("DET", "B", ON): Decimal(8),
        ("DET", "X", ON): Decimal("12.8"),  # 4 × 3 directly, and 8 × 1/10 through B
        ("DET", "Y", ON): Decimal(4),
    }


def test_a_phantom_passes_its_components_through(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "P", "2", phantom=True), line("20", "X")]))
    receive(system, release("P", "1", None, [line("10", "Y", "3")]))

    assert run(company, ("A", "DET", Decimal(1), ON)) == {("DET", "Y", ON): Decimal(6), ("DET", "X", ON): Decimal(1)}


def test_an_item_on_a_phantom_and_a_real_line_counts_as_real(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "P", "2", phantom=True), line("20", "P", "1")]))
    receive(system, release("P", "1", None, [line("10", "Y", "3")]))

    assert run(company, ("A", "DET", Decimal(1), ON)) == {("DET", "P", ON): Decimal(3), ("DET", "Y", ON): Decimal(9)}


def test_a_phantom_without_a_structure_is_required_itself(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "P", "2", phantom=True)]))

    assert run(company, ("A", "DET", Decimal(1), ON)) == {("DET", "P", ON): Decimal(2)}


def test_scrap_adds_to_the_line_and_flows_down(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "B", "2", scrap_factor=Decimal("0.1"))]))
    receive(system, release("B", "1", None, [line("10", "X", "5")]))

    assert run(company, ("A", "DET", Decimal(10), ON)) == {
        ("DET", "B", ON): Decimal("22.0"),
        ("DET", "X", ON): Decimal("110.0"),
    }


def test_units_convert_to_the_components_base_unit(company, system, parts):
    items(system, X={"conversions": (UomConversionInput("BOX", Decimal(12)),)})
    receive(system, release("A", "1", None, [line("10", "X", "2", uom="BOX"), line("20", "Y", "1", uom="EA")]))

    assert run(company, ("A", "DET", Decimal(3), ON)) == {("DET", "X", ON): Decimal(72), ("DET", "Y", ON): Decimal(3)}


def test_effectivity_is_resolved_at_the_need_date_with_both_ends_inclusive(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET"]))
    receive(
        system,
        release("A", "2", "1", [line("10", "Y")], plants=[window("DET", D(2027, 3, 1), D(2027, 3, 31))]),
    )

    result = run(
        company,
        ("A", "DET", Decimal(1), D(2027, 2, 28)),
        ("A", "DET", Decimal(1), D(2027, 3, 1)),
        ("A", "DET", Decimal(1), D(2027, 3, 31)),
        ("A", "DET", Decimal(1), D(2027, 4, 1)),
    )

    assert result == {
        ("DET", "X", D(2027, 2, 28)): Decimal(1),
        ("DET", "Y", D(2027, 3, 1)): Decimal(1),
        ("DET", "Y", D(2027, 3, 31)): Decimal(1),
    }


def test_line_validity_is_inclusive_too(company, system, parts):
    receive(
        system,
        release("A", "1", None, [line("10", "X", valid_to=D(2027, 3, 1)), line("20", "Y", valid_from=D(2027, 3, 2))]),
    )

    result = run(company, ("A", "DET", Decimal(1), D(2027, 3, 1)), ("A", "DET", Decimal(1), D(2027, 3, 2)))

    assert result == {("DET", "X", D(2027, 3, 1)): Decimal(1), ("DET", "Y", D(2027, 3, 2)): Decimal(1)}


def test_each_plant_explodes_its_own_revision(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET", "MTY"]))
    receive(system, release("A", "2", "1", [line("10", "Y")], plants=[window("DET", ON)]))

    result = run(company, ("A", "DET", Decimal(1), ON), ("A", "MTY", Decimal(1), ON))

    assert result == {("DET", "Y", ON): Decimal(1), ("MTY", "X", ON): Decimal(1)}


def test_only_the_primary_of_alternates_counts_and_the_next_takes_over_when_it_ends(company, system, parts):
    receive(
        system,
        release(
            "A",
            "1",
            None,
            [
                line("10", "ALT2", "2", alternate_group="G", alternate_priority=1),
                line("10", "X", "2", alternate_group="G", alternate_priority=0, valid_to=D(2027, 3, 1)),
                line("10", "ALT1", "2", alternate_group="G", alternate_priority=2),
                line("20", "Z", "1"),
            ],
        ),
    )

    result = run(company, ("A", "DET", Decimal(1), D(2027, 3, 1)), ("A", "DET", Decimal(1), D(2027, 3, 2)))

    assert result == {
        ("DET", "X", D(2027, 3, 1)): Decimal(2),
        ("DET", "Z", D(2027, 3, 1)): Decimal(1),
        ("DET", "ALT2", D(2027, 3, 2)): Decimal(2),
        ("DET", "Z", D(2027, 3, 2)): Decimal(1),
    }


def test_demands_on_one_day_add_up_and_an_item_without_a_bom_needs_nothing(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X", "2")]))
    receive(system, release("B", "1", None, [line("10", "X", "1")]))

    result = run(
        company,
        ("A", "DET", Decimal(1), ON),
        ("A", "DET", Decimal(2), ON),
        ("B", "DET", Decimal(5), ON),
        ("Z", "DET", Decimal(7), ON),
    )

    assert result == {("DET", "X", ON): Decimal(11)}


def test_engineering_and_manufacturing_explode_apart(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X")]))
    receive(system, release("A", "1", None, [line("10", "Y")], bom_type="engineering"))

    assert run(company, ("A", "DET", Decimal(1), ON), bom_type="engineering") == {("DET", "Y", ON): Decimal(1)}


def test_explosion_reads_in_a_few_queries_whatever_the_number_of_nodes(
    company, system, parts, django_assert_max_num_queries
):
    children = [f"C{n}" for n in range(30)]
    items(system, *children, *[f"L{n}" for n in range(30)])
    receive(system, release("A", "1", None, [line(str(n), c) for n, c in enumerate(children)]))
    for n, child in enumerate(children):
        receive(system, release(child, "1", None, [line("10", f"L{n}", "2")]))

    with django_assert_max_num_queries(10):
        result = run(company, ("A", "DET", Decimal(1), ON), ("A", "DET", Decimal(1), D(2027, 4, 1)))

    assert len(result) == 120
    assert result[("DET", "L29", ON)] == Decimal(2)


def test_a_cycle_only_in_the_past_is_accepted_but_exploding_that_past_names_it(company, system, parts):
    from materials.explosion import ExplosionError

    receive(system, release("A", "1", None, [line("10", "B")], plants=[window("DET", None, D(2020, 12, 31))]))
    outcome = receive(system, release("B", "1", None, [line("10", "A")]))

    assert outcome.state == "applied"
    assert run(company, ("B", "DET", Decimal(1), ON)) == {("DET", "A", ON): Decimal(1)}
    with pytest.raises(ExplosionError) as error:
        run(company, ("A", "DET", Decimal(1), D(2020, 6, 1)))
    assert str(error.value) == "the structure has a cycle: A > B > A"
