"""deploy/prometheus: the alert rules (dead letters, outbox age, readiness) and the scrape
configuration the README shows. The rules name only series the gateway exports, read from its
/metrics; where promtool is installed (CI installs Debian's prometheus package), Prometheus' own
checker validates the files and runs the rules' unit tests."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from conftest import METRICS_TOKEN, require_service

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "prometheus"
ALERTS = {"GatewayDeadLetters", "GatewayOutboxBacklog", "GatewayNotReady"}
# PromQL words that are not series names.
PROMQL = {"sum", "min", "max", "avg", "count", "by", "without", "and", "or", "unless", "on", "ignoring", "bool"}


def rules() -> list[dict]:
    document = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    assert list(document) == ["groups"]
    (group,) = document["groups"]
    assert group["name"] == "supplier-gateway"
    return group["rules"]


def series_named(expr: str) -> set[str]:
    """The series names in a PromQL expression: identifiers outside label matchers and groupings."""
    bare = re.sub(r"\{[^}]*\}|\b(?:by|without|on|ignoring)\s*\([^)]*\)|\"[^\"]*\"", " ", expr)
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare))
    return {word for word in words - PROMQL if not re.fullmatch(r"\d+[smhdwy]?", word)}


def exported(client) -> set[str]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    names = set()
    for family in text_string_to_metric_families(response.content.decode()):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return names


def test_three_alerts_each_with_a_duration_a_severity_and_words_for_people():
    found = rules()

    assert {rule["alert"] for rule in found} == ALERTS and len(found) == 3
    for rule in found:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"\d+m", rule["for"])
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert set(rule["annotations"]) == {"summary", "description"}


def test_each_alert_names_series_the_gateway_exports(scrape, client):
    scrape()  # the gateway's own figures, cleared; the token set
    names = exported(client)

    used = {rule["alert"]: series_named(rule["expr"]) for rule in rules()}

    assert used == {
        "GatewayDeadLetters": {"gateway_dead_letters"},
        "GatewayOutboxBacklog": {"gateway_outbox_oldest_undelivered_age_seconds"},
        "GatewayNotReady": {"gateway_ready"},
    }
    assert set().union(*used.values()) <= names


def test_the_series_check_sees_a_name_the_gateway_does_not_export(scrape, client):
    scrape()
    expr = 'sum(gateway_outbox_dead_total{kind="file"}) by (kind) > 0 and on (kind) gateway_ready == 0'

    assert series_named(expr) == {"gateway_outbox_dead_total", "gateway_ready"}
    assert series_named(expr) - exported(client) == {"gateway_outbox_dead_total"}


def test_the_readme_shows_the_scrape_configuration_with_the_bearer_token():
    readme = (ROOT / "README.md").read_text()
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())

    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"
    assert config["rule_files"] == ["alerts.yml"]
    assert (DEPLOY / "prometheus.yml").read_text().split("scrape_configs:")[1].strip().splitlines()[0] in readme
    assert "credentials_file: /etc/prometheus/secrets/gateway-metrics-token" in readme
    assert "deploy/prometheus/alerts.yml" in readme


def test_promtool_accepts_the_rules_their_unit_tests_and_the_configuration(tmp_path):
    promtool = shutil.which("promtool")
    require_service("promtool", promtool is not None, "apt-get install prometheus")
    token = tmp_path / "gateway-metrics-token"
    token.write_text("token\n")
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    config["scrape_configs"][0]["authorization"]["credentials_file"] = str(token)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    shutil.copy(DEPLOY / "alerts.yml", tmp_path / "alerts.yml")

    for command, cwd in (
        (["check", "rules", "alerts.yml"], DEPLOY),
        (["test", "rules", "alerts.test.yml"], DEPLOY),
        (["check", "config", "prometheus.yml"], tmp_path),
    ):
        done = subprocess.run([promtool, *command], cwd=cwd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert "SUCCESS" in done.stdout + done.stderr


@pytest.mark.parametrize("expr", ["gateway_ready == 0", 'min by (component) (gateway_ready{component="broker"}) == 0'])
def test_the_series_check_ignores_labels_and_groupings(expr):
    assert series_named(expr) == {"gateway_ready"}
