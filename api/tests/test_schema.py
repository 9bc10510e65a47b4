"""The OpenAPI schema describes every route, every POST's Idempotency-Key, and the errors the API gives."""

import pytest
from django.urls import get_resolver

from api import urls

from .conftest import ack_body, results


@pytest.fixture
def schema(anonymous):
    response = anonymous.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi+json"
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_api_route_is_in_the_schema(schema):
    routes = {
        "/api/"
        + str(p.pattern).replace("<int:pk>", "{id}").replace("<int:", "{").replace("<str:", "{").replace(">", "}")
        for p in urls.urlpatterns
    }
    documented = set(schema["paths"])

    assert schema["openapi"] == "3.0.3"
    assert routes - {"/api/schema/", "/api/docs/"} == documented
    assert get_resolver().resolve("/api/v1/purchase-orders/1/").func.view_class.__name__ == "PurchaseOrderDetail"


def test_every_post_requires_an_idempotency_key_and_an_api_key(schema):
    posts = [(path, op) for path, method, op in operations(schema) if method == "post"]

    assert len(posts) == 24
    for path, operation in posts:
        (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
        assert (header["name"], header["required"]) == ("Idempotency-Key", True), path
        assert operation["security"] == [{"ApiKey": []}], path
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "gw_<prefix>_<secret>",
        "description": "An API key issued by the buyer: a supplier key or a system key.",
    }


def test_errors_are_documented_as_problem_json(schema):
    documented = {
        (path, method, status): list(response.get("content", {}))
        for path, method, operation in operations(schema)
        for status, response in operation["responses"].items()
        if int(status) >= 400
    }

    assert len(documented) > 100
    assert {key: media for key, media in documented.items() if media != ["application/problem+json"]} == {}


def test_webhook_detail_documents_its_errors(schema):
    item = schema["paths"]["/api/v1/webhooks/{id}/"]

    assert {"401", "404"} <= set(item["get"]["responses"])
    assert {"401", "404"} <= set(item["delete"]["responses"])


def test_exception_fields_the_api_sends_as_null_are_nullable(schema, owner, published_po):
    owner.post("/api/v1/acknowledgements/", ack_body(po_number="PO-9999"))
    (refusal,) = results(owner.get("/api/v1/exceptions/"))
    assert (refusal["kind"], refusal["po_number"], refusal["line_no"]) == ("unknown_po", None, None)

    properties = schema["components"]["schemas"]["ExceptionForSupplierOut"]["properties"]

    assert properties["po_number"].get("nullable") is True
    assert properties["line_no"].get("nullable") is True


def test_an_unmatched_api_path_is_a_problem_too(owner):
    response = owner.get("/api/v1/purchase-orders/-1/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://gateway.example/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "No API resource at /api/v1/purchase-orders/-1/.",
        "code": "not_found",
    }


def test_the_system_exception_queue_says_an_exception_may_have_no_supplier(schema):
    """A refused publish from the buyer's own systems raises an exception no supplier caused."""
    assert schema["components"]["schemas"]["ExceptionOut"]["properties"]["supplier"].get("nullable") is True
