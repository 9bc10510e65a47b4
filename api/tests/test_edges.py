"""Inputs at the edges of what the serializers accept: an answer in the problem shape, never a 5xx."""

import pytest

from .conftest import invoice_body, po_body, shipment_body

MAX_QUANTITY = "999999999999.9999"  # the largest quantity ShipmentLineIn / InvoiceLineIn accept (16 digits, 4 places)


@pytest.fixture
def lenient(owner, system):
    """Let a server error come back as a 500 response instead of being raised into the test."""
    owner.client.raise_request_exception = False
    system.client.raise_request_exception = False


@pytest.mark.parametrize(
    "persona, path, param",
    [
        ("owner", "/api/v1/purchase-orders/", "plant"),
        ("owner", "/api/v1/purchase-orders/", "number"),
        ("system", "/api/v1/system/exceptions/", "state"),
        ("system", "/api/v1/system/exceptions/", "severity"),
    ],
)
def test_a_nul_character_in_a_filter_is_the_clients_error(published_po, lenient, request, persona, path, param):
    # PostgreSQL cannot compare text holding NUL: it must be refused before it reaches the database.
    response = request.getfixturevalue(persona).get(path, {param: "PO\x00"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://gateway.example/problems/invalid",
        "title": "Invalid request",
        "status": 400,
        "detail": f"query parameter {param!r} holds a NUL character",
        "code": "invalid",
    }


def test_a_revision_beyond_the_column_range_is_a_validation_error(published_po, system, lenient):
    response = system.post("/api/v1/system/purchase-orders/", po_body("PO-2000", revision=2**31))

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "revision"


def test_shipped_quantities_that_overflow_the_line_are_refused(published_po, owner, lenient):
    first = owner.post("/api/v1/shipments/", shipment_body("ASN-1", quantity=MAX_QUANTITY))
    second = owner.post("/api/v1/shipments/", shipment_body("ASN-2", quantity=MAX_QUANTITY))
    po = owner.get(f"/api/v1/purchase-orders/{published_po.pk}/")

    assert first.status_code == 201
    assert second.status_code in (400, 422)
    assert second["Content-Type"] == "application/problem+json"
    assert po.status_code == 200


def test_an_invoice_whose_amount_overflows_is_refused(published_po, owner, lenient):
    body = invoice_body(quantity="99999999999999")
    body["lines"][0]["unit_price"] = "999999"

    response = owner.post("/api/v1/invoices/", body)
    listed = owner.get("/api/v1/invoices/")

    assert response.status_code in (400, 422)
    assert listed.status_code == 200
