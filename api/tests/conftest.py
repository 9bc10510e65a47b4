"""Fixtures for the REST channel: API keys for each persona, a client that speaks the API, request bodies.

Personas (on top of the root conftest's ACME / DET / buyer / BOLTS / NUTS / PO-1000):

- ``owner``: a write key of BOLTS, the supplier PO-1000 belongs to;
- ``outsider``: a write key of NUTS, another supplier;
- ``system``: a write key of the buyer's ERP;
- ``anonymous``: no key at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from api.models import ApiKey, IdempotencyRecord, WebhookSubscription
from notifications.models import OutboundMessage
from procurement import factories
from procurement.models import (
    Acknowledgement,
    InboundDocument,
    Invoice,
    ProcurementException,
    PurchaseOrder,
    Receipt,
    Shipment,
)
from procurement.services import tolerance

# Tables a denied request must leave exactly as they were.
GUARDED = (
    Acknowledgement,
    Shipment,
    Invoice,
    Receipt,
    PurchaseOrder,
    WebhookSubscription,
    OutboundMessage,
    ProcurementException,
)


def counts(*models) -> dict[str, int]:
    """Row counts of ``models`` (the guarded tables by default)."""
    return {model.__name__: model.objects.count() for model in models or GUARDED}


def all_counts() -> dict[str, int]:
    """The guarded tables plus what even a refused document writes (its stored payload, its idempotency record)."""
    return counts(*GUARDED, InboundDocument, IdempotencyRecord)


@pytest.fixture(autouse=True)
def _no_broker(settings):
    """Outbox rows are written but never handed to Celery: the tests deliver them themselves."""
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The buyer persona has a password; hashing it properly costs most of a test's setup."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """A private in-process cache per test, so rate-limit counters never leak between tests (or into Redis)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


@pytest.fixture(autouse=True)
def _fresh_tolerance_cache():
    # Rules are cached per (company pk, policy version); a rolled-back test hands both to the next one on SQLite.
    tolerance._cache.clear()
    yield
    tolerance._cache.clear()


@dataclass
class Api:
    """A client for the API with one key (or none); every POST gets a fresh Idempotency-Key unless given one."""

    secret: str | None = None
    client: APIClient = field(default_factory=APIClient)

    def _headers(self, headers: dict | None) -> dict:
        out = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        return out | (headers or {})

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def delete(self, path: str, headers: dict | None = None):
        return self.client.delete(path, headers=self._headers(headers))

    def post(
        self,
        path: str,
        body=None,
        *,
        key: str | None = "",
        raw: bytes | None = None,
        content_type: str = "application/json",
        headers: dict | None = None,
    ):
        """POST ``body`` as JSON (or ``raw`` bytes as they are). ``key=None`` sends no Idempotency-Key."""
        extra = dict(headers or {})
        if key is not None:
            extra["Idempotency-Key"] = key or uuid.uuid4().hex
        if raw is None:
            return self.client.post(path, body, format="json", headers=self._headers(extra))
        # DRF's generic() sends bytes as they are (it encodes only str); its stubs accept str alone.
        return self.client.generic(
            "POST",
            path,
            raw,  # type: ignore[arg-type]
            content_type=content_type,
            headers=self._headers(extra),
        )


@pytest.fixture
def owner_key(supplier):
    return ApiKey.issue(kind="supplier", supplier=supplier, name="BOLTS integration", scope="write")


@pytest.fixture
def outsider_key(other_supplier):
    return ApiKey.issue(kind="supplier", supplier=other_supplier, name="NUTS integration", scope="write")


@pytest.fixture
def system_key(company):
    return ApiKey.issue(kind="system", system_name="ERP", company=company, name="ERP publisher", scope="write")


@pytest.fixture
def foreign_company(db):
    return factories.CompanyFactory(code="GLOBEX", name="Globex Corporation")


@pytest.fixture
def foreign_key(foreign_company):
    """The ERP of another buying company, under the same system name as ACME's."""
    return ApiKey.issue(kind="system", system_name="ERP", company=foreign_company, name="GLOBEX ERP", scope="write")


@pytest.fixture
def foreign(foreign_key) -> Api:
    return Api(foreign_key[1])


@pytest.fixture
def owner(owner_key) -> Api:
    return Api(owner_key[1])


@pytest.fixture
def outsider(outsider_key) -> Api:
    return Api(outsider_key[1])


@pytest.fixture
def system(system_key) -> Api:
    return Api(system_key[1])


@pytest.fixture
def anonymous(db) -> Api:
    return Api()


@pytest.fixture
def owner_reader(supplier) -> Api:
    return Api(ApiKey.issue(kind="supplier", supplier=supplier, name="BOLTS dashboard", scope="read")[1])


@pytest.fixture
def system_reader(company) -> Api:
    return Api(ApiKey.issue(kind="system", system_name="MES", company=company, name="MES reader", scope="read")[1])


# Request bodies ---------------------------------------------------------------------------------


def ack_body(document_id: str = "ACK-1", po_number: str = "PO-1000", **changes) -> dict:
    """An acknowledgement accepting every line of PO-1000 as ordered."""
    return {
        "document_id": document_id,
        "po_number": po_number,
        "header": "ACCEPTED",
        "lines": [{"line_no": str(n), "response": "ACCEPT"} for n in (1, 2, 3)],
    } | changes


def price_change_ack(document_id: str = "ACK-PRICE", unit_price: str = "13.50") -> dict:
    """Line 2 at another price: with no tolerance rule, a price_deviation exception for the buyer."""
    return ack_body(
        document_id,
        header="ACCEPTED_WITH_CHANGES",
        lines=[
            {"line_no": "1", "response": "ACCEPT"},
            {"line_no": "2", "response": "CHANGE_PRICE", "unit_price": unit_price},
            {"line_no": "3", "response": "ACCEPT"},
        ],
    )


def shipment_body(shipment_id: str = "ASN-1", po_number: str = "PO-1000", quantity: str = "40") -> dict:
    return {
        "shipment_id": shipment_id,
        "ship_date": "2027-02-20",
        "carrier": "UPS",
        "lines": [{"po_number": po_number, "line_no": "1", "quantity": quantity, "uom": "EA"}],
    }


def invoice_body(invoice_number: str = "INV-1", po_number: str = "PO-1000", quantity: str = "40") -> dict:
    return {
        "invoice_number": invoice_number,
        "po_number": po_number,
        "invoice_date": "2027-03-05",
        "currency": "USD",
        "lines": [{"line_no": "1", "quantity": quantity, "unit_price": "10.00"}],
    }


def po_body(number: str = "PO-2000", supplier: str = "BOLTS", revision: int = 0, quantity: str = "5") -> dict:
    return {
        "company": "ACME",
        "number": number,
        "supplier": supplier,
        "ship_to": "DET",
        "currency": "USD",
        "order_date": "2027-01-15",
        "revision": revision,
        "lines": [
            {
                "line_no": "1",
                "part_number": "PART-00001",
                "quantity": quantity,
                "uom": "EA",
                "unit_price": "10.00",
                "need_by": "2027-03-01",
            }
        ],
    }


def receipt_body(receipt_number: str = "GR-1", po_number: str = "PO-1000", quantity: str = "40") -> dict:
    return {
        "receipt_number": receipt_number,
        "company": "ACME",
        "po_number": po_number,
        "received_on": "2027-02-25",
        "lines": [{"line_no": "1", "quantity_received": quantity}],
    }


def results(response) -> list:
    """The items of a list response, paginated or not."""
    data = response.json()
    return data["results"] if isinstance(data, dict) else data
