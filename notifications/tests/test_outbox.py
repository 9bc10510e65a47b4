"""Outbox delivery: files, e-mail and webhooks against a real HTTP server, retries and the dead letter."""

import datetime as dt
import json
import socket
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from gateway.celery import app
from notifications.models import DeliveryAttempt, OutboundMessage
from notifications.services import outbox_due_ids, outbox_message_deliver
from notifications.transports import render_json
from procurement import factories
from procurement.models import AuditEvent, ProcurementException
from procurement.services import (
    InvalidAction,
    NotFound,
    exception_accept,
    exception_reject,
    outbox_message_retry,
    purchase_order_publish,
)
from procurement.tests import helpers as h
from suppliers.models import Supplier


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # Webhooks go to 127.0.0.1; a proxy configured in the environment must not intercept them.
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def file_root(settings, tmp_path, notification_registry):
    root = tmp_path / "files"
    settings.GATEWAY_FILE_ROOT = root
    # The outbox's own rendering; the EDI channel's X12 renderers are tested in edi/.
    for event in ("po.published", "po.changed"):
        notification_registry.file_renderer_register(event, render_json)
    return root


@pytest.fixture
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _webhook_message(url: str) -> OutboundMessage:
    """An HTTP outbox row as the write path leaves it: pending, due now, with the settings' attempts."""
    now = timezone.now()
    return OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.HTTP,
        event="po.published",
        destination=url,
        payload={"po": {"number": "PO-H1", "revision": 0}},
        idempotency_key="po.published:ACME:PO-H1:0:http",
        max_attempts=settings.GATEWAY_OUTBOX_MAX_ATTEMPTS,
        next_attempt_at=now,
        correlation_id="corr-erp-PO-H1",
        created_at=now,
    )


def _due_now(message: OutboundMessage) -> None:
    """Let the backoff run out."""
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def _attempts(message: OutboundMessage) -> list[tuple]:
    return list(DeliveryAttempt.objects.filter(message=message).values_list("number", "succeeded", "detail"))


# Files ------------------------------------------------------------------------------------------


def test_a_file_is_written_whole_under_the_partners_folder(company, plant, edi_supplier, file_root):
    h.publish(company, plant, edi_supplier, number="PO-E1")
    message = OutboundMessage.objects.get()
    assert (message.kind, message.destination) == ("file", "edi/GEARS/outbox")

    assert outbox_message_deliver(message_id=message.pk) == "delivered"

    folder = file_root / "edi" / "GEARS" / "outbox"
    written = folder / "po.published_ACME_PO-E1_0_file.json"
    assert sorted(p.name for p in folder.iterdir()) == [written.name]  # no temporary file left behind
    assert json.loads(written.read_text()) == {
        "event": "po.published",
        "idempotency_key": "po.published:ACME:PO-E1:0:file",
        "payload": message.payload,
    }
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error, message.locked_until) == ("delivered", 1, "", None)
    assert message.delivered_at is not None
    size = len(written.read_bytes())
    assert _attempts(message) == [(1, True, f"wrote {written} ({size} bytes)")]


def test_a_destination_that_leaves_the_file_root_is_dead_lettered_at_once(company, plant, file_root):
    sneaky = factories.SupplierFactory(code="../../escape", channel=Supplier.Channel.EDI)
    h.publish(company, plant, sneaky, number="PO-X")
    message = OutboundMessage.objects.get()

    assert outbox_message_deliver(message_id=message.pk) == "dead"

    message.refresh_from_db()
    error = "PermanentDeliveryError: destination 'edi/../../escape/outbox' leaves the file root"
    assert (message.attempts, message.last_error) == (1, error)
    assert _attempts(message) == [(1, False, error)]
    assert not (file_root.parent / "escape").exists()
    assert not file_root.exists()


# E-mail -----------------------------------------------------------------------------------------


def test_an_email_is_sent_with_the_rendered_order(published_po, locmem_mail):
    message = OutboundMessage.objects.get()

    assert outbox_message_deliver(message_id=message.pk) == "delivered"

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["orders@bolts.example"]
    assert sent.subject == "New purchase order PO-1000"
    assert sent.extra_headers == {
        "X-Idempotency-Key": "po.published:ACME:PO-1000:0:email",
        "X-Correlation-ID": "corr-erp-0001",
    }
    assert "Purchase order PO-1000, revision 0, ship to DET." in sent.body
    assert "  Line 2: 100 EA of PART-00002 at 10 USD, needed by 2027-03-01" in sent.body
    assert "Reference: po.published:ACME:PO-1000:0:email" in sent.body
    assert _attempts(message) == [(1, True, "mailed orders@bolts.example")]


def test_a_rejected_proposal_mail_gives_the_reason(published_po, supplier, buyer_source, locmem_mail):
    h.record_ack(supplier, "ACK-1", h.price("2", "11"))
    exception_reject(
        exception_id=ProcurementException.objects.get().pk, source=buyer_source, reason="contract price holds"
    )
    message = OutboundMessage.objects.get(event="proposal.rejected")

    outbox_message_deliver(message_id=message.pk)

    sent = mail.outbox[0]
    assert sent.subject == "Your proposal on PO PO-1000 was declined"
    assert "The buyer declined your proposal on PO PO-1000 line 2.\nReason: contract price holds" in sent.body


# HTTP -------------------------------------------------------------------------------------------


def test_a_webhook_is_retried_with_backoff_until_it_succeeds(db, settings):
    settings.GATEWAY_OUTBOX_BACKOFF_SECONDS = 30
    with h.WebhookServer([500, 200]) as server:
        message = _webhook_message(server.url)

        assert outbox_message_deliver(message_id=message.pk) == "pending"
        message.refresh_from_db()
        first = DeliveryAttempt.objects.get(message=message)
        assert (message.attempts, message.last_error) == (1, "DeliveryError: HTTP 500")
        assert message.next_attempt_at - first.attempted_at == dt.timedelta(seconds=30)
        assert (first.number, first.succeeded, first.detail) == (1, False, "DeliveryError: HTTP 500")

        # Not due yet: a second worker leaves it alone.
        assert outbox_message_deliver(message_id=message.pk) == "pending"
        assert len(server.requests) == 1
        assert message.pk not in outbox_due_ids()

        _due_now(message)
        assert message.pk in outbox_due_ids()
        assert outbox_message_deliver(message_id=message.pk) == "delivered"

    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("delivered", 2, "")
    assert [(n, ok) for n, ok, _ in _attempts(message)] == [(1, False), (2, True)]
    assert _attempts(message)[1][2] == "HTTP 200"
    assert len(server.requests) == 2
    request = server.requests[1]
    assert request["path"] == "/hooks/gateway"
    assert request["body"] == {
        "id": message.pk,
        "event": "po.published",
        "created_at": message.created_at.isoformat(),
        "data": {"po": {"number": "PO-H1", "revision": 0}},
    }
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["idempotency-key"] == "po.published:ACME:PO-H1:0:http"
    assert request["headers"]["gateway-event"] == "po.published"
    assert request["headers"]["gateway-delivery"] == str(message.pk)
    assert request["headers"]["x-correlation-id"] == "corr-erp-PO-H1"


def test_the_backoff_doubles_and_is_capped(db, settings):
    settings.GATEWAY_OUTBOX_BACKOFF_SECONDS = 30
    settings.GATEWAY_OUTBOX_BACKOFF_MAX_SECONDS = 100
    with h.WebhookServer([503]) as server:
        message = _webhook_message(server.url)
        waits = []
        for _ in range(4):
            _due_now(message)
            outbox_message_deliver(message_id=message.pk)
            message.refresh_from_db()
            last = DeliveryAttempt.objects.filter(message=message).last()
            waits.append((message.next_attempt_at - last.attempted_at).total_seconds())

    assert waits == [30, 60, 100, 100]


def test_a_message_goes_to_the_dead_letter_after_its_last_attempt_and_can_be_retried(settings, buyer, buyer_source):
    settings.GATEWAY_OUTBOX_MAX_ATTEMPTS = 2
    with h.WebhookServer([500, 500, 200]) as server:
        message = _webhook_message(server.url)
        assert message.max_attempts == 2

        assert outbox_message_deliver(message_id=message.pk) == "pending"
        _due_now(message)
        assert outbox_message_deliver(message_id=message.pk) == "dead"
        assert message.pk not in outbox_due_ids()
        assert outbox_message_deliver(message_id=message.pk) == "dead"
        assert len(server.requests) == 2

        retried = outbox_message_retry(message_id=message.pk, source=buyer_source)
        assert (retried.state, retried.attempts, retried.max_attempts) == ("pending", 2, 4)
        assert message.pk in outbox_due_ids()
        event = AuditEvent.objects.get(action="outbox.retried")
        assert (event.actor, event.correlation_id, event.after) == (
            buyer,
            "corr-buyer-0001",
            {"attempts": 2, "max_attempts": 4},
        )

        assert outbox_message_deliver(message_id=message.pk) == "delivered"

    message.refresh_from_db()
    assert (message.state, message.attempts) == ("delivered", 3)
    assert [(n, ok) for n, ok, _ in _attempts(message)] == [(1, False), (2, False), (3, True)]


def test_only_a_dead_message_can_be_retried(published_po, buyer_source):
    message = OutboundMessage.objects.get()

    with pytest.raises(InvalidAction):
        outbox_message_retry(message_id=message.pk, source=buyer_source)
    with pytest.raises(NotFound):
        outbox_message_retry(message_id=424242, source=buyer_source)
    assert OutboundMessage.objects.get().state == "pending"
    assert AuditEvent.objects.filter(action="outbox.retried").count() == 0


def test_delivering_a_delivered_message_is_a_no_op(db):
    with h.WebhookServer([200]) as server:
        message = _webhook_message(server.url)
        assert outbox_message_deliver(message_id=message.pk) == "delivered"

        assert outbox_message_deliver(message_id=message.pk) == "delivered"
        _due_now(message)
        assert outbox_message_deliver(message_id=message.pk) == "delivered"

    message.refresh_from_db()
    assert message.attempts == 1
    assert len(server.requests) == 1
    assert DeliveryAttempt.objects.filter(message=message).count() == 1


def test_a_claim_whose_lease_ran_out_is_taken_over(db):
    with h.WebhookServer([200]) as server:
        message = _webhook_message(server.url)
        # A worker claimed it and died.
        OutboundMessage.objects.filter(pk=message.pk).update(
            state="sending", attempts=1, locked_until=timezone.now() + dt.timedelta(minutes=5)
        )
        assert outbox_message_deliver(message_id=message.pk) == "sending"
        assert message.pk not in outbox_due_ids()

        OutboundMessage.objects.filter(pk=message.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
        assert message.pk in outbox_due_ids()
        assert outbox_message_deliver(message_id=message.pk) == "delivered"

    message.refresh_from_db()
    assert (message.attempts, len(server.requests)) == (2, 1)


def test_a_missing_message_is_reported_missing(db):
    assert outbox_message_deliver(message_id=424242) == "missing"


# Enqueueing -------------------------------------------------------------------------------------


def test_delivery_is_enqueued_only_once_the_transaction_commits(
    company, plant, supplier, settings, locmem_mail, django_capture_on_commit_callbacks, monkeypatch
):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
    monkeypatch.setitem(app.conf, "task_always_eager", True)  # run the task in-process: no broker

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        h.publish(company, plant, supplier, number="PO-Q1")
        assert OutboundMessage.objects.get().state == "pending"

    assert len(callbacks) == 1
    assert mail.outbox == []
    callbacks[0]()
    assert OutboundMessage.objects.get().state == "delivered"
    assert [m.subject for m in mail.outbox] == ["New purchase order PO-Q1"]


def test_nothing_is_enqueued_when_enqueueing_is_off(company, plant, supplier, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        h.publish(company, plant, supplier, number="PO-Q2")

    assert callbacks == []
    assert OutboundMessage.objects.get().state == "pending"


# Digests of buyers' exception e-mails ------------------------------------------------------------


@pytest.fixture
def alerts(published_po, supplier, company, plant, erp, settings, monkeypatch, django_capture_on_commit_callbacks):
    """Three exception e-mails: two for buyer (PO-1000 and PO-1001), one for another buyer (PO-2000).

    Recorded with enqueue-on-commit on; returns the ids the commits queued for delivery one by one.
    """
    from notifications import tasks
    from procurement.services import purchase_order_publish

    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
    queued = []
    monkeypatch.setattr(tasks.outbox_deliver, "delay", lambda pk: queued.append(pk))
    other = factories.BuyerFactory(username="other", email="other@acme.example")
    for number, buyer in (("PO-1001", "buyer"), ("PO-2000", other.username)):
        po = factories.po_input(company="ACME", supplier=supplier.code, plant=plant.code, number=number, buyer=buyer)
        purchase_order_publish(po=po, source=erp)
    with django_capture_on_commit_callbacks(execute=True):
        h.record_ack(supplier, "ACK-1", h.price("2", "11"))
        h.record_ack(supplier, "ACK-2", h.price("1", "12"), po="PO-1001")
        h.record_ack(supplier, "ACK-3", h.quantity("3", "50"), po="PO-2000")
    return queued


def test_buyers_exception_emails_go_out_as_one_digest_per_buyer(alerts, locmem_mail):
    from notifications.services import outbox_digests_deliver

    emails = list(OutboundMessage.objects.filter(event="exception.raised").order_by("id"))
    assert [m.destination for m in emails] == ["buyer@acme.example", "buyer@acme.example", "other@acme.example"]
    assert not set(alerts) & {m.pk for m in emails}  # none was queued on its own

    assert outbox_digests_deliver() == 3
    assert outbox_digests_deliver() == 0

    to_buyer, to_other = sorted(mail.outbox, key=lambda m: m.to)
    assert (to_buyer.to, to_buyer.subject) == (["buyer@acme.example"], "2 exceptions to review")
    assert "acknowledgement ACK-1, PO PO-1000:" in to_buyer.body
    assert "acknowledgement ACK-2, PO PO-1001:" in to_buyer.body
    assert "PO PO-1000 line 2: price 11 instead of 10" in to_buyer.body
    assert (to_other.to, to_other.subject) == (["other@acme.example"], "1 exception to review on PO PO-2000")
    assert len(to_buyer.extra_headers["X-Idempotency-Key"]) == len("digest:") + 32
    assert to_buyer.extra_headers["X-Idempotency-Key"] != to_other.extra_headers["X-Idempotency-Key"]
    for message in OutboundMessage.objects.filter(event="exception.raised"):
        assert (message.state, message.attempts) == ("delivered", 1)
        (attempt,) = message.attempt_log.all()
        digest = 2 if message.destination == "buyer@acme.example" else 1
        assert (attempt.succeeded, attempt.detail) == (True, f"mailed {message.destination} (digest of {digest})")


def test_a_failed_digest_leaves_each_message_to_its_own_backoff(alerts, locmem_mail, monkeypatch):
    from django.core.mail import EmailMessage

    from notifications.services import outbox_digests_deliver

    def refused(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", refused)

    assert outbox_digests_deliver() == 0

    for message in OutboundMessage.objects.filter(event="exception.raised"):
        assert (message.state, message.attempts) == ("pending", 1)
        assert message.last_error == "ConnectionRefusedError: mail server down"
        assert message.next_attempt_at > timezone.now()
    assert outbox_digests_deliver() == 0  # none is due again yet
    assert mail.outbox == []


def test_a_delivery_tries_each_checked_address_in_turn():
    from notifications.transports import _connect

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]  # bound, never listening: refuses connections
        with socket.create_server(("127.0.0.1", 0)) as server:
            open_port = server.getsockname()[1]
            closed_answer = socket.getaddrinfo("127.0.0.1", closed_port, type=socket.SOCK_STREAM)
            open_answer = socket.getaddrinfo("127.0.0.1", open_port, type=socket.SOCK_STREAM)
            connected = _connect(closed_answer + open_answer, 2)
            with connected:
                assert connected.getpeername() == ("127.0.0.1", open_port)
            with pytest.raises(ConnectionRefusedError):
                _connect(closed_answer, 2)


def test_deliveries_queued_under_the_tasks_former_names_still_run(published_po, locmem_mail):
    from gateway.celery import app
    from notifications import tasks

    assert tasks.outbox_deliver_queued_before_upgrade.name == "procurement.tasks.outbox_deliver"

    message = OutboundMessage.objects.get()
    route = {name: app.amqp.router.route({}, name)["queue"].name for name in ("procurement.tasks.outbox_deliver",)}

    assert app.tasks["procurement.tasks.outbox_deliver"](message.pk) == "delivered"
    assert app.tasks["procurement.tasks.outbox_dispatch_due"]() == 0
    assert route == {"procurement.tasks.outbox_deliver": "outbox"}
    assert len(mail.outbox) == 1


def test_a_revision_made_from_the_record_is_mailed_with_numbers_as_people_write_them(
    company, plant, supplier, erp, buyer_source, locmem_mail
):
    """Accepting a proposal makes the revision from the record, whose snapshot carries the columns'
    scale on PostgreSQL ("18.500000"); the e-mail writes the numbers as people do."""
    po = factories.po_input(company="ACME", supplier="BOLTS", plant="DET", number="PO-2000", price=Decimal("18.5"))
    purchase_order_publish(po=po, source=erp)
    h.record_ack(supplier, "ACK-1", h.price("2", "19.25"), po="PO-2000")
    exception_accept(exception_id=ProcurementException.objects.get().pk, source=buyer_source)
    message = OutboundMessage.objects.get(event="po.changed", kind="email")
    assert Decimal(message.payload["po"]["lines"][0]["unit_price"]) == Decimal("18.5")

    assert outbox_message_deliver(message_id=message.pk) == "delivered"

    body = mail.outbox[0].body
    assert "  Line 1: 100 EA of PART-00001 at 18.5 USD, needed by 2027-03-01" in body
    assert "  Line 2: 100 EA of PART-00002 at 19.25 USD, needed by 2027-03-01" in body


@pytest.mark.parametrize(
    ("value", "shown"),
    [("18.500000", "18.5"), ("120.000", "120"), ("60", "60"), ("0.000100", "0.0001"), ("NaN", "NaN"), ("n/a", "n/a")],
)
def test_numbers_in_messages_lose_only_their_trailing_zeros(value, shown):
    from django.template import Context, Template

    assert Template("{% load amounts %}{{ v|plain }}").render(Context({"v": value})) == shown
