"""Fixtures for the write-path tests: no broker, a clean tolerance cache, a buyer acting in the portal."""

import pytest

from procurement import factories
from procurement.services import WriteSource, tolerance
from suppliers.models import Supplier


@pytest.fixture(autouse=True)
def _no_broker(settings):
    """Outbox rows are written but never handed to Celery; the tests that test enqueueing say so."""
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False


@pytest.fixture(autouse=True)
def _fresh_tolerance_cache():
    # The rule cache lives per process, keyed on (company pk, policy_version). A rolled-back test
    # hands the same pk and version to the next test on SQLite, so start every test cold.
    tolerance._cache.clear()
    yield
    tolerance._cache.clear()


@pytest.fixture
def buyer_source(buyer) -> WriteSource:
    return WriteSource(channel="portal", label="buyer", actor=buyer, correlation_id="corr-buyer-0001")


@pytest.fixture
def edi_supplier(db):
    return factories.SupplierFactory(code="GEARS", name="Gears GmbH", channel=Supplier.Channel.EDI)


@pytest.fixture
def other_company(db):
    return factories.CompanyFactory(code="OTHER", name="Other Manufacturing")


@pytest.fixture
def other_plant(other_company):
    return factories.PlantFactory(company=other_company, code="TOL", name="Toledo")
