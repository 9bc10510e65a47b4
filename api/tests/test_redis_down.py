"""With Redis gone the API keeps taking documents: they are stored in the database first, the
rate limit falls back to each process, and what could not be queued waits for the scheduler's sweep."""

import socket
import subprocess
import time

import pytest
import redis

from api import throttling
from gateway.celery import app as celery_app
from notifications.models import OutboundMessage
from notifications.tasks import outbox_dispatch_due
from procurement.models import Acknowledgement, InboundDocument

from .conftest import ack_body, po_body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own, on a port nobody else uses, that the test can stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def queued(self, queue: str) -> int:
        return redis.Redis.from_url(self.url).llen(queue)


@pytest.fixture
def redis_server(settings, monkeypatch):
    # The fallback counter remembers the outage for a few seconds: keep that memory to this test.
    monkeypatch.setattr(throttling, "local_counter", throttling.LocalCounter())
    server = RedisServer()
    server.start()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}}
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
    before = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    celery_app.conf.broker_url = server.url
    celery_app.conf.broker_transport_options = {"visibility_timeout": 3600}
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield server
    server.stop()
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = before
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_the_api_takes_documents_while_redis_is_down_and_the_sweep_sends_what_was_left(
    transactional_db, redis_server, owner, system, published_po
):
    assert owner.get("/api/v1/purchase-orders/").status_code == 200
    up = system.post("/api/v1/system/purchase-orders/", po_body(number="PO-2000"))
    assert up.status_code == 201, up.content
    queued_while_up = redis_server.queued("outbox")
    last_before = OutboundMessage.objects.order_by("pk").values_list("pk", flat=True).last() or 0

    redis_server.stop()
    listed = owner.get("/api/v1/purchase-orders/")
    acked = owner.post("/api/v1/acknowledgements/", ack_body())
    published = system.post("/api/v1/system/purchase-orders/", po_body(number="PO-2001"))
    again = owner.get("/api/v1/purchase-orders/")

    assert [r.status_code for r in (listed, acked, published, again)] == [200, 201, 201, 200]
    assert listed["Content-Type"] == "application/json"
    assert Acknowledgement.objects.filter(po__number="PO-1000").count() == 1
    assert sorted(InboundDocument.objects.values_list("document_type", "state")) == [
        ("acknowledgement", "processed"),
        ("purchase_order", "processed"),
        ("purchase_order", "processed"),
    ]
    left = OutboundMessage.objects.filter(pk__gt=last_before)
    assert queued_while_up == 2
    assert list(left.values_list("state", "attempts")) == [("pending", 0)]

    redis_server.start()
    assert owner.get("/api/v1/purchase-orders/").status_code == 200
    # No worker runs here: the sweep delivers the two queued before the outage and the one left during it.
    assert outbox_dispatch_due() == 3
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"delivered"}
