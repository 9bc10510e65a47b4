"""Tenant isolation: every endpoint of api/urls.py with four personas, and read-only keys on every write.

owner = BOLTS's key (PO-1000 and everything around it is BOLTS's); outsider = NUTS's key; system = ACME's
ERP key; foreign = the ERP key of another buying company, GLOBEX (a buyer of another company); anonymous = no
key. Another tenant's object is "not found", exactly like a missing one; another tenant's list is empty; a
POST naming another supplier's PO is refused as an unknown PO, and one naming another company as an unknown
company. A denial changes nothing and queues nothing.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import resolve

from api import urls
from api.models import WebhookSubscription
from gateway.actors import Actor
from materials.inputs import (
    BomComponentInput,
    BomReleaseInput,
    DemandBatchInput,
    DemandInput,
    ItemBatchInput,
    ItemInput,
)
from materials.models import BomRelease, PlannedPurchase
from materials.services import bom_release_receive, demands_upsert, items_upsert, requirements_regenerate
from materials.services.reconciliation import inventory_reconciliation_execute, inventory_reconciliation_request
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from procurement import factories
from procurement.models import InboundDocument, Invoice, ProcurementException
from procurement.services import purchase_order_change, purchase_order_publish

from .conftest import (
    GUARDED,
    Api,
    ack_body,
    all_counts,
    invoice_body,
    po_body,
    price_change_ack,
    receipt_body,
    results,
    shipment_body,
)

PERSONAS = ("owner", "outsider", "system", "foreign", "anonymous")
INVENTORY_EVENT = {
    "plant": "DET",
    "part_number": "PART-00001",
    "kind": "receipt",
    "quantity": "5",
    "source_event_id": "INV-MATRIX",
    "source_sequence": 1,
    "occurred_at": "2026-12-03T09:00:00Z",
}

# name: (method, path, body, expected status for owner, outsider, system, foreign, anonymous)
ENDPOINTS = {
    "schema": ("GET", "/api/schema/", None, (200, 200, 200, 200, 200)),
    "docs": ("GET", "/api/docs/", None, (200, 200, 200, 200, 200)),
    "po-list": ("GET", "/api/v1/purchase-orders/", None, (200, 200, 403, 403, 401)),
    "po-detail": ("GET", "/api/v1/purchase-orders/{po}/", None, (200, 404, 403, 403, 401)),
    "revision-list": ("GET", "/api/v1/purchase-orders/{po}/revisions/", None, (200, 404, 403, 403, 401)),
    "revision-detail": ("GET", "/api/v1/purchase-orders/{po}/revisions/1/", None, (200, 404, 403, 403, 401)),
    "ack-create": ("POST", "/api/v1/acknowledgements/", ack_body("ACK-MATRIX"), (201, 422, 403, 403, 401)),
    "shipment-create": ("POST", "/api/v1/shipments/", shipment_body("ASN-MATRIX"), (201, 422, 403, 403, 401)),
    "invoice-list": ("GET", "/api/v1/invoices/", None, (200, 200, 403, 403, 401)),
    "invoice-create": ("POST", "/api/v1/invoices/", invoice_body("INV-MATRIX"), (201, 422, 403, 403, 401)),
    "invoice-detail": ("GET", "/api/v1/invoices/{invoice}/", None, (200, 404, 403, 403, 401)),
    "document-list": ("GET", "/api/v1/documents/", None, (200, 200, 403, 403, 401)),
    "document-detail": ("GET", "/api/v1/documents/{document}/", None, (200, 404, 403, 403, 401)),
    "exception-list": ("GET", "/api/v1/exceptions/", None, (200, 200, 403, 403, 401)),
    "system-po-create": ("POST", "/api/v1/system/purchase-orders/", po_body("PO-MATRIX"), (403, 403, 201, 404, 401)),
    "system-receipt-create": ("POST", "/api/v1/system/receipts/", receipt_body("GR-MATRIX"), (403, 403, 201, 404, 401)),
    "system-exception-list": ("GET", "/api/v1/system/exceptions/", None, (403, 403, 200, 200, 401)),
    "system-exception-assign": (
        "POST",
        "/api/v1/system/exceptions/{exception}/assign/",
        {"owner": "buyer"},
        (403, 403, 200, 404, 401),
    ),
    "system-exception-accept": ("POST", "/api/v1/system/exceptions/{exception}/accept/", {}, (403, 403, 200, 404, 401)),
    "system-exception-reject": (
        "POST",
        "/api/v1/system/exceptions/{exception}/reject/",
        {"reason": "Our price stands"},
        (403, 403, 200, 404, 401),
    ),
    "system-exception-dismiss": (
        "POST",
        "/api/v1/system/exceptions/{exception}/dismiss/",
        {"reason": "Known"},
        (403, 403, 200, 404, 401),
    ),
    "system-exception-comment": (
        "POST",
        "/api/v1/system/exceptions/{exception}/comment/",
        {"body": "Call them"},
        (403, 403, 201, 404, 401),
    ),
    "system-po-list": ("GET", "/api/v1/system/purchase-orders/", None, (403, 403, 200, 200, 401)),
    "system-po-detail": ("GET", "/api/v1/system/purchase-orders/{po}/", None, (403, 403, 200, 404, 401)),
    "system-item-batch": (
        "POST",
        "/api/v1/system/items/",
        {"company": "ACME", "items": [{"part_number": "PART-MATRIX"}]},
        (403, 403, 200, 404, 401),
    ),
    "system-where-used": ("GET", "/api/v1/system/items/PART-00001/where-used/", None, (403, 403, 200, 404, 401)),
    "system-bom": ("GET", "/api/v1/system/boms/ASM-1/?plant=DET&on=2027-02-01", None, (403, 403, 200, 404, 401)),
    "system-release-create": (
        "POST",
        "/api/v1/system/bom-releases/",
        {
            "company": "ACME",
            "bom_type": "manufacturing",
            "release_id": "REL-MATRIX",
            "parent_part_number": "ASM-1",
            "revision": "B",
            "previous_revision": "A",
            "status": "approved_for_production",
            "components": [{"position": "10", "part_number": "PART-00002", "quantity_per": "2"}],
        },
        (403, 403, 201, 404, 401),
    ),
    "system-release-list": ("GET", "/api/v1/system/bom-releases/", None, (403, 403, 200, 200, 401)),
    "system-release-detail": ("GET", "/api/v1/system/bom-releases/{release}/", None, (403, 403, 200, 404, 401)),
    "system-inventory-events": (
        "POST",
        "/api/v1/system/inventory-events/",
        {"company": "ACME", "events": [INVENTORY_EVENT]},
        (403, 403, 200, 404, 401),
    ),
    # The matrix posts JSON: the bulk endpoint takes JSON Lines or CSV only (its own tests send those).
    "system-inventory-bulk": ("POST", "/api/v1/system/inventory-events/bulk/", {}, (403, 403, 415, 415, 401)),
    "system-inventory-snapshot": (
        "POST",
        "/api/v1/system/inventory-snapshots/",
        {
            "company": "ACME",
            "snapshot_id": "SNAP-MATRIX",
            "scope": "partial",
            "sequence": 1,
            "taken_at": "2026-12-03T09:00:00Z",
            "balances": [{"plant": "DET", "part_number": "PART-00001", "quantity": "5"}],
        },
        (403, 403, 200, 404, 401),
    ),
    "system-inventory-balances": (
        "GET",
        "/api/v1/system/inventory-balances/?plant=DET",
        None,
        (403, 403, 200, 200, 401),
    ),
    "system-inventory-history": (
        "GET",
        "/api/v1/system/items/PART-00001/inventory-events/",
        None,
        (403, 403, 200, 200, 401),
    ),
    # GLOBEX's key starts a run of GLOBEX's own stock; ACME's run is not found for it.
    "system-reconciliation-start": (
        "POST",
        "/api/v1/system/inventory-reconciliations/",
        None,
        (403, 403, 202, 202, 401),
    ),
    "system-reconciliation-detail": (
        "GET",
        "/api/v1/system/inventory-reconciliations/{reconciliation}/",
        None,
        (403, 403, 200, 404, 401),
    ),
    "system-demands": (
        "POST",
        "/api/v1/system/demands/",
        {
            "company": "ACME",
            "demands": [
                {
                    "source_id": "D-MATRIX",
                    "kind": "independent",
                    "part_number": "PART-00001",
                    "plant_code": "DET",
                    "quantity": "1",
                    "need_date": "2027-03-01",
                }
            ],
        },
        (403, 403, 200, 404, 401),
    ),
    "system-run-list": ("GET", "/api/v1/system/requirement-runs/", None, (403, 403, 200, 200, 401)),
    "system-run-create": ("POST", "/api/v1/system/requirement-runs/", None, (403, 403, 202, 202, 401)),
    "system-run-detail": ("GET", "/api/v1/system/requirement-runs/{run}/", None, (403, 403, 200, 404, 401)),
    "system-shortages": ("GET", "/api/v1/system/shortages/", None, (403, 403, 200, 200, 401)),
    "system-planned": ("GET", "/api/v1/system/planned-purchases/", None, (403, 403, 200, 200, 401)),
    "system-planned-order": (
        "POST",
        "/api/v1/system/planned-purchases/{planned}/order/",
        {"number": "PO-PLAN-MATRIX"},
        (403, 403, 409, 404, 401),
    ),
    "system-projection": (
        "GET",
        "/api/v1/system/items/PART-00001/projection/?plant=DET",
        None,
        (403, 403, 200, 200, 401),
    ),
    "webhook-list": ("GET", "/api/v1/webhooks/", None, (200, 200, 200, 200, 401)),
    "webhook-create": (
        "POST",
        "/api/v1/webhooks/",
        {"url": "https://hooks.example/new", "events": ["po.published"]},
        (201, 201, 201, 201, 401),
    ),
    "webhook-detail": ("GET", "/api/v1/webhooks/{webhook}/", None, (200, 404, 404, 404, 401)),
    "webhook-delete": ("DELETE", "/api/v1/webhooks/{webhook}/", None, (204, 404, 404, 404, 401)),
    "webhook-rotate": ("POST", "/api/v1/webhooks/{webhook}/rotate-secret/", None, (200, 404, 404, 404, 401)),
    "webhook-enable": ("POST", "/api/v1/webhooks/{webhook}/enable/", None, (200, 404, 404, 404, 401)),
    "webhook-deliveries": ("GET", "/api/v1/webhooks/{webhook}/deliveries/", None, (200, 404, 404, 404, 401)),
    "webhook-redeliver": (
        "POST",
        "/api/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver/",
        None,
        (202, 404, 404, 404, 401),
    ),
    "webhook-redeliver-matching": (
        "POST",
        "/api/v1/webhooks/{webhook}/deliveries/redeliver/",
        {},
        (202, 404, 404, 404, 401),
    ),
}

GUARDED_NAMES = {model.__name__ for model in GUARDED}
WRITES = [name for name, (method, *_rest) in ENDPOINTS.items() if method in ("POST", "DELETE")]
SYSTEM_WRITES = {
    "system-po-create",
    "system-receipt-create",
    "system-item-batch",
    "system-inventory-events",
    "system-inventory-snapshot",
    "system-demands",
}
# System writes whose payload is kept by the materials services rather than as an inbound document.
# And system writes with no payload at all: starting a reconciliation or a requirements run.
SYSTEM_KEY_WRITES = (
    SYSTEM_WRITES
    | {
        "system-release-create",
        "system-inventory-bulk",
        "system-reconciliation-start",
        "system-run-create",
        "system-planned-order",
    }
    | {n for n in ENDPOINTS if n.startswith("system-exception-")}
)


def test_the_matrix_covers_every_route_of_the_api():
    names = ["po", "invoice", "document", "webhook", "erp_webhook", "delivery", "release", "reconciliation"]
    ids = dict.fromkeys([*names, "exception", "run", "planned"], 1)
    covered = {
        resolve(template.format(**ids).partition("?")[0]).route
        for _method, template, _body, _expected in ENDPOINTS.values()
    }

    assert covered == {f"api/{pattern.pattern}" for pattern in urls.urlpatterns}


@pytest.fixture
def world(published_po, company, supplier, owner, system, erp, settings):
    """BOLTS's side of things, made through the API where the API makes them.

    PO-1000 at revision 1; an acknowledgement with a price change (so a document and an exception); an
    invoice on hold; a webhook subscription with a dead delivery; and the ERP's own subscription.
    """
    settings.GATEWAY_OUTBOX_MAX_ATTEMPTS = 1
    webhook = WebhookSubscription.objects.create(
        api_key_kind="supplier", supplier=supplier, url="http://127.0.0.1:9/hooks", events=["po.changed"]
    )
    erp_webhook = WebhookSubscription.objects.create(
        api_key_kind="system",
        system_name="ERP",
        company=company,
        url="http://127.0.0.1:9/erp",
        events=["exception.raised"],
    )
    change = factories.po_input(company="ACME", supplier="BOLTS", plant="DET", revision=1, quantity=120)
    purchase_order_change(po=change, source=erp)
    delivery = OutboundMessage.objects.get(event="po.changed", subscription_ref=webhook.pk)
    # Nothing listens on the discard port: the only attempt fails and the delivery rests in the dead letter.
    assert outbox_message_deliver(message_id=delivery.pk) == "dead"
    assert owner.post("/api/v1/acknowledgements/", price_change_ack()).status_code == 201
    assert owner.post("/api/v1/invoices/", invoice_body()).status_code == 201
    # ACME's ERP has released assembly ASM-1 (of PART-00001) at revision A.
    actor = Actor.for_system(company_ids={company.pk}, label="ERP")
    items = tuple(ItemInput(part_number=n) for n in ("ASM-1", "PART-00001", "PART-00002", "SPARE-1"))
    items_upsert(actor=actor, batch=ItemBatchInput(company_code="ACME", source_system="ERP", items=items))
    assembly = BomReleaseInput(
        company_code="ACME",
        source_system="ERP",
        bom_type="manufacturing",
        release_id="REL-A",
        parent_part_number="ASM-1",
        revision="A",
        previous_revision=None,
        status="approved_for_production",
        components=(BomComponentInput(position="10", part_number="PART-00001", quantity_per=Decimal(1)),),
    )
    release = bom_release_receive(actor=actor, release=assembly, raw=b"{}")
    reconciliation, _ = inventory_reconciliation_request(company_id=company.pk, requested_by="ERP")
    inventory_reconciliation_execute(run_id=reconciliation.pk)
    # A planned run: SPARE-1 is needed and nothing is ordered, so a purchase is planned (no supplier yet).
    demand = DemandInput("D-1", "independent", "SPARE-1", published_po.ship_to.code, Decimal(5), dt.date(2027, 3, 1))
    demands_upsert(actor=actor, batch=DemandBatchInput("ACME", "ERP", (demand,)))
    run = requirements_regenerate(company=company, today=dt.date(2027, 2, 1))
    return {
        "po": published_po.pk,
        "invoice": Invoice.objects.get().pk,
        "document": InboundDocument.objects.get(document_type="acknowledgement").pk,
        "webhook": webhook.pk,
        "erp_webhook": erp_webhook.pk,
        "delivery": delivery.pk,
        "release": release.release_pk,
        "reconciliation": reconciliation.pk,
        "exception": ProcurementException.objects.get(kind="price_deviation").pk,
        "run": run.pk,
        "planned": PlannedPurchase.objects.get().pk,
    }


def snapshot() -> dict:
    """Everything a denied request could touch: row counts, subscriptions as they are, deliveries' states."""
    return {
        "counts": all_counts(),
        "subscriptions": list(WebhookSubscription.objects.order_by("id").values()),
        "deliveries": list(OutboundMessage.objects.order_by("id").values("id", "state", "attempts", "max_attempts")),
    }


def call(api: Api, method: str, path: str, body):
    if method == "GET":
        return api.get(path)
    if method == "DELETE":
        return api.delete(path)
    return api.post(path, body)


def matrix():
    for endpoint in ENDPOINTS:
        for persona in PERSONAS:
            yield pytest.param(endpoint, persona, id=f"{endpoint}-{persona}")


@pytest.mark.parametrize("endpoint, persona", list(matrix()))
def test_every_endpoint_answers_each_persona_exactly(endpoint, persona, world, request):
    method, template, body, expected = ENDPOINTS[endpoint]
    status = expected[PERSONAS.index(persona)]
    api = request.getfixturevalue(persona)
    path = template.format(**world)
    before = snapshot()

    response = call(api, method, path, body)

    assert response.status_code == status, response.content
    if persona == "foreign" and endpoint in SYSTEM_WRITES:
        # Another company's PO or receipt is refused exactly like one for a company that does not exist.
        assert (response.json()["code"], response.json()["detail"]) == (
            "unknown_company",
            "company 'ACME' is not known",
        )
        after = snapshot()
        assert {k: v for k, v in after["counts"].items() if k in GUARDED_NAMES} == {
            k: v for k, v in before["counts"].items() if k in GUARDED_NAMES
        }
        assert (after["subscriptions"], after["deliveries"]) == (before["subscriptions"], before["deliveries"])
        document = InboundDocument.objects.latest("id")
        assert (document.sender, document.state, document.outcome_code) == ("ERP", "refused", "unknown_company")
        missing = api.post(path, {**body, "company": "NOSUCH"})
        assert (missing.status_code, missing.json()["code"]) == (404, "unknown_company")
        return
    if persona == "foreign" and endpoint == "system-release-create":
        # Kept as the sender's own refused release; ACME's history is untouched.
        assert (response.json()["code"], response.json()["detail"]) == (
            "unknown_company",
            "company 'ACME' is not known",
        )
        refused = BomRelease.objects.latest("id")
        assert (refused.company.code, refused.state, refused.source_system) == ("GLOBEX", "refused", "ERP")
        assert BomRelease.objects.filter(company__code="ACME").count() == 1
        return
    if status in (401, 403, 404):
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == status
        assert response.json()["code"] == {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}[status]
        assert snapshot() == before
    if status == 401:
        assert response["WWW-Authenticate"] == "Bearer"
    if status == 404:
        # Another supplier's object and an object that does not exist are indistinguishable.
        missing = call(api, method, template.format(**dict.fromkeys(world, 987654)), body)
        assert (missing.status_code, missing.json()) == (404, response.json())
    if status == 422:
        assert response.json()["code"] == "unknown_po"
        assert (
            response.json()["detail"]
            == {
                "ack-create": "PO-1000 is not known",
                "shipment-create": "ship notice ASN-MATRIX: PO-1000 is not known",
                "invoice-create": "invoice INV-MATRIX: PO-1000 is not known",
            }[endpoint]
        )
        # Stored first, then refused: the payload is on file as NUTS's; nothing else changed.
        after = snapshot()
        assert {k: v for k, v in after["counts"].items() if k in GUARDED_NAMES} == {
            k: v for k, v in before["counts"].items() if k in GUARDED_NAMES
        }
        assert after["counts"]["InboundDocument"] == before["counts"]["InboundDocument"] + 1
        assert (after["subscriptions"], after["deliveries"]) == (before["subscriptions"], before["deliveries"])
        document = InboundDocument.objects.latest("id")
        assert (document.sender, document.state, document.outcome_code) == ("NUTS", "refused", "unknown_po")


def test_owner_lists_hold_exactly_its_own_rows(world, owner):
    assert [po["number"] for po in results(owner.get("/api/v1/purchase-orders/"))] == ["PO-1000"]
    assert [r["revision"] for r in results(owner.get(f"/api/v1/purchase-orders/{world['po']}/revisions/"))] == [0, 1]
    assert [i["invoice_number"] for i in results(owner.get("/api/v1/invoices/"))] == ["INV-1"]
    assert [(d["document_type"], d["state"]) for d in results(owner.get("/api/v1/documents/"))] == [
        ("invoice", "processed"),
        ("acknowledgement", "processed"),
    ]
    assert sorted(e["kind"] for e in results(owner.get("/api/v1/exceptions/"))) == [
        "invoice_quantity_mismatch",
        "price_deviation",
    ]
    assert [w["id"] for w in results(owner.get("/api/v1/webhooks/"))] == [world["webhook"]]
    assert [d["id"] for d in results(owner.get(f"/api/v1/webhooks/{world['webhook']}/deliveries/"))] == [
        world["delivery"]
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/purchase-orders/",
        "/api/v1/invoices/",
        "/api/v1/documents/",
        "/api/v1/exceptions/",
        "/api/v1/webhooks/",
    ],
)
def test_another_supplier_gets_an_empty_list(world, outsider, path):
    response = outsider.get(path)

    assert response.status_code == 200
    assert results(response) == []


@pytest.mark.parametrize("path", ["/api/v1/system/exceptions/", "/api/v1/system/purchase-orders/", "/api/v1/webhooks/"])
def test_another_companys_system_gets_an_empty_list(world, foreign, path):
    response = foreign.get(path)

    assert response.status_code == 200
    assert results(response) == []


def test_the_system_sees_every_exception_and_only_its_own_webhooks(world, system):
    exceptions = results(system.get("/api/v1/system/exceptions/"))
    webhooks = results(system.get("/api/v1/webhooks/"))

    assert sorted((e["kind"], e["supplier"]) for e in exceptions) == [
        ("invoice_quantity_mismatch", "BOLTS"),
        ("price_deviation", "BOLTS"),
    ]
    assert [w["id"] for w in webhooks] == [world["erp_webhook"]]


@pytest.mark.parametrize("persona", ["owner", "outsider"])
@pytest.mark.parametrize(
    "method, template",
    [
        ("GET", "/api/v1/webhooks/{erp_webhook}/"),
        ("DELETE", "/api/v1/webhooks/{erp_webhook}/"),
        ("POST", "/api/v1/webhooks/{erp_webhook}/rotate-secret/"),
        ("POST", "/api/v1/webhooks/{erp_webhook}/enable/"),
        ("GET", "/api/v1/webhooks/{erp_webhook}/deliveries/"),
    ],
)
def test_suppliers_cannot_reach_the_systems_webhooks(world, persona, method, template, request):
    api = request.getfixturevalue(persona)
    before = snapshot()

    response = call(api, method, template.format(**world), None)

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", WRITES)
def test_a_read_only_key_may_not_write(endpoint, world, owner_reader, system_reader):
    method, template, body, _expected = ENDPOINTS[endpoint]
    api = system_reader if endpoint in SYSTEM_KEY_WRITES else owner_reader
    before = snapshot()

    response = call(api, method, template.format(**world), body)

    assert response.status_code == 403
    assert response.json()["detail"] == "This API key may only read."
    assert response.json()["code"] == "permission_denied"
    assert snapshot() == before


@pytest.mark.parametrize(
    "path",
    ["/api/v1/purchase-orders/", "/api/v1/purchase-orders/{po}/revisions/", "/api/v1/documents/", "/api/v1/webhooks/"],
)
def test_a_read_only_key_reads(world, owner_reader, path):
    assert owner_reader.get(path.format(**world)).status_code == 200


def test_created_webhooks_belong_to_the_caller(world, outsider, system, other_supplier):
    by_nuts = outsider.post("/api/v1/webhooks/", {"url": "https://nuts.example/h", "events": ["po.published"]})
    by_erp = system.post("/api/v1/webhooks/", {"url": "https://erp.example/h", "events": ["po.published"]})

    nuts = WebhookSubscription.objects.get(pk=by_nuts.json()["id"])
    erp = WebhookSubscription.objects.get(pk=by_erp.json()["id"])
    assert (nuts.api_key_kind, nuts.supplier, nuts.system_name) == ("supplier", other_supplier, "")
    assert (erp.api_key_kind, erp.supplier, erp.system_name, erp.company.code) == ("system", None, "ERP", "ACME")


def test_a_systems_webhooks_hear_only_the_events_of_its_own_company(
    published_po, company, foreign_company, supplier, owner, system, erp, settings
):
    """PO, document and exception events of ACME reach ACME's ERP subscription, never GLOBEX's, though
    GLOBEX buys from BOLTS too; and a system hears of the documents it sent itself."""
    factories.PlantFactory(company=foreign_company, code="SPR")
    globex_po = factories.po_input(company="GLOBEX", supplier="BOLTS", plant="SPR", number="PO-7000")
    assert purchase_order_publish(po=globex_po, source=erp).outcome == "applied"
    events = ["po.changed", "document.processed", "exception.raised"]
    acme = WebhookSubscription.objects.create(
        api_key_kind="system", system_name="ERP", company=company, url="https://erp.acme.example/h", events=events
    )
    globex = WebhookSubscription.objects.create(
        api_key_kind="system",
        system_name="ERP",
        company=foreign_company,
        url="https://erp.globex.example/h",
        events=events,
    )
    purchase_order_change(
        po=factories.po_input(company="ACME", supplier="BOLTS", plant="DET", revision=1, quantity=120), source=erp
    )
    assert owner.post("/api/v1/acknowledgements/", price_change_ack()).status_code == 201
    assert system.post("/api/v1/system/receipts/", receipt_body("GR-ISO")).status_code == 201

    heard = OutboundMessage.objects.filter(kind="http").values_list("subscription_ref", "event", "payload")
    assert sorted((ref, event) for ref, event, _payload in heard) == sorted(
        [(acme.pk, event) for event in events] + [(acme.pk, "document.processed")]
    )
    documents = [p["document_type"] for ref, event, p in heard if event == "document.processed"]
    assert sorted(documents) == ["acknowledgement", "receipt"]
    assert globex.pk not in {ref for ref, _event, _payload in heard}
    ack = InboundDocument.objects.get(document_type="acknowledgement")
    receipt = InboundDocument.objects.get(document_type="receipt")
    assert (ack.company, receipt.company) == (company, company)
