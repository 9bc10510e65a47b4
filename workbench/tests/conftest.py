"""Workbench personas and data: ACME's demo materials, a planner beside the buyer, and another
company (OTHER) with a BOM of its own and a buyer of its own."""

import datetime as dt
from decimal import Decimal

import pytest

from gateway.actors import Actor
from materials import inputs
from materials.demo import materials_demo_seed
from materials.services import bom_release_receive, items_upsert
from procurement import factories
from procurement.models import CompanyMembership

# The demo's "today": its engineering change takes effect at Monterrey on 2027-02-01.
TODAY = dt.date(2027, 1, 10)


@pytest.fixture(autouse=True)
def _no_broker(settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False


@pytest.fixture
def plants(company):
    return {
        "DET": factories.PlantFactory(company=company, code="DET", name="Detroit assembly"),
        "MTY": factories.PlantFactory(company=company, code="MTY", name="Monterrey machining"),
    }


@pytest.fixture
def acme_materials(company, plants):
    return materials_demo_seed(company=company, today=TODAY)


@pytest.fixture
def planner(company):
    user = factories.BuyerFactory(username="planner", email="planner@acme.example", is_superuser=False)
    factories.CompanyMembershipFactory(company=company, user=user, role=CompanyMembership.Role.PLANNER)
    return user


@pytest.fixture
def other_company(db):
    company = factories.CompanyFactory(code="OTHER", name="Other Manufacturing")
    factories.PlantFactory(company=company, code="OTP", name="Other plant")
    return company


@pytest.fixture
def other_buyer(other_company):
    user = factories.BuyerFactory(username="other-buyer", email="buyer@other.example")
    factories.CompanyMembershipFactory(company=other_company, user=user)
    return user


@pytest.fixture
def other_materials(other_company):
    """OTHER builds its own PUMP-100 (same part number as ACME's) from one secret part."""
    actor = Actor.for_system(company_ids={other_company.pk}, label="system OTHER ERP")
    parts = ("PUMP-100", "SECRET-1")
    items_upsert(
        actor=actor,
        batch=inputs.ItemBatchInput(
            "OTHER", "ERP", tuple(inputs.ItemInput(part_number=p, description=f"other {p}") for p in parts)
        ),
    )
    release = inputs.BomReleaseInput(
        company_code="OTHER",
        source_system="ERP",
        bom_type=inputs.BOM_MANUFACTURING,
        release_id="OTHER-PUMP-A",
        parent_part_number="PUMP-100",
        revision="X1",
        previous_revision=None,
        status=inputs.STATUS_APPROVED_FOR_PRODUCTION,
        components=(inputs.BomComponentInput(position="10", part_number="SECRET-1", quantity_per=Decimal(3)),),
    )
    return bom_release_receive(actor=actor, release=release, raw=b'{"other": true}')


# The demo's clock for its inventory: noon on its "today".
NOW = dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def acme_inventory(company, acme_materials):
    """ACME's demo stock from WMS, ERP and MES, reconciled at ``NOW``: two variances."""
    from materials.demo import inventory_demo_seed

    return inventory_demo_seed(company=company, today=TODAY, now=NOW)
