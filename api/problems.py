"""RFC 9457 problem details: the one error shape of the API, from one handler."""

import logging
import math
from http import HTTPStatus

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from procurement.services import DocumentRefused, InvalidAction, NotFound, ProcurementError

log = logging.getLogger(__name__)
PROBLEM_BASE = "https://gateway.example/problems/"
# A service the request needs is down or overloaded: the client should come back after this many seconds.
UNAVAILABLE_RETRY_AFTER = 30
# The database or Redis cannot be reached (not a query's own error, such as a constraint: that is a 500).
UNAVAILABLE = (OperationalError, InterfaceError, BrokerError, RedisConnectionError, RedisTimeoutError)


def problem(status_code: int, title: str, detail: str, code: str, **extra) -> Response:
    body = {
        "type": PROBLEM_BASE + code.replace("_", "-"),
        "title": title,
        "status": status_code,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(body, status=status_code, content_type="application/problem+json")


def _field_errors(detail, path: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of {field, message, code}."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = str(key)
            field = name if not path else f"{path}.{name}" if not name.isdigit() else f"{path}[{name}]"
            out += _field_errors(value, field if name != "non_field_errors" else path)
        return out
    if isinstance(detail, list):
        if all(not isinstance(v, (dict, list)) for v in detail):
            return [{"field": path or None, "message": str(v), "code": getattr(v, "code", "invalid")} for v in detail]
        out = []
        for index, value in enumerate(detail):
            out += _field_errors(value, f"{path}[{index}]")
        return out
    return [{"field": path or None, "message": str(detail), "code": getattr(detail, "code", "invalid")}]


REFUSAL_STATUS = {
    "conflict": status.HTTP_409_CONFLICT,
    "duplicate_invoice": status.HTTP_409_CONFLICT,
    "unknown_po": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "unknown_line": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "stale_revision": status.HTTP_409_CONFLICT,
    # The PO's state forbids the answer (closed, cancelled, a line received in full): not a bad document.
    "po_closed": status.HTTP_409_CONFLICT,
    "po_cancelled": status.HTTP_409_CONFLICT,
    "line_received": status.HTTP_409_CONFLICT,
    "part_mismatch": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "date_out_of_range": status.HTTP_422_UNPROCESSABLE_ENTITY,
}


def exception_handler(exc, context) -> Response | None:
    response = None
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        response = problem(
            400,
            "Invalid request",
            "The request body or parameters are not valid.",
            "invalid",
            errors=_field_errors(exc.detail),
        )
    elif isinstance(exc, exceptions.Throttled):
        response = problem(429, "Too many requests", str(exc.detail), "rate_limited")
        # Throttled keeps its wait (seconds, or None) as an attribute its stubs do not declare.
        wait: float | None = exc.wait  # type: ignore[attr-defined]
        if wait is not None:
            response["Retry-After"] = str(math.ceil(wait))
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response = problem(exc.status_code, HTTPStatus(exc.status_code).phrase, str(exc.detail), code)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            response["WWW-Authenticate"] = "Bearer"
    elif isinstance(exc, DocumentRefused):
        fields = {"errors": exc.errors} if exc.errors else {}
        response = problem(
            REFUSAL_STATUS.get(exc.code, 422),
            "Document refused",
            exc.message,
            exc.code,
            exception=exc.exception_id,
            **fields,
        )
    elif isinstance(exc, NotFound):
        response = problem(404, "Not found", exc.message, exc.code)
    elif isinstance(exc, InvalidAction):
        response = problem(409, "Not possible now", exc.message, exc.code)
    elif isinstance(exc, ProcurementError):
        response = problem(422, "Refused", exc.message, exc.code)
    elif isinstance(exc, RequestDataTooBig):
        response = problem(413, "Payload too large", "The request body is larger than the gateway takes.", "too_large")
    elif isinstance(exc, SuspiciousOperation):
        # Django's own refusals of a malformed request (too many fields, a bad Host): the client's error.
        log.warning("API request refused: %s", exc)
        response = problem(400, "Bad Request", "The request is malformed.", "bad_request")
    elif isinstance(exc, UNAVAILABLE):
        log.error("API request failed: a service it needs is unavailable", exc_info=exc)
        response = unavailable()
    else:
        log.error("API request failed with an unexpected error", exc_info=exc)
        response = internal_error()
    set_rollback()
    return response


def unavailable() -> Response:
    response = problem(
        503,
        "Service unavailable",
        "A service the gateway needs for this request is unavailable; try again later.",
        "unavailable",
    )
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return response


def internal_error() -> Response:
    """The body says nothing about the error: the log has it, under the request's correlation id."""
    return problem(
        500,
        "Internal Server Error",
        "The gateway failed to handle this request; it has been logged under the X-Correlation-ID.",
        "internal_error",
    )
