"""Every error under /api/ is problem details: the framework's own refusals, oversized bodies and
our own failures included, never Django's HTML pages."""

import pytest
from django.db import IntegrityError, OperationalError
from django.test import Client

from api.models import IdempotencyRecord, WebhookSubscription
from api.views import purchase_orders
from procurement.models import InboundDocument

from .conftest import ack_body
from .test_problems import problem

POS = "/api/v1/purchase-orders/"
HOOKS = "/api/v1/webhooks/"
HOOK = {"url": "https://erp.bolts.example/hooks", "events": ["po.published"]}


@pytest.fixture
def failing_selector(monkeypatch):
    def fail_with(error: Exception) -> None:
        def broken(**kwargs):
            raise error

        monkeypatch.setattr(purchase_orders.selectors, "purchase_orders_for", broken)

    return fail_with


def test_an_unexpected_error_is_a_500_problem_that_gives_nothing_away(owner, failing_selector, caplog):
    failing_selector(RuntimeError("secret detail of the failure"))

    response = owner.get(POS)

    assert response.status_code == 500
    assert problem(response)["code"] == "internal_error"
    assert b"secret detail" not in response.content
    assert "API request failed with an unexpected error" in caplog.text


def test_a_database_that_is_down_is_a_503_problem_to_retry(owner, failing_selector):
    failing_selector(OperationalError("connection refused"))

    response = owner.get(POS)

    assert response.status_code == 503
    assert problem(response)["code"] == "unavailable"
    assert response["Retry-After"] == "30"


def test_a_database_error_of_our_own_making_is_a_500_not_a_503(owner, failing_selector):
    failing_selector(IntegrityError("duplicate key value violates unique constraint"))

    response = owner.get(POS)

    assert response.status_code == 500
    assert problem(response)["code"] == "internal_error"
    assert "Retry-After" not in response


def test_an_error_outside_the_views_is_a_500_problem_too(owner_key, monkeypatch):
    def broken(self, request):
        raise RuntimeError("a middleware failed")

    monkeypatch.setattr("api.middleware.ApiInputMiddleware.__call__", broken)
    client = Client(raise_request_exception=False)

    response = client.get(POS, headers={"Authorization": f"Bearer {owner_key[1]}"})
    page = client.get("/admin/login/")

    assert response.status_code == 500
    assert problem(response)["code"] == "internal_error"
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")


def test_a_host_not_allowed_is_a_400_problem(owner):
    response = owner.get(POS, headers={"Host": "evil.example"})

    assert response.status_code == 400
    assert problem(response)["code"] == "bad_request"


@pytest.mark.parametrize("debug", [False, True])  # True: make run, where Django has its HTML debug page
def test_an_unknown_api_url_is_a_404_problem(debug, settings):
    settings.DEBUG = debug

    response = Client().get("/api/v1/does-not-exist/")

    assert (response.status_code, response["Content-Type"]) == (404, "application/problem+json")
    assert response.json() == {
        "type": "https://gateway.example/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "No API resource at /api/v1/does-not-exist/.",
        "code": "not_found",
    }


def test_outside_the_api_an_unknown_url_keeps_djangos_debug_page(settings):
    settings.DEBUG = True

    response = Client().get("/portal/does-not-exist/")

    assert (response.status_code, response["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert b"Using the URLconf defined in <code>gateway.urls</code>" in response.content


def test_malformed_json_is_a_400_problem(owner, published_po):
    response = owner.post("/api/v1/acknowledgements/", raw=b'{"document_id": ')

    assert response.status_code == 400
    assert problem(response)["code"] == "parse_error"


def test_malformed_json_to_the_webhooks_is_a_400_problem(owner):
    response = owner.post(HOOKS, raw=b"{not json")

    assert response.status_code == 400
    assert problem(response)["code"] == "parse_error"
    assert WebhookSubscription.objects.count() == 0


def test_an_unsupported_media_type_is_a_415_problem(owner):
    response = owner.post(HOOKS, raw=b"url=https://x.example", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert problem(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "path",
    [
        HOOKS,
        HOOKS + "1/rotate-secret/",
        HOOKS + "1/enable/",
        HOOKS + "1/deliveries/redeliver/",
        HOOKS + "1/deliveries/1/redeliver/",
    ],
)
def test_a_webhook_body_over_the_limit_is_a_413_problem_and_not_read(owner, settings, path):
    settings.GATEWAY_INBOUND_MAX_BYTES = 100
    body = b'{"url": "https://erp.bolts.example/hooks", "events": ["po.published"], "pad": "' + b"x" * 200 + b'"}'

    response = owner.post(path, raw=body)

    assert response.status_code == 413
    assert problem(response)["code"] == "too_large"
    assert (WebhookSubscription.objects.count(), IdempotencyRecord.objects.count()) == (0, 0)


def test_a_body_larger_than_django_reads_is_a_413_problem(owner, published_po, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50
    hook = owner.post(HOOKS, HOOK)  # over Django's own limit, under the API's

    assert hook.status_code == 413
    assert problem(hook)["code"] == "too_large"
    assert WebhookSubscription.objects.count() == 0


def test_the_idempotency_key_is_bounded_in_the_schema_as_enforced(owner, published_po):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/acknowledgements/"]["post"]["parameters"]
    key = next(p for p in parameters if p["name"] == "Idempotency-Key")
    refused = owner.post("/api/v1/acknowledgements/", ack_body(), key="caf\u00e9")

    assert key["schema"] == {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"}
    assert refused.status_code == 400
    assert problem(refused)["code"] == "idempotency_key_invalid"
    assert InboundDocument.objects.count() == 0


@pytest.mark.parametrize("size", ["0", "201", "ten", "-1", "2.5", "²", "9" * 5000])
def test_a_page_size_out_of_range_or_not_a_number_is_a_400_problem(owner, size):
    response = owner.get(POS, {"page_size": size})

    assert response.status_code == 400
    assert problem(response)["errors"] == [
        {"field": "page_size", "message": "Must be a whole number from 1 to 200.", "code": "invalid"}
    ]


def test_page_size_is_bounded_in_the_schema(owner):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"][POS]["get"]["parameters"]

    assert next(p for p in parameters if p["name"] == "page_size")["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 200,
    }
