"""The dashboard and the scorecard read their figures on several connections at once (PostgreSQL,
outside a transaction): the same figures as one by one, all from the request's snapshot, and a
late change to a closed month shows on the next page.

These tests commit their rows (``transaction=True``): the helper connections only see committed
rows, and only outside a transaction do the figures run concurrently at all.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from freezegun import freeze_time

from gateway.actors import Actor
from procurement.kpis import GROUPS, KpiQuery
from procurement.models import PurchaseOrder
from workbench import scorecards

from .kpi_data import NOW as HAND_BUILT_NOW
from .kpi_data import at, kpi_dataset
from .test_kpi_reference import END, NOW, START, generate, slices

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="figures run concurrently on PostgreSQL only"),
]


@pytest.fixture(autouse=True)
def helpers_hand_back_their_connections(monkeypatch):
    # Closed after each use, as a request's are with CONN_MAX_AGE 0: the test database can be flushed and dropped.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)


@pytest.fixture
def threads_used(monkeypatch) -> list[str]:
    """The name of the thread each figure (or each part of a figure read in parts) was computed on."""
    names: list[str] = []

    def spied(read):
        def spy(**kwargs):
            names.append(threading.current_thread().name)
            return read(**kwargs)

        return spy

    monkeypatch.setattr(scorecards, "_chart", spied(scorecards._chart))
    monkeypatch.setattr(
        scorecards, "IN_PARTS", {key: tuple(map(spied, parts)) for key, parts in scorecards.IN_PARTS.items()}
    )
    return names


# Each figure is read once, a figure in parts once a part (the sync SLAs: the procurement record's, the materials').
READS = len(scorecards.CHARTS) - len(scorecards.IN_PARTS) + sum(map(len, scorecards.IN_PARTS.values()))


def one_by_one(**kwargs):
    with override_settings(GATEWAY_KPI_CONNECTIONS=1):
        return scorecards.dashboard_charts(**kwargs)


def test_the_dashboard_read_on_three_connections_equals_one_by_one_for_every_grouping_and_slice(threads_used):
    record = generate(1)
    acme = record["acme"]
    actor = Actor.for_buyer(company_ids={acme.pk}, label="buyer", user_id=1)
    for group in GROUPS:
        for chosen in slices(record):
            q = KpiQuery(start=START, end=END, group=group, **chosen)
            expected = [chart.as_json() | {"rows": chart.rows} for chart in one_by_one(actor=actor, q=q, now=NOW)]
            threads_used.clear()
            with override_settings(GATEWAY_KPI_CONNECTIONS=3):
                charts = scorecards.dashboard_charts(actor=actor, q=q, now=NOW)
            assert [chart.as_json() | {"rows": chart.rows} for chart in charts] == expected, (group, chosen)
            assert len(threads_used) == READS == 10
    # The last page's figures were shared between the request's thread and the helpers.
    assert any(name.startswith("kpi-reader") for name in threads_used)
    assert any(not name.startswith("kpi-reader") for name in threads_used)


def test_a_scorecard_read_concurrently_equals_one_by_one(company, buyer):
    data = kpi_dataset(company)
    actor = Actor.for_buyer(company_ids={company.pk}, label="buyer", user_id=buyer.pk)
    kwargs = {"actor": actor, "supplier_code": data["bolts"].code, "start": START, "end": END, "now": HAND_BUILT_NOW}
    with override_settings(GATEWAY_KPI_CONNECTIONS=1):
        expected = scorecards.supplier_scorecard(**kwargs)
    totals, monthly = scorecards.supplier_scorecard(**kwargs)
    assert [c.rows for c in totals] == [c.rows for c in expected[0]]
    assert [c.rows for c in monthly] == [c.rows for c in expected[1]]
    assert {c.key: c.rows for c in totals}["acknowledgements"] == [
        {"group": "all", "published": 3, "cycle_hours": 13.0, "on_time_rate": 100.0}
    ]


@freeze_time("2027-03-20")
def test_a_late_acknowledgement_in_a_closed_month_shows_on_the_next_page(client, company, buyer, threads_used):
    kpi_dataset(company)
    client.force_login(buyer)
    url = reverse("workbench:kpi_dashboard") + "?start=2027-01-01&end=2027-02-28"

    def february() -> dict:
        response = client.get(url)
        assert response.status_code == 200
        (acks,) = [c for c in response.context["charts"] if c.key == "acknowledgements"]
        return acks.rows[1]

    # P3 12 h on time; P4 and P5 unacknowledged and past due.
    assert february() == {"group": "2027-02", "published": 3, "cycle_hours": 12.0, "on_time_rate": 33.3}
    assert any(name.startswith("kpi-reader") for name in threads_used)

    # P4 (published 02-27 12:00) is acknowledged on 03-10, after February closed: 264 h, late.
    PurchaseOrder.objects.filter(number="P4").update(first_ack_at=at("2027-03-10", 12))

    assert february() == {"group": "2027-02", "published": 3, "cycle_hours": 138.0, "on_time_rate": 33.3}


def test_a_figure_that_fails_on_any_connection_fails_the_page_and_the_next_one_reads_again(company, buyer, monkeypatch):
    kpi_dataset(company)
    actor = Actor.for_buyer(company_ids={company.pk}, label="buyer", user_id=buyer.pk)
    q = KpiQuery(start=START, end=END)
    chart = scorecards._chart

    def failing(**kwargs):
        if kwargs["key"] in ("sync", "asn_packs"):  # the first two taken, on whichever connection
            raise RuntimeError(kwargs["key"])
        return chart(**kwargs)

    monkeypatch.setattr(scorecards, "_chart", failing)
    with pytest.raises(RuntimeError):
        scorecards.dashboard_charts(actor=actor, q=q, now=HAND_BUILT_NOW)

    monkeypatch.setattr(scorecards, "_chart", chart)
    charts = scorecards.dashboard_charts(actor=actor, q=q, now=HAND_BUILT_NOW)
    assert [c.key for c in charts] == list(scorecards.CHARTS)
    assert charts[0].rows[0] == {"group": "2027-01", "published": 2, "cycle_hours": 13.0, "on_time_rate": 100.0}


def test_every_connection_plans_each_figure_for_its_own_period_and_slice(company, buyer, monkeypatch):
    # psycopg prepares a statement run twice, and PostgreSQL then plans it once for any values: from
    # the eighth page on, the figures ran on plans made blind to the period (the supplier view's
    # 350 → 270 ms median in the KPI benchmark). Every connection that reads figures plans each
    # statement for its values, without JIT, with room to hash a year; the settings end with the read.
    kpi_dataset(company)
    actor = Actor.for_buyer(company_ids={company.pk}, label="buyer", user_id=buyer.pk)
    chart = scorecards._chart
    seen: dict[str, tuple] = {}

    def settings_read(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('plan_cache_mode'), current_setting('jit'), current_setting('work_mem')"
            )
            seen[threading.current_thread().name] = cursor.fetchone()
        time.sleep(0.05)  # long enough that every connection takes a share of the figures
        return chart(**kwargs)

    monkeypatch.setattr(scorecards, "_chart", settings_read)
    with override_settings(GATEWAY_KPI_CONNECTIONS=3):
        scorecards.dashboard_charts(actor=actor, q=KpiQuery(start=START, end=END), now=HAND_BUILT_NOW)

    assert any(name.startswith("kpi-reader") for name in seen)
    assert any(not name.startswith("kpi-reader") for name in seen)
    assert set(seen.values()) == {("force_custom_plan", "off", "32MB")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('plan_cache_mode'), current_setting('jit')")
        assert cursor.fetchone() == ("auto", "on")


def test_the_helpers_hand_back_their_connections_when_asked(company, buyer, monkeypatch):
    # Kept between pages as a request's is (CONN_MAX_AGE): until the test database is dropped, when
    # one left open kept it from being dropped cleanly.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    kpi_dataset(company)
    actor = Actor.for_buyer(company_ids={company.pk}, label="buyer", user_id=buyer.pk)
    with override_settings(GATEWAY_KPI_CONNECTIONS=2):
        scorecards.dashboard_charts(actor=actor, q=KpiQuery(start=START, end=END), now=HAND_BUILT_NOW)
    helper = scorecards._helper_pool(1)  # the one helper beside the request's connection

    def connected() -> bool:
        return connection.connection is not None

    assert helper.submit(connected).result() is True
    scorecards.helpers_close()
    assert helper.submit(connected).result() is False
