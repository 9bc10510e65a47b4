"""The demo's story: the castings supplier's 855 pushes the castings past the pump order's need date."""

import datetime as dt

import pytest

from materials.demo import DEMO_ORDER, materials_demo_seed, requirements_demo_seed
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
    top = ProcurementException.objects.open().ranked().first()
    assert (top.pk, top.severity) == (stop["exception"], "production_stop")
