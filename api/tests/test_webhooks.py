"""Webhooks: subscriptions through the API, signed deliveries to a real receiver, retries, disabling, fan-out."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest
import standardwebhooks

from api.models import IdempotencyRecord, WebhookSubscription
from api.webhooks import verify
from notifications.models import DeliveryAttempt, OutboundMessage
from notifications.services import outbox_message_deliver
from notifications.transports import address_is_public
from procurement import factories
from procurement.models import AuditEvent, ProcurementException
from procurement.services import WriteSource, exception_dismiss, purchase_order_change

from .conftest import ack_body, po_body, price_change_ack, results

HOOKS = "/api/v1/webhooks/"
WHSEC = re.compile(r"whsec_[0-9a-f]{64}")


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that answers with ``status`` and keeps every request as it arrived."""

    url: str = ""
    status: int = 204
    received: list = field(default_factory=list)
    paths: list = field(default_factory=list)


@pytest.fixture
def receiver(settings):
    """A receiver on loopback; suppliers' webhooks may reach it only because the tests allow private addresses."""
    settings.GATEWAY_WEBHOOK_ALLOW_PRIVATE = True
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((dict(self.headers), raw))
            state.paths.append(self.path)
            self.send_response(state.status)
            if 300 <= state.status < 400:
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    server.shutdown()
    server.server_close()


def subscribe(api, url: str, events: list[str]) -> dict:
    response = api.post(HOOKS, {"url": url, "events": events})
    assert response.status_code == 201, response.content
    return response.json()


def deliveries(subscription_id: int) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(subscription_ref=subscription_id).order_by("id"))


# Subscriptions ----------------------------------------------------------------------------------


def test_the_signing_secret_is_shown_once(owner, supplier):
    created = owner.post(HOOKS, {"url": "https://hooks.bolts.example/gw", "events": ["po.published", "po.changed"]})

    assert created.status_code == 201
    body = created.json()
    subscription = WebhookSubscription.objects.get()
    assert WHSEC.fullmatch(body["signing_secret"])
    assert body["signing_secret"] == subscription.signing_secret
    assert body["id"] == subscription.pk
    assert (body["url"], body["events"], body["active"], body["consecutive_failures"]) == (
        "https://hooks.bolts.example/gw",
        ["po.changed", "po.published"],
        True,
        0,
    )
    assert (subscription.api_key_kind, subscription.supplier) == ("supplier", supplier)
    for shown in (owner.get(HOOKS), owner.get(f"{HOOKS}{subscription.pk}/")):
        assert shown.status_code == 200
        assert b"signing_secret" not in shown.content
        assert body["signing_secret"].encode() not in shown.content
    assert owner.get(f"{HOOKS}{subscription.pk}/").json() == {k: v for k, v in body.items() if k != "signing_secret"}


def test_the_signing_secret_is_not_kept_anywhere(owner):
    secret = subscribe(owner, "https://hooks.bolts.example/gw", ["po.published"])["signing_secret"]

    stored = json.dumps(list(IdempotencyRecord.objects.values("response_body", "response_headers")))

    assert secret not in stored


def test_rotating_changes_the_secret_and_the_old_one_stops_verifying(owner, published_po, receiver, system):
    created = subscribe(owner, receiver.url, ["po.changed"])

    rotated = owner.post(f"{HOOKS}{created['id']}/rotate-secret/")

    assert rotated.status_code == 200
    new = rotated.json()["signing_secret"]
    assert WHSEC.fullmatch(new)
    assert new != created["signing_secret"]
    assert WebhookSubscription.objects.get().signing_secret == new
    assert {k: v for k, v in rotated.json().items() if k != "signing_secret"} == {
        k: v for k, v in created.items() if k != "signing_secret"
    }
    system.post("/api/v1/system/purchase-orders/", po_body("PO-1000", revision=1))
    (message,) = deliveries(created["id"])
    assert outbox_message_deliver(message_id=message.pk) == "delivered"
    ((headers, raw),) = receiver.received
    assert verify(new, headers["Gateway-Signature"], raw)
    assert not verify(created["signing_secret"], headers["Gateway-Signature"], raw)


@pytest.mark.parametrize(
    "body, errors",
    [
        (
            {"url": "https://h.example/x", "events": ["po.published", "po.deleted"]},
            [{"field": "events[1]", "message": '"po.deleted" is not a valid choice.', "code": "invalid_choice"}],
        ),
        (
            {"url": "https://h.example/x", "events": []},
            [{"field": "events", "message": "Ensure this field has at least 1 elements.", "code": "min_length"}],
        ),
        (
            {"url": "not a url", "events": ["po.published"]},
            [{"field": "url", "message": "Enter a valid URL.", "code": "invalid"}],
        ),
        (
            {"url": "https://h.example/x"},
            [{"field": "events", "message": "This field is required.", "code": "required"}],
        ),
    ],
)
def test_subscriptions_are_validated(owner, body, errors):
    response = owner.post(HOOKS, body)

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert WebhookSubscription.objects.count() == 0


def test_events_are_kept_once_and_sorted(owner):
    created = subscribe(owner, "https://h.example/x", ["po.published", "exception.raised", "po.published"])

    assert created["events"] == ["exception.raised", "po.published"]


def test_delete_removes_the_subscription(owner):
    created = subscribe(owner, "https://h.example/x", ["po.published"])

    response = owner.delete(f"{HOOKS}{created['id']}/")

    assert response.status_code == 204
    assert WebhookSubscription.objects.count() == 0


# Deliveries to a real receiver -----------------------------------------------------------------


def test_a_delivery_is_signed_the_way_a_receiver_verifies_it(owner, supplier, system, receiver, published_po):
    created = subscribe(owner, receiver.url, ["po.published"])
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000"))
    (message,) = deliveries(created["id"])

    state = outbox_message_deliver(message_id=message.pk)

    assert state == "delivered"
    ((headers, raw),) = receiver.received
    secret = created["signing_secret"]
    signature = headers["Gateway-Signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", signature)
    assert abs(int(signature.split(",")[0][2:]) - time.time()) < 60
    assert verify(secret, signature, raw)
    # What a receiver must refuse: a changed body, a stale timestamp, another secret, a mangled header.
    assert not verify(secret, signature, raw.replace(b"PO-2000", b"PO-2001"))
    assert not verify(secret, signature, raw + b" ")
    assert not verify(secret, signature, raw, now=time.time() + 301)
    assert not verify("whsec_" + "0" * 64, signature, raw)
    assert not verify(secret, signature.replace("t=", "ts="), raw)
    # The same delivery checked by the Standard Webhooks reference library, as a receiver would use it.
    assert headers["webhook-id"] == message.idempotency_key
    assert headers["webhook-timestamp"] == signature.split(",")[0][2:]
    assert standardwebhooks.Webhook(secret).verify(raw, headers) == json.loads(raw)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(raw.replace(b"PO-2000", b"PO-2001"), headers)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_" + "0" * 64).verify(raw, headers)
    assert (headers["Gateway-Event"], headers["Idempotency-Key"], headers["Gateway-Delivery"]) == (
        "po.published",
        f"po.published:ACME:PO-2000:0:wh{created['id']}",
        str(message.pk),
    )
    body = json.loads(raw)
    assert (body["id"], body["event"], body["data"]["po"]["number"]) == (message.pk, "po.published", "PO-2000")
    listed = results(owner.get(f"{HOOKS}{created['id']}/deliveries/"))
    assert [(d["id"], d["event"], d["state"], d["attempts"]) for d in listed] == [
        (message.pk, "po.published", "delivered", 1)
    ]
    assert [(a["number"], a["succeeded"], a["detail"]) for a in listed[0]["attempts_log"]] == [(1, True, "HTTP 204")]


def test_a_failed_delivery_is_retried_with_backoff_and_the_same_idempotency_key(
    owner, system, receiver, published_po, settings
):
    settings.GATEWAY_OUTBOX_BACKOFF_SECONDS = 30
    created = subscribe(owner, receiver.url, ["po.published"])
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000"))
    (message,) = deliveries(created["id"])
    receiver.status = 503

    assert outbox_message_deliver(message_id=message.pk) == "pending"
    message.refresh_from_db()
    assert (message.attempts, message.last_error) == (1, "DeliveryError: HTTP 503")
    attempt = DeliveryAttempt.objects.get(message=message)
    assert message.next_attempt_at - attempt.attempted_at == dt.timedelta(seconds=30)
    # Not due yet: a second call does not try.
    assert outbox_message_deliver(message_id=message.pk) == "pending"
    assert len(receiver.received) == 1
    assert WebhookSubscription.objects.get().consecutive_failures == 1

    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    receiver.status = 200
    assert outbox_message_deliver(message_id=message.pk) == "delivered"

    assert [h["Idempotency-Key"] for h, _ in receiver.received] == [
        f"po.published:ACME:PO-2000:0:wh{created['id']}"
    ] * 2
    assert list(DeliveryAttempt.objects.filter(message=message).values_list("number", "succeeded", "detail")) == [
        (1, False, "DeliveryError: HTTP 503"),
        (2, True, "HTTP 200"),
    ]
    assert WebhookSubscription.objects.get().consecutive_failures == 0


def test_a_subscription_failing_too_often_is_disabled_and_its_owner_told(
    owner, system, receiver, published_po, settings
):
    settings.GATEWAY_WEBHOOK_DISABLE_AFTER = 3
    settings.GATEWAY_OUTBOX_BACKOFF_SECONDS = 0
    receiver.status = 500
    created = subscribe(owner, receiver.url, ["po.published"])
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000"))
    (message,) = deliveries(created["id"])

    states = [outbox_message_deliver(message_id=message.pk) for _ in range(3)]

    assert states == ["pending", "pending", "pending"]
    subscription = WebhookSubscription.objects.get()
    assert (subscription.active, subscription.consecutive_failures) == (False, 3)
    assert subscription.disabled_at is not None
    assert subscription.disabled_reason == "3 deliveries in a row failed: DeliveryError: HTTP 500"
    (mail,) = OutboundMessage.objects.filter(event="webhook.disabled")
    assert (mail.kind, mail.destination, mail.state) == ("email", "orders@bolts.example", "pending")
    assert mail.payload == {
        "url": receiver.url,
        "reason": subscription.disabled_reason,
        "subscription": subscription.pk,
    }
    shown = owner.get(f"{HOOKS}{subscription.pk}/").json()
    assert (shown["active"], shown["disabled_reason"]) == (False, subscription.disabled_reason)
    # A disabled subscription gets nothing new, and what was queued for it is not sent.
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2001"))
    assert len(deliveries(subscription.pk)) == 1
    assert outbox_message_deliver(message_id=message.pk) == "pending"
    assert len(receiver.received) == 3
    assert OutboundMessage.objects.filter(event="webhook.disabled").count() == 1

    enabled = owner.post(f"{HOOKS}{subscription.pk}/enable/")

    assert enabled.status_code == 200
    assert (enabled.json()["active"], enabled.json()["consecutive_failures"], enabled.json()["disabled_at"]) == (
        True,
        0,
        None,
    )
    receiver.status = 204
    assert outbox_message_deliver(message_id=message.pk) == "delivered"


def test_redelivering_a_pending_delivery_is_not_possible(owner, system, published_po):
    created = subscribe(owner, "https://hooks.bolts.example/gw", ["po.published"])
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000"))
    (message,) = deliveries(created["id"])

    response = owner.post(f"{HOOKS}{created['id']}/deliveries/{message.pk}/redeliver/")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_action"
    assert response.json()["detail"] == f"outbound message {message.pk} is pending, not in the dead letter"


def test_redelivering_a_delivered_message(owner, system, receiver, published_po):
    created = subscribe(owner, receiver.url, ["po.published"])
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000"))
    (message,) = deliveries(created["id"])
    outbox_message_deliver(message_id=message.pk)
    owner.client.raise_request_exception = False

    response = owner.post(f"{HOOKS}{created['id']}/deliveries/{message.pk}/redeliver/", key="redeliver-1")
    retry = owner.post(f"{HOOKS}{created['id']}/deliveries/{message.pk}/redeliver/", key="redeliver-1")

    assert response.status_code == 202
    assert (response.json()["id"], response.json()["state"]) == (message.pk, "pending")
    assert (retry.status_code, retry.get("Idempotent-Replayed")) == (202, "true")
    assert outbox_message_deliver(message_id=message.pk) == "delivered"
    assert [h["Idempotency-Key"] for h, _ in receiver.received] == [message.idempotency_key] * 2


# Which events go where ---------------------------------------------------------------------------


def trigger_po_published(env):
    env.system.post("/api/v1/system/purchase-orders/", po_body("PO-2000"))


def trigger_po_changed(env):
    change = factories.po_input(company="ACME", supplier="BOLTS", plant="DET", revision=1, quantity=150)
    purchase_order_change(po=change, source=env.erp)


def trigger_exception_raised(env):
    env.owner.post("/api/v1/acknowledgements/", price_change_ack())


def trigger_exception_resolved(env):
    env.owner.post("/api/v1/acknowledgements/", price_change_ack())
    exception_dismiss(
        exception_id=ProcurementException.objects.get().pk,
        source=WriteSource(channel="portal", label="buyer", actor=env.buyer),
        reason="INTERNAL NOTE",
    )


def trigger_document_processed(env):
    env.owner.post("/api/v1/acknowledgements/", ack_body())


TRIGGERS = {
    "po.published": trigger_po_published,
    "po.changed": trigger_po_changed,
    "exception.raised": trigger_exception_raised,
    "exception.resolved": trigger_exception_resolved,
    "document.processed": trigger_document_processed,
}


@dataclass
class Env:
    owner: object
    outsider: object
    system: object
    erp: WriteSource
    buyer: object


@pytest.mark.parametrize("event", list(TRIGGERS))
def test_each_event_reaches_exactly_its_subscribers(event, owner, outsider, system, erp, buyer, published_po):
    wanted = subscribe(owner, "https://bolts.example/wanted", [event])
    other_events = subscribe(owner, "https://bolts.example/other", [e for e in TRIGGERS if e != event])
    nuts = subscribe(outsider, "https://nuts.example/all", list(TRIGGERS))
    erp_hook = subscribe(system, "https://erp.example/all", [event])
    # Only what the event itself causes is counted.
    before = {s["id"]: len(deliveries(s["id"])) for s in (wanted, other_events, nuts, erp_hook)}

    TRIGGERS[event](Env(owner, outsider, system, erp, buyer))

    def new(subscription):
        return [m for m in deliveries(subscription["id"])[before[subscription["id"]] :] if m.event == event]

    (to_bolts,) = new(wanted)
    (to_erp,) = new(erp_hook)
    assert new(other_events) == []
    assert new(nuts) == []
    assert (to_bolts.kind, to_bolts.destination, to_bolts.state) == ("http", "https://bolts.example/wanted", "pending")
    assert to_bolts.idempotency_key.endswith(f":wh{wanted['id']}")
    if event == "exception.raised":
        (seen,) = to_bolts.payload["exceptions"]
        assert seen == {
            "id": ProcurementException.objects.get().pk,
            "kind": "price_deviation",
            "po_number": "PO-1000",
            "line_no": "2",
            "message": "price 13.50 instead of 10.00",
        }
        (full,) = to_erp.payload["exceptions"]
        assert full["evidence"]["actual"] == "13.500000"
        assert full["summary"] == "PO-1000 line 2: price 13.50 instead of 10.00"
    if event == "exception.resolved":
        assert to_bolts.payload == {
            "id": ProcurementException.objects.get().pk,
            "kind": "price_deviation",
            "po_number": "PO-1000",
            "line_no": "2",
            "message": "price 13.50 instead of 10.00",
            "resolution": "dismissed",
        }
        assert to_erp.payload["note"] == "INTERNAL NOTE"
    if event == "document.processed":
        assert (to_bolts.payload["document_type"], to_bolts.payload["state"], to_bolts.payload["outcome"]) == (
            "acknowledgement",
            "processed",
            "applied",
        )
    assert "INTERNAL NOTE" not in json.dumps(to_bolts.payload)
    assert "evidence" not in json.dumps(to_bolts.payload)


# Exceptions the gateway closes itself ----------------------------------------------------------


def close_by_newer_ack(env):
    env.owner.post("/api/v1/acknowledgements/", price_change_ack())
    env.owner.post("/api/v1/acknowledgements/", ack_body("ACK-AGAIN"))
    return "price_deviation", "superseded", "replaced by acknowledgement ACK-AGAIN"


def close_by_po_change(env):
    env.owner.post("/api/v1/acknowledgements/", price_change_ack())
    change = factories.po_input(company="ACME", supplier="BOLTS", plant="DET", revision=1, quantity=150)
    purchase_order_change(po=change, source=env.erp)
    return "price_deviation", "superseded", "PO revision 1 changed the line"


def close_by_receipt(env):
    """ACME matches three ways (the default): an invoice ahead of the goods is held until they arrive."""
    env.owner.post("/api/v1/acknowledgements/", ack_body("ACK-OK"))
    invoice = {
        "invoice_number": "INV-1",
        "po_number": "PO-1000",
        "invoice_date": "2027-03-05",
        "currency": "USD",
        "lines": [{"line_no": "1", "quantity": "40", "unit_price": "10"}],
    }
    assert env.owner.post("/api/v1/invoices/", invoice).status_code == 201
    receipt = {
        "receipt_number": "GR-1",
        "company": "ACME",
        "po_number": "PO-1000",
        "received_on": "2027-02-25",
        "lines": [{"line_no": "1", "quantity_received": "40"}],
    }
    assert env.system.post("/api/v1/system/receipts/", receipt).status_code == 201
    return "invoice_quantity_mismatch", "auto_cleared", "goods received now cover the invoiced quantity"


@pytest.mark.parametrize("close", [close_by_newer_ack, close_by_po_change, close_by_receipt])
def test_exceptions_closed_by_a_later_document_are_announced_and_audited(
    close, owner, outsider, system, erp, buyer, published_po
):
    hook = subscribe(owner, "https://bolts.example/resolved", ["exception.resolved"])
    erp_hook = subscribe(system, "https://erp.example/resolved", ["exception.resolved"])
    nuts = subscribe(outsider, "https://nuts.example/resolved", ["exception.resolved"])

    kind, resolution, note = close(Env(owner, outsider, system, erp, buyer))

    closed = ProcurementException.objects.get(kind=kind)
    assert (closed.state, closed.resolution, closed.resolution_note) == ("resolved", resolution, note)
    assert closed.resolved_at is not None
    (to_bolts,) = deliveries(hook["id"])
    (to_erp,) = deliveries(erp_hook["id"])
    assert deliveries(nuts["id"]) == []
    assert to_bolts.payload == {
        "id": closed.pk,
        "kind": kind,
        "po_number": "PO-1000",
        "line_no": closed.po_line.line_no,
        "message": closed.supplier_message,
        "resolution": resolution,
    }
    assert to_erp.payload == to_bolts.payload | {"note": note}
    (audit,) = AuditEvent.objects.filter(action=f"exception.{resolution}", object_id=str(closed.pk))
    assert audit.before == {"state": "open"}
    assert audit.after == {"state": "resolved", "resolution": resolution, "note": note}


# Where deliveries may go ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "https://api.localhost/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hooks",
        "http://[::1]/hooks",
        "http://[fd00::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_a_supplier_cannot_point_a_webhook_at_an_internal_address(owner, url):
    response = owner.post(HOOKS, {"url": url, "events": ["po.published"]})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "url",
            "message": "must be a public internet address, not a loopback, private or reserved one",
            "code": "invalid",
        }
    ]
    assert WebhookSubscription.objects.count() == 0


def test_the_buyers_own_systems_may_use_internal_addresses(system):
    response = system.post(HOOKS, {"url": "http://10.1.2.3:8080/erp/hooks", "events": ["po.published"]})

    assert response.status_code == 201


@pytest.fixture
def dns(monkeypatch):
    """A resolver the test controls: names it was told answer with those addresses; the rest resolve as usual."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["93.184.216.34", "10.0.0.5"], ["64:ff9b::a9fe:a9fe"]],
    ids=["loopback", "public-and-private", "nat64-metadata"],
)
def test_a_supplier_webhook_whose_name_leads_inside_is_not_delivered(
    addresses, owner, system, receiver, published_po, settings, dns, caplog
):
    # The name resolved to the internet when it was given; now (a moved host, DNS rebinding) it does not.
    created = subscribe(owner, "https://hooks.bolts.example/gw", ["po.published"])
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000"))
    (message,) = deliveries(created["id"])
    settings.GATEWAY_WEBHOOK_ALLOW_PRIVATE = False
    dns["hooks.bolts.example"] = addresses

    assert outbox_message_deliver(message_id=message.pk) == "dead"

    message.refresh_from_db()
    # What the supplier reads names no internal address; the server's log does.
    assert message.last_error == (
        "PermanentDeliveryError: hooks.bolts.example does not resolve to public addresses only; "
        "suppliers' webhooks may only go to the internet"
    )
    private = next(a for a in addresses if not address_is_public(a))
    assert f"webhook host hooks.bolts.example resolves to non-public {private}: not delivered" in caplog.text
    assert receiver.received == []


def test_a_delivery_connects_to_the_address_it_checked(owner, system, receiver, published_po, dns):
    """The name is looked up once: the connection goes to that answer, not to a second lookup's."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    dns["hooks.bolts.example"] = ["127.0.0.1"]
    created = subscribe(owner, f"http://hooks.bolts.example:{port}/gw?tenant=bolts", ["po.published"])
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000"))
    (message,) = deliveries(created["id"])

    assert outbox_message_deliver(message_id=message.pk) == "delivered"

    ((headers, _raw),) = receiver.received
    assert (headers["Host"], headers["User-Agent"]) == (f"hooks.bolts.example:{port}", "SupplierGateway-Webhooks/1.0")
    assert receiver.paths == ["/gw?tenant=bolts"]


def test_a_supplier_webhook_only_uses_the_web_ports(owner, settings):
    refused = owner.post(HOOKS, {"url": "https://hooks.bolts.example:6379/gw", "events": ["po.published"]})
    out_of_range = owner.post(HOOKS, {"url": "https://hooks.bolts.example:99999/gw", "events": ["po.published"]})
    allowed = owner.post(HOOKS, {"url": "https://hooks.bolts.example:8443/gw", "events": ["po.published"]})

    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"field": "url", "message": "port 6379 is not open to webhooks; use one of 443, 80, 8443", "code": "invalid"}
    ]
    assert (out_of_range.status_code, out_of_range.json()["errors"][0]["message"]) == (400, "Port out of range 0-65535")
    assert allowed.status_code == 201


def test_a_supplier_webhook_on_another_port_is_not_delivered(owner, system, published_po, settings):
    created = subscribe(owner, "https://hooks.bolts.example/gw", ["po.published"])
    WebhookSubscription.objects.filter(pk=created["id"]).update(url="https://hooks.bolts.example:6379/gw")
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000"))
    (message,) = deliveries(created["id"])

    assert outbox_message_deliver(message_id=message.pk) == "dead"

    message.refresh_from_db()
    assert message.last_error == (
        "PermanentDeliveryError: port 6379 is not open to suppliers' webhooks (GATEWAY_WEBHOOK_PORTS: 443, 80, 8443)"
    )


def test_a_redirect_is_not_followed(owner, system, receiver, published_po):
    receiver.status = 302  # to the cloud metadata address
    created = subscribe(owner, receiver.url, ["po.published"])
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000"))
    (message,) = deliveries(created["id"])

    assert outbox_message_deliver(message_id=message.pk) == "pending"

    message.refresh_from_db()
    assert message.last_error == "DeliveryError: HTTP 302 (redirects are not followed)"
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::808:808", False),
        ("64:ff9b:1::1", False),
        ("2002:a9fe:a9fe::1", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
        ("::ffff:0:7f00:1", False),
        ("::7f00:1", False),
        ("fec0::1", False),
    ],
)
def test_which_addresses_are_public(address, public):
    assert address_is_public(address) is public


def test_redelivering_everything_that_matches(owner, system, receiver, published_po, settings):
    """After an outage the supplier replays its dead deliveries in one call; other deliveries stay as they are."""
    settings.GATEWAY_OUTBOX_MAX_ATTEMPTS = 1
    created = subscribe(owner, receiver.url, ["po.published", "po.changed"])
    other = subscribe(owner, receiver.url, ["po.published"])
    for number in ("PO-2000", "PO-2001", "PO-2002"):
        system.post("/api/v1/system/purchase-orders/", po_body(number))
    system.post("/api/v1/system/purchase-orders/", po_body("PO-2000", revision=1, quantity="7"))
    mine = deliveries(created["id"])
    assert [m.event for m in mine] == ["po.published", "po.published", "po.published", "po.changed"]
    receiver.status = 503
    for message in [*mine, *deliveries(other["id"])]:
        assert outbox_message_deliver(message_id=message.pk) == "dead"
    receiver.status = 204
    # One of them was sent again by hand meanwhile, and got through.
    assert owner.post(f"{HOOKS}{created['id']}/deliveries/{mine[1].pk}/redeliver/").status_code == 202
    assert outbox_message_deliver(message_id=mine[1].pk) == "delivered"
    cut = OutboundMessage.objects.get(pk=mine[2].pk).created_at

    published = owner.post(f"{HOOKS}{created['id']}/deliveries/redeliver/", {"event": "po.published"})
    nothing_left = owner.post(f"{HOOKS}{created['id']}/deliveries/redeliver/", {"created_before": cut.isoformat()})
    the_rest = owner.post(f"{HOOKS}{created['id']}/deliveries/redeliver/", {})

    assert (published.status_code, published.json()) == (202, {"redelivered": [mine[0].pk, mine[2].pk], "remaining": 0})
    assert nothing_left.json() == {"redelivered": [], "remaining": 0}
    # The po.changed delivery was still dead; the one delivered meanwhile is not sent again.
    assert the_rest.json() == {"redelivered": [mine[3].pk], "remaining": 0}
    states = dict(OutboundMessage.objects.filter(subscription_ref=created["id"]).values_list("id", "state"))
    assert states == {mine[0].pk: "pending", mine[1].pk: "delivered", mine[2].pk: "pending", mine[3].pk: "pending"}
    assert set(OutboundMessage.objects.filter(subscription_ref=other["id"]).values_list("state", flat=True)) == {"dead"}
    assert AuditEvent.objects.filter(action="outbox.retried").count() == 4


def test_redelivering_in_batches_says_how_many_remain(owner, system, published_po, monkeypatch):
    from api import services

    monkeypatch.setattr(services, "REDELIVER_BATCH", 2)
    created = subscribe(owner, "https://hooks.bolts.example/gw", ["po.published"])
    for number in ("PO-2000", "PO-2001", "PO-2002"):
        system.post("/api/v1/system/purchase-orders/", po_body(number))
    mine = deliveries(created["id"])
    OutboundMessage.objects.filter(pk__in=[m.pk for m in mine]).update(state="dead")

    first = owner.post(f"{HOOKS}{created['id']}/deliveries/redeliver/", {})
    second = owner.post(f"{HOOKS}{created['id']}/deliveries/redeliver/", {})

    assert first.json() == {"redelivered": [mine[0].pk, mine[1].pk], "remaining": 1}
    assert second.json() == {"redelivered": [mine[2].pk], "remaining": 0}


def test_redelivery_filters_are_validated(owner, system, published_po):
    created = subscribe(owner, "https://hooks.bolts.example/gw", ["po.published"])

    response = owner.post(f"{HOOKS}{created['id']}/deliveries/redeliver/", {"event": "x", "created_after": "soon"})

    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("event", "invalid_choice"),
        ("created_after", "invalid"),
    ]


def test_webhook_reads_carry_etags_like_every_get(owner):
    created = subscribe(owner, "https://hooks.bolts.example/gw", ["po.published"])
    for path in (HOOKS, f"{HOOKS}{created['id']}/", f"{HOOKS}{created['id']}/deliveries/"):
        first = owner.get(path)
        again = owner.get(path, headers={"If-None-Match": first["ETag"]})

        assert (first.status_code, first["Cache-Control"]) == (200, "private, no-cache"), path
        assert (again.status_code, again["ETag"]) == (304, first["ETag"]), path
