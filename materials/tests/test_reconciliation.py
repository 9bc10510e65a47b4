"""Reconciliation of ERP, WMS and MES balances: variances beyond tolerance, explained, raised once, cleared."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from materials.models import InventoryReconciliation, InventoryTolerance, ItemPlanning
from materials.services.reconciliation import (
    inventory_reconcile,
    inventory_reconciliation_execute,
    inventory_reconciliation_request,
    variances_find,
)
from procurement import factories
from procurement.models import AuditEvent, ProcurementException
from procurement.services import WriteSource

from .inventory_rows import balance, event

SOURCE = WriteSource(channel="system", label="test reconciliation")
NOW = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)
RECEIVED = dt.datetime(2026, 12, 3, 9, 14, tzinfo=dt.UTC)


@pytest.fixture
def bearing(company):
    return factories.ItemFactory(company=company, part_number="BRG-330")


@pytest.fixture
def in_inspection(company, plants, bearing):
    """WMS put 400 of lot L7 away in quarantine on 12-03 09:14; the ERP posts the item but not that lot yet.

    Lot L1 (usable) agrees: WMS has 100 on hand, the ERP has posted 100.
    """
    det = plants["DET"]
    balance(company, det, bearing, "WMS", physical="100", lot="L1")
    balance(company, det, bearing, "ERP", posted="100", lot="L1")
    balance(company, det, bearing, "WMS", physical="400", lot="L7", status="quarantine")
    event(company, det, bearing, "WMS", "receipt", "100", RECEIVED - dt.timedelta(days=9), lot="L1")
    event(company, det, bearing, "ERP", "receipt", "100", RECEIVED - dt.timedelta(days=8), lot="L1", posting="posted")
    event(company, det, bearing, "WMS", "receipt", "400", RECEIVED, lot="L7", status="quarantine")
    return det


def test_received_not_posted_is_one_variance_explained_in_words(company, in_inspection, bearing):
    result = inventory_reconcile(company_id=company.pk, source=SOURCE, now=NOW)

    assert (result.positions, result.differing, len(result.variances), result.raised, result.cleared) == (2, 1, 1, 1, 0)
    exc = ProcurementException.objects.get()
    assert exc.kind == "inventory_variance"
    assert exc.severity == "financial_mismatch"
    assert exc.state == "open"
    assert exc.summary == (
        "BRG-330 at DET lot L7 (quarantine): WMS received 400 EA on 2026-12-03 09:14; "
        "ERP has not posted: in quality inspection 2 days"
    )
    assert exc.dedup_key == f"inventory_variance:{company.pk}:{in_inspection.pk}:{bearing.pk}:quarantine:L7"
    evidence = exc.evidence
    assert (evidence["check"], evidence["deviation"], evidence["lot"], evidence["stock_status"]) == (
        "physical_vs_posted",
        "400",
        "L7",
        "quarantine",
    )
    assert evidence["high"] == {"sources": ["WMS"], "quantity": "400", "side": "physical"}
    assert evidence["low"] == {"sources": ["ERP"], "quantity": "0"}
    assert evidence["sources"] == {"WMS": {"physical": "400", "posted": "0"}}
    assert evidence["tolerance"] == {"rule": None, "percent": "0", "amount": "0"}
    assert [(e["source_system"], e["kind"], e["base_quantity"]) for e in evidence["events"]] == [
        ("WMS", "receipt", "400")
    ]
    assert AuditEvent.objects.filter(action="inventory_variance.raised").count() == 1


def test_running_again_raises_nothing_new(company, in_inspection):
    inventory_reconcile(company_id=company.pk, source=SOURCE, now=NOW)
    again = inventory_reconcile(company_id=company.pk, source=SOURCE, now=NOW)

    assert (len(again.variances), again.raised, again.cleared) == (1, 0, 0)
    assert ProcurementException.objects.count() == 1


def test_a_variance_that_clears_by_itself_closes_its_exception(company, in_inspection, bearing):
    inventory_reconcile(company_id=company.pk, source=SOURCE, now=NOW)
    # Inspection passed: the ERP posts the 400 and both move the lot to usable stock.
    balance(company, in_inspection, bearing, "WMS", physical="0", lot="L7", status="quarantine")
    balance(company, in_inspection, bearing, "WMS", physical="400", lot="L7")
    balance(company, in_inspection, bearing, "ERP", posted="400", lot="L7")

    result = inventory_reconcile(company_id=company.pk, source=SOURCE, now=NOW)

    assert (result.differing, len(result.variances), result.raised, result.cleared) == (0, 0, 0, 1)
    exc = ProcurementException.objects.get()
    assert (exc.state, exc.resolution) == ("resolved", "auto_cleared")
    assert exc.resolution_note == "the systems agree again on this position, within tolerance"


def test_a_difference_within_the_company_tolerance_is_no_variance(company, plants, bearing):
    det = plants["DET"]
    balance(company, det, bearing, "WMS", physical="100")
    balance(company, det, bearing, "MES", physical="97")
    InventoryTolerance.objects.create(company=company, amount=Decimal("5"), percent=Decimal("5"))

    result = inventory_reconcile(company_id=company.pk, source=SOURCE, now=NOW)

    assert (result.positions, result.differing, len(result.variances)) == (1, 1, 0)
    assert ProcurementException.objects.count() == 0


def test_every_set_limit_must_hold_and_a_category_rule_wins(company, plants, bearing):
    det = plants["DET"]
    balance(company, det, bearing, "WMS", physical="100")
    balance(company, det, bearing, "MES", physical="97")
    InventoryTolerance.objects.create(company=company, amount=Decimal("5"), percent=Decimal("5"))
    rule = InventoryTolerance.objects.create(
        company=company, category="BEARINGS", amount=Decimal("5"), percent=Decimal("2")
    )
    ItemPlanning.objects.create(item=bearing, category="BEARINGS", updated_at=NOW)

    _positions, _differing, variances = variances_find(company_id=company.pk, now=NOW)

    # 3 is within 5 units, but 3 % of 100 is more than the bearings' 2 %.
    assert len(variances) == 1
    variance = variances[0]
    assert variance.tolerance.rule == rule.pk
    assert [(c.check, c.high, c.low, c.deviation) for c in variance.checks] == [
        ("physical", ("WMS",), ("MES",), Decimal("3"))
    ]
    assert variance.explanation == "WMS has 100 EA; MES has 97 on hand and no event for it"


def test_usable_stock_the_systems_disagree_on_is_a_procurement_delay(company, plants, bearing):
    det = plants["DET"]
    balance(company, det, bearing, "WMS", physical="120")
    balance(company, det, bearing, "MES", physical="80", location="LINE-1")
    event(company, det, bearing, "WMS", "receipt", "120", RECEIVED)
    event(company, det, bearing, "MES", "issue", "40", RECEIVED + dt.timedelta(hours=2), location="LINE-1")

    inventory_reconcile(company_id=company.pk, source=SOURCE, now=NOW)

    exc = ProcurementException.objects.get()
    assert exc.severity == "procurement_delay"
    assert exc.summary == (
        "BRG-330 at DET: WMS received 120 EA on 2026-12-03 09:14; "
        "MES has 80 on hand (last: MES issued 40 EA on 2026-12-03 11:14)"
    )


def test_a_source_missing_a_position_counts_as_zero_there(company, plants, bearing):
    det = plants["DET"]
    balance(company, det, bearing, "WMS", physical="50", lot="A")
    balance(company, det, bearing, "WMS", physical="10", lot="B")
    balance(company, det, bearing, "MES", physical="50", lot="A")

    _positions, differing, variances = variances_find(company_id=company.pk, now=NOW)

    assert differing == 1
    assert [(v.lot, v.principal.high, v.principal.low, v.principal.deviation) for v in variances] == [
        ("B", ("WMS",), ("MES",), Decimal("10"))
    ]


def test_another_companys_stock_is_neither_compared_nor_raised_for(company, plants, bearing, other_company):
    other_plant = factories.PlantFactory(company=other_company, code="DET")
    other_item = factories.ItemFactory(company=other_company, part_number="BRG-330")
    balance(other_company, other_plant, other_item, "WMS", physical="999")
    balance(other_company, other_plant, other_item, "ERP", posted="1")
    balance(company, plants["DET"], bearing, "WMS", physical="5")

    result = inventory_reconcile(company_id=company.pk, source=SOURCE, now=NOW)

    assert (result.positions, result.differing, len(result.variances)) == (1, 0, 0)
    assert ProcurementException.objects.count() == 0


def test_a_run_is_requested_once_while_active_and_executed_once(company, in_inspection):
    run, created = inventory_reconciliation_request(company_id=company.pk, requested_by="user planner")
    same, created_again = inventory_reconciliation_request(company_id=company.pk, requested_by="scheduler")

    assert (created, created_again, same.pk) == (True, False, run.pk)
    done = inventory_reconciliation_execute(run_id=run.pk)
    assert (done.state, done.positions, done.differing, done.variances, done.raised, done.cleared) == (
        "done",
        2,
        1,
        1,
        1,
        0,
    )
    assert done.started_at is not None and done.finished_at is not None
    # Delivered twice: the second claim finds nothing queued and changes nothing.
    assert inventory_reconciliation_execute(run_id=run.pk).finished_at == done.finished_at
    assert ProcurementException.objects.count() == 1
    _next, created = inventory_reconciliation_request(company_id=company.pk, requested_by="scheduler")
    assert created is True


def test_a_run_abandoned_by_its_worker_does_not_block_the_next(company, settings):
    settings.GATEWAY_INVENTORY_RECONCILE_STALE_SECONDS = 60
    stuck, _ = inventory_reconciliation_request(company_id=company.pk, requested_by="scheduler")
    InventoryReconciliation.objects.filter(pk=stuck.pk).update(
        state="running", requested_at=timezone.now() - dt.timedelta(hours=2)
    )

    run, created = inventory_reconciliation_request(company_id=company.pk, requested_by="scheduler")

    stuck.refresh_from_db()
    assert (created, stuck.state, stuck.error) == (True, "failed", "abandoned: no worker finished it in time")
    assert run.pk != stuck.pk


def test_an_administrator_sets_a_tolerance_in_the_admin(client, company, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@acme.example", "x-long-password-1")
    client.force_login(admin_user)

    response = client.post(
        "/admin/materials/inventorytolerance/add/",
        {"company": company.pk, "category": "BEARINGS", "percent": "2", "amount": "5"},
    )

    assert response.status_code == 302
    rule = InventoryTolerance.objects.get()
    assert (rule.company_id, rule.category, rule.percent, rule.amount) == (company.pk, "BEARINGS", 2, 5)


def test_the_gateways_receipts_journal_is_not_compared_with_the_systems(company, plants, bearing):
    det = plants["DET"]
    balance(company, det, bearing, "WMS", physical="60")
    balance(company, det, bearing, "ERP", posted="60")
    # 100 received on POs; 40 consumed since, which only the systems report.
    balance(company, det, bearing, "PROCUREMENT", physical="100", posted="100")

    result = inventory_reconcile(company_id=company.pk, source=SOURCE, now=NOW)

    assert (result.positions, result.differing, len(result.variances)) == (1, 0, 0)


def test_the_schedule_queues_one_run_per_company_with_stock(company, plants, bearing, other_company, monkeypatch):
    from materials import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.inventory_reconciliation_run, "delay", queued.append)
    balance(company, plants["DET"], bearing, "WMS", physical="5")

    assert tasks.inventory_reconciliations_schedule() == 1
    assert tasks.inventory_reconciliations_schedule() == 0  # ACME's run is still queued

    run = InventoryReconciliation.objects.get()
    assert (queued, run.company_id, run.requested_by, run.state) == ([run.pk], company.pk, "scheduler", "queued")
    assert tasks.inventory_reconciliation_run(run.pk) == "done"


def test_beat_reconciles_hourly_by_default(settings):
    assert settings.CELERY_BEAT_SCHEDULE["materials: reconcile inventory systems"] == {
        "task": "materials.tasks.inventory_reconciliations_schedule",
        "schedule": 3600.0,
    }
