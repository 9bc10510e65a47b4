"""Prometheus metrics: what happened (histograms and counters written as it happens, in any process)
and how things stand (read from the database and the broker when /metrics is scraped).

Web (gunicorn's workers), the Celery worker's pool processes and the scheduler are separate
processes; with ``PROMETHEUS_MULTIPROC_DIR`` set, each writes its figures to files of its own in
that folder and /metrics adds them up (prometheus_client's multiprocess mode). The folder may be
shared by several hosts (compose's services each run in a container of their own, with a volume
in common), so a process's files are named by its role, host and pid: ``web@host+12``. Each role
clears its own files when it starts (gunicorn's ``on_starting``, Celery's ``worker_init`` and
``beat_init``); ``bin/run-gateway`` clears the folder before starting anything. Without the
variable, figures live in the process and /metrics shows its own process's.

Nothing here imports Django at import time: gunicorn's master process imports this module.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import REGISTRY, Collector

log = logging.getLogger(__name__)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ROLES = ("web", "worker", "beat")


def process_role(argv: list[str] | None = None) -> str:
    """``worker`` or ``beat`` for Celery's commands, ``web`` for everything else (gunicorn,
    runserver, management commands)."""
    argv = sys.argv if argv is None else argv
    if any(Path(part).name in ("celery", "__main__.py") for part in argv[:1]) or "celery" in argv[:3]:
        if "worker" in argv:
            return "worker"
        if "beat" in argv:
            return "beat"
    return "web"


ROLE = process_role()
# "+" and "@" never appear in a host name, so one role's files on one host are told apart by name.
HOST = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "host"


def process_identity(pid: int | None = None, role: str | None = None) -> str:
    """The name of a process's metric files: ``<role>@<host>+<pid>``."""
    return f"{role or ROLE}@{HOST}+{os.getpid() if pid is None else pid}"


def multiprocess_dir() -> str:
    return os.environ.get(MULTIPROCESS_ENV, "")


if multiprocess_dir():
    values.ValueClass = values.MultiProcessValue(process_identifier=process_identity)


def process_files_clear(role: str) -> int:
    """Remove the metric files earlier processes of ``role`` on this host left; how many.

    Run when a role starts, before it forks: figures of a process that is gone are not added up
    again, and other roles' and other hosts' files are left alone.
    """
    folder = multiprocess_dir()
    if not folder:
        return 0
    Path(folder).mkdir(parents=True, exist_ok=True)
    removed = 0
    for path in Path(folder).glob(f"*_{role}@{HOST}+*.db"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def process_dead(pid: int, role: str = "web") -> None:
    """A worker process of ``role`` on this host has ended (gunicorn's ``child_exit``): its live
    gauges stop counting."""
    if multiprocess_dir():
        mark_process_dead(process_identity(pid, role), multiprocess_dir())


# --- what happened -------------------------------------------------------------------------------

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
TASK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0)

DOCUMENT_APPLIED = Histogram(
    "gateway_document_receipt_to_applied_seconds",
    "From an inbound payload stored to its effect on the record committed, by channel and document type.",
    ["channel", "document_type"],
    buckets=LATENCY_BUCKETS,
)
ANSWER_DELIVERED = Histogram(
    "gateway_answer_latency_seconds",
    "From an inbound payload stored to our answer to it delivered, by event: x12.997 and x12.999 time a "
    "partner's file (stored as it is claimed from the inbox) to our 997/999 written to its outbox.",
    ["event"],
    buckets=LATENCY_BUCKETS,
)
TASK_DURATION = Histogram(
    "gateway_task_duration_seconds",
    "Celery task run time, by task and outcome (success, failure, retry).",
    ["task", "outcome"],
    buckets=TASK_BUCKETS,
)
TASK_FAILURES = Counter("gateway_task_failures", "Celery task runs that raised, by task.", ["task"])
TASK_RETRIES = Counter("gateway_task_retries", "Celery task runs that asked to be retried, by task.", ["task"])

# Everything above, written as it happens (in multiprocess mode, to each process's files).
EVENTS = (DOCUMENT_APPLIED, ANSWER_DELIVERED, TASK_DURATION, TASK_FAILURES, TASK_RETRIES)


def document_applied(*, channel: str, document_type: str, received_at: dt.datetime, applied_at: dt.datetime) -> None:
    DOCUMENT_APPLIED.labels(channel, document_type or "unknown").observe(_seconds(received_at, applied_at))


def answer_delivered(*, event: str, received_at: dt.datetime, delivered_at: dt.datetime) -> None:
    ANSWER_DELIVERED.labels(event).observe(_seconds(received_at, delivered_at))


def task_finished(*, task: str, outcome: str, seconds: float) -> None:
    TASK_DURATION.labels(task, outcome).observe(seconds)


def task_failed(*, task: str) -> None:
    TASK_FAILURES.labels(task).inc()


def task_retried(*, task: str) -> None:
    TASK_RETRIES.labels(task).inc()


def _seconds(start: dt.datetime, end: dt.datetime) -> float:
    return max((end - start).total_seconds(), 0.0)


# --- how things stand ----------------------------------------------------------------------------


class GatewayStateCollector(Collector):
    """Gauges read at scrape time: documents, outbox, dead letters, exceptions, queues, readiness.

    Each family is read on its own: one that cannot be read (the database or broker down) is left
    out and logged, and the others are still answered.
    """

    def collect(self) -> Iterator[Metric]:
        for read in (
            _documents,
            _outbox,
            _dead_letters,
            _open_exceptions,
            _outbox_age,
            _queue_depth,
            _readiness,
        ):
            try:
                yield from read()
            except Exception:
                log.warning("metrics: %s could not be read", read.__name__.strip("_"), exc_info=True)


def _documents() -> Iterable[Metric]:
    from django.db.models import Count

    from procurement.models import InboundDocument

    family = GaugeMetricFamily(
        "gateway_inbound_documents", "Inbound documents by channel and state.", labels=["channel", "state"]
    )
    rows = InboundDocument.objects.values_list("channel", "state").annotate(n=Count("id")).order_by("channel", "state")
    for channel, state, n in rows:
        family.add_metric([channel, state], n)
    return [family]


def _outbox() -> Iterable[Metric]:
    from django.db.models import Count

    from notifications.models import OutboundMessage

    family = GaugeMetricFamily("gateway_outbound_messages", "Outbox rows by kind and state.", labels=["kind", "state"])
    rows = OutboundMessage.objects.values_list("kind", "state").annotate(n=Count("id")).order_by("kind", "state")
    for kind, state, n in rows:
        family.add_metric([kind, state], n)
    return [family]


def _dead_letters() -> Iterable[Metric]:
    from notifications.models import OutboundMessage
    from procurement.models import InboundDocument

    family = GaugeMetricFamily(
        "gateway_dead_letters",
        "Work set aside until staff act: outbox messages out of attempts, inbound files out of attempts.",
        labels=["source"],
    )
    family.add_metric(["outbox"], OutboundMessage.objects.filter(state=OutboundMessage.State.DEAD).count())
    family.add_metric(
        ["inbound"],
        InboundDocument.objects.filter(state=InboundDocument.State.FAILED, outcome_code="dead_letter").count(),
    )
    return [family]


def _open_exceptions() -> Iterable[Metric]:
    from django.db.models import Count

    from procurement.models import ProcurementException

    family = GaugeMetricFamily("gateway_open_exceptions", "Open exceptions by severity.", labels=["severity"])
    rows = ProcurementException.objects.open().values_list("severity").annotate(n=Count("id")).order_by("severity")
    for severity, n in rows:
        family.add_metric([severity], n)
    return [family]


def _outbox_age() -> Iterable[Metric]:
    from django.db.models import Min
    from django.utils import timezone

    from notifications.models import OutboundMessage

    oldest = OutboundMessage.objects.filter(
        state__in=(OutboundMessage.State.PENDING, OutboundMessage.State.SENDING)
    ).aggregate(oldest=Min("created_at"))["oldest"]
    age = _seconds(oldest, timezone.now()) if oldest is not None else 0.0
    return [
        GaugeMetricFamily(
            "gateway_outbox_oldest_undelivered_age_seconds",
            "Age of the oldest outbox message not yet delivered (0 when there is none).",
            value=round(age, 3),
        )
    ]


def _queue_depth() -> Iterable[Metric]:
    from django.conf import settings

    from .celery import app

    family = GaugeMetricFamily("gateway_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"])
    with app.connection_for_read(connect_timeout=settings.GATEWAY_READY_BROKER_TIMEOUT_SECONDS) as connection:
        channel = connection.default_channel
        for queue in sorted(q.name for q in app.conf.task_queues):
            try:
                waiting = channel.queue_declare(queue=queue, passive=True).message_count
            except connection.channel_errors:  # never declared: nothing was ever queued on it
                waiting = 0
            family.add_metric([queue], waiting)
    return [family]


def _readiness() -> Iterable[Metric]:
    from .readiness import readiness_checks

    family = GaugeMetricFamily(
        "gateway_ready", "1 when a component is within its bounds (as /readyz judges), else 0.", labels=["component"]
    )
    for component, check in sorted(readiness_checks().items()):
        family.add_metric([component], 1 if check["ok"] else 0)
    return [family]


def exposition() -> bytes:
    """The text /metrics answers: every process's figures (multiprocess mode) or this process's,
    then the state read now."""
    folder = multiprocess_dir()
    if folder:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=folder)
        events = generate_latest(registry)
    else:
        events = generate_latest(REGISTRY)
    state = CollectorRegistry()
    state.register(GatewayStateCollector())
    return events + generate_latest(state)
