"""Fixtures for cross-app tests that need real components: a Celery worker process, PostgreSQL."""

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from conftest import require_service
from tests.workers import worker_command, worker_wait_ready

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """A URL for the test database this process uses, so a worker process can open the same one."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user, host, port = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"
    name = str(db["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        pytest.fail("the worker tests need a file-backed test database")
    return f"sqlite:///{Path(name).resolve()}"


@pytest.fixture
def postgres(transactional_db):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database")


@pytest.fixture
def worker(transactional_db, tmp_path, settings):
    """A real Celery worker in its own process, on the same database and broker as the test.

    Yields the folder the outbox writes files to. The worker retries fast (0.2 s backoff).
    """
    yield from _worker(tmp_path, settings, beat=False)


@pytest.fixture
def worker_with_beat(transactional_db, tmp_path, settings):
    """The worker with the scheduler inside it, so periodic work (the EDI inbox scan) runs too."""
    yield from _worker(tmp_path, settings, beat=True)


def _worker(tmp_path, settings, *, beat: bool):
    if os.environ.get("REDIS_URL"):
        import redis

        try:
            redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
            available = True
        except redis.RedisError:
            available = False
        require_service("Redis", available, f"cannot reach {os.environ['REDIS_URL']}")
    files = tmp_path / "files"
    settings.GATEWAY_FILE_ROOT = files
    settings.GATEWAY_OUTBOX_MAX_ATTEMPTS = 3
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "GATEWAY_FILE_ROOT": str(files),
        "GATEWAY_OUTBOX_BACKOFF_SECONDS": "0.2",
        "GATEWAY_OUTBOX_MAX_ATTEMPTS": "3",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "GATEWAY_EDI_SETTLE_SECONDS": "0.3",
        "GATEWAY_EDI_SCAN_SECONDS": "0.5",
        # The tests' webhook receivers listen on loopback.
        "GATEWAY_WEBHOOK_ALLOW_PRIVATE": "1",
    }
    from gateway.celery import app

    app.control.purge()
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            worker_command(f"test-{os.getpid()}@%h", beat_schedule=tmp_path / "beat-schedule" if beat else None),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            worker_wait_ready(process, log)
        except RuntimeError as error:
            pytest.fail(str(error))
        yield files
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy; fail with its last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
