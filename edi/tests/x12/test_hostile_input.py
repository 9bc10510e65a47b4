"""Hostile input: every check runs in time linear in the input, and only the library's own errors
come out, whatever the sizes of the values."""

from __future__ import annotations

import time

import pytest

from edi.tests.x12.samples import PO_BODY, interchange
from edi.x12 import parse, validate
from edi.x12.mappers.functional import map_functional_ack


def _with_unit_price(price: str) -> bytes:
    """The sample 850 with ``price`` as the first line's unit price (PO104, a decimal: R)."""
    body = [s.replace("PO1*1*10*EA*2.5*", f"PO1*1*10*EA*{price}*") for s in PO_BODY]
    return interchange(body).encode()


def _validate_seconds(content: bytes) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        validate(parse(content))
        best = min(best, time.perf_counter() - start)
    return best


def test_a_long_number_with_stray_points_is_checked_in_linear_time() -> None:
    # A run of digits then more than one point: the pattern this check used backtracked over every
    # way of splitting the run (16 KB took seconds, 400 KB most of an hour).
    def price(n: int) -> str:
        return "1" * n + ".5.5"

    small, large = _validate_seconds(_with_unit_price(price(2_000))), _validate_seconds(_with_unit_price(price(16_000)))
    assert large / small < 16, (small, large)  # 8 times the input: linear (with room), not quadratic

    content = _with_unit_price(price(400_000))
    start = time.perf_counter()
    (report,) = validate(parse(content))
    assert time.perf_counter() - start < 2
    issue = next(i for s in report.sets for i in s.issues if i.element_position == 4)
    assert (issue.segment_id, issue.code) == ("PO1", "6")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("5", True),
        ("5.", True),
        (".5", True),
        ("-5.25", True),
        ("1.5E-3", True),
        ("2E10", True),
        ("", False),
        (".", False),
        ("-", False),
        ("-.", False),
        ("1.2.3", False),
        ("1E", False),
        ("1E-", False),
        ("1E5E5", False),
        ("E5", False),
        ("1e5", False),
        ("--1", False),
        ("1-", False),
        (" 1", False),
        ("²", False),
    ],
)
def test_decimal_values(value: str, valid: bool) -> None:
    from edi.x12.engine.values import is_decimal

    assert is_decimal(value) is valid


@pytest.mark.parametrize(
    "price",
    ["1E999999", "-1e-999999", "1E+0999", "1E-999999", "5E" + "9" * 5_000, "1E17", "1.5E-17", "0.00001E-13"],
)
def test_a_decimal_with_an_exponent_out_of_range_is_refused_as_invalid(price: str) -> None:
    # PO104 is R 1/17: no exponent may write it out past 17 digits, nor reach a database column.
    (report,) = validate(parse(_with_unit_price(price)))

    (set_report,) = report.sets
    po1 = [(i.element_position, i.code) for i in set_report.issues if i.segment_id == "PO1" and i.kind == "AK4"]
    assert po1 == [(4, "6")]
    assert (set_report.code, report.code) == ("R", "R")


@pytest.mark.parametrize("price", ["1E5", "2.5E-3", "25E-1", "1E16", "-1.5E-16", "0.00001E-12", "1E0000000000016"])
def test_a_decimal_with_an_exponent_in_range_is_accepted(price: str) -> None:
    (report,) = validate(parse(_with_unit_price(price)))

    assert [(i.segment_id, i.code) for s in report.sets for i in s.issues] == []


HUGE = "9" * 5_000  # more digits than int() converts (4,300)


@pytest.mark.parametrize(
    ("old", "new", "where", "code"),
    [
        ("SE*9*0001", f"SE*{HUGE}*0001", "set", "4"),
        ("GE*1*7", f"GE*{HUGE}*7", "group", "5"),
        ("IEA*1*000000001", f"IEA*{HUGE}*000000001", "interchange", "021"),
        ("GE*1*7", f"GE*1*{HUGE}", "group", "4"),
        ("IEA*1*000000001", f"IEA*1*{HUGE}", "interchange", "001"),
    ],
)
def test_a_control_count_of_thousands_of_digits_is_the_proper_count_error(
    old: str, new: str, where: str, code: str
) -> None:
    body = [new if s == old else s for s in PO_BODY]
    document = parse(interchange(body).encode())

    (ic,) = document.interchanges
    (group,) = ic.groups
    (ts,) = group.sets
    errors = {"set": ts.errors, "group": group.errors, "interchange": ic.errors}[where]
    assert [e.code for e in errors] == [code]


def test_a_declared_set_count_too_long_to_be_one_is_answered_with_the_actual_count() -> None:
    body = [f"GE*{HUGE}*7" if s == "GE*1*7" else s for s in PO_BODY]
    (report,) = validate(parse(interchange(body).encode()))
    assert report.included == 1


def test_a_997_with_counts_of_thousands_of_digits_is_read_without_them() -> None:
    body = [
        "GS*FA*SENDER*RECEIVER*20260102*1200*8*X*004010",
        "ST*997*0001",
        "AK1*PO*7",
        "AK2*850*0001",
        f"AK3*PO1*{HUGE}",
        f"AK4*{HUGE}*{HUGE}*1",
        "AK5*R*5",
        f"AK9*R*{HUGE}*{HUGE}*0",
        "SE*8*0001",
        "GE*1*8",
        "IEA*1*000000001",
    ]
    (ic,) = parse(interchange(body).encode()).interchanges
    mapped = map_functional_ack(ic.groups[0].sets[0])
    ack = mapped.value
    assert (ack.included, ack.received, ack.accepted) == (None, None, 0)
