import contextlib
import inspect
import logging.config
import os
import time
from typing import Any

from celery import Celery
from celery.signals import (
    beat_init,
    before_task_publish,
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    worker_init,
)
from django.db import close_old_connections

from . import broker, metrics
from .correlation import get_correlation_id
from .logs import log_context_enter, log_context_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
broker.register()

app = Celery("gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _broker_folders(sender: Celery, **kwargs) -> None:
    """The embedded broker keeps its queue in folders that must exist before a worker polls them."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@task_prerun.connect
@task_postrun.connect
def _database_connections(task=None, **kwargs) -> None:
    """Keep a worker's database connection between tasks, as the web process keeps one between requests.

    Celery's Django fix-up would close it after every task (CELERY_DB_REUSE_MAX turns that down), so
    each task paid for a new PostgreSQL session; here the connection is dropped only when it is too
    old, broken, or left in a transaction (CONN_MAX_AGE and CONN_HEALTH_CHECKS apply as for requests).
    """
    if task is not None and task.request.is_eager:
        return  # inside the caller's own transaction
    close_old_connections()


# --- logs and metrics for every task ---------------------------------------------------------------

CORRELATION_HEADER = "gateway_correlation_id"
_running: dict[str, tuple[float, Any]] = {}


@setup_logging.connect
def _logging(**kwargs) -> None:
    """Workers and the scheduler log as the web does (settings.LOGGING: JSON or text, with context),
    instead of Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@worker_init.connect
def _worker_metrics(**kwargs) -> None:
    metrics.process_files_clear("worker")


@beat_init.connect
def _beat_metrics(**kwargs) -> None:
    metrics.process_files_clear("beat")


@before_task_publish.connect
def _carry_correlation_id(headers: dict | None = None, **kwargs) -> None:
    """A task queued while a payload is being handled carries its correlation id to the worker."""
    correlation_id = get_correlation_id()
    if headers is not None and correlation_id:
        headers.setdefault(CORRELATION_HEADER, correlation_id)


@task_prerun.connect
def _task_started(task_id: str, task, args=(), kwargs=None, **extra) -> None:
    """Log lines of the task carry its name and id, the correlation id it was queued under and the
    document it is about (a ``document_id`` argument); its run is timed."""
    document_id = None
    with contextlib.suppress(TypeError):  # arguments the task does not take: it fails on them itself
        document_id = inspect.signature(task.run).bind_partial(*args, **(kwargs or {})).arguments.get("document_id")
    # A worker puts a message's own headers on the request; apply() (eager) keeps them in ``headers``.
    correlation_id = getattr(task.request, CORRELATION_HEADER, None) or (task.request.headers or {}).get(
        CORRELATION_HEADER, ""
    )
    scope = log_context_enter(
        correlation_id=correlation_id,
        task_name=task.name,
        task_id=task_id,
        document_id=document_id,
    )
    _running[task_id] = (time.monotonic(), scope)


@task_postrun.connect
def _task_finished(task_id: str, task, state: str | None = None, **extra) -> None:
    started, scope = _running.pop(task_id, (None, None))
    if started is not None:
        metrics.task_finished(task=task.name, outcome=(state or "unknown").lower(), seconds=time.monotonic() - started)
    if scope is not None:
        log_context_exit(scope)


@task_failure.connect
def _task_failed(sender=None, **kwargs) -> None:
    metrics.task_failed(task=sender.name if sender is not None else "unknown")


@task_retry.connect
def _task_retried(sender=None, **kwargs) -> None:
    metrics.task_retried(task=sender.name if sender is not None else "unknown")
