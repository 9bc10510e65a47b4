"""The list filters' edges: empty values, several bad parameters at once, repeated parameters, instants,
identifiers compared as sent, and the schema describing every filter."""

import datetime as dt

import pytest

from api.filters import PurchaseOrderFilter
from procurement import factories, inputs
from procurement.models import ProcurementException, PurchaseOrder
from procurement.selectors import LINE_STATUS_CONDITIONS

from .conftest import price_change_ack, results

POS = "/api/v1/purchase-orders/"
STATES = "open, in_progress, resolved, dismissed"
INSTANT_FORMATS = "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]"


@pytest.fixture
def two_orders(published_po, system):
    """PO-1000 (as published) and PO-1001, both BOLTS's at DET."""
    body = inputs.canonical_json(factories.po_input(company="ACME", supplier="BOLTS", plant="DET", number="PO-1001"))
    assert system.post("/api/v1/system/purchase-orders/", body).status_code == 201


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(po["number"] for po in results(response))


def errors(response) -> list[dict]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["errors"]


def test_an_empty_status_value_is_refused_naming_the_choices(two_orders, owner):
    response = owner.get(POS, {"ack": ""})

    assert response.json() == {
        "type": "https://gateway.example/problems/invalid",
        "title": "Invalid request",
        "status": 400,
        "detail": "The request body or parameters are not valid.",
        "code": "invalid",
        "errors": [
            {
                "field": "ack",
                "message": f"must be one of {', '.join(LINE_STATUS_CONDITIONS['ack'])}",
                "code": "invalid",
            }
        ],
    }


def test_empty_plant_number_and_updated_since_are_no_filter(two_orders, owner):
    assert numbers(owner.get(POS, {"plant": "", "number": "", "updated_since": ""})) == ["PO-1000", "PO-1001"]


def test_identifiers_are_compared_as_sent(two_orders, owner):
    assert numbers(owner.get(POS, {"plant": " DET"})) == []
    assert numbers(owner.get(POS, {"number": "PO-1001 "})) == []
    assert numbers(owner.get(POS, {"number": "PO-1001"})) == ["PO-1001"]


def test_only_the_first_invalid_parameter_is_reported(two_orders, owner):
    both = owner.get(POS, {"ship": "sunk", "ack": "maybe", "updated_since": "soon"})
    late = owner.get(POS, {"updated_since": "soon", "match": "perfect"})

    assert [e["field"] for e in errors(both)] == ["ack"]
    assert [e["field"] for e in errors(late)] == ["match"]


def test_a_repeated_parameter_filters_by_its_last_value(two_orders, owner):
    assert numbers(owner.get(f"{POS}?ack=sunk&ack=awaiting")) == ["PO-1000", "PO-1001"]
    assert [e["field"] for e in errors(owner.get(f"{POS}?ack=awaiting&ack=sunk"))] == ["ack"]


@pytest.mark.parametrize(
    ("value", "message", "code"),
    [
        ("yesterday", f"Datetime has wrong format. Use one of these formats instead: {INSTANT_FORMATS}.", "invalid"),
        (
            "2027-02-30T00:00:00Z",
            f"Datetime has wrong format. Use one of these formats instead: {INSTANT_FORMATS}.",
            "invalid",
        ),
    ],
)
def test_an_invalid_instant_says_which_formats_are_read(two_orders, owner, value, message, code):
    assert errors(owner.get(POS, {"updated_since": value})) == [
        {"field": "updated_since", "message": message, "code": code}
    ]


def test_updated_since_reads_offsets_and_plain_dates(two_orders, owner):
    base = dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC)
    PurchaseOrder.objects.filter(number="PO-1000").update(updated_at=base)
    PurchaseOrder.objects.filter(number="PO-1001").update(updated_at=base + dt.timedelta(days=2))

    assert numbers(owner.get(POS, {"updated_since": "2027-01-10T13:00:00+01:00"})) == ["PO-1000", "PO-1001"]
    assert numbers(owner.get(POS, {"updated_since": "2027-01-10T12:00:01Z"})) == ["PO-1001"]
    assert numbers(owner.get(POS, {"updated_since": "2027-01-11"})) == ["PO-1001"]


def test_an_empty_state_or_severity_is_no_filter(published_po, owner, system):
    owner.post("/api/v1/acknowledgements/", price_change_ack())

    assert [e["kind"] for e in results(owner.get("/api/v1/exceptions/", {"state": ""}))] == ["price_deviation"]
    queue = system.get("/api/v1/system/exceptions/", {"state": "", "severity": ""})
    assert [e["kind"] for e in results(queue)] == ["price_deviation"]


def test_the_queue_reports_state_before_severity(published_po, system):
    response = system.get("/api/v1/system/exceptions/", {"severity": "urgent", "state": "urgent"})

    assert errors(response) == [{"field": "state", "message": f"must be one of {STATES}", "code": "invalid"}]


def test_every_line_status_dimension_is_a_filter():
    assert list(PurchaseOrderFilter.base_filters) == [
        *LINE_STATUS_CONDITIONS,
        "plant",
        "number",
        "updated_since",
    ]


def query_parameters(schema: dict, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}


def test_the_schema_describes_each_filter(anonymous):
    schema = anonymous.get("/api/schema/", {"format": "json"}).json()

    orders = query_parameters(schema, POS)
    assert set(orders) == {*LINE_STATUS_CONDITIONS, "plant", "number", "updated_since", "cursor", "page_size"}
    for dimension, values in LINE_STATUS_CONDITIONS.items():
        assert orders[dimension] == {
            "in": "query",
            "name": dimension,
            "schema": {"type": "string", "enum": sorted(values)},
            "description": f"POs with a line whose {dimension} status is this",
        }
    assert orders["updated_since"] == {
        "in": "query",
        "name": "updated_since",
        "schema": {"type": "string", "format": "date-time"},
        "description": "Changed at or after this instant",
    }
    assert orders["plant"]["schema"] == {"type": "string"}
    queue = query_parameters(schema, "/api/v1/system/exceptions/")
    assert set(queue) == {"state", "severity", "cursor", "page_size"}
    assert queue["severity"]["schema"]["enum"] == sorted(ProcurementException.Severity.values)
    assert set(query_parameters(schema, "/api/v1/exceptions/")) == {"state", "cursor", "page_size"}
