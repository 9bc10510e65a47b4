"""A net change that commits while a full regeneration plans, on PostgreSQL: the full run's
delete-and-replace of every result must not take it back. The full run plans its items again over
its own results, so what is stored equals a regeneration made afterwards."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from materials import requirements as engine
from materials.models import RequirementRun
from materials.services import requirements_net_change, requirements_regenerate
from materials.tests import conftest as materials_fixtures
from materials.tests import test_requirements as worked
from materials.tests.test_requirements import demand, publish, results, send
from procurement.models import Item, Plant

# The materials tests' fixtures: ACME's plants and ERP, and the pump with its bolts.
plants, system, pump = materials_fixtures.plants, materials_fixtures.system, worked.pump

pytestmark = pytest.mark.postgres

TODAY = dt.date(2027, 3, 1)


def test_a_net_change_committed_while_a_full_run_plans_is_not_taken_back(
    postgres,
    settings,
    pump,
    system,
    company,
    monkeypatch,
):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    send(system, demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)))
    publish("PO-1", "BOLT", "50", dt.date(2027, 3, 5))
    requirements_regenerate(company=company, today=TODAY)
    before = results()

    planning, go = threading.Event(), threading.Event()
    plan = engine.plan

    def paused(inputs, **kwargs):
        result = plan(inputs, **kwargs)
        if threading.current_thread().name == "full-run" and not planning.is_set():
            planning.set()
            assert go.wait(30)
        return result

    monkeypatch.setattr(engine, "plan", paused)
    failures = []

    def full_run():
        try:
            requirements_regenerate(company=company, today=TODAY, reason="nightly")
        except Exception as error:  # reported below: the thread's own error would be lost
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=full_run, name="full-run")
    thread.start()
    assert planning.wait(30)
    # Meanwhile MO-2 arrives for 15 more pumps, and its net change commits.
    with transaction.atomic():
        send(system, demand("MO-2", "PUMP", "15", dt.date(2027, 3, 12)))
        pump_at_detroit = (Plant.objects.get(code="DET").pk, Item.objects.get(part_number="PUMP").pk)
        requirements_net_change(company=company, keys={pump_at_detroit}, reason="MO-2", today=TODAY)
    go.set()
    thread.join(60)
    assert failures == []
    assert not thread.is_alive()

    stored = results()
    monkeypatch.setattr(engine, "plan", plan)
    requirements_regenerate(company=company, today=TODAY, reason="check")
    assert stored == results()
    assert stored != before  # MO-2 changed the plan: the check above compares something
    assert list(RequirementRun.objects.order_by("id").values_list("mode", "reason", "state")) == [
        ("full", "", "done"),
        ("full", "nightly", "done"),
        ("net_change", "MO-2", "done"),
        ("net_change", "changed while a full run planned", "done"),
        ("full", "check", "done"),
    ]


def test_net_changes_of_one_company_do_not_wait_for_each_other(postgres, settings, pump, system, company):
    """A goods receipt and a stock event of one plant each take the plant's lock and the planning lock,
    in opposite orders: net changes share the planning lock, so one of other items never waits for it."""
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    send(system, demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)))
    requirements_regenerate(company=company, today=TODAY)
    detroit = Plant.objects.get(code="DET").pk
    bolt, housing = (Item.objects.get(part_number=part).pk for part in ("BOLT", "HOUSING"))
    holding, release = threading.Event(), threading.Event()
    failures = []

    def first():
        try:
            with transaction.atomic():
                requirements_net_change(company=company, keys={(detroit, bolt)}, reason="receipt", today=TODAY)
                holding.set()
                assert release.wait(30)
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(30)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            run = requirements_net_change(company=company, keys={(detroit, housing)}, reason="stock", today=TODAY)
    finally:
        release.set()
        thread.join(60)
    assert failures == []
    assert (run.mode, run.reason, run.state) == ("net_change", "stock", "done")
