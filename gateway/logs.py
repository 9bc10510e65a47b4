"""Log lines that say which document, partner and task they are about, as JSON or as text.

Every process (web, worker, scheduler) logs through the standard library; one filter adds what is
known at the time a line is written: the correlation id (``gateway.correlation``), the inbound
document and its partner (bound where a document is worked on), the Celery task's name and id
(bound by the task signals in ``gateway.celery``). ``GATEWAY_LOG_FORMAT`` picks the output:
``json`` (one object per line, python-json-logger; the default in production and in compose) or
``text`` (one readable line; the default under ``DJANGO_DEBUG=1``, as for ``make run``).

Standard library and python-json-logger only: gunicorn's configuration (``gunicorn.conf.py``)
imports this before Django is set up, to write gunicorn's own lines in the same format.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from .correlation import correlation_scope, get_correlation_id

# What a log line may carry beside its message, in the order the text format shows them.
CONTEXT_FIELDS = ("document_id", "partner", "task_name", "task_id")
FORMATS = ("json", "text")

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("log_context", default=_EMPTY)


@contextmanager
def log_context(*, correlation_id: str = "", **fields: Any) -> Iterator[None]:
    """Add ``fields`` (names from ``CONTEXT_FIELDS``) to every log line written inside the block,
    and make ``correlation_id`` current when one is given. Blocks nest; a ``None`` or empty value
    leaves the outer one in place."""
    token = _context.set({**_context.get(), **_known(fields)})
    try:
        if correlation_id:
            with correlation_scope(correlation_id):
                yield
        else:
            yield
    finally:
        _context.reset(token)


def log_bind(**fields: Any) -> None:
    """Add ``fields`` to the log lines of the rest of the current scope: the request (the
    correlation middleware opens one per request) or the task (one per task run)."""
    _context.set({**_context.get(), **_known(fields)})


def _known(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(CONTEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown log fields: {sorted(unknown)}")
    return {k: v for k, v in fields.items() if v not in (None, "")}


def log_context_enter(*, correlation_id: str = "", **fields: Any) -> Any:
    """``log_context`` for a caller that opens and closes it in two callbacks (Celery's task
    signals): returns what ``log_context_exit`` takes."""
    scope = log_context(correlation_id=correlation_id, **fields)
    scope.__enter__()
    return scope


def log_context_exit(scope: Any) -> None:
    scope.__exit__(None, None, None)


def current_log_context() -> dict[str, Any]:
    """The fields a line written now carries (the correlation id among them when there is one)."""
    found = dict(_context.get())
    if correlation_id := get_correlation_id():
        found["correlation_id"] = correlation_id
    return found


class ClientErrorFilter(logging.Filter):
    """A 4xx answer is one line without a traceback: refusals are expected (a supplier asking for
    another's order, a role without the permission, a CSRF refusal) and the traceback of the
    ``PermissionDenied`` or ``Http404`` behind one says nothing. A 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class LogContextFilter(logging.Filter):
    """Put the current correlation id, document, partner and task on each record.

    A field not known is left off the record (the JSON line omits it; the text format shows ``-``).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_log_context().items():
            setattr(record, name, value)
        return True


def environment_log_format(environ: Mapping[str, str]) -> str:
    """``GATEWAY_LOG_FORMAT`` when set; otherwise ``text`` under ``DJANGO_DEBUG`` (on by default, as
    for ``make run``) and ``json`` in production."""
    chosen = environ.get("GATEWAY_LOG_FORMAT", "").strip().lower()
    if chosen:
        return chosen
    debug = environ.get("DJANGO_DEBUG", "").strip().lower()
    return "text" if debug in ("", "1", "true", "yes", "on") else "json"


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "message"]
JSON_RENAMED = {"asctime": "timestamp", "levelname": "level", "name": "logger"}


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of ``log_format``: ``json`` lines are objects with ``timestamp`` (ISO 8601
    with its offset), ``level``, ``logger``, ``message``, the context fields that are known,
    ``exc_info`` for an exception, and any ``extra=`` the caller gave; ``text`` lines show the
    correlation id (``-`` when there is none)."""
    if log_format not in FORMATS:
        raise ValueError(f"GATEWAY_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT, defaults={"correlation_id": "-"})
    return JsonFormatter(
        JSON_FIELDS, rename_fields=JSON_RENAMED, datefmt="%Y-%m-%dT%H:%M:%S%z", json_ensure_ascii=False
    )


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``dictConfig`` for every process: one console handler on the root logger, in ``log_format``."""
    formatter(log_format)  # an unknown format is refused here, by name
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "gateway.logs.LogContextFilter"},
            "client_error": {"()": "gateway.logs.ClientErrorFilter"},
        },
        "formatters": {log_format: {"()": "gateway.logs.formatter", "log_format": log_format}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
        # Django's own console handler (under DEBUG) would write each of its lines a second time
        # beside the root's; its e-mail handler has no ADMINS to write to. Its answers logged
        # (django.request) are one line each: a 4xx without a traceback.
        # django-axes announces itself and every failed sign-in at INFO; its lockouts are WARNINGs.
        # A worker's "ready." line is kept at any level: it is how a supervisor or a test knows it
        # has started consuming.
        "loggers": {
            "django": {"handlers": [], "level": "INFO"},
            "django.request": {"filters": ["client_error"]},
            "django.db.backends": {"level": "INFO"},
            "axes": {"level": "WARNING"},
            "celery.apps.worker": {"level": "INFO"},
        },
    }
