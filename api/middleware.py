"""Answers for the API that Django would otherwise give as HTML or as a database error."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from .problems import PROBLEM_BASE

API_PREFIX = "/api/"


def problem_response(status: int, title: str, detail: str, code: str) -> JsonResponse:
    body = {
        "type": PROBLEM_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    return JsonResponse(body, status=status, content_type="application/problem+json")


class ApiInputMiddleware:
    """Refuse query strings holding NUL characters before any view or database sees them, and tell
    each API answer's client where it stands with its rate limit.

    PostgreSQL cannot store or compare a NUL in text, so a filter value holding one would fail
    deep in the database instead of as the client's error. ``RateLimit-Limit``, ``-Remaining``
    and ``-Reset`` (seconds) let a client pace itself instead of learning the limit from a 429.

    Under ``DEBUG`` (``make run``) Django answers a URL it cannot resolve with its HTML debug page
    and never calls ``handler404``: an API client gets the problem details of production instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    return problem_response(
                        400, "Invalid request", f"query parameter {name!r} holds a NUL character", "invalid"
                    )
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and request.path.startswith(API_PREFIX)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            response = not_found(request)
        rate_limit = getattr(request, "rate_limit", None)
        if rate_limit is not None:
            names = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
            for name, value in zip(names, rate_limit, strict=True):
                response[name] = str(value)
        return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 for a request Django refuses before any view (a Host not allowed, a malformed body):
    problem details under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return problem_response(400, "Bad Request", "The request is malformed.", "bad_request")
    from django.views.defaults import bad_request as page_bad_request

    return page_bad_request(request, exception or Exception())


def server_error(request: HttpRequest) -> HttpResponse:
    """500 for an error outside the API views' own handler (a middleware's): problem details under
    /api/, never Django's HTML page; the log has the error under the request's correlation id."""
    if request.path.startswith(API_PREFIX):
        return problem_response(
            500,
            "Internal Server Error",
            "The gateway failed to handle this request; it has been logged under the X-Correlation-ID.",
            "internal_error",
        )
    from django.views.defaults import server_error as page_server_error

    return page_server_error(request)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for any URL: problem details under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return problem_response(404, "Not Found", f"No API resource at {request.path}.", "not_found")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
