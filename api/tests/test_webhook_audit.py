"""Every write to a webhook subscription leaves one audit event: who, through which channel, under which
correlation id, the subscription before and after. A refused write leaves none and changes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction

from api.models import WebhookSubscription
from api.services import webhook_subscription_enable
from notifications.models import OutboundMessage
from procurement.models import AuditEvent
from procurement.services import WriteSource

from .conftest import po_body

HOOKS = "/api/v1/webhooks/"
URL = "https://hooks.bolts.example/gw"
CORRELATION = "corr-webhook-0001"
TRACED = {"X-Correlation-ID": CORRELATION}
DISABLED_AT = dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def subscribe(api, events=("po.published",), url=URL) -> dict:
    response = api.post(HOOKS, {"url": url, "events": list(events)})
    assert response.status_code == 201, response.content
    return response.json()


def events(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


def state(**changes) -> dict:
    """A subscription's state as the audit trail records it."""
    return {
        "url": URL,
        "events": ["po.published"],
        "active": True,
        "consecutive_failures": 0,
        "disabled_at": None,
        "disabled_reason": "",
    } | changes


@pytest.fixture
def label(owner_key) -> str:
    return f"supplier BOLTS key {owner_key[0].prefix}"


@pytest.fixture
def disabled(owner) -> int:
    """A subscription the worker turned off after failing deliveries."""
    created = subscribe(owner)
    WebhookSubscription.objects.filter(pk=created["id"]).update(
        active=False, consecutive_failures=5, disabled_at=DISABLED_AT, disabled_reason="5 deliveries in a row failed"
    )
    return created["id"]


def test_subscribing_is_audited_once(owner, label):
    response = owner.post(HOOKS, {"url": URL, "events": ["po.published", "po.published"]}, headers=TRACED)
    created = response.json()

    (event,) = events()
    assert (event.action, event.channel, event.actor_label, event.actor_id) == (
        "webhook_subscription.created",
        "api",
        label,
        None,
    )
    assert (event.object_type, event.object_id, event.correlation_id) == (
        "WebhookSubscription",
        str(created["id"]),
        CORRELATION,
    )
    assert (event.before, event.after) == (None, state())
    assert created["signing_secret"] not in json.dumps([event.before, event.after])


def test_a_replayed_subscribe_is_not_audited_again(owner):
    first = owner.post(HOOKS, {"url": URL, "events": ["po.published"]}, key="subscribe-1")
    again = owner.post(HOOKS, {"url": URL, "events": ["po.published"]}, key="subscribe-1")

    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert [e.action for e in events()] == ["webhook_subscription.created"]
    assert WebhookSubscription.objects.count() == 1


def test_rotating_the_secret_is_audited_without_the_secret(owner, label):
    created = subscribe(owner)

    rotated = owner.post(f"{HOOKS}{created['id']}/rotate-secret/", headers=TRACED).json()

    (event,) = events(action="webhook_subscription.secret_rotated")
    assert (event.actor_label, event.object_id, event.correlation_id) == (label, str(created["id"]), CORRELATION)
    assert (event.before, event.after) == (None, {"signing_secret": "rotated"})
    written = json.dumps(list(AuditEvent.objects.values("before", "after")))
    assert created["signing_secret"] not in written
    assert rotated["signing_secret"] not in written
    assert AuditEvent.objects.count() == 2


def test_enabling_a_disabled_subscription_is_audited_with_what_it_reset(owner, label, disabled):
    response = owner.post(f"{HOOKS}{disabled}/enable/", headers=TRACED)

    assert (response.status_code, response.json()["active"]) == (200, True)
    (event,) = events(action="webhook_subscription.enabled")
    assert (event.actor_label, event.object_id, event.correlation_id) == (label, str(disabled), CORRELATION)
    assert event.before == {
        "active": False,
        "consecutive_failures": 5,
        "disabled_at": "2027-01-02T03:04:05+00:00",
        "disabled_reason": "5 deliveries in a row failed",
    }
    assert event.after == {"active": True, "consecutive_failures": 0, "disabled_at": None, "disabled_reason": ""}


def test_enabling_a_subscription_that_is_on_changes_nothing_and_is_not_audited(owner):
    created = subscribe(owner)

    response = owner.post(f"{HOOKS}{created['id']}/enable/")

    assert response.status_code == 200
    assert [e.action for e in events()] == ["webhook_subscription.created"]


def test_deleting_is_audited_with_what_was_removed(owner, label):
    created = subscribe(owner)

    response = owner.delete(f"{HOOKS}{created['id']}/", headers=TRACED)

    assert response.status_code == 204
    (event,) = events(action="webhook_subscription.deleted")
    assert (event.actor_label, event.object_id, event.correlation_id) == (label, str(created["id"]), CORRELATION)
    assert (event.before, event.after) == (state(), None)
    assert WebhookSubscription.objects.count() == 0


def test_a_bulk_redelivery_is_audited_once_beside_each_delivery_retried(owner, system, published_po, label):
    created = subscribe(owner, events=("po.published", "po.changed"))
    for number in ("PO-2000", "PO-2001"):
        system.post("/api/v1/system/purchase-orders/", po_body(number))
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000", revision=1, quantity="6"))
    mine = OutboundMessage.objects.filter(subscription_ref=created["id"])
    mine.update(state="dead")
    dead = list(mine.filter(event="po.published").order_by("id"))

    response = owner.post(f"{HOOKS}{created['id']}/deliveries/redeliver/", {"event": "po.published"}, headers=TRACED)

    assert response.json() == {"redelivered": [m.pk for m in dead], "remaining": 0}
    assert sorted(mine.values_list("event", "state")) == [
        ("po.changed", "dead"),
        ("po.published", "pending"),
        ("po.published", "pending"),
    ]
    (event,) = events(action="webhook_subscription.redelivered")
    assert (event.actor_label, event.object_id, event.correlation_id) == (label, str(created["id"]), CORRELATION)
    assert (event.before, event.after) == (
        None,
        {"filters": {"event": "po.published"}, "redelivered": [m.pk for m in dead]},
    )
    retried = events(action="outbox.retried")
    assert [(e.object_id, e.correlation_id) for e in retried] == [(str(m.pk), CORRELATION) for m in dead]


def test_a_bulk_redelivery_that_matches_nothing_is_not_audited(owner):
    created = subscribe(owner)

    response = owner.post(f"{HOOKS}{created['id']}/deliveries/redeliver/", {})

    assert response.json() == {"redelivered": [], "remaining": 0}
    assert [e.action for e in events()] == ["webhook_subscription.created"]


# Refused writes ---------------------------------------------------------------------------------


def test_an_invalid_subscription_is_refused_without_an_event(owner):
    response = owner.post(HOOKS, {"url": "http://127.0.0.1/hooks", "events": ["po.published"]})

    assert response.status_code == 400
    assert (WebhookSubscription.objects.count(), AuditEvent.objects.count()) == (0, 0)


def test_a_read_only_key_is_refused_without_an_event(owner_reader):
    response = owner_reader.post(HOOKS, {"url": URL, "events": ["po.published"]})

    assert response.status_code == 403
    assert (WebhookSubscription.objects.count(), AuditEvent.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    "method, suffix",
    [("post", "rotate-secret/"), ("post", "enable/"), ("post", "deliveries/redeliver/"), ("delete", "")],
)
def test_another_suppliers_subscription_is_not_found_and_left_as_it_was(owner, outsider, disabled, method, suffix):
    before = WebhookSubscription.objects.values().get(pk=disabled)
    audited = AuditEvent.objects.count()

    response = getattr(outsider, method)(f"{HOOKS}{disabled}/{suffix}")

    assert response.status_code == 404
    assert WebhookSubscription.objects.values().get(pk=disabled) == before
    assert AuditEvent.objects.count() == audited


def test_a_write_that_fails_after_the_service_leaves_no_event(owner, disabled):
    """The event commits with the change or not at all."""
    subscription = WebhookSubscription.objects.get(pk=disabled)
    source = WriteSource(channel="api", label="test", correlation_id=CORRELATION)
    audited = AuditEvent.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        webhook_subscription_enable(subscription=subscription, source=source)
        raise RuntimeError("the caller's transaction fails")

    assert WebhookSubscription.objects.get(pk=disabled).active is False
    assert AuditEvent.objects.count() == audited
