"""The supplier's own scorecard in the portal: its figures over every buyer, never another supplier's."""

import pytest

from suppliers.models import SupplierMembership
from workbench.tests.kpi_data import kpi_dataset

from .conftest import person

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2027-01-01", "end": "2027-02-28"}


@pytest.fixture
def data(company):
    return kpi_dataset(company)


def published(page) -> int:
    return next(h.value for h in page.context["headlines"] if h.measure == "POs published")


def test_a_supplier_reads_its_own_scorecard(client, data):
    client.force_login(person("bolts-planner", data["bolts"], SupplierMembership.Role.MEMBER))

    page = client.get("/portal/scorecard/", PERIOD)

    assert page.status_code == 200
    assert published(page) == 4  # its POs from both buyers, as the workbench's selector counts them
    invoices = next(c for c in page.context["charts"] if c.key == "invoices")
    assert [r["group"] for r in invoices.rows] == ["2027-01", "2027-02"]
    assert "Acting for <strong>" in page.content.decode()


def test_another_supplier_reads_only_its_own(client, data):
    client.force_login(person("cast-planner", data["cast"], SupplierMembership.Role.READ_ONLY))

    page = client.get("/portal/scorecard/", PERIOD)

    assert published(page) == 2


def test_a_bad_period_is_explained_not_a_500(client, data):
    client.force_login(person("bolts-planner", data["bolts"], SupplierMembership.Role.MEMBER))

    for query, words in [
        ({"start": "2027-13-01"}, "Dates are written YYYY-MM-DD"),
        ({"start": "2027-03-01", "end": "2027-01-01"}, "starts after it ends"),
        ({"start": "2020-01-01", "end": "2027-01-01"}, "at most two years"),
    ]:
        page = client.get("/portal/scorecard/", query)
        assert page.status_code == 400
        assert words in page.content.decode()


def test_anonymous_and_buyer_are_kept_out(client, buyer):
    assert client.get("/portal/scorecard/").status_code == 302
    client.force_login(buyer)
    assert client.get("/portal/scorecard/").status_code == 403


def test_a_period_at_the_end_of_the_calendar_is_explained_not_a_500(client, data):
    client.force_login(person("bolts-planner", data["bolts"], SupplierMembership.Role.MEMBER))

    page = client.get("/portal/scorecard/", {"start": "9999-12-01", "end": "9999-12-31"})

    assert page.status_code == 400
    assert "showing the last 365 days" in page.content.decode()
