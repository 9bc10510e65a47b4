"""Fixtures for materials: ACME's ERP and PLM as system actors, two plants, and helpers to build releases."""

import pytest

from gateway.actors import Actor
from procurement import factories


@pytest.fixture(autouse=True)
def _no_broker(settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False


@pytest.fixture
def plants(company):
    return {
        "DET": factories.PlantFactory(company=company, code="DET", name="Detroit"),
        "MTY": factories.PlantFactory(company=company, code="MTY", name="Monterrey"),
    }


@pytest.fixture
def system(company, plants) -> Actor:
    return Actor.for_system(company_ids={company.pk}, label="system ERP")


@pytest.fixture
def supplier_actor(supplier) -> Actor:
    return Actor.for_supplier(supplier_id=supplier.pk, label="supplier BOLTS")


@pytest.fixture
def other_company(db):
    return factories.CompanyFactory(code="OTHER", name="Other Manufacturing")
