"""Log lines: JSON (python-json-logger) or text, chosen by GATEWAY_LOG_FORMAT, each carrying what is
known when it is written: the correlation id, document, partner, task."""

import io
import logging
import logging.config
import re

import pytest
from django.conf import settings
from kombu import Connection

from gateway.logs import environment_log_format, log_bind, log_context, logging_config
from gateway.tasks import heartbeat


@pytest.mark.parametrize(
    ("environ", "chosen"),
    [
        ({}, "text"),  # DJANGO_DEBUG defaults to on: make run
        ({"DJANGO_DEBUG": "1"}, "text"),
        ({"DJANGO_DEBUG": "0"}, "json"),  # production, compose
        ({"DJANGO_DEBUG": "false"}, "json"),
        ({"DJANGO_DEBUG": "0", "GATEWAY_LOG_FORMAT": "text"}, "text"),
        ({"DJANGO_DEBUG": "1", "GATEWAY_LOG_FORMAT": "JSON"}, "json"),
    ],
)
def test_the_format_follows_the_environment(environ, chosen):
    assert environment_log_format(environ) == chosen


def test_an_unknown_format_is_refused_by_name():
    with pytest.raises(ValueError, match="GATEWAY_LOG_FORMAT must be one of json, text, not 'xml'"):
        logging_config(log_format="xml", level="INFO")


def test_json_lines_carry_the_fields_bound_and_only_those(json_log):
    log = logging.getLogger("edi.filedrop")

    log.warning("outside any scope")
    with log_context(correlation_id="corr-0000-0001", document_id=41, partner="CASTINGS"):
        log.info("inside: %s", "the file")
        with log_context(task_name="edi.tasks.edi_file_receive", task_id="t-1"):
            log_bind(document_id=42)
            log.error("nested, rebound")
        log.info("back out")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed", extra={"attempt": 3})

    lines = json_log()
    stamps = [line.pop("timestamp") for line in lines]
    exc = lines[-1].pop("exc_info")
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", stamp) for stamp in stamps), stamps
    assert exc.startswith("Traceback (most recent call last):") and exc.endswith("RuntimeError: boom")
    base = {"logger": "edi.filedrop"}
    document = {"correlation_id": "corr-0000-0001", "document_id": 41, "partner": "CASTINGS"}
    assert lines == [
        {**base, "level": "WARNING", "message": "outside any scope"},
        {**base, "level": "INFO", "message": "inside: the file", **document},
        {
            **base,
            "level": "ERROR",
            "message": "nested, rebound",
            **document,
            "document_id": 42,
            "task_name": "edi.tasks.edi_file_receive",
            "task_id": "t-1",
        },
        {**base, "level": "INFO", "message": "back out", **document},
        {**base, "level": "ERROR", "message": "failed", "attempt": 3},
    ]


def test_unknown_fields_are_refused():
    with pytest.raises(ValueError, match=r"unknown log fields: \['supplier'\]"), log_context(supplier="BOLTS"):
        pass


def test_text_lines_stay_readable_with_the_correlation_id():
    logging.config.dictConfig(logging_config(log_format="text", level="INFO"))
    buffer = io.StringIO()
    logging.root.handlers[0].setStream(buffer)
    try:
        log = logging.getLogger("notifications.services")
        log.warning("no correlation id")
        with log_context(correlation_id="corr-0000-0002", document_id=7):
            log.warning("outbox message %s attempt %s failed", 9, 2)
    finally:
        logging.config.dictConfig(settings.LOGGING)
    lines = buffer.getvalue().splitlines()
    assert [re.sub(r"^\S+ \S+ ", "", line) for line in lines] == [
        "WARNING notifications.services [-] no correlation id",
        "WARNING notifications.services [corr-0000-0002] outbox message 9 attempt 2 failed",
    ]


def test_a_tasks_lines_carry_its_name_id_and_the_correlation_id_it_was_queued_under(db, json_log):
    run = heartbeat.apply(args=(), task_id="task-0000-0001", headers={"gateway_correlation_id": "corr-0000-0003"})
    logging.getLogger("gateway.tasks").info("after the task")

    assert run.failed()
    lines = json_log()
    for line in lines:
        line.pop("timestamp")
    failure, after = lines
    assert failure.pop("exc_info").splitlines()[-1] == (
        "TypeError: heartbeat() missing 1 required positional argument: 'component'"
    )
    assert {k: failure[k] for k in ("level", "logger", "correlation_id", "task_name", "task_id")} == {
        "level": "ERROR",
        "logger": "celery.app.trace",
        "correlation_id": "corr-0000-0003",
        "task_name": "gateway.tasks.heartbeat",
        "task_id": "task-0000-0001",
    }
    assert "document_id" not in failure
    assert after == {"level": "INFO", "logger": "gateway.tasks", "message": "after the task"}


def test_a_task_queued_while_a_payload_is_handled_carries_its_correlation_id():
    broker = Connection("memory://")
    with log_context(correlation_id="corr-0000-0004"):
        heartbeat.apply_async(args=("worker:default",), connection=broker, queue="obs-test")
    heartbeat.apply_async(args=("worker:edi",), connection=broker, queue="obs-test")  # outside: none

    with broker.SimpleQueue("obs-test") as queue:
        first, second = queue.get(timeout=1), queue.get(timeout=1)
        first.ack()
        second.ack()
    assert (first.headers["task"], first.headers.get("gateway_correlation_id")) == (
        "gateway.tasks.heartbeat",
        "corr-0000-0004",
    )
    assert "gateway_correlation_id" not in second.headers


@pytest.fixture
def console_as_run(settings, caplog):
    """Logging configured as ``make run`` has it (DJANGO_DEBUG=1, text): Django's defaults first, then
    the gateway's. ``console_as_run()`` is the lines every console handler wrote; caplog still sees
    the records."""
    from django.utils.log import configure_logging

    settings.DEBUG = True
    configure_logging(settings.LOGGING_CONFIG, logging_config(log_format="text", level="INFO"))
    buffer = io.StringIO()
    for name in ("", "django", "django.request"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(buffer)
    logging.root.addHandler(caplog.handler)
    yield lambda: buffer.getvalue().splitlines()
    logging.config.dictConfig(settings.LOGGING)


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/portal/does-not-exist/", 404, "Not Found: /portal/does-not-exist/"),
        # A buyer is not a supplier's person: the portal raises PermissionDenied.
        ("/portal/", 403, "Forbidden (Permission denied): /portal/"),
    ],
)
def test_a_refused_request_is_one_line_without_a_traceback(
    console_as_run, client, buyer, caplog, path, status, message
):
    client.force_login(buyer)
    caplog.clear()

    response = client.get(path)

    assert response.status_code == status
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.levelname, r.getMessage(), r.exc_info, r.exc_text) for r in records] == [
        ("WARNING", message, None, None)
    ]
    lines = console_as_run()
    assert len(lines) == 1, lines
    assert lines[0].endswith(f" WARNING django.request [{response['X-Correlation-ID']}] {message}")


def test_a_server_error_keeps_its_traceback(console_as_run, caplog):
    from django.http import HttpResponse
    from django.utils.log import log_response

    try:
        raise RuntimeError("boom")
    except RuntimeError as error:
        log_response("%s: %s", "Internal Server Error", "/portal/", response=HttpResponse(status=500), exception=error)

    (record,) = caplog.records
    assert record.exc_info is not None and record.exc_info[1].args == ("boom",)
    lines = console_as_run()
    assert lines[0].endswith(" ERROR django.request [-] Internal Server Error: /portal/")
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "RuntimeError: boom"
