"""/metrics: Prometheus' exposition through prometheus_client, behind a bearer token from the environment.

The token: without one, open in development and absent in production. The figures: task runs
counted by Celery's signals, the state read at scrape time, and in multiprocess mode every
process's files added up.
"""

import datetime as dt
import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import get_resolver
from freezegun import freeze_time
from kombu import Connection

from conftest import metric_samples
from gateway import metrics
from gateway.models import Heartbeat
from gateway.tasks import heartbeat
from notifications.models import OutboundMessage
from procurement.models import InboundDocument

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "s3cret-metrics-token"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# What the state families say about an empty gateway with its database and broker up and no
# worker or scheduler yet (queue depths are checked on their own: the suite's broker is shared).
EMPTY_STATE = {
    'gateway_dead_letters{source="inbound"}': 0.0,
    'gateway_dead_letters{source="outbox"}': 0.0,
    "gateway_outbox_oldest_undelivered_age_seconds": 0.0,
    'gateway_ready{component="broker"}': 1.0,
    'gateway_ready{component="database"}': 1.0,
    'gateway_ready{component="outbox"}': 1.0,
    'gateway_ready{component="scheduler"}': 0.0,
    'gateway_ready{component="worker:default"}': 0.0,
    'gateway_ready{component="worker:edi"}': 0.0,
    'gateway_ready{component="worker:outbox"}': 0.0,
    'gateway_ready{component="worker:materials"}': 0.0,
}
QUEUES = [
    'gateway_queue_depth{queue="default"}',
    'gateway_queue_depth{queue="edi"}',
    'gateway_queue_depth{queue="materials"}',
    'gateway_queue_depth{queue="outbox"}',
]
FAMILIES = {
    "gateway_document_receipt_to_applied_seconds": "histogram",
    "gateway_answer_latency_seconds": "histogram",
    "gateway_task_duration_seconds": "histogram",
    "gateway_task_failures": "counter",
    "gateway_task_retries": "counter",
    "gateway_inbound_documents": "gauge",
    "gateway_outbound_messages": "gauge",
    "gateway_dead_letters": "gauge",
    "gateway_open_exceptions": "gauge",
    "gateway_outbox_oldest_undelivered_age_seconds": "gauge",
    "gateway_queue_depth": "gauge",
    "gateway_ready": "gauge",
}


def without_queues(samples: dict[str, float]) -> dict[str, float]:
    return {name: value for name, value in samples.items() if not name.startswith("gateway_queue_depth")}


def families(text: str) -> dict[str, str]:
    from prometheus_client.parser import text_string_to_metric_families

    return {f.name: f.type for f in text_string_to_metric_families(text) if f.name.startswith("gateway_")}


@pytest.fixture
def token(settings, monkeypatch):
    monkeypatch.delenv(metrics.MULTIPROCESS_ENV, raising=False)
    for family in metrics.EVENTS:
        family.clear()
    settings.GATEWAY_METRICS_TOKEN = TOKEN
    return TOKEN


# --- the token -----------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_the_token_opens_the_metrics(client, db, token, settings, debug, scheme):
    settings.DEBUG = debug

    response = client.get("/metrics", headers={"Authorization": f"{scheme} {token}"})

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    assert families(text) == FAMILIES
    samples = metric_samples(text)
    assert without_queues(samples) == EMPTY_STATE
    assert sorted(name for name in samples if name.startswith("gateway_queue_depth")) == QUEUES


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


def test_with_no_token_set_development_keeps_metrics_open(client, db, settings, monkeypatch):
    monkeypatch.delenv(metrics.MULTIPROCESS_ENV, raising=False)
    settings.GATEWAY_METRICS_TOKEN = ""
    settings.DEBUG = True

    response = client.get("/metrics")

    assert response.status_code == 200
    assert without_queues(metric_samples(response.content.decode())) == EMPTY_STATE


def test_health_needs_no_token(client, db, token, settings):
    settings.DEBUG = False

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


# --- the figures ---------------------------------------------------------------------------------


def test_task_runs_are_timed_and_failures_counted_by_task(scrape):
    assert heartbeat.apply(args=("worker:default",)).successful()
    assert heartbeat.apply(args=("worker:edi",)).successful()
    failed = heartbeat.apply(args=())  # a message without the task's argument: the run raises
    assert failed.failed() and isinstance(failed.result, TypeError)

    samples = scrape()

    task = 'task="gateway.tasks.heartbeat"'
    assert samples[f'gateway_task_duration_seconds_count{{outcome="success",{task}}}'] == 2.0
    assert samples[f'gateway_task_duration_seconds_bucket{{le="+Inf",outcome="success",{task}}}'] == 2.0
    assert samples[f'gateway_task_duration_seconds_count{{outcome="failure",{task}}}'] == 1.0
    assert samples[f"gateway_task_failures_total{{{task}}}"] == 1.0
    assert [name for name in samples if name.startswith("gateway_task_retries")] == []
    assert {name.split("{")[0] for name in samples if "task=" in name} == {
        "gateway_task_duration_seconds_bucket",
        "gateway_task_duration_seconds_count",
        "gateway_task_duration_seconds_sum",
        "gateway_task_duration_seconds_created",
        "gateway_task_failures_total",
        "gateway_task_failures_created",
    }
    # The heartbeats the two runs wrote are read back by readiness: those queues' workers are up.
    assert samples['gateway_ready{component="worker:default"}'] == 1.0
    assert samples['gateway_ready{component="worker:edi"}'] == 1.0
    assert samples['gateway_ready{component="worker:materials"}'] == 0.0
    assert samples['gateway_ready{component="worker:outbox"}'] == 0.0
    assert set(Heartbeat.objects.values_list("component", flat=True)) == {"worker:default", "worker:edi"}


def _message(n: int, state: str, created_at: dt.datetime) -> OutboundMessage:
    return OutboundMessage.objects.create(
        kind="file",
        event="po.published",
        destination="edi/castings/outbox",
        payload={},
        idempotency_key=f"metrics-{n}",
        state=state,
        max_attempts=6,
        next_attempt_at=created_at,
        created_at=created_at,
    )


def test_dead_letters_and_the_oldest_undelivered_message(scrape):
    now = dt.datetime(2027, 2, 1, 12, 0, tzinfo=dt.UTC)
    _message(1, "dead", now - dt.timedelta(hours=5))
    _message(2, "delivered", now - dt.timedelta(hours=4))
    _message(3, "pending", now - dt.timedelta(seconds=754))  # waiting out its backoff
    _message(4, "sending", now - dt.timedelta(seconds=30))
    InboundDocument.objects.create(
        channel="edi",
        sender="CASTINGS",
        content=b"ISA",
        size=3,
        received_at=now,
        state="failed",
        outcome_code="dead_letter",
    )
    InboundDocument.objects.create(
        channel="edi", sender="CASTINGS", content=b"ISA", size=3, received_at=now, state="failed", outcome_code="error"
    )

    with freeze_time(now):
        samples = scrape()

    assert samples['gateway_dead_letters{source="outbox"}'] == 1.0
    assert samples['gateway_dead_letters{source="inbound"}'] == 1.0
    assert samples["gateway_outbox_oldest_undelivered_age_seconds"] == 754.0
    assert {k: v for k, v in samples.items() if k.startswith(("gateway_outbound_messages", "gateway_inbound_doc"))} == {
        'gateway_inbound_documents{channel="edi",state="failed"}': 2.0,
        'gateway_outbound_messages{kind="file",state="dead"}': 1.0,
        'gateway_outbound_messages{kind="file",state="delivered"}': 1.0,
        'gateway_outbound_messages{kind="file",state="pending"}': 1.0,
        'gateway_outbound_messages{kind="file",state="sending"}': 1.0,
    }
    # Outbox readiness counts only messages due and not picked up: the one due 754 s ago.
    assert samples['gateway_ready{component="outbox"}'] == 0.0


def test_queue_depth_counts_the_messages_waiting_in_each_queue(scrape, monkeypatch):
    """Through kombu's in-memory transport: the same channel calls as Redis' (a passive declare's count)."""
    from gateway.celery import app

    broker = Connection("memory://")
    with broker.SimpleQueue("edi") as edi, broker.SimpleQueue("outbox") as outbox:
        for n in range(3):
            edi.put({"n": n})
        outbox.put({"n": 0})
        monkeypatch.setattr(app, "connection_for_read", lambda **kwargs: Connection("memory://"))

        samples = scrape()

        edi.clear()
        outbox.clear()
    assert {k: v for k, v in samples.items() if k.startswith("gateway_queue_depth")} == {
        'gateway_queue_depth{queue="default"}': 0.0,
        'gateway_queue_depth{queue="edi"}': 3.0,
        'gateway_queue_depth{queue="materials"}': 0.0,
        'gateway_queue_depth{queue="outbox"}': 1.0,
    }


def test_a_family_that_cannot_be_read_is_left_out_and_the_rest_answered(scrape, monkeypatch):
    from gateway.celery import app

    def unreachable(**kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(app, "connection_for_read", unreachable)

    samples = scrape()

    assert [name for name in samples if name.startswith("gateway_queue_depth")] == []
    assert samples['gateway_dead_letters{source="outbox"}'] == 0.0


# --- multiprocess mode ---------------------------------------------------------------------------

WRITER = """
import os, sys
import django
django.setup()
from gateway import metrics
from gateway.tasks import heartbeat
run = heartbeat.apply(args=())  # fails before it touches the database: counted by the signals
assert run.failed()
metrics.task_finished(task="edi.tasks.edi_file_receive", outcome="success", seconds=float(sys.argv[1]))
print(metrics.process_identity())
"""


def _write(folder: Path, seconds: str, role_argv: str = "") -> str:
    env = {
        **os.environ,
        metrics.MULTIPROCESS_ENV: str(folder),
        "DJANGO_SETTINGS_MODULE": "gateway.settings",
        "DATABASE_URL": "",
        "REDIS_URL": "",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, "-c", WRITER, seconds], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_two_processes_write_and_metrics_adds_them_up(client, db, token, tmp_path, monkeypatch):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    first, second = _write(folder, "0.25"), _write(folder, "1.5")

    monkeypatch.setenv(metrics.MULTIPROCESS_ENV, str(folder))
    samples = metric_samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode())

    assert first != second and first.startswith(f"web@{metrics.HOST}+") and second.startswith(f"web@{metrics.HOST}+")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"counter_{first}.db", f"histogram_{first}.db", f"counter_{second}.db", f"histogram_{second}.db"]
    )
    receive = 'outcome="success",task="edi.tasks.edi_file_receive"'
    assert samples[f"gateway_task_duration_seconds_count{{{receive}}}"] == 2.0
    assert samples[f"gateway_task_duration_seconds_sum{{{receive}}}"] == 1.75
    assert samples[f'gateway_task_duration_seconds_bucket{{le="0.25",{receive}}}'] == 1.0
    assert samples[f'gateway_task_duration_seconds_bucket{{le="2.5",{receive}}}'] == 2.0
    assert samples['gateway_task_failures_total{task="gateway.tasks.heartbeat"}'] == 2.0
    assert samples['gateway_task_duration_seconds_count{outcome="failure",task="gateway.tasks.heartbeat"}'] == 2.0
    # The state read at scrape time is there too, once.
    assert without_queues({k: v for k, v in samples.items() if "task" not in k}) == EMPTY_STATE


def test_a_role_starting_clears_only_its_own_files_on_this_host(tmp_path, monkeypatch):
    monkeypatch.setenv(metrics.MULTIPROCESS_ENV, str(tmp_path))
    names = [
        f"counter_web@{metrics.HOST}+10.db",
        f"histogram_web@{metrics.HOST}+11.db",
        f"histogram_worker@{metrics.HOST}+12.db",
        f"histogram_web@{metrics.HOST}x+13.db",  # another host whose name begins like ours
        "histogram_web@otherhost+10.db",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")

    assert metrics.process_files_clear("web") == 2

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[2:])


def test_gunicorn_marks_a_dead_workers_live_gauges(tmp_path, monkeypatch):
    monkeypatch.setenv(metrics.MULTIPROCESS_ENV, str(tmp_path))
    for name in (f"gauge_livesum_web@{metrics.HOST}+21.db", f"gauge_livesum_web@{metrics.HOST}+22.db"):
        (tmp_path / name).write_bytes(b"")
    namespace: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)

    namespace["child_exit"](None, type("Worker", (), {"pid": 21})())

    assert [p.name for p in tmp_path.iterdir()] == [f"gauge_livesum_web@{metrics.HOST}+22.db"]


def test_the_process_role_comes_from_the_command():
    assert metrics.process_role(["/app/.venv/bin/celery", "-A", "gateway", "worker", "-Q", "edi"]) == "worker"
    assert metrics.process_role(["/usr/local/bin/celery", "-A", "gateway", "beat"]) == "beat"
    assert metrics.process_role(["/x/celery/__main__.py", "-A", "gateway", "worker", "--beat"]) == "worker"
    assert metrics.process_role(["/usr/local/bin/gunicorn", "gateway.wsgi:application"]) == "web"
    assert metrics.process_role(["manage.py", "runserver"]) == "web"


def test_a_gunicorn_worker_freezes_what_it_loaded_before_serving():
    namespace: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    gc.unfreeze()
    try:
        namespace["post_worker_init"](None)

        # The URLconf's patterns were loaded, and they are out of the collector's generations with
        # the rest of what the worker holds.
        patterns = get_resolver().url_patterns
        assert gc.get_freeze_count() > 10_000
        assert not any(o is patterns for o in gc.get_objects())
    finally:
        gc.unfreeze()
