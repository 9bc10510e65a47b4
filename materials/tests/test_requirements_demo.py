"""The demo's story: the castings supplier's 855 pushes the castings past the pump order's need date."""

import datetime as dt

import pytest

from materials.demo import DEMO_ORDER, materials_demo_seed, requirements_demo_seed
from materials.models import RequirementRun
from materials.services.runs import requirements_run_request
from procurement import factories
from procurement.models import ProcurementException

pytestmark = pytest.mark.django_db


def test_the_855_in_the_demo_is_a_production_stop_naming_the_pump_order(company):
    factories.PlantFactory(company=company, code="DET")
    factories.PlantFactory(company=company, code="MTY")
    factories.SupplierFactory(code="CASTINGS")
    today = dt.date(2027, 3, 1)
    materials_demo_seed(company=company, today=today)

    stop = requirements_demo_seed(company=company, today=today)

    assert stop["severity"] == "production_stop"
    finding = stop["evidence"]["requirements"]
    assert (finding["orders"], finding["date"], finding["short"]) == ([DEMO_ORDER], "2027-03-11", "20")
    # Again: nothing new is raised, the exception stays what it was.
    again = requirements_demo_seed(company=company, today=today)
    assert again["exception"] == stop["exception"]
    assert ProcurementException.objects.filter(kind="date_deviation").count() == 1
    # The top of the queue: the 855's date slip and the demo's one part nothing was ordered for in time
    # (its planned purchase is already late to release), both production stops naming the pump order.
    first, second, third = ProcurementException.objects.open().ranked()[:3]
    assert [(row.kind, row.severity) for row in (first, second)] == [
        ("material_shortage", "production_stop"),
        ("date_deviation", "production_stop"),
    ]
    assert second.pk == stop["exception"]
    assert first.evidence["orders"] == [DEMO_ORDER] and first.summary.startswith("IMP-310 at DET: 20 short")
    assert third.severity == "procurement_delay"


def test_the_demo_plans_when_the_nightly_run_is_only_queued(company):
    factories.PlantFactory(company=company, code="DET")
    factories.PlantFactory(company=company, code="MTY")
    factories.SupplierFactory(code="CASTINGS")
    today = dt.date(2027, 3, 1)
    materials_demo_seed(company=company, today=today)
    nightly, created = requirements_run_request(company=company, requested_by="nightly schedule")
    assert created

    stop = requirements_demo_seed(company=company, today=today)

    # The queued run was planned here (the worker will find it taken): the 855 is assessed against it.
    assert stop["severity"] == "production_stop"
    nightly.refresh_from_db()
    assert (nightly.state, nightly.horizon_start) == ("done", today)
    assert list(RequirementRun.objects.filter(mode="full").values_list("pk", "state")) == [(nightly.pk, "done")]
