"""Querysets compiled once per shape: the same instances as the queryset, and never a wrong answer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Exists, OuterRef

from procurement.models import POLine, ScheduleLine
from procurement.services import compiled
from procurement.services.lines import supplier_lines
from procurement.services.locking import lock_po_lines_query


@pytest.fixture(autouse=True)
def _cold():
    compiled.clear()
    yield
    compiled.clear()


def _locked(supplier, number: str):
    return lock_po_lines_query(
        supplier_lines(supplier)
        .filter(po__number=number)
        .annotate(has_schedule=Exists(ScheduleLine.objects.filter(po_line=OuterRef("pk"))))
    )


def _seen(lines: list[POLine]) -> list[tuple]:
    return [
        (
            line.pk,
            line.line_no,
            line.quantity,
            line.po.number,
            line.po.company.code,
            line.item.part_number,
            getattr(line, "has_schedule", None),  # annotated by the query
        )
        for line in lines
    ]


def test_a_shape_is_compiled_once_and_gives_what_the_queryset_gives(published_po, supplier, settings):
    settings.GATEWAY_COMPILED_VERIFY = False  # as in production: the shape is not built again
    ScheduleLine.objects.create(po_line=published_po.lines.get(line_no="1"), position=1, quantity=1, date="2026-03-01")
    with transaction.atomic():
        first = compiled.fetch("test.lock", lambda: _locked(supplier, "PO-1000"), [1, supplier.pk, "PO-1000"])
        again = compiled.fetch("test.lock", lambda: pytest.fail("built again"), [1, supplier.pk, "PO-1000"])
        expected = _seen(list(_locked(supplier, "PO-1000")))

    assert _seen(first) == _seen(again) == expected
    assert [has for *_, has in expected] == [True] + [False] * (len(expected) - 1)
    assert list(compiled._cache) == [("default", "test.lock")]
    # The PO row is among the related objects, as select_related makes it, with no query of its own.
    assert again[0].po is not None and again[0].po.company.code == "ACME"


def test_values_in_another_order_are_not_cached_and_still_answer_right(published_po, supplier):
    with transaction.atomic():
        lines = compiled.fetch("test.wrong", lambda: _locked(supplier, "PO-1000"), [supplier.pk, "PO-1000", 1])
        lines_again = compiled.fetch("test.wrong", lambda: _locked(supplier, "PO-1000"), [supplier.pk, "PO-1000", 1])

    assert _seen(lines) == _seen(lines_again) == _seen(list(_locked(supplier, "PO-1000")))
    assert ("default", "test.wrong") in compiled._uncacheable
    assert compiled._cache == {}


def test_a_shape_that_changes_under_the_same_key_fails_loudly_in_the_test_suite(published_po, supplier, settings):
    settings.GATEWAY_COMPILED_VERIFY = True
    with transaction.atomic():
        compiled.fetch("test.lock", lambda: _locked(supplier, "PO-1000"), [1, supplier.pk, "PO-1000"])
        with pytest.raises(AssertionError, match="changed without its key"):
            compiled.fetch(
                "test.lock",
                lambda: _locked(supplier, "PO-1000").filter(line_no="1"),
                [1, supplier.pk, "PO-1000"],
            )


def test_reads_sent_together_give_what_each_queryset_gives(published_po, supplier, django_assert_num_queries):
    lines = POLine.objects.filter(po=published_po).order_by("line_no")
    querysets = (
        lines.values_list("line_no", "quantity", "po__number"),
        lines.values_list("line_no", flat=True),
        lines.select_related("po"),
        lines.filter(pk__in=[]).values_list("pk", flat=True),  # nothing to ask: no statement
    )
    expected = [list(queryset.all()) for queryset in querysets]

    with django_assert_num_queries(3):
        found = compiled.rows_together(*querysets)

    assert (
        found[:2]
        == expected[:2]
        == [
            [
                ("1", Decimal("100.0000"), "PO-1000"),
                ("2", Decimal("100.0000"), "PO-1000"),
                ("3", Decimal("100.0000"), "PO-1000"),
            ],
            ["1", "2", "3"],
        ]
    )
    assert [(line.pk, line.po.number) for line in found[2]] == [(line.pk, "PO-1000") for line in expected[2]]
    assert found[3] == expected[3] == []
    assert compiled._cache == {}
