"""A chunked POST through a real gunicorn: the body it decodes (no Content-Length) is stored and applied."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.models import ApiKey
from api.tests.conftest import ack_body
from procurement.models import Acknowledgement, InboundDocument
from tests.conftest import ROOT, database_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "GATEWAY_FILE_ROOT": str(tmp_path / "files"),
        "GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT": "0",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "gateway.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_hands_a_chunked_body_to_the_api(gunicorn, published_po, supplier):
    secret = ApiKey.issue(kind="supplier", supplier=supplier, name="BOLTS integration", scope="write")[1]
    raw = json.dumps(ack_body(), indent=1).encode()
    connection = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=30)

    connection.request(
        "POST",
        "/api/v1/acknowledgements/",
        body=iter([raw[:40], raw[40:]]),  # two chunks
        headers={
            "Authorization": f"Bearer {secret}",
            "Idempotency-Key": "chunked-live-1",
            "Content-Type": "application/json",
        },
        encode_chunked=True,
    )
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()

    assert response.status == 201, answer
    document = InboundDocument.objects.get()
    assert answer == {
        "outcome": "applied",
        "document": document.pk,
        "record": Acknowledgement.objects.get().pk,
        "exceptions": [],
    }
    assert (document.state, document.size) == ("processed", len(raw))
    assert bytes(document.content) == raw
    assert Acknowledgement.objects.get().po == published_po
