"""The API against its own OpenAPI schema, on a live server over PostgreSQL, fuzzed by schemathesis.

The demo data is loaded first; then schemathesis (4.x, its ``st run`` engine in a subprocess) calls every
operation of /api/schema/ with generated valid and invalid inputs — schema examples, boundary values,
random fuzzing and stateful sequences — once with the API supplier's key (GEARS) and once with the ERP's
system key. The live server is pytest-django's threaded server on this test's database.

Checks: no 5xx, and responses that match the schema (status codes, content types, headers, bodies), plus
the request-level checks that fit this API (a missing required header refused, an undeclared method refused,
authentication not ignored); see CHECKS for what is left out and why. Bounded to 15 examples per operation
and a fixed seed, so both runs take a few minutes. Needs PostgreSQL (DATABASE_URL): skipped locally
without it, a failure under CI=true.

Why the CLI and not ``schemathesis.pytest.from_fixture``: with pytest 9.2 that lazy loader fails before
running anything (it sets ``request.node._nodeid``, which pytest 9.2 no longer has).
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from api.models import ApiKey
from api.throttling import ApiKeyRateThrottle
from procurement.models import Company
from suppliers.models import Supplier

pytestmark = pytest.mark.postgres

MAX_EXAMPLES = 15
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "missing_required_header",
    "unsupported_method",
    "ignored_auth",
]
# Not run, and why:
# - negative_data_rejection: DRF is lenient where the schema is strict, on purpose: a number is accepted for a
#   string (document_id: 11), updated_since takes ISO 8601 forms that are not RFC 3339 date-times. None of it
#   stores anything wrong.
# - positive_data_acceptance: a body that is valid by the schema is still refused when it names a PO, company
#   or supplier that does not exist (404/409/422) — the API is right to refuse it.
# - use_after_free, ensure_resource_availability: about resources created and deleted in stateful sequences;
#   the only deletable resource is a webhook subscription, covered exactly in api/tests/test_webhooks.py.
# - object_level_authorization: needs two users' resources mapped onto each other; api/tests/test_isolation.py
#   checks every endpoint with the owner, another supplier, a system key and no key.
# - allow_header_conformance: 405 answers carry Allow (asserted in api/tests/test_problems.py).


@pytest.fixture
def demo_keys(postgres, settings, monkeypatch, tmp_path):
    """Demo data committed for the live server's thread to see, and a key for each run."""
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False  # no broker: deliveries stay queued
    settings.GATEWAY_FILE_ROOT = tmp_path / "files"  # the demo's EDI partner gets its folders here
    # Thousands of requests a minute from one key; throttling itself is tested in api/tests.
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "1000000/min"})
    call_command("demo_seed", stdout=io.StringIO())
    gears = Supplier.objects.get(code="GEARS")
    return {
        "supplier": ApiKey.issue(kind="supplier", supplier=gears, name="schemathesis")[1],
        "system": ApiKey.issue(
            kind="system", system_name="ERP", company=Company.objects.get(code="ACME"), name="schemathesis"
        )[1],
    }


def schemathesis(url: str, secret: str, checks: list[str], folder: Path) -> subprocess.CompletedProcess:
    """``st run`` against the live server's schema, bounded and reproducible, run from ``folder``."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{url}/api/schema/",
        "--header",
        f"Authorization: Bearer {secret}",
        "--checks",
        ",".join(checks),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-with-security-parameters",
        "false",
        "--generation-database",
        "none",
        "--seed",
        "20270301",
        "--request-timeout",
        "30",
        "--workers",
        "1",
        "--no-color",
        "--output-truncate",
        "false",
    ]
    # From a temporary folder, so no schemathesis.toml of the project or the user is picked up.
    return subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=900, env={**os.environ, "NO_COLOR": "1"}
    )


@pytest.mark.parametrize("persona", ["supplier", "system"])
def test_the_api_never_fails_and_matches_its_schema(persona, live_server, demo_keys, tmp_path):
    run = schemathesis(live_server.url, demo_keys[persona], CHECKS, tmp_path)

    assert run.returncode == 0, f"schemathesis found problems as {persona}:\n{run.stdout}\n{run.stderr}"
