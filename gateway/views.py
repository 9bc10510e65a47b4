"""Operational endpoints: liveness and readiness for load balancers and orchestration, metrics for Prometheus."""

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from notifications.models import OutboundMessage
from procurement.models import InboundDocument, ProcurementException

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
    refused = _metrics_refusal(request)
    if refused is not None:
        return refused
    lines = [
        "# HELP gateway_inbound_documents Inbound documents by channel and state.",
        "# TYPE gateway_inbound_documents gauge",
    ]
    for row in InboundDocument.objects.values("channel", "state").annotate(n=Count("id")).order_by():
        lines.append(f'gateway_inbound_documents{{channel="{row["channel"]}",state="{row["state"]}"}} {row["n"]}')
    lines += [
        "# HELP gateway_outbound_messages Outbox rows by kind and state.",
        "# TYPE gateway_outbound_messages gauge",
    ]
    for row in OutboundMessage.objects.values("kind", "state").annotate(n=Count("id")).order_by():
        lines.append(f'gateway_outbound_messages{{kind="{row["kind"]}",state="{row["state"]}"}} {row["n"]}')
    lines += [
        "# HELP gateway_open_exceptions Open exceptions by severity.",
        "# TYPE gateway_open_exceptions gauge",
    ]
    for row in ProcurementException.objects.open().values("severity").annotate(n=Count("id")).order_by():
        lines.append(f'gateway_open_exceptions{{severity="{row["severity"]}"}} {row["n"]}')
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; version=0.0.4")


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
