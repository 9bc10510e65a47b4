"""Inventory variances ranked by the projection: disputed stock a demand needs soon outranks a slow mover."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from materials.models import InventoryPolicy, ProjectionRow, RequirementRun
from materials.services.reconciliation import inventory_reconcile
from procurement import factories
from procurement.models import AuditEvent, ProcurementException
from procurement.services import WriteSource

from .inventory_rows import balance

SOURCE = WriteSource(channel="system", label="test reconciliation")


@pytest.fixture
def disputed(company, plants):
    """At DET the WMS has 100 of each item on hand, the MES 60: 40 in dispute for HSG and for SLOW,
    usable; and for HSG also 10 in quarantine the MES does not have."""
    det = plants["DET"]
    items = {part: factories.ItemFactory(company=company, part_number=part) for part in ("HSG", "SLOW")}
    for item in items.values():
        balance(company, det, item, "WMS", physical="100")
        balance(company, det, item, "MES", physical="60")
    balance(company, det, items["HSG"], "WMS", physical="10", status="quarantine")
    return det, items


def project(company, plant, item, *rows):
    """Store a run's projection of (plant, item): (days from today, demand, projected, safety stock, order)."""
    run = RequirementRun.objects.create(
        company=company, mode="full", state="done", horizon_start=timezone.localdate(), started_at=timezone.now()
    )
    ProjectionRow.objects.filter(company=company, plant=plant, item=item).delete()
    ProjectionRow.objects.bulk_create(
        ProjectionRow(
            run=run,
            company=company,
            plant=plant,
            item=item,
            date=timezone.localdate() + dt.timedelta(days=days),
            demand=Decimal(demand),
            projected=Decimal(projected),
            safety_stock=Decimal(safety),
            pegs=[{"demand": 1, "reference": order, "quantity": demand}] if order else [],
        )
        for days, demand, projected, safety, order in rows
    )


def variances():
    return {
        (e.evidence["part_number"], e.evidence["stock_status"]): (e.severity, e.evidence.get("requirements"))
        for e in ProcurementException.objects.filter(kind="inventory_variance", state="open")
    }


def test_a_variance_on_stock_a_demand_needs_this_week_is_a_production_stop(company, disputed):
    det, items = disputed
    # HSG: 100 on hand, MO-7 takes 80 in three days: 20 left; if the MES's 60 is right, 20 short.
    project(company, det, items["HSG"], (3, "80", "20", "0", "MO-7"), (10, "0", "20", "0", ""))
    # SLOW: nothing needed for a month.
    project(company, det, items["SLOW"], (30, "0", "100", "0", ""))

    inventory_reconcile(company_id=company.pk, source=SOURCE)

    assert variances() == {
        ("HSG", "usable"): (
            "production_stop",
            {
                "date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
                "days_away": 3,
                "orders": ["MO-7"],
                "short": "20",
                "in_doubt": "40",
            },
        ),
        ("SLOW", "usable"): ("procurement_delay", None),
        # Quarantine is not stock planning counts (the default policy): its rule stands.
        ("HSG", "quarantine"): ("data_quality", None),
    }
    hsg = ProcurementException.objects.get(evidence__part_number="HSG", evidence__stock_status="usable")
    assert hsg.evidence["rule_severity"] == "procurement_delay"
    assert hsg.severity_rank < ProcurementException.objects.get(evidence__part_number="SLOW").severity_rank


def test_below_safety_stock_raises_only_a_rule_below_it_and_quarantine_counts_when_planning_counts_it(
    company, disputed
):
    det, items = disputed
    InventoryPolicy.objects.create(company=company, include_quarantine=True)
    # HSG: 110 on hand (quarantine counted), 30 needed in five days, safety stock 50: 80 left; 70 if the
    # quarantine's 10 is not there (no shortage, still above 50), 40 if the usable 40 is not.
    project(company, det, items["HSG"], (5, "30", "80", "50", "MO-8"))

    inventory_reconcile(company_id=company.pk, source=SOURCE)

    found = variances()
    # Usable: the rule is already procurement delay; below safety stock ranks no higher than that.
    assert found[("HSG", "usable")] == ("procurement_delay", None)
    assert found[("HSG", "quarantine")] == ("data_quality", None)  # 70 is still above the safety stock
    project(company, det, items["HSG"], (5, "30", "58", "50", "MO-8"))  # now 48 without the quarantine's 10
    inventory_reconcile(company_id=company.pk, source=SOURCE)
    date = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    assert variances()[("HSG", "quarantine")] == (
        "procurement_delay",
        {"date": date, "days_away": 5, "below_safety_stock": "50", "in_doubt": "10"},
    )


def test_open_variances_follow_the_projection_on_each_run_and_the_change_is_audited(company, disputed):
    det, items = disputed
    project(company, det, items["SLOW"], (30, "0", "100", "0", ""))
    inventory_reconcile(company_id=company.pk, source=SOURCE)
    assert variances()[("SLOW", "usable")] == ("procurement_delay", None)

    # A new order needs 90 of SLOW in two days: 10 left, 30 short if the MES is right.
    project(company, det, items["SLOW"], (2, "90", "10", "0", "MO-9"))
    result = inventory_reconcile(company_id=company.pk, source=SOURCE)
    assert result.raised == 0
    severity, finding = variances()[("SLOW", "usable")]
    assert (severity, finding["orders"], finding["short"]) == ("production_stop", ["MO-9"], "30")
    slow = ProcurementException.objects.get(evidence__part_number="SLOW")
    change = AuditEvent.objects.filter(action="exception.severity_changed", object_id=str(slow.pk)).get()
    assert (change.before["severity"], change.after["severity"], change.after["reason"]) == (
        "procurement_delay",
        "production_stop",
        "projection of the item changed",
    )

    # The order is gone from the plan: back to the rule, and the evidence without the finding.
    ProjectionRow.objects.filter(item=items["SLOW"]).delete()
    inventory_reconcile(company_id=company.pk, source=SOURCE)
    slow.refresh_from_db()
    assert (slow.severity, "requirements" in slow.evidence, "rule_severity" in slow.evidence) == (
        "procurement_delay",
        False,
        False,
    )
