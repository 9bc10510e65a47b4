"""Portal fixtures: signed-in clients for the supplier's member, its read-only person, and another supplier."""

import pytest

from procurement import factories
from procurement.services import tolerance


@pytest.fixture(autouse=True)
def _no_broker(settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False


@pytest.fixture(autouse=True)
def _fresh_tolerance_cache():
    tolerance._cache.clear()
    yield
    tolerance._cache.clear()


@pytest.fixture
def member(client, supplier_user):
    client.force_login(supplier_user)
    return client


@pytest.fixture
def read_only(client, supplier):
    user = factories.SupplierUserFactory(
        username="bolts-reader", membership__supplier=supplier, membership__role="read_only"
    )
    client.force_login(user)
    return client


@pytest.fixture
def outsider(client, other_supplier_user):
    client.force_login(other_supplier_user)
    return client
