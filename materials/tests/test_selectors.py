"""Reads of materials: indented BOMs, where-used, release history and diffs, held releases; who sees what."""

from decimal import Decimal

import pytest

from gateway.actors import Actor
from materials.selectors import (
    BomRow,
    WhereUsedRow,
    bom_as_of,
    bom_release_diff,
    bom_releases_for,
    held_releases_for,
    part_known,
    where_used,
)
from materials.services.errors import NotFound
from procurement.selectors import actor_for_user

from .helpers import D, items, line, receive, release

ON = D(2027, 3, 1)


@pytest.fixture
def product(system):
    """A > (B > X, Y), with Z an alternate of B; a held release of C waits for revision 1."""
    items(system, "A", "B", "C", "X", "Y", "Z")
    receive(
        system,
        release(
            "A",
            "1",
            None,
            [
                line("10", "B", "2", alternate_group="G"),
                line("10", "Z", "2", alternate_group="G", alternate_priority=1),
                line("20", "Y", "4", uom="EA"),
            ],
        ),
    )
    receive(system, release("B", "1", None, [line("10", "X", "3")]))
    return receive(system, release("C", "2", "1", [line("10", "X")]))


def test_the_bom_as_of_a_date_is_indented_with_alternates_under_their_primary(system, product):
    tree = bom_as_of(actor=system, company_code="ACME", part_number="A", plant_code="DET", on=ON)

    assert (tree.root, tree.revision) == ("A", "1")
    assert tree.rows == [
        BomRow(1, "10", "B", "part B", Decimal(2), "", Decimal(2), Decimal(0), False, "G", 0, False, "1"),
        BomRow(2, "10", "X", "part X", Decimal(3), "", Decimal(6), Decimal(0), False, "", 0, False, "1"),
        BomRow(1, "10", "Z", "part Z", Decimal(2), "", Decimal(2), Decimal(0), False, "G", 1, True, "1"),
        BomRow(1, "20", "Y", "part Y", Decimal(4), "EA", Decimal(4), Decimal(0), False, "", 0, False, "1"),
    ]


def test_no_bom_in_effect_is_none(system, product):
    assert bom_as_of(actor=system, company_code="ACME", part_number="X", plant_code="DET", on=ON) is None


def test_where_used_climbs_every_level(system, product):
    assert where_used(actor=system, company_code="ACME", part_number="X") == [
        WhereUsedRow("B", "1", "", Decimal(3), 1, "X"),
        WhereUsedRow("A", "1", "", Decimal(2), 2, "B"),
    ]
    assert where_used(actor=system, company_code="ACME", part_number="X", plant_code="DET", on=ON) == [
        WhereUsedRow("B", "1", "", Decimal(3), 1, "X"),
        WhereUsedRow("A", "1", "", Decimal(2), 2, "B"),
    ]


def test_where_used_gives_each_parent_the_quantity_of_the_component_it_is_reached_through(system, product):
    """X is in B (3 each) and, at two positions, in D (1 + 2); A uses B (2) and Y (4) and D (5).

    A is reached at level 2 through B and through D: one row each, with that component's quantity
    in A, not the first quantity found in A's release.
    """
    items(system, "D")
    receive(system, release("D", "1", None, [line("10", "X", "1"), line("20", "X", "2")]))
    receive(
        system,
        release(
            "A",
            "2",
            "1",
            [line("10", "B", "2"), line("20", "Y", "4"), line("30", "D", "5")],
        ),
    )

    assert where_used(actor=system, company_code="ACME", part_number="X", plant_code="DET", on=ON) == [
        WhereUsedRow("B", "1", "", Decimal(3), 1, "X"),
        WhereUsedRow("D", "1", "", Decimal(3), 1, "X"),
        WhereUsedRow("A", "2", "", Decimal(2), 2, "B"),
        WhereUsedRow("A", "2", "", Decimal(5), 2, "D"),
    ]


def test_a_part_is_known_by_its_item_its_use_or_its_bom(system, product, other_company):
    outsider = Actor.for_system(company_ids={other_company.pk}, label="system OTHER")

    assert [part_known(actor=system, company_code="ACME", part_number=p) for p in ("X", "A", "NOPE")] == [
        True,
        True,
        False,
    ]
    assert part_known(actor=outsider, company_code="ACME", part_number="X") is False


def test_release_history_and_held_releases(system, product):
    assert [(r.parent_part_number, r.state) for r in bom_releases_for(actor=system)] == [
        ("C", "held"),
        ("B", "applied"),
        ("A", "applied"),
    ]
    assert [r.parent_part_number for r in bom_releases_for(actor=system, part_number="A")] == ["A"]
    assert [r.parent_part_number for r in bom_releases_for(actor=system, state="held")] == ["C"]
    held = list(held_releases_for(actor=system, company_code="ACME"))
    assert [(r.pk, r.waits_for, r.state_reason) for r in held] == [
        (product.release_pk, "1", "waits for revision 1 of C")
    ]


def test_a_release_diff_against_the_revision_it_follows(system, product):
    receive(system, release("B", "2", "1", [line("10", "X", "4"), line("20", "Y")]))
    second = bom_releases_for(actor=system, part_number="B").first()

    diff = bom_release_diff(actor=system, release_pk=second.pk)

    first = bom_releases_for(actor=system, part_number="B", state="superseded").get()
    assert (diff.against_pk, diff.against_revision) == (first.pk, "1")
    assert [(a["position"], a["part_number"]) for a in diff.added] == [("20", "Y")]
    assert diff.removed == []
    assert [(c.position, c.part_number, c.changes) for c in diff.changed] == [("10", "X", {"quantity_per": ("3", "4")})]


def test_a_first_revision_differs_from_nothing(system, product):
    first = bom_releases_for(actor=system, part_number="B").get()

    diff = bom_release_diff(actor=system, release_pk=first.pk)

    assert (diff.against_pk, [a["part_number"] for a in diff.added], diff.removed) == (None, ["X"], [])


def test_suppliers_other_companies_and_strangers_see_nothing(
    system, product, supplier_actor, supplier_user, other_company
):
    outsider = Actor.for_system(company_ids={other_company.pk}, label="system OTHER")
    release_pk = product.release_pk
    for actor in (supplier_actor, actor_for_user(supplier_user), outsider, Actor.nobody()):
        assert bom_as_of(actor=actor, company_code="ACME", part_number="A", plant_code="DET", on=ON) is None
        assert where_used(actor=actor, company_code="ACME", part_number="X") == []
        assert list(bom_releases_for(actor=actor)) == []
        assert list(held_releases_for(actor=actor)) == []
        with pytest.raises(NotFound):
            bom_release_diff(actor=actor, release_pk=release_pk)


def test_a_buyer_of_the_company_sees_its_boms(buyer, product):
    actor = actor_for_user(buyer)

    assert bom_as_of(actor=actor, company_code="ACME", part_number="A", plant_code="DET", on=ON).revision == "1"
    assert bom_releases_for(actor=actor).count() == 3
