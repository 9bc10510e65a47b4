"""One error shape: RFC 9457 problem details, with field paths for validation errors."""

import pytest

from api.throttling import ApiKeyRateThrottle
from procurement.models import Acknowledgement, InboundDocument

from .conftest import ack_body

ACKS = "/api/v1/acknowledgements/"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def problem(response) -> dict:
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == response.status_code
    assert body["type"] == "https://gateway.example/problems/" + body["code"].replace("_", "-")
    return body


def test_validation_errors_name_each_field_by_its_path(owner, published_po):
    body = ack_body(
        lines=[
            {"line_no": "1", "response": "ACCEPT", "quantity": "-1"},
            {"line_no": "2"},
            {"line_no": "3", "response": "MAYBE"},
        ]
    )
    del body["po_number"]

    response = owner.post(ACKS, body)

    assert response.status_code == 400
    assert problem(response) == {
        "type": "https://gateway.example/problems/invalid",
        "title": "Invalid request",
        "status": 400,
        "detail": "The request body or parameters are not valid.",
        "code": "invalid",
        "errors": [
            {"field": "po_number", "message": "This field is required.", "code": "required"},
            {
                "field": "lines[0].quantity",
                "message": "Ensure this value is greater than or equal to 0.",
                "code": "min_value",
            },
            {"field": "lines[1].response", "message": "This field is required.", "code": "required"},
            {"field": "lines[2].response", "message": '"MAYBE" is not a valid choice.', "code": "invalid_choice"},
        ],
    }
    assert Acknowledgement.objects.count() == 0


def test_list_items_and_whole_list_errors_have_their_own_paths(owner, published_po):
    response = owner.post(
        "/api/v1/shipments/",
        {"shipment_id": "ASN-1", "ship_date": "20 Feb", "packs": ["123456789012345678", "12"], "lines": []},
    )

    assert response.status_code == 400
    assert problem(response)["errors"] == [
        {
            "field": "ship_date",
            "message": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
            "code": "invalid",
        },
        {"field": "packs[1]", "message": "This value does not match the required pattern.", "code": "invalid"},
        {"field": "lines", "message": "Ensure this field has at least 1 elements.", "code": "min_length"},
    ]


def test_a_body_that_is_not_an_object_is_a_validation_error_without_a_field(owner, published_po):
    response = owner.post(ACKS, raw=b"[1, 2]")

    assert response.status_code == 400
    assert problem(response)["errors"] == [
        {"field": None, "message": "Invalid data. Expected a dictionary, but got list.", "code": "invalid"}
    ]


def test_malformed_json_and_wrong_content_type(owner, published_po):
    malformed = owner.post(ACKS, raw=b'{"document_id": ')
    wrong_type = owner.post(ACKS, raw=b"document_id=ACK-1", content_type="application/x-www-form-urlencoded")

    assert malformed.status_code == 400
    assert problem(malformed)["code"] == "parse_error"
    assert problem(malformed)["detail"].startswith("JSON parse error - ")
    assert wrong_type.status_code == 415
    assert problem(wrong_type) == {
        "type": "https://gateway.example/problems/unsupported-media-type",
        "title": "Unsupported Media Type",
        "status": 415,
        "detail": 'Unsupported media type "application/x-www-form-urlencoded" in request.',
        "code": "unsupported_media_type",
    }


def test_an_unknown_method_is_405(owner):
    response = owner.client.put(ACKS, {}, format="json", headers={"Authorization": f"Bearer {owner.secret}"})

    assert response.status_code == 405
    assert problem(response)["detail"] == 'Method "PUT" not allowed.'
    assert response["Allow"] == "POST, OPTIONS"


@pytest.mark.parametrize(
    "authorization, detail, code",
    [
        (None, "Authentication credentials were not provided.", "not_authenticated"),
        ("Bearer gw_0000_notakey", "The API key is not valid, has expired or was revoked.", "authentication_failed"),
        (
            "Bearer not-even-shaped-like-a-key",
            "The API key is not valid, has expired or was revoked.",
            "authentication_failed",
        ),
        ("Token abc", "Use 'Authorization: Bearer <API key>'.", "authentication_failed"),
        ("Bearer", "Use 'Authorization: Bearer <API key>'.", "authentication_failed"),
    ],
)
def test_401_says_how_to_authenticate(anonymous, authorization, detail, code):
    headers = {"Authorization": authorization} if authorization else {}

    response = anonymous.get("/api/v1/purchase-orders/", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert problem(response) == {
        "type": "https://gateway.example/problems/" + code.replace("_", "-"),
        "title": "Unauthorized",
        "status": 401,
        "detail": detail,
        "code": code,
    }


def test_403_for_the_wrong_kind_of_key(system, owner):
    supplier_only = system.get("/api/v1/purchase-orders/")
    system_only = owner.post("/api/v1/system/receipts/", {})

    assert (supplier_only.status_code, problem(supplier_only)["detail"]) == (
        403,
        "This endpoint is for supplier API keys.",
    )
    assert (system_only.status_code, problem(system_only)["detail"]) == (
        403,
        "This endpoint is for system API keys (ERP, WMS, MES).",
    )


def test_404_for_a_missing_object(owner):
    response = owner.get("/api/v1/purchase-orders/424242/")

    assert response.status_code == 404
    assert problem(response) == {
        "type": "https://gateway.example/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "Not found.",
        "code": "not_found",
    }


def test_429_with_retry_after_once_a_key_spends_its_rate(owner, outsider, monkeypatch):
    # DRF reads the rates into the throttle class when it is imported, so overriding
    # settings.REST_FRAMEWORK has no effect on it; the class attribute is what counts.
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "2/min"})
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", staticmethod(lambda: 1_000_010.0))  # 10 s before a minute ends

    answers = [owner.get("/api/v1/purchase-orders/").status_code for _ in range(3)]
    throttled = owner.get("/api/v1/purchase-orders/")
    other_key = outsider.get("/api/v1/purchase-orders/")

    assert answers == [200, 200, 429]
    assert throttled.status_code == 429
    body = problem(throttled)
    assert (body["code"], body["title"]) == ("rate_limited", "Too many requests")
    assert body["detail"].startswith("Request was throttled. Expected available in ")
    assert throttled["Retry-After"] == "10"
    # The limit is per key: another key is not held back.
    assert other_key.status_code == 200


def test_a_throttled_post_stores_nothing(owner, published_po, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "1/min"})
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", staticmethod(lambda: 1_000_010.0))

    first = owner.post(ACKS, ack_body("ACK-1"))
    second = owner.post(ACKS, ack_body("ACK-2"))

    assert (first.status_code, second.status_code) == (201, 429)
    assert list(InboundDocument.objects.values_list("state", flat=True)) == ["processed"]
    assert list(Acknowledgement.objects.values_list("document_id", flat=True)) == ["ACK-1"]
