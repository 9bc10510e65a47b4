"""Operational endpoints: liveness and readiness for load balancers and orchestration, metrics for Prometheus."""

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from . import metrics as gateway_metrics
from .readiness import readiness_checks


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on every site, pages that name no icon (the admin's) included."""
    return HttpResponseRedirect(static("gateway/favicon.svg"))


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as error:  # the endpoint reports the failure instead of failing itself
        database = f"error: {type(error).__name__}"
    status = 200 if database == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "degraded", "database": database}, status=status)


@login_not_required
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """Whether this gateway can do its work: database, broker, each queue's workers, the scheduler,
    and how long the oldest due outbox message has waited. 503 when any is out of its bounds.

    ``/healthz`` stays the cheap liveness check (is this process answering); this one costs a few
    queries and a broker connection, for a readiness probe or a monitor every few seconds.
    """
    checks = readiness_checks()
    ok = all(check["ok"] for check in checks.values())
    response = JsonResponse({"status": "ok" if ok else "fail", "checks": checks}, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics (``gateway.metrics``): every process's figures and the state read now."""
    refused = _metrics_refusal(request)
    if refused is not None:
        return refused
    response = HttpResponse(gateway_metrics.exposition(), content_type=gateway_metrics.CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def _metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the caller may read the metrics; otherwise the answer it gets instead.

    With ``GATEWAY_METRICS_TOKEN`` set, only ``Authorization: Bearer <token>`` may (compared in
    constant time); anything else is a 401 that names the scheme. Without a token the endpoint is
    open on a development machine (DEBUG) and does not exist in production, so a deployment that
    forgot the token shows nothing rather than its business figures.
    """
    token = settings.GATEWAY_METRICS_TOKEN
    if not token:
        if settings.DEBUG:
            return None
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    response = HttpResponse("a bearer token is required\n", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response
