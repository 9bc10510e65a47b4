"""The sync figures' percentiles, read from one sort (``Percentiles``): the same values as
PostgreSQL's ``percentile_cont`` taken one at a time, on a small record worked out by hand."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db.models import Q

from procurement.kpis import Percentiles, duration, hours, percentile_cont
from procurement.models import InboundDocument

T0 = dt.datetime(2027, 1, 4, 8, tzinfo=dt.UTC)


def _document(company, channel: str, took_hours: float | None, n: int) -> InboundDocument:
    content = f"percentile document {n}".encode()
    return InboundDocument.objects.create(
        channel=channel,
        sender="S",
        company=company,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        correlation_id=f"pct-{n}",
        received_at=T0,
        processed_at=None if took_hours is None else T0 + dt.timedelta(hours=took_hours),
        state="received" if took_hours is None else "processed",
    )


@pytest.fixture
def record(company):
    # api: 1, 2, 4 and 10 hours, and one never processed; edi: one of 6 hours; portal: none processed.
    took = [("api", 10), ("api", 1), ("api", None), ("api", 4), ("api", 2), ("edi", 6), ("portal", None)]
    for n, (channel, hours_taken) in enumerate(took):
        _document(company, channel, hours_taken, n)


def _by_channel(*fractions: float) -> dict[str, list | None]:
    rows = (
        InboundDocument.objects.values("channel")
        .annotate(
            took=Percentiles(duration("processed_at", "received_at"), fractions, filter=Q(processed_at__isnull=False))
        )
        .order_by("channel")
    )
    return {row["channel"]: row["took"] and [hours(value) for value in row["took"]] for row in rows}


def test_p50_and_p95_from_one_sort_interpolate_between_the_nearest_values(record):
    assert _by_channel(0.5, 0.95) == {
        # Sorted 1, 2, 4, 10: p50 at position 1.5 → 2 + (4 − 2) × 0.5; p95 at 2.85 → 4 + (10 − 4) × 0.85.
        "api": [3.0, 9.1],
        # One value: every percentile is it.
        "edi": [6.0, 6.0],
        # Nothing processed: no percentile at all, not zero.
        "portal": None,
    }


def test_the_fractions_come_back_in_the_order_asked(record):
    # p0 is the smallest, p100 the largest, p25 at position 0.75 → 1 + (2 − 1) × 0.75.
    assert _by_channel(1.0, 0.0, 0.25)["api"] == [10.0, 1.0, 1.75]


def test_the_python_reference_agrees():
    assert [round(percentile_cont([10, 1, 4, 2], f), 9) for f in (0.5, 0.95)] == [3.0, 9.1]
    assert percentile_cont([], 0.5) is None
