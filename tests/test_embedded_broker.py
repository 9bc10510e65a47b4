"""The embedded broker (``make run`` without Redis): a worker polling its folder never reads half a message.

Kombu's filesystem transport created a message file under its final name before writing it; a worker
that took the file in between read zero bytes, stopped with "Unrecoverable error: JSONDecodeError",
and ``bin/run-gateway`` stopped the whole gateway with it.
"""

from __future__ import annotations

import os
import threading
from queue import Empty

import pytest
from kombu import Connection

from gateway import broker


@pytest.fixture
def folders(tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    (tmp_path / "control").mkdir()
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }


def _channel(folders):
    connection = Connection("gatewayfs://", transport_options=folders)
    return connection, connection.default_channel


def test_the_embedded_default_names_this_transport(settings):
    if settings.REDIS_URL:
        assert settings.CELERY_BROKER_URL == settings.REDIS_URL
    else:
        assert settings.CELERY_BROKER_URL == "gatewayfs://"
    connection = Connection("gatewayfs://")
    assert connection.transport_cls == "gatewayfs"
    assert type(connection.transport) is broker.Transport


def test_a_worker_polling_while_a_message_is_written_sees_none_of_it_then_all_of_it(folders, monkeypatch):
    writer_connection, writer = _channel(folders)
    reader_connection, reader = _channel(folders)
    seen_mid_write: list[object] = []
    real_replace = os.replace

    def poll_then_replace(source, target):
        # The message's bytes are on disk by now, not yet under their name; a worker polls.
        try:
            seen_mid_write.append(reader._get("edi"))
        except Empty:
            seen_mid_write.append("empty")
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", poll_then_replace)
    writer._put("edi", {"body": "one whole message"})

    assert seen_mid_write == ["empty"]
    assert reader._get("edi") == {"body": "one whole message"}
    with pytest.raises(Empty):
        reader._get("edi")
    writer_connection.release()
    reader_connection.release()


def test_messages_written_while_a_worker_polls_all_arrive_whole(folders):
    # Order within one millisecond is the unique ids' order, as in Kombu's transport.
    writer_connection, writer = _channel(folders)
    reader_connection, reader = _channel(folders)
    count = 400
    received: list[dict] = []
    done = threading.Event()

    def poll():
        while len(received) < count and not done.is_set():
            try:
                received.append(reader._get("edi"))
            except Empty:
                continue

    thread = threading.Thread(target=poll)
    thread.start()
    for n in range(count):
        writer._put("edi", {"n": n, "padding": "x" * 2000})
    thread.join(timeout=60)
    done.set()

    assert sorted(message["n"] for message in received) == list(range(count))
    assert all(message["padding"] == "x" * 2000 for message in received)
    writer_connection.release()
    reader_connection.release()
