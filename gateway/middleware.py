import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .correlation import correlation_scope, new_correlation_id

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
        with correlation_scope(correlation_id):
            response = self.get_response(request)
        response[HEADER] = correlation_id
        return response
