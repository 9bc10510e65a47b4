"""Outbox delivery: files, e-mail and webhooks against a real HTTP server, retries and the dead letter."""

import datetime as dt
import json
import socket
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from gateway.celery import app
from notifications.models import DeliveryAttempt, OutboundMessage
from notifications.services import (
    outbox_deliveries_together,
    outbox_due_ids,
    outbox_message_deliver,
    outbox_messages_deliver,
    outbox_write,
)
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
    assert sent.subject == "Your proposal on PO-1000 was declined"
    assert "The buyer declined your proposal on PO-1000 line 2.\nReason: contract price holds" in sent.body


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
    assert "acknowledgement ACK-1, PO-1000:" in to_buyer.body
    assert "acknowledgement ACK-2, PO-1001:" in to_buyer.body
    assert "PO-1000 line 2: price 11.00 instead of 10.00" in to_buyer.body
    assert (to_other.to, to_other.subject) == (["other@acme.example"], "1 exception to review on PO-2000")
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
    [
        ("18.500000", "18.5"),
        ("120.000", "120"),
        ("60", "60"),
        ("0.000100", "0.0001"),
        ("NaN", "NaN"),
        ("n/a", "n/a"),
        ("-0.000", "0"),
    ],
)
def test_numbers_in_messages_lose_only_their_trailing_zeros(value, shown):
    from django.template import Context, Template

    assert Template("{% load amounts %}{{ v|plain }}").render(Context({"v": value})) == shown


# Delivered together ------------------------------------------------------------------------------


def _file_message(key: str, destination: str = "edi/GEARS/outbox") -> OutboundMessage:
    """A file outbox row as the write path leaves it (unsaved): pending, due now."""
    now = timezone.now()
    return OutboundMessage(
        kind=OutboundMessage.Kind.FILE,
        event="x12.test",
        destination=destination,
        payload={"n": key},
        idempotency_key=key,
        max_attempts=settings.GATEWAY_OUTBOX_MAX_ATTEMPTS,
        next_attempt_at=now,
        correlation_id=f"corr-{key}",
        created_at=now,
    )


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_messages_delivered_together_are_each_delivered_once_with_their_own_attempt(db, file_root):
    messages = OutboundMessage.objects.bulk_create([_file_message(f"m{n}") for n in range(3)])
    ids = [m.pk for m in messages]

    assert outbox_messages_deliver(message_ids=ids) == dict.fromkeys(ids, "delivered")

    folder = file_root / "edi" / "GEARS" / "outbox"
    assert _files(folder) == ["m0.json", "m1.json", "m2.json"]  # no temporary file left behind
    for message in messages:
        message.refresh_from_db()
        written = folder / f"{message.idempotency_key}.json"
        assert json.loads(written.read_text())["payload"] == message.payload
        assert (message.state, message.attempts, message.last_error, message.locked_until) == ("delivered", 1, "", None)
        assert _attempts(message) == [(1, True, f"wrote {written} ({len(written.read_bytes())} bytes)")]

    # Again, and once more past any backoff: nothing is claimed, written or logged a second time.
    assert outbox_messages_deliver(message_ids=[*ids, 424242]) == {**dict.fromkeys(ids, "delivered"), 424242: "missing"}
    OutboundMessage.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert outbox_messages_deliver(message_ids=ids) == dict.fromkeys(ids, "delivered")
    assert DeliveryAttempt.objects.count() == 3
    assert list(OutboundMessage.objects.values_list("attempts", flat=True).distinct()) == [1]


def test_a_failure_of_one_message_delivered_together_does_not_hold_the_others(db, file_root):
    with h.WebhookServer([500]) as server:
        before, escaping, after = OutboundMessage.objects.bulk_create(
            [_file_message("before"), _file_message("escaping", destination="../outside"), _file_message("after")]
        )
        webhook = _webhook_message(server.url)
        ids = [before.pk, escaping.pk, webhook.pk, after.pk]

        states = outbox_messages_deliver(message_ids=ids)

    assert states == {before.pk: "delivered", escaping.pk: "dead", webhook.pk: "pending", after.pk: "delivered"}
    assert _files(file_root / "edi" / "GEARS" / "outbox") == ["after.json", "before.json"]
    assert not (file_root.parent / "outside").exists()
    error = "PermanentDeliveryError: destination '../outside' leaves the file root"
    assert _attempts(escaping) == [(1, False, error)]
    webhook.refresh_from_db()
    assert (webhook.state, webhook.attempts, webhook.last_error) == ("pending", 1, "DeliveryError: HTTP 500")
    assert webhook.next_attempt_at > timezone.now() + dt.timedelta(seconds=25)  # its own backoff
    assert _attempts(webhook) == [(1, False, "DeliveryError: HTTP 500")]
    assert [_attempts(m)[0][:2] for m in (before, after)] == [(1, True), (1, True)]


def test_a_worker_lost_between_the_files_and_their_commit_loses_and_doubles_no_file(db, file_root, monkeypatch):
    from notifications import services

    messages = OutboundMessage.objects.bulk_create([_file_message(f"m{n}") for n in range(2)])
    ids = [m.pk for m in messages]
    finish = services._attempts_finish

    def lost(attempts):
        raise SystemExit("the worker was killed")

    monkeypatch.setattr(services, "_attempts_finish", lost)
    with pytest.raises(SystemExit):
        outbox_messages_deliver(message_ids=ids)

    # The files are written; their messages stay claimed, with no attempt logged, until the lease runs out.
    folder = file_root / "edi" / "GEARS" / "outbox"
    assert _files(folder) == ["m0.json", "m1.json"]
    assert list(OutboundMessage.objects.values_list("state", "attempts").distinct()) == [("sending", 1)]
    assert DeliveryAttempt.objects.count() == 0
    monkeypatch.setattr(services, "_attempts_finish", finish)
    assert outbox_messages_deliver(message_ids=ids) == dict.fromkeys(ids, "sending")  # another worker's claim
    assert outbox_due_ids() == []

    OutboundMessage.objects.update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert outbox_due_ids() == ids
    assert outbox_messages_deliver(message_ids=ids) == dict.fromkeys(ids, "delivered")

    assert _files(folder) == ["m0.json", "m1.json"]  # the same files, written again under their names
    for message in messages:
        assert [a[:2] for a in _attempts(message)] == [(2, True)]
    assert list(OutboundMessage.objects.values_list("state", "attempts").distinct()) == [("delivered", 2)]


def test_messages_written_together_are_delivered_when_the_block_ends_if_their_transaction_committed(
    transactional_db, file_root, settings, monkeypatch
):
    from notifications import tasks

    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
    queued = []
    monkeypatch.setattr(tasks.outbox_deliver, "delay", queued.append)

    with outbox_deliveries_together():
        with transaction.atomic():
            outbox_write([_file_message("kept")], deliver_here=True)
            outbox_write([_file_message("queued")])  # not for delivery here: queued as usual
            with pytest.raises(RuntimeError), transaction.atomic():
                outbox_write([_file_message("rolled-back")], deliver_here=True)
                raise RuntimeError("this part of the work failed")
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox_write([_file_message("never-committed")], deliver_here=True)
            raise RuntimeError("this transaction failed")
        assert OutboundMessage.objects.get(idempotency_key="kept").state == "pending"  # not before the block ends

    kept, later = (
        OutboundMessage.objects.get(idempotency_key="kept"),
        OutboundMessage.objects.get(idempotency_key="queued"),
    )
    assert (kept.state, kept.attempts, later.state, later.attempts) == ("delivered", 1, "pending", 0)
    assert queued == [later.pk]
    assert sorted(OutboundMessage.objects.values_list("idempotency_key", flat=True)) == ["kept", "queued"]
    assert _files(file_root / "edi" / "GEARS" / "outbox") == ["kept.json"]


def test_messages_written_together_inside_a_transaction_are_delivered_once_it_commits(
    db, file_root, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=True):
        with outbox_deliveries_together():
            outbox_write([_file_message("a")], deliver_here=True)
            outbox_write([_file_message("b")], deliver_here=True)
        assert list(OutboundMessage.objects.values_list("state", flat=True).distinct()) == ["pending"]

    assert list(OutboundMessage.objects.values_list("state", "attempts").distinct()) == [("delivered", 1)]
    assert _files(file_root / "edi" / "GEARS" / "outbox") == ["a.json", "b.json"]


def test_a_message_delivered_together_that_fails_is_queued_for_its_retry(
    db, file_root, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import tasks

    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
    queued = []
    monkeypatch.setattr(tasks.outbox_deliver, "delay", queued.append)

    with django_capture_on_commit_callbacks(execute=True), outbox_deliveries_together():
        outbox_write([_file_message("fine"), _file_message("escaping", destination="../x")], deliver_here=True)
        outbox_write([_file_message("full")], deliver_here=True)
        monkeypatch.setattr(
            "notifications.transports.folder_flush",
            lambda folder: (_ for _ in ()).throw(OSError(28, "No space left on device")),
        )

    states = dict(OutboundMessage.objects.values_list("idempotency_key", "state"))
    assert states == {"fine": "pending", "escaping": "dead", "full": "pending"}
    full = OutboundMessage.objects.get(idempotency_key="full")
    assert _attempts(full) == [(1, False, "OSError: [Errno 28] No space left on device")]
    assert sorted(queued) == sorted(OutboundMessage.objects.filter(state="pending").values_list("pk", flat=True))
