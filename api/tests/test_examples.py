"""The schema's examples are real: their requests, sent in order, get exactly the answers the examples show.

The examples are read from the served schema, so what a reader of /api/docs/ sees is what is tested.
Ids, instants, hashes and secrets differ from run to run; every other value must be equal.
"""

import pytest
from django.utils import timezone

from notifications.models import OutboundMessage
from procurement import factories

from .conftest import results

VOLATILE = {
    "id",
    "document",
    "record",
    "raised_at",
    "resolved_at",
    "published_at",
    "updated_at",
    "created_at",
    "received_at",
    "processed_at",
    "due_at",
    "next_attempt_at",
    "delivered_at",
    "correlation_id",
    "sha256",
    "size",
    "signing_secret",
    "applied_at",
    "release",
    "against",
}


def steady(value):
    """``value`` with the volatile fields blanked; a null stays null, so "not resolved yet" is still compared."""
    if isinstance(value, dict):
        return {k: (None if v is None else "~") if k in VOLATILE else steady(v) for k, v in value.items()}
    if isinstance(value, list):
        return [steady(v) for v in value]
    return value


@pytest.fixture
def schema(anonymous):
    return anonymous.get("/api/schema/", {"format": "json"}).json()


def request_example(schema, path: str) -> dict:
    content = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    (example,) = content["examples"].values()
    return example["value"]


def response_example(schema, path: str, method: str = "get", code: str = "200"):
    """The example answer; for a list, its first item (the schema wraps an item in a page or a list)."""
    content = schema["paths"][path][method]["responses"][code]["content"]["application/json"]
    (example,) = content["examples"].values()
    value = example["value"]
    if isinstance(value, dict) and "results" in value:
        return value["results"][0]
    return value[0] if isinstance(value, list) else value


def test_every_operation_has_examples(schema):
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and not body.get("examples"):
                missing.append((method, path, "request"))
            answers = [
                content
                for code, response in operation["responses"].items()
                if code.startswith("2")
                for content in response.get("content", {}).values()
            ]
            if answers and not any(content.get("examples") for content in answers):
                missing.append((method, path, "response"))

    assert missing == []


def test_the_story_told_by_the_examples_is_what_the_api_answers(schema, system, owner, company, plant, supplier):
    factories.BuyerFactory(username="jmiller")
    v1 = "/api/v1/"

    def post(client, path: str, body=None, code: str = "201"):
        response = client.post(v1 + path, request_example(schema, v1 + path) if body is None else body)
        assert response.status_code == int(code), response.content
        return response.json()

    def answers(path: str, got, method: str = "get", code: str = "200", template: str | None = None) -> None:
        assert steady(got) == steady(response_example(schema, v1 + (template or path), method, code)), path

    webhook = post(owner, "webhooks/")
    answers("webhooks/", webhook, "post", "201")
    order = request_example(schema, v1 + "system/purchase-orders/")
    answers("system/purchase-orders/", post(system, "system/purchase-orders/"), "post", "201")
    # The ship notice spans a second PO of BOLTS.
    post(system, "system/purchase-orders/", order | {"number": "PO-4517", "notes": "", "lines": [order["lines"][0]]})

    answers("acknowledgements/", post(owner, "acknowledgements/"), "post", "201")
    answers("shipments/", post(owner, "shipments/"), "post", "201")
    invoice = post(owner, "invoices/")
    answers("invoices/", invoice, "post", "201")

    # Before the goods arrive: the invoice is held, and each reader says why.
    answers("invoices/", results(owner.get(v1 + "invoices/"))[0])
    held = owner.get(f"{v1}invoices/{invoice['record']}/").json()
    answers(f"invoices/{invoice['record']}/", held, template="invoices/{id}/")
    documents = results(owner.get(v1 + "documents/"))
    answers("documents/", documents[0])
    document = owner.get(f"{v1}documents/{documents[0]['id']}/").json()
    answers(f"documents/{documents[0]['id']}/", document, template="documents/{id}/")
    shown = response_example(schema, v1 + "exceptions/")
    answers("exceptions/", next(e for e in results(owner.get(v1 + "exceptions/")) if e["kind"] == shown["kind"]))
    queued = response_example(schema, v1 + "system/exceptions/")
    in_queue = results(system.get(v1 + "system/exceptions/"))
    answers("system/exceptions/", next(e for e in in_queue if e["kind"] == queued["kind"]))

    answers("system/receipts/", post(system, "system/receipts/"), "post", "201")
    (po,) = results(owner.get(v1 + "purchase-orders/", {"number": "PO-4502"}))
    answers("purchase-orders/", po)
    answers(
        f"purchase-orders/{po['id']}/",
        owner.get(f"{v1}purchase-orders/{po['id']}/").json(),
        template="purchase-orders/{id}/",
    )

    # Revision 1: the buyer cuts line 2 from 500 to 450.
    lines = [order["lines"][0], order["lines"][1] | {"quantity": "450"}, order["lines"][2]]
    post(system, "system/purchase-orders/", order | {"revision": 1, "lines": lines})
    revisions = owner.get(f"{v1}purchase-orders/{po['id']}/revisions/").json()
    assert [r["revision"] for r in revisions] == [0, 1]
    answers(f"purchase-orders/{po['id']}/revisions/", revisions[-1], template="purchase-orders/{id}/revisions/")
    revision = owner.get(f"{v1}purchase-orders/{po['id']}/revisions/1/").json()
    answers(f"purchase-orders/{po['id']}/revisions/1/", revision, template="purchase-orders/{id}/revisions/{revision}/")

    hook = f"webhooks/{webhook['id']}/"
    answers("webhooks/", owner.get(v1 + "webhooks/").json()[0])
    answers(hook, owner.get(v1 + hook).json(), template="webhooks/{id}/")
    answers(hook + "enable/", post(owner, hook + "enable/", {}, "200"), "post", template="webhooks/{id}/enable/")
    rotated = post(owner, hook + "rotate-secret/", {}, "200")
    answers(hook + "rotate-secret/", rotated, "post", template="webhooks/{id}/rotate-secret/")
    # Deliveries are only queued here (no receiver runs), so their fields are compared, not their values.
    shown = response_example(schema, v1 + "webhooks/{id}/deliveries/")
    deliveries = results(owner.get(v1 + hook + "deliveries/"))
    # One exception.raised per document that raised any: the acknowledgement, the ship notice, the invoice.
    assert [d["event"] for d in deliveries] == [
        "po.changed",
        "exception.raised",
        "exception.raised",
        "exception.raised",
        "po.published",
        "po.published",
    ]
    assert set(deliveries[0]) == set(shown)
    # The outage replay example names a window of its own; the answer has its fields.
    template = v1 + "webhooks/{id}/deliveries/redeliver/"
    replay = post(owner, hook + "deliveries/redeliver/", request_example(schema, template), "202")
    assert replay == {"redelivered": [], "remaining": 0}
    assert set(replay) == set(response_example(schema, template, "post", "202"))
    # Only a delivered or dead message is sent again: let the first one have been delivered.
    OutboundMessage.objects.filter(pk=deliveries[-1]["id"]).update(state="delivered", delivered_at=timezone.now())
    again = post(owner, f"{hook}deliveries/{deliveries[-1]['id']}/redeliver/", {}, "202")
    assert set(again) == set(
        response_example(schema, v1 + "webhooks/{id}/deliveries/{delivery_id}/redeliver/", "post", "202")
    )
