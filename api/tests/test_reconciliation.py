"""Inventory reconciliation through the system API: a company's system starts a run and reads its outcome.

Personas: ``system`` ACME's ERP key, ``system_reader`` ACME's read-only MES key, ``foreign`` GLOBEX's
ERP key, ``owner`` a supplier's key, ``anonymous`` no key.
"""

import datetime as dt

import pytest
from django.utils import timezone

from materials.models import InventoryReconciliation
from materials.tasks import inventory_reconciliation_run
from materials.tests.inventory_rows import balance, event
from procurement import factories
from procurement.models import ProcurementException

RUNS = "/api/v1/system/inventory-reconciliations/"


@pytest.fixture
def unposted(company, plant):
    item = factories.ItemFactory(company=company, part_number="BRG-330")
    balance(company, plant, item, "WMS", physical="100", lot="L1")
    balance(company, plant, item, "ERP", posted="100", lot="L1")
    balance(company, plant, item, "WMS", physical="400", lot="L7", status="quarantine")
    event(
        company,
        plant,
        item,
        "WMS",
        "receipt",
        "400",
        timezone.now() - dt.timedelta(days=2, hours=1),
        lot="L7",
        status="quarantine",
    )
    return item


def test_a_system_starts_a_run_and_reads_the_variances_it_found(system, unposted):
    started = system.post(RUNS)

    assert started.status_code == 202, started.content
    body = started.json()
    run = InventoryReconciliation.objects.get()
    assert (body["id"], body["state"], body["requested_by"]) == (run.pk, "queued", run.requested_by)
    assert run.requested_by.startswith("system ERP key ")
    # While it is queued, asking again answers the same run.
    again = system.post(RUNS)
    assert (again.status_code, again.json()["id"]) == (200, run.pk)

    assert inventory_reconciliation_run(run.pk) == "done"

    result = system.get(f"{RUNS}{run.pk}/")
    assert result.status_code == 200
    data = result.json()
    assert {k: data[k] for k in ("state", "positions", "differing", "variances", "raised", "cleared", "error")} == {
        "state": "done",
        "positions": 2,
        "differing": 1,
        "variances": 1,
        "raised": 1,
        "cleared": 0,
        "error": "",
    }
    exc = ProcurementException.objects.get()
    assert data["open_variances"] == [
        {
            "exception": exc.pk,
            "severity": "financial_mismatch",
            "summary": exc.summary,
            "raised_at": data["open_variances"][0]["raised_at"],
            "plant": "DET",
            "part_number": "BRG-330",
            "lot": "L7",
            "stock_status": "quarantine",
            "check": "physical_vs_posted",
            "deviation": "400",
        }
    ]
    assert exc.summary.endswith("ERP has not posted: in quality inspection 2 days")


def test_another_companys_run_is_not_found_and_others_may_not_start_one(system, foreign, owner, anonymous, unposted):
    started = system.post(RUNS).json()

    assert foreign.get(f"{RUNS}{started['id']}/").status_code == 404
    assert system.get(f"{RUNS}999999/").status_code == 404
    assert owner.post(RUNS).status_code == 403
    assert owner.get(f"{RUNS}{started['id']}/").status_code == 403
    assert anonymous.post(RUNS).status_code == 401
    assert InventoryReconciliation.objects.count() == 1
    # GLOBEX's own run is GLOBEX's: it compares none of ACME's stock.
    theirs = foreign.post(RUNS)
    assert theirs.status_code == 202
    assert inventory_reconciliation_run(theirs.json()["id"]) == "done"
    assert foreign.get(f"{RUNS}{theirs.json()['id']}/").json()["positions"] == 0
    assert ProcurementException.objects.count() == 0


def test_a_read_only_key_may_read_but_not_start(system, system_reader, unposted):
    started = system.post(RUNS).json()

    assert system_reader.get(f"{RUNS}{started['id']}/").status_code == 200
    assert system_reader.post(RUNS).status_code == 403
    assert InventoryReconciliation.objects.count() == 1


def test_the_documented_examples_have_the_shape_of_the_answers(system, unposted):
    from api.views.reconciliation import RECONCILIATION_DONE, RECONCILIATION_QUEUED

    started = system.post(RUNS).json()
    inventory_reconciliation_run(started["id"])
    done = system.get(f"{RUNS}{started['id']}/").json()

    assert set(RECONCILIATION_QUEUED.value) == set(started)
    assert set(RECONCILIATION_DONE.value) == set(done)
    assert set(RECONCILIATION_DONE.value["open_variances"][0]) == set(done["open_variances"][0])
    documented, answered = (
        RECONCILIATION_DONE.value["open_variances"][0]["summary"],
        done["open_variances"][0]["summary"],
    )
    assert (
        documented.split(" on ")[0]
        == answered.split(" on ")[0]
        == "BRG-330 at DET lot L7 (quarantine): WMS received 400 EA"
    )
    assert documented.split("; ")[1] == answered.split("; ")[1] == "ERP has not posted: in quality inspection 2 days"
