import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response

from .correlation import new_correlation_id
from .logs import log_context

HEADER = "X-Correlation-ID"
# A caller may pass its own id so its logs and ours line up; anything odd is replaced, not trusted.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


class CorrelationIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        correlation_id = given if _VALID.match(given) else new_correlation_id()
        request.correlation_id = correlation_id  # type: ignore[attr-defined]
        # A scope of its own: what the request binds to its log lines (its document) ends with it.
        with log_context(correlation_id=correlation_id):
            response = self.get_response(request)
            # Django logs a 4xx/5xx answer once every middleware has returned, outside this scope:
            # logged here instead, the line carries the correlation id and document (Django then
            # sees it logged and does not log it again).
            if response.status_code >= 400:
                log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        response[HEADER] = correlation_id
        return response
