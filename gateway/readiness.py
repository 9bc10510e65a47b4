"""Readiness: whether the gateway can do its work now, component by component, with ages only.

The answer names no host, address or error text: it is open to anyone who can reach the endpoint.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from notifications.models import OutboundMessage

from .models import Heartbeat

SCHEDULER = "scheduler"
WORKER_QUEUES = ("default", "edi", "outbox", "materials")


def worker_component(queue: str) -> str:
    return f"worker:{queue}"


def heartbeat_record(*, component: str) -> None:
    """Note that ``component`` is alive now (one row per component, overwritten)."""
    Heartbeat.objects.update_or_create(component=component, defaults={"at": timezone.now()})


def readiness_checks() -> dict[str, dict]:
    """Each component's state: ``{"ok": bool}`` plus an age in seconds where it has one.

    A heartbeat never written counts as failing with no age. The outbox's age is that of the
    oldest message due for delivery and not yet picked up (a message waiting out its backoff after
    a receiver failed is not ours to be late with).
    """
    now = timezone.now()
    checks = {"database": {"ok": _database_ok()}, "broker": {"ok": _broker_ok()}}
    beats = _heartbeats()
    for queue in WORKER_QUEUES:
        checks[worker_component(queue)] = _age_check(
            beats, worker_component(queue), now, settings.GATEWAY_READY_WORKER_MAX_AGE_SECONDS
        )
    checks[SCHEDULER] = _age_check(beats, SCHEDULER, now, settings.GATEWAY_READY_SCHEDULER_MAX_AGE_SECONDS)
    checks["outbox"] = _outbox_check(now)
    return checks


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return False
    return True


def _broker_ok() -> bool:
    from .celery import app

    try:
        with app.connection_for_write(connect_timeout=settings.GATEWAY_READY_BROKER_TIMEOUT_SECONDS) as broker:
            broker.ensure_connection(max_retries=0)
    except Exception:
        return False
    return True


def _heartbeats() -> dict[str, dt.datetime] | None:
    try:
        return dict(Heartbeat.objects.values_list("component", "at"))
    except Exception:  # the database is down: every heartbeat is unknown
        return None


def _age_check(beats: dict[str, dt.datetime] | None, component: str, now: dt.datetime, bound: float) -> dict:
    at = (beats or {}).get(component)
    if at is None:
        return {"ok": False, "age_seconds": None}
    age = max((now - at).total_seconds(), 0.0)
    return {"ok": age <= bound, "age_seconds": round(age)}


def _outbox_check(now: dt.datetime) -> dict:
    try:
        oldest = OutboundMessage.objects.filter(
            state=OutboundMessage.State.PENDING, next_attempt_at__lte=now
        ).aggregate(oldest=Min("next_attempt_at"))["oldest"]
    except Exception:
        return {"ok": False, "oldest_due_age_seconds": None}
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return {"ok": age <= settings.GATEWAY_READY_OUTBOX_MAX_AGE_SECONDS, "oldest_due_age_seconds": round(age)}
