"""A supplier admin's integrations page (API keys and webhooks) and their people's activity.

Admins only (``supplier_admin_page``: an authenticator is required and must have been proved in
this session). A new key's secret and a subscription's signing secret are shown once, in the
answer to the POST that made them, never stored in clear and never cached by the browser.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from api.models import ApiKey, WebhookSubscription
from gateway.actors import Actor
from portal import integrations
from portal.access import acting_supplier_id, supplier_admin_page
from procurement.timeline import audit_action_words, audit_record_words
from suppliers.models import Supplier

from .people import portal_source


def _supplier(actor: Actor) -> Supplier:
    return Supplier.objects.get(pk=acting_supplier_id(actor))


def _page(request: HttpRequest, actor: Actor, *, status: int = 200, **extra) -> HttpResponse:
    supplier = _supplier(actor)
    context = {
        "keys": list(integrations.keys_for(supplier)[:100]),
        "subscriptions": list(integrations.subscriptions_for(supplier)),
        "scopes": ApiKey.Scope.choices,
        "events": WebhookSubscription.EVENTS,
        "section": "integrations",
        "errors": {},
        "chosen_events": [],
        "url": "",
        "key_name": "",
        **extra,
    }
    response = render(request, "portal/integrations.html", context, status=status)
    add_never_cache_headers(response)
    return response


@require_GET
@supplier_admin_page
def integrations_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _page(request, actor)


@require_POST
@supplier_admin_page
def api_key_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    try:
        key, secret = integrations.api_key_issue(
            supplier=_supplier(actor),
            name=request.POST.get("name", ""),
            scope=request.POST.get("scope", ""),
            source=portal_source(request),
        )
    except integrations.Invalid as error:
        return _page(request, actor, status=400, errors=error.errors, key_name=request.POST.get("name", ""))
    return _page(request, actor, new_key=key, new_secret=secret)


@require_POST
@supplier_admin_page
def api_key_revoke(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    try:
        key = integrations.api_key_revoke(supplier=_supplier(actor), key_id=pk, source=portal_source(request))
    except integrations.NotFound as error:
        raise Http404(str(error)) from error
    messages.success(request, f"Key {key.prefix}… ({key.name}) is revoked: it no longer signs in.")
    return HttpResponseRedirect(reverse("portal:integrations"))


@require_POST
@supplier_admin_page
def webhook_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    url, events = request.POST.get("url", "").strip(), request.POST.getlist("events")
    try:
        subscription = integrations.webhook_create(
            supplier=_supplier(actor), url=url, events=events, source=portal_source(request)
        )
    except integrations.Invalid as error:
        return _page(request, actor, status=400, errors=error.errors, url=url, chosen_events=events)
    return _page(request, actor, new_subscription=subscription, new_signing_secret=subscription.signing_secret)


@require_POST
@supplier_admin_page
def webhook_change(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    supplier, source, action = _supplier(actor), portal_source(request), request.POST.get("action", "")
    try:
        if action == "rotate":
            subscription = integrations.webhook_secret_rotate(supplier=supplier, subscription_id=pk, source=source)
            return _page(request, actor, new_subscription=subscription, new_signing_secret=subscription.signing_secret)
        if action == "enable":
            integrations.webhook_enable(supplier=supplier, subscription_id=pk, source=source)
            messages.success(request, "The subscription is on again.")
        elif action == "delete":
            integrations.webhook_delete(supplier=supplier, subscription_id=pk, source=source)
            messages.success(request, "The subscription is removed.")
        else:
            return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    except integrations.NotFound as error:
        raise Http404(str(error)) from error
    return HttpResponseRedirect(reverse("portal:integrations"))


@require_GET
@supplier_admin_page
def activity(request: HttpRequest, actor: Actor) -> HttpResponse:
    events = integrations.people_activity(_supplier(actor)).only(
        "occurred_at", "actor_label", "channel", "action", "object_type", "object_id", "document_key", "po"
    )
    page = Paginator(events.select_related("po"), 50).get_page(request.GET.get("page"))
    # What each did, and on what, in words, as the buyers' audit trail says it (``api_key.issued`` on
    # ``ApiKey`` 3 → ``API key issued`` on ``API key 3``).
    rows = [(event, audit_action_words(event.action), audit_record_words(event)) for event in page]
    return render(request, "portal/activity.html", {"page": page, "rows": rows, "section": "activity"})
