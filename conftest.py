"""Persona fixtures shared by every test: the buyer, the owning supplier, another supplier."""

import os

import pytest

from procurement import factories
from procurement.services import WriteSource, purchase_order_publish

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config):
    from django.conf import settings

    # Each compiled write-path query is compiled again and checked against its cached SQL
    # (procurement.services.compiled).
    settings.GATEWAY_COMPILED_VERIFY = True


@pytest.fixture
def company(db):
    return factories.CompanyFactory(code="ACME", name="Acme Manufacturing")


@pytest.fixture
def plant(company):
    return factories.PlantFactory(company=company, code="DET", name="Detroit")


@pytest.fixture
def buyer(company):
    """A buyer of ACME."""
    user = factories.BuyerFactory(username="buyer", email="buyer@acme.example")
    factories.CompanyMembershipFactory(company=company, user=user)
    return user


@pytest.fixture
def supplier(db):
    return factories.SupplierFactory(code="BOLTS", name="Bolts Inc", notify_email="orders@bolts.example")


@pytest.fixture
def other_supplier(db):
    return factories.SupplierFactory(code="NUTS", name="Nuts Ltd")


@pytest.fixture
def supplier_user(supplier):
    return factories.SupplierUserFactory(username="bolts-user", membership__supplier=supplier)


@pytest.fixture
def other_supplier_user(other_supplier):
    return factories.SupplierUserFactory(username="nuts-user", membership__supplier=other_supplier)


@pytest.fixture
def erp() -> WriteSource:
    return WriteSource(channel="system", label="system ERP", correlation_id="corr-erp-0001")


@pytest.fixture
def supplier_source(supplier) -> WriteSource:
    return WriteSource(channel="api", label=f"supplier {supplier.code}", correlation_id="corr-sup-0001")


@pytest.fixture
def published_po(company, plant, supplier, buyer, erp):
    """PO-1000, revision 0, three lines of 100 EA at 10.00 needed 2027-03-01, for BOLTS."""
    po = factories.po_input(company=company.code, supplier=supplier.code, plant=plant.code, buyer=buyer.username)
    return purchase_order_publish(po=po, source=erp).record


@pytest.fixture
def notification_registry():
    """The outbox's registry (``notifications.registry``), restored after the test: for a test that
    registers a renderer or hook of its own."""
    from notifications import registry

    with registry.registry_kept():
        yield registry


def require_service(name: str, available: bool, reason: str) -> None:
    """Skip locally when a real service is missing; under CI=true, fail instead of skipping."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{name} is required in CI: {reason}")
    pytest.skip(f"{name} not available: {reason}")


METRICS_TOKEN = "scrape-token-for-tests"


def metric_samples(text: str, prefix: str = "gateway_") -> dict[str, float]:
    """The samples of a Prometheus exposition whose names start with ``prefix``, as
    ``{'name{label="value",…}': value}`` with the labels sorted."""
    from prometheus_client.parser import text_string_to_metric_families

    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith(prefix):
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


@pytest.fixture
def scrape(db, client, settings, monkeypatch):
    """``scrape()`` reads /metrics (with its token) as ``metric_samples``. The figures earlier tests
    left in this process are cleared first; no multiprocess folder is read."""
    from gateway import metrics

    monkeypatch.delenv(metrics.MULTIPROCESS_ENV, raising=False)
    for family in metrics.EVENTS:
        family.clear()
    settings.GATEWAY_METRICS_TOKEN = METRICS_TOKEN

    def read() -> dict[str, float]:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert response.status_code == 200, response.content
        return metric_samples(response.content.decode())

    return read


@pytest.fixture
def json_log():
    """The gateway's JSON logging, as in production, writing to a buffer: ``json_log()`` is the lines
    so far, each parsed. The test settings' logging is put back afterwards."""
    import io
    import json
    import logging
    import logging.config

    from django.conf import settings

    from gateway.logs import logging_config

    logging.config.dictConfig(logging_config(log_format="json", level="INFO"))
    buffer = io.StringIO()
    logging.root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logging.config.dictConfig(settings.LOGGING)


@pytest.fixture(autouse=True)
def _fresh_webhook_cache():
    # The subscription cache lives per process, keyed on company ids and webhooks versions. A
    # rolled-back test hands the same ids and versions to the next test on SQLite, so start cold.
    from api.webhooks import subscriptions_cache_clear

    subscriptions_cache_clear()
    yield
    subscriptions_cache_clear()
