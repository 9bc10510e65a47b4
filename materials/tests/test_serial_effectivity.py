"""Serial (and lot) effectivity: a demand for a given end-item serial builds the revision for that serial."""

from decimal import Decimal

import pytest

from materials.explosion import Demand, explode
from materials.inputs import EffectivityInput
from materials.selectors import bom_as_of

from .helpers import D, items, line, receive, release

ON = D(2027, 3, 1)
ONE = Decimal(1)


@pytest.fixture
def parts(system):
    items(system, "A", "B", "X", "Y", "Z")


def serials(plant, first=None, last=None, start=None):
    return EffectivityInput(plant, valid_from=start, serial_from=first, serial_to=last)


def need(company, serial, on=ON, part="A", quantity=ONE):
    return explode(company_id=company.pk, demands=[Demand(part, "DET", quantity, on, serial)])


def test_each_serial_builds_the_revision_whose_range_holds_it_both_ends_inclusive(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=[serials("DET", "0001", "0100")]))
    receive(system, release("A", "2", "1", [line("10", "Y", "2")], plants=[serials("DET", "0101", "0200")]))

    assert need(company, "0001") == {("DET", "X", ON): ONE}
    assert need(company, "0100") == {("DET", "X", ON): ONE}
    assert need(company, "0101") == {("DET", "Y", ON): Decimal(2)}
    assert need(company, "0200") == {("DET", "Y", ON): Decimal(2)}
    assert need(company, "0201") == {}  # no revision for that serial: nothing to build it from
    assert need(company, "0000") == {}
    # Without a serial, dates decide: the later revision is in effect.
    assert need(company, None) == {("DET", "Y", ON): Decimal(2)}


def test_a_mixed_chain_keeps_a_date_revision_for_the_serials_a_serial_revision_does_not_take(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET"]))
    receive(system, release("A", "2", "1", [line("10", "Y")], plants=[serials("DET", "0101")]))
    receive(system, release("A", "3", "2", [line("10", "Z")], plants=[serials("DET", start=D(2027, 6, 1))]))

    assert need(company, "0100") == {("DET", "X", ON): ONE}
    assert need(company, "0101") == {("DET", "Y", ON): ONE}
    assert need(company, "9999") == {("DET", "Y", ON): ONE}
    assert need(company, "0101", D(2027, 5, 31)) == {("DET", "Y", D(2027, 5, 31)): ONE}
    assert need(company, "0101", D(2027, 6, 1)) == {("DET", "Z", D(2027, 6, 1)): ONE}
    assert need(company, "0100", D(2027, 6, 1)) == {("DET", "Z", D(2027, 6, 1)): ONE}


def test_a_chain_without_serial_ranges_is_resolved_by_date(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET"]))
    receive(system, release("A", "2", "1", [line("10", "Y")], plants=[serials("DET", start=ON)]))

    assert need(company, "0050", D(2027, 2, 28)) == {("DET", "X", D(2027, 2, 28)): ONE}
    assert need(company, "0050", ON) == {("DET", "Y", ON): ONE}


def test_the_serial_resolves_every_level_below(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "B", "2")]))
    receive(system, release("B", "1", None, [line("10", "X")], plants=[serials("DET", last="0100")]))
    receive(system, release("B", "2", "1", [line("10", "Y", "5")], plants=[serials("DET", first="0101")]))

    assert need(company, "0100", quantity=Decimal(3)) == {("DET", "B", ON): Decimal(6), ("DET", "X", ON): Decimal(6)}
    assert need(company, "0101", quantity=Decimal(3)) == {("DET", "B", ON): Decimal(6), ("DET", "Y", ON): Decimal(30)}


def test_numeric_serials_compare_as_numbers_whatever_their_padding_and_others_as_text(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=[serials("DET", "1", "100")]))
    receive(system, release("B", "1", None, [line("10", "Y")], plants=[serials("DET", "SN-0001", "SN-0100")]))

    assert need(company, "99") == {("DET", "X", ON): ONE}
    assert need(company, "0099") == {("DET", "X", ON): ONE}
    assert need(company, "101") == {}
    assert need(company, "SN-0099", part="B") == {("DET", "Y", ON): ONE}
    assert need(company, "SN-0101", part="B") == {}
    assert need(company, "SN-99", part="B") == {}  # as text "SN-99" comes after "SN-0100"


def test_demands_with_and_without_a_serial_on_one_day_add_up(company, system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET"]))
    receive(system, release("A", "2", "1", [line("10", "Y")], plants=[serials("DET", "0101")]))
    demands = [
        Demand("A", "DET", Decimal(2), ON, "0100"),
        Demand("A", "DET", Decimal(3), ON),
        Demand("A", "DET", Decimal(4), ON, "0101"),
        Demand("A", "DET", Decimal(5), ON, "0100"),
        Demand("B", "DET", Decimal(1), ON),
    ]

    assert explode(company_id=company.pk, demands=demands) == {
        ("DET", "X", ON): Decimal(7),
        ("DET", "Y", ON): Decimal(7),  # 3 by date (revision 2 is the latest) and 4 for serial 0101
    }


def test_the_bom_as_of_a_date_for_a_serial(system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=[serials("DET", "0001", "0100")]))
    receive(system, release("A", "2", "1", [line("10", "Y")], plants=[serials("DET", "0101", "0200")]))

    def tree(serial):
        found = bom_as_of(actor=system, company_code="ACME", part_number="A", plant_code="DET", on=ON, serial=serial)
        return None if found is None else (found.revision, [row.part_number for row in found.rows])

    assert tree("0100") == ("1", ["X"])
    assert tree("0101") == ("2", ["Y"])
    assert tree("0201") is None
    assert tree(None) == ("2", ["Y"])


def test_a_serial_range_that_ends_before_it_starts_is_refused(system, parts):
    outcome = receive(system, release("A", "1", None, [line("10", "X")], plants=[serials("DET", "0200", "0101")]))

    assert (outcome.state, outcome.reason) == ("refused", "at plant DET the serial range ends before it starts")
