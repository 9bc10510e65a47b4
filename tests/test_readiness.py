"""/readyz: database, broker, each queue's workers, the scheduler and the outbox's lag, each with its
bound; /healthz stays the cheap liveness check."""

import datetime as dt
import socket

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler
from freezegun import freeze_time

from gateway import beat
from gateway.beat import Scheduler
from gateway.celery import app as celery_app
from gateway.models import Heartbeat
from gateway.tasks import heartbeat
from notifications.models import OutboundMessage

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
ALL_OK = {
    "database": {"ok": True},
    "broker": {"ok": True},
    "worker:default": {"ok": True, "age_seconds": 0},
    "worker:edi": {"ok": True, "age_seconds": 0},
    "worker:outbox": {"ok": True, "age_seconds": 0},
    "worker:materials": {"ok": True, "age_seconds": 0},
    "scheduler": {"ok": True, "age_seconds": 0},
    "outbox": {"ok": True, "oldest_due_age_seconds": 0},
}


@pytest.fixture
def alive(db):
    """Every queue's workers and the scheduler have just shown they are alive."""
    with freeze_time(NOW):
        for queue in ("default", "edi", "outbox", "materials"):
            heartbeat(f"worker:{queue}")  # as a worker of that queue runs it
        Heartbeat.objects.create(component="scheduler", at=timezone.now())


def ready(client, at: dt.datetime = NOW) -> tuple[int, dict]:
    with freeze_time(at):
        response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def outbox_message(n: int, due: dt.datetime, state: str = "pending") -> OutboundMessage:
    return OutboundMessage.objects.create(
        kind="email",
        event="exception.raised",
        destination="buyer@acme.example",
        payload={},
        idempotency_key=f"msg-{n}",
        state=state,
        max_attempts=6,
        next_attempt_at=due,
        created_at=due,
    )


def test_ready_when_every_component_is_within_its_bounds(client, alive):
    assert ready(client) == (200, {"status": "ok", "checks": ALL_OK})


def test_a_queue_whose_workers_stopped_answering_makes_it_not_ready(client, alive):
    with freeze_time(NOW + dt.timedelta(minutes=2)):
        heartbeat("worker:default")
        heartbeat("worker:outbox")
        heartbeat("worker:materials")
        Heartbeat.objects.filter(component="scheduler").update(at=timezone.now())

    status, body = ready(client, NOW + dt.timedelta(minutes=3, seconds=1))

    assert status == 503
    assert body["status"] == "fail"
    assert body["checks"]["worker:edi"] == {"ok": False, "age_seconds": 181}
    assert body["checks"]["worker:default"] == {"ok": True, "age_seconds": 61}
    assert [name for name, check in body["checks"].items() if not check["ok"]] == ["worker:edi"]


def test_a_heartbeat_never_written_fails_with_no_age(client, db):
    status, body = ready(client)

    assert status == 503
    assert body["checks"]["scheduler"] == {"ok": False, "age_seconds": None}
    assert body["checks"]["worker:default"] == {"ok": False, "age_seconds": None}
    assert (body["checks"]["database"], body["checks"]["outbox"]) == ({"ok": True}, ALL_OK["outbox"])


def test_a_scheduler_that_stopped_ticking_makes_it_not_ready(client, alive, settings):
    settings.GATEWAY_READY_SCHEDULER_MAX_AGE_SECONDS = 120
    with freeze_time(NOW + dt.timedelta(seconds=121)):
        for queue in ("default", "edi", "outbox", "materials"):
            heartbeat(f"worker:{queue}")

    status, body = ready(client, NOW + dt.timedelta(seconds=121))

    assert status == 503
    assert body["checks"]["scheduler"] == {"ok": False, "age_seconds": 121}
    assert [name for name, check in body["checks"].items() if not check["ok"]] == ["scheduler"]


def test_the_scheduler_records_its_ticks_at_most_every_fifteen_seconds(db, monkeypatch):
    # The database scheduler's own tick (sending what is due) is django-celery-beat's; the heartbeat is ours.
    monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *args, **kwargs: 5.0)
    monkeypatch.setattr(beat.time, "monotonic", lambda: clock)
    scheduler = Scheduler(app=celery_app, lazy=True)
    written = []
    for clock, at in ((100.0, NOW), (110.0, NOW + dt.timedelta(seconds=10)), (115.0, NOW + dt.timedelta(seconds=15))):
        with freeze_time(at):
            assert scheduler.tick() == 5.0
        written.append(Heartbeat.objects.get(component="scheduler").at)

    assert written == [NOW, NOW, NOW + dt.timedelta(seconds=15)]


def test_an_outbox_message_due_and_not_picked_up_for_too_long_makes_it_not_ready(client, alive, settings):
    settings.GATEWAY_READY_OUTBOX_MAX_AGE_SECONDS = 600
    outbox_message(1, NOW - dt.timedelta(seconds=601))
    outbox_message(2, NOW - dt.timedelta(hours=5), state="delivered")
    outbox_message(3, NOW + dt.timedelta(hours=1))  # waiting out its backoff after a receiver failed

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["outbox"] == {"ok": False, "oldest_due_age_seconds": 601}
    assert [name for name, check in body["checks"].items() if not check["ok"]] == ["outbox"]


def test_a_broker_that_cannot_be_reached_makes_it_not_ready(client, alive):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    before = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = f"redis://127.0.0.1:{port}/0", {}
    try:
        status, body = ready(client)
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_transport_options = before

    assert status == 503
    assert body["checks"]["broker"] == {"ok": False}
    assert [name for name, check in body["checks"].items() if not check["ok"]] == ["broker"]
    assert str(port) not in str(body)


def test_a_database_that_is_down_fails_everything_that_reads_it_and_says_nothing_more(client, alive, monkeypatch):
    def down(self, *args, **kwargs):
        raise OperationalError("could not connect to server at 10.0.0.5: secret detail")

    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "cursor", down)
        status, body = ready(client)

    assert status == 503
    assert body == {
        "status": "fail",
        "checks": {
            "database": {"ok": False},
            "broker": {"ok": True},
            "worker:default": {"ok": False, "age_seconds": None},
            "worker:edi": {"ok": False, "age_seconds": None},
            "worker:outbox": {"ok": False, "age_seconds": None},
            "worker:materials": {"ok": False, "age_seconds": None},
            "scheduler": {"ok": False, "age_seconds": None},
            "outbox": {"ok": False, "oldest_due_age_seconds": None},
        },
    }


def test_liveness_stays_the_database_ping_alone(client, db):
    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})


def test_the_scheduler_sends_a_heartbeat_to_each_queue():
    beats = {
        entry["options"]["queue"]: entry["args"]
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "gateway.tasks.heartbeat"
    }

    assert beats == {
        "default": ("worker:default",),
        "edi": ("worker:edi",),
        "outbox": ("worker:outbox",),
        "materials": ("worker:materials",),
    }
    assert django_settings.CELERY_BEAT_SCHEDULER == "gateway.beat:Scheduler"
