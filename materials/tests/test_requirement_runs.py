"""Full regenerations asked for and run by a worker: queued, running, done or failed, one per company at a time.

ACME builds PUMP at Detroit from 4 BOLT (bought from BOLTS, 7 days, MOQ 100); MO-1 needs 10 pumps on
10 March 2027, so 40 bolts, and nothing is in stock or on order.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from materials import inputs, tasks
from materials import requirements as engine
from materials.models import PlannedPurchase, RequirementRun
from materials.services import (
    demands_receive,
    demands_upsert,
    requirements_regenerate,
    requirements_run_execute,
    requirements_run_request,
)

from .helpers import items, line, receive, release

pytestmark = pytest.mark.django_db


@pytest.fixture
def pump(system, supplier, plants, company):
    items(
        system,
        PUMP={"make_or_buy": "make"},
        BOLT={"moq": Decimal(100), "approved_suppliers": (inputs.ApprovedSupplierInput("BOLTS", lead_time_days=7),)},
    )
    receive(system, release("PUMP", "A", None, [line("10", "BOLT", "4")], plants=["DET"]))
    demand = inputs.DemandInput("MO-1", "production_order", "PUMP", "DET", Decimal(10), dt.date(2027, 3, 10))
    demands_upsert(actor=system, batch=inputs.DemandBatchInput("ACME", "ERP", (demand,)))
    return company


def test_a_requested_run_is_queued_then_run_by_the_task_and_done_with_its_counts(pump):
    run, created = requirements_run_request(company=pump, requested_by="API key ERP")

    assert (created, run.mode, run.state, run.reason, run.started_at, run.counts) == (
        True,
        "full",
        "queued",
        "API key ERP",
        None,
        {},
    )
    assert PlannedPurchase.objects.count() == 0  # nothing planned until a worker runs it
    assert tasks.requirements_run(run.pk) == "done"

    run.refresh_from_db()
    # PUMP and BOLT at Detroit and Monterrey; only BOLT at Detroit has requirements.
    assert (run.state, run.error, run.counts) == (
        "done",
        "",
        {"item_locations": 4, "projection_rows": 1, "planned_purchases": 1, "shortages": 1},
    )
    assert run.requested_at <= run.started_at <= run.finished_at
    assert list(PlannedPurchase.objects.values_list("run_id", "item__part_number", "quantity")) == [
        (run.pk, "BOLT", Decimal("100.0000"))
    ]


def test_a_second_request_while_one_is_queued_or_running_is_answered_with_that_one(pump):
    first, created = requirements_run_request(company=pump, requested_by="API key ERP")
    again, created_again = requirements_run_request(company=pump, requested_by="API key MES")
    assert (created, created_again, again.pk, again.state) == (True, False, first.pk, "queued")

    RequirementRun.objects.filter(pk=first.pk).update(state="running", started_at=timezone.now())
    running, created_running = requirements_run_request(company=pump, requested_by="nightly schedule")
    assert (created_running, running.pk, running.state) == (False, first.pk, "running")
    assert RequirementRun.objects.count() == 1

    RequirementRun.objects.filter(pk=first.pk).update(state="done")
    after, created_after = requirements_run_request(company=pump, requested_by="API key ERP")
    assert (created_after, after.state) == (True, "queued")
    assert after.pk != first.pk


def test_another_companys_run_does_not_hold_this_one_back(pump, other_company):
    theirs, _ = requirements_run_request(company=other_company, requested_by="API key OTHER")
    ours, created = requirements_run_request(company=pump, requested_by="API key ERP")

    assert (created, ours.company_id, theirs.company_id) == (True, pump.pk, other_company.pk)


def test_a_run_delivered_twice_plans_once(pump):
    run, _ = requirements_run_request(company=pump, requested_by="API key ERP")

    assert tasks.requirements_run(run.pk) == "done"
    finished = RequirementRun.objects.get(pk=run.pk).finished_at
    assert tasks.requirements_run(run.pk) == "done"

    assert RequirementRun.objects.get(pk=run.pk).finished_at == finished
    assert PlannedPurchase.objects.count() == 1


def test_a_failing_run_is_recorded_failed_with_its_error_and_the_earlier_plan_is_kept(pump, monkeypatch):
    earlier = requirements_regenerate(company=pump)
    run, _ = requirements_run_request(company=pump, requested_by="API key ERP")

    def broken(*args, **kwargs):
        raise ValueError("item BOLT has a lot size of zero")

    monkeypatch.setattr(engine, "plan", broken)
    assert tasks.requirements_run(run.pk) == "failed"

    run.refresh_from_db()
    assert (run.state, run.error, run.counts) == ("failed", "ValueError: item BOLT has a lot size of zero", {})
    assert run.started_at is not None and run.finished_at is not None
    # The planning was rolled back: the results are still the earlier run's.
    assert list(PlannedPurchase.objects.values_list("run_id", flat=True)) == [earlier.pk]
    # and the company is not blocked: the next request queues a new run.
    monkeypatch.undo()
    retry, created = requirements_run_request(company=pump, requested_by="API key ERP")
    assert created
    assert requirements_run_execute(run_id=retry.pk).state == "done"


def test_a_run_failing_on_a_database_error_while_planning_is_recorded_once(pump, monkeypatch):
    """The run keeps its own failure: the error is recorded on it, not raised into a retry."""
    run, _ = requirements_run_request(company=pump, requested_by="API key ERP")

    def away(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(engine, "plan", away)
    assert tasks.requirements_run.apply(args=(run.pk,)).get() == "failed"
    run.refresh_from_db()
    assert (run.state, run.error) == ("failed", "OperationalError: server closed the connection unexpectedly")
    assert tasks.requirements_run.request.retries == 0


def test_the_idempotent_materials_tasks_share_one_set_of_retry_options():
    options = [
        (t.acks_late, t.autoretry_for, t.retry_backoff, t.retry_backoff_max, t.retry_jitter, t.max_retries)
        for t in (
            tasks.materials_file_receive,
            tasks.inventory_reproject,
            tasks.inventory_reconciliation_run,
            tasks.deviations_reassess,
            tasks.requirements_run,
        )
    ]
    assert options == [(True, (OperationalError, InterfaceError, OSError), 2, 300, True, 5)] * 5


def test_a_run_no_worker_finished_in_time_is_marked_failed_when_the_next_is_asked_for(pump, settings):
    settings.GATEWAY_REQUIREMENTS_RUN_STALE_SECONDS = 600
    lost, _ = requirements_run_request(company=pump, requested_by="API key ERP")
    RequirementRun.objects.filter(pk=lost.pk).update(
        state="running", requested_at=timezone.now() - dt.timedelta(seconds=601)
    )

    fresh, created = requirements_run_request(company=pump, requested_by="API key ERP")

    lost.refresh_from_db()
    assert (created, lost.state, lost.error) == (True, "failed", "abandoned: no worker finished it in time")
    assert fresh.state == "queued"
    # A late delivery of the abandoned run finds it no longer queued and does nothing.
    assert tasks.requirements_run(lost.pk) == "failed"
    assert PlannedPurchase.objects.count() == 0


def test_demand_is_not_net_changed_until_a_full_run_is_done(pump, system, monkeypatch):
    later = inputs.DemandInput("MO-1", "production_order", "PUMP", "DET", Decimal(20), dt.date(2027, 3, 10))

    def send() -> RequirementRun | None:
        return demands_receive(actor=system, batch=inputs.DemandBatchInput("ACME", "ERP", (later,))).run

    queued, _ = requirements_run_request(company=pump, requested_by="API key ERP")
    assert send() is None  # queued: nothing planned yet to keep current
    monkeypatch.setattr(engine, "plan", lambda *args, **kwargs: 1 / 0)
    assert tasks.requirements_run(queued.pk) == "failed"
    later = inputs.DemandInput("MO-1", "production_order", "PUMP", "DET", Decimal(30), dt.date(2027, 3, 10))
    assert send() is None  # failed: still nothing planned
    assert RequirementRun.objects.filter(mode="net_change").count() == 0

    monkeypatch.undo()
    requirements_regenerate(company=pump)
    later = inputs.DemandInput("MO-1", "production_order", "PUMP", "DET", Decimal(40), dt.date(2027, 3, 10))
    net = send()
    assert net is not None and (net.mode, net.state) == ("net_change", "done")


def test_what_changes_planned_while_a_first_run_failed_is_kept_current(pump, system):
    """Net changes made while the first full run planned wrote results; the run then failed. Later
    changes keep those results current instead of leaving them as the failed run's moment saw them."""

    def send(quantity: int) -> RequirementRun | None:
        demand = inputs.DemandInput("MO-1", "production_order", "PUMP", "DET", Decimal(quantity), dt.date(2027, 3, 10))
        return demands_receive(actor=system, batch=inputs.DemandBatchInput("ACME", "ERP", (demand,))).run

    first, _ = requirements_run_request(company=pump, requested_by="API key ERP")
    RequirementRun.objects.filter(pk=first.pk).update(state="running", started_at=timezone.now())
    assert send(20) is not None  # planned over the running first run
    assert [p.quantity for p in PlannedPurchase.objects.filter(item__part_number="BOLT")] == [Decimal(100)]
    RequirementRun.objects.filter(pk=first.pk).update(state="failed", error="worker lost")

    net = send(30)

    assert net is not None and (net.mode, net.state) == ("net_change", "done")
    assert [p.quantity for p in PlannedPurchase.objects.filter(item__part_number="BOLT")] == [Decimal(120)]


def test_the_schedule_queues_one_run_per_company_with_demand(pump, other_company, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(tasks.requirements_run, "delay", queued.append)

    assert tasks.requirements_runs_schedule() == 1  # OTHER has no demand and was never planned
    assert tasks.requirements_runs_schedule() == 0  # ACME's run is still queued

    run = RequirementRun.objects.get()
    assert (queued, run.company_id, run.reason, run.state) == ([run.pk], pump.pk, "nightly schedule", "queued")
    assert tasks.requirements_run(run.pk) == "done"
    assert tasks.requirements_runs_schedule() == 1  # the next night's


def test_beat_regenerates_nightly_by_default(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["materials: regenerate material requirements nightly"]
    assert entry["task"] == "materials.tasks.requirements_runs_schedule"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {30})


@pytest.mark.parametrize(("hour", "expected"), [("4", "<crontab: 15 4 * * * (m/h/dM/MY/d)>"), ("off", "None")])
def test_the_nightly_hour_is_set_or_turned_off_from_the_environment(hour, expected):
    import os
    import subprocess
    import sys

    show = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'gateway.settings'; django.setup();"
        "from django.conf import settings;"
        "entry = settings.CELERY_BEAT_SCHEDULE.get('materials: regenerate material requirements nightly');"
        "print(entry and entry['schedule'])"
    )
    env = os.environ | {"GATEWAY_REQUIREMENTS_NIGHTLY_HOUR": hour, "GATEWAY_REQUIREMENTS_NIGHTLY_MINUTE": "15"}
    shown = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, check=True)

    assert shown.stdout.strip() == expected
