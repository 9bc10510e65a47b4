"""/metrics: a bearer token from the environment; without one, open in development and absent in production."""

import pytest

EMPTY = (
    "# HELP gateway_inbound_documents Inbound documents by channel and state.\n"
    "# TYPE gateway_inbound_documents gauge\n"
    "# HELP gateway_outbound_messages Outbox rows by kind and state.\n"
    "# TYPE gateway_outbound_messages gauge\n"
    "# HELP gateway_open_exceptions Open exceptions by severity.\n"
    "# TYPE gateway_open_exceptions gauge\n"
)
TOKEN = "s3cret-metrics-token"


@pytest.fixture
def token(settings):
    settings.GATEWAY_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_the_token_opens_the_metrics(client, db, token, settings, debug, scheme):
    settings.DEBUG = debug

    response = client.get("/metrics", headers={"Authorization": f"{scheme} {token}"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4"
    assert response.content.decode() == EMPTY


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer wrong-token-entirely",
        "Bearer \u00e9t\u00e9",
    ],
)
def test_without_the_token_the_answer_is_401_naming_the_scheme(client, db, token, settings, debug, authorization):
    settings.DEBUG = debug  # a token set is required even on a development machine
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert response.content == b"a bearer token is required\n"


def test_with_no_token_set_production_has_no_metrics(client, db, settings):
    settings.GATEWAY_METRICS_TOKEN = ""
    settings.DEBUG = False

    anonymous = client.get("/metrics")
    guessing = client.get("/metrics", headers={"Authorization": "Bearer "})

    assert (anonymous.status_code, guessing.status_code) == (404, 404)
    assert "gateway_" not in anonymous.content.decode() + guessing.content.decode()


def test_with_no_token_set_development_keeps_metrics_open(client, db, settings):
    settings.GATEWAY_METRICS_TOKEN = ""
    settings.DEBUG = True

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.content.decode() == EMPTY


def test_health_needs_no_token(client, db, token, settings):
    settings.DEBUG = False

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
