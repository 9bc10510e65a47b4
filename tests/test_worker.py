"""The outbox with a real Celery worker: delivery, retries with backoff, dead letter, retry by staff."""

import http.server
import itertools
import json
import threading

import pytest
from django.db import connection

from api.models import WebhookSubscription
from api.webhooks import verify
from notifications.models import DeliveryAttempt, OutboundMessage
from procurement import factories
from procurement.services import WriteSource, outbox_message_retry, purchase_order_publish
from suppliers.models import Supplier

from .conftest import wait_for

pytestmark = pytest.mark.worker


class Receiver(http.server.BaseHTTPRequestHandler):
    """A supplier's webhook endpoint: answers with the status the test sets, and keeps what it got."""

    status = 500
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body, json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.status, Receiver.received = 500, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()


def publish(supplier, number="PO-7000"):
    company = factories.CompanyFactory(code="ACME")
    plant = factories.PlantFactory(company=company, code="DET")
    po = factories.po_input(company="ACME", supplier=supplier.code, plant=plant.code, number=number, lines=2)
    return purchase_order_publish(
        po=po, source=WriteSource(channel="system", label="system ERP", correlation_id="c-w-1")
    )


def test_po_for_an_edi_partner_is_written_to_its_outbox_by_the_worker(worker):
    supplier = factories.SupplierFactory(code="EDIPART", channel=Supplier.Channel.EDI)
    publish(supplier)

    message = OutboundMessage.objects.get(kind="file")
    delivered = wait_for(lambda: OutboundMessage.objects.filter(pk=message.pk, state="delivered").exists())

    assert delivered, OutboundMessage.objects.values("state", "last_error").get(pk=message.pk)
    files = sorted((worker / "edi" / "EDIPART" / "outbox").iterdir())
    assert [f.name for f in files] == ["po.published_ACME_PO-7000_0_file.json"]
    body = json.loads(files[0].read_text())
    assert body["event"] == "po.published"
    assert body["idempotency_key"] == "po.published:ACME:PO-7000:0:file"
    assert [line["line_no"] for line in body["payload"]["po"]["lines"]] == ["1", "2"]
    assert DeliveryAttempt.objects.filter(message=message, succeeded=True).count() == 1


def test_failing_webhook_is_retried_with_backoff_then_dead_lettered_and_retried_by_staff(worker, receiver, buyer):
    supplier = factories.SupplierFactory(code="APISUP", channel=Supplier.Channel.API, notify_email="")
    subscription = WebhookSubscription.objects.create(
        api_key_kind="supplier", supplier=supplier, url=receiver, events=["po.published"]
    )
    publish(supplier)
    message = OutboundMessage.objects.get(kind="http")

    dead = wait_for(lambda: OutboundMessage.objects.filter(pk=message.pk, state="dead").exists())

    assert dead, OutboundMessage.objects.values("state", "attempts", "last_error").get(pk=message.pk)
    attempts = list(DeliveryAttempt.objects.filter(message=message).order_by("number"))
    assert [(a.number, a.succeeded, a.detail) for a in attempts] == [
        (1, False, "DeliveryError: HTTP 500"),
        (2, False, "DeliveryError: HTTP 500"),
        (3, False, "DeliveryError: HTTP 500"),
    ]
    # Backoff doubles: 0.2 s before the second attempt, 0.4 s before the third.
    gaps = [(b.attempted_at - a.attempted_at).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4
    assert len(Receiver.received) == 3
    headers, raw, body = Receiver.received[0]
    assert headers["Idempotency-Key"] == f"po.published:ACME:PO-7000:0:wh{subscription.pk}"
    assert headers["Gateway-Event"] == "po.published"
    assert verify(subscription.signing_secret, headers["Gateway-Signature"], raw)
    assert body["data"]["po"]["number"] == "PO-7000"

    Receiver.status = 204
    outbox_message_retry(message_id=message.pk, source=WriteSource(channel="admin", label="buyer", actor=buyer))

    delivered = wait_for(lambda: OutboundMessage.objects.filter(pk=message.pk, state="delivered").exists())
    assert delivered
    assert DeliveryAttempt.objects.filter(message=message).count() == 4
    assert len(Receiver.received) == 4


def _sessions_opened() -> int:
    """Sessions ever opened to the test database (PostgreSQL's own count)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_the_worker_keeps_its_database_session_from_task_to_task(worker, postgres):
    """Twenty deliveries in a row run over the worker's one PostgreSQL session, not a new one each."""
    supplier = factories.SupplierFactory(code="EDIPART", channel=Supplier.Channel.EDI)
    publish(supplier, "PO-7100")  # the worker's first task opens its session
    assert wait_for(lambda: OutboundMessage.objects.filter(state="delivered").count() == 1)
    opened = _sessions_opened()

    erp = WriteSource(channel="system", label="system ERP")
    for n in range(1, 21):
        po = factories.po_input(company="ACME", supplier="EDIPART", plant="DET", number=f"PO-{7100 + n}", lines=1)
        purchase_order_publish(po=po, source=erp)

    assert wait_for(lambda: OutboundMessage.objects.filter(state="delivered").count() == 21)
    assert _sessions_opened() - opened <= 1
