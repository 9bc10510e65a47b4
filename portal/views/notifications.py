"""The person's notification inbox (for the supplier they act for) and how they hear of each event.

A line belongs to one person and one supplier: the inbox lists only the signed-in person's lines
for the supplier of the session, so switching supplier switches the inbox, and a membership that
was deactivated shows nothing (the page itself is refused).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gateway.actors import Actor
from notifications.models import Notification, NotificationPreference
from portal.access import acting_supplier_id, supplier_page
from portal.notices import EVENTS, preferences_set


def _mine(request: HttpRequest, actor: Actor):
    return Notification.objects.filter(person_id=request.user.pk, supplier_id=acting_supplier_id(actor))


@require_GET
@supplier_page
def notification_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    rows = _mine(request, actor).order_by("-created_at", "-pk")
    if request.GET.get("show") == "unread":
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/notification_list.html",
        {
            "page": page,
            "unread": _mine(request, actor).filter(read_at__isnull=True).count(),
            "show": request.GET.get("show", ""),
            "section": "notifications",
        },
    )


@require_POST
@supplier_page
def notifications_read(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Mark every unread line of this person for this supplier as read."""
    done = _mine(request, actor).filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, f"{done} notification{'s' if done != 1 else ''} marked as read.")
    return HttpResponseRedirect(reverse("portal:notification_list"))


@require_POST
@supplier_page
def notification_open(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Mark one line read and go to the page it is about; another person's line is not found."""
    row = _mine(request, actor).filter(pk=pk).first()
    if row is None:
        raise Http404("No such notification.")
    if row.read_at is None:
        _mine(request, actor).filter(pk=pk).update(read_at=timezone.now())
    return HttpResponseRedirect(row.link)


@require_http_methods(["GET", "POST"])
@supplier_page
def notification_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    choices = Notification.Email.values
    if request.method == "POST":
        wanted = {event: request.POST.get(event, "") for event in EVENTS}
        bad = [EVENTS[e] for e, v in wanted.items() if v not in choices]
        if bad:
            messages.error(request, "Choose how to hear of: " + ", ".join(bad) + ".")
        else:
            preferences_set(person=request.user, choices=wanted)
            messages.success(request, "Your e-mail choices are saved.")
            return HttpResponseRedirect(reverse("portal:notification_settings"))
    current = dict(NotificationPreference.objects.filter(person_id=request.user.pk).values_list("event", "email"))
    rows = [(event, label, current.get(event, Notification.Email.IMMEDIATE)) for event, label in EVENTS.items()]
    return render(
        request,
        "portal/notification_settings.html",
        {"rows": rows, "options": Notification.Email.choices, "section": "notifications"},
        status=400 if request.method == "POST" else 200,
    )
