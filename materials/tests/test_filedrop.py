"""The PLM/ERP file drop: exports dropped in a system's inbox are stored, read, applied and archived.

Whatever lands in an inbox gets a recorded outcome: an item or release applied (or held, or refused
with its reason), a file that cannot be read moved to ``rejected/`` with a ``.reason.txt``.
"""

import json
import os
import socket
import time
from pathlib import Path

import pytest

from materials import filedrop
from materials.models import BomRelease
from materials.tasks import materials_file_receive
from procurement import factories
from procurement.models import InboundDocument, Item

EXPORTS = Path(__file__).parent / "exports"


@pytest.fixture
def files(db, tmp_path, settings):
    settings.GATEWAY_FILE_ROOT = tmp_path / "files"
    settings.GATEWAY_MATERIALS_SETTLE_SECONDS = 0
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    company = factories.CompanyFactory(code="ACME")
    factories.PlantFactory(company=company, code="DET")
    factories.PlantFactory(company=company, code="MTY")
    factories.SupplierFactory(code="BOLTS")
    return tmp_path / "files"


def place(system: str = "PLM") -> filedrop.Folders:
    return filedrop.folders("ACME", system)


def drop(name: str, content: bytes, system: str = "PLM") -> Path:
    path = place(system).inbox / name
    path.write_bytes(content)
    past = time.time() - 5
    os.utime(path, (past, past))
    return path


def scan_and_receive() -> list[str]:
    """What the scan task does, each claimed file read here rather than by a worker."""
    return [materials_file_receive(item.document_id, item.path) for item in filedrop.scan()]


def rejected(system: str = "PLM") -> dict[str, str]:
    """Each rejected file's name (as dropped, or made safe) and its reason file's text."""
    folder = place(system).rejected
    return {
        p.name: folder.joinpath(p.name + ".reason.txt").read_text()
        for p in sorted(folder.iterdir())
        if not p.name.endswith(".reason.txt")
    }


def archived(system: str = "PLM") -> list[Path]:
    return sorted(p for p in place(system).archive.rglob("*") if p.is_file())


def test_an_oversized_file_is_rejected_unread_and_recorded(files, settings):
    settings.GATEWAY_MATERIALS_MAX_FILE_BYTES = 100
    drop("big.jsonl", b'{"kind": "item", "part_number": "X"}\n' * 10)

    assert scan_and_receive() == []

    (document,) = InboundDocument.objects.all()
    assert (document.channel, document.sender, document.state, document.outcome_code, document.size) == (
        "file",
        "PLM",
        "rejected",
        "too_large",
        370,
    )
    assert bytes(document.content) == b""
    assert rejected() == {"big.jsonl": "payload of 370 bytes exceeds the limit of 100 bytes\n"}
    assert list(place().inbox.iterdir()) == [place().claimed]
    assert Item.objects.count() == 0


@pytest.mark.parametrize(
    "content, reason",
    [
        (
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
            "a binary file (it holds NUL bytes); exports are JSON Lines or CSV text in UTF-8",
        ),
        (
            '{"kind": "item", "part_number": "DICHTUNG-\u00f6"}'.encode("latin-1"),
            "not UTF-8 text: byte 42 cannot be read; export in UTF-8",
        ),
    ],
)
def test_a_binary_or_non_utf8_file_is_stored_then_rejected_with_the_reason(files, content, reason):
    drop("export.jsonl", content)

    assert scan_and_receive() == ["settled"]

    (document,) = InboundDocument.objects.all()
    assert (document.state, document.outcome_code, document.error) == ("rejected", "unreadable", reason)
    assert bytes(document.content) == content  # stored as it came, before it was read
    assert rejected() == {"export.jsonl": reason + "\n"}
    assert (Item.objects.count(), BomRelease.objects.count()) == (0, 0)


def test_entries_that_can_never_be_read_go_to_rejected_with_their_reason_and_no_scan_stops(files, tmp_path):
    inbox = place().inbox
    drop("bom.xlsx", b"not read")
    (inbox / "subfolder").mkdir()
    target = tmp_path / "elsewhere.jsonl"
    target.write_text('{"kind": "item", "part_number": "X"}\n')
    (inbox / "link.jsonl").symlink_to(target)
    os.mkfifo(inbox / "pipe.csv")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(inbox / "sock.csv"))
    stale = drop(".in-progress.jsonl", b"")
    os.utime(stale, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    drop("being-written.jsonl.part", b"{")
    drop("fine.jsonl", b'{"kind": "item", "part_number": "X"}\n')
    try:
        scan_and_receive()
    finally:
        listener.close()

    reasons = {name.split("-", 2)[2]: text.splitlines() for name, text in rejected().items()}
    assert reasons == {
        "bom.xlsx": [
            "bom.xlsx",
            "not a JSON Lines (.jsonl, .ndjson) or CSV (.csv) file; the file's extension says which it is",
        ],
        "subfolder": ["subfolder", "a directory; only files are read from the inbox"],
        "link.jsonl": ["link.jsonl", "a symbolic link; links are never followed, drop the file itself"],
        "pipe.csv": ["pipe.csv", "not a regular file (a pipe, device or socket); only files are read from the inbox"],
        "sock.csv": ["sock.csv", "not a regular file (a pipe, device or socket); only files are read from the inbox"],
        "in-progress.jsonl": [
            ".in-progress.jsonl",
            "a dot-file left in the inbox for more than a day; files in progress are renamed when complete",
        ],
    }
    assert target.read_text() == '{"kind": "item", "part_number": "X"}\n'  # a link's target is never touched
    assert sorted(p.name for p in inbox.iterdir()) == [".claimed", "being-written.jsonl.part"]
    assert list(Item.objects.values_list("part_number", flat=True)) == ["X"]


def test_a_file_still_settling_is_left_alone(files, settings):
    settings.GATEWAY_MATERIALS_SETTLE_SECONDS = 60
    (place().inbox / "fresh.jsonl").write_bytes(b'{"kind": "item", "part_number": "X"}\n')

    assert scan_and_receive() == []
    assert (place().inbox / "fresh.jsonl").exists()
    assert InboundDocument.objects.count() == 0


def test_a_folder_naming_no_company_is_not_read(files):
    inbox = files / "materials" / "INITECH" / "PLM" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "x.jsonl").write_bytes(b'{"kind": "item", "part_number": "X"}\n')
    os.utime(inbox / "x.jsonl", (time.time() - 5, time.time() - 5))

    assert scan_and_receive() == []
    assert (inbox / "x.jsonl").exists()
    assert InboundDocument.objects.count() == 0


def test_materials_work_is_routed_to_its_own_queue():
    from gateway.celery import app

    def queue(task: str) -> str:
        return app.amqp.router.route({}, task)["queue"].name

    assert queue("materials.tasks.materials_filedrop_scan") == "materials"
    assert queue("materials.tasks.materials_file_receive") == "materials"
    assert "materials" in [q.name for q in app.conf.task_queues]
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["materials: pick up dropped exports"]["task"] == (
        "materials.tasks.materials_filedrop_scan"
    )
    script = (Path(settings.BASE_DIR) / "bin" / "run-gateway").read_text()
    assert "-Q default,edi,outbox,materials " in script


def outcome_report(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".outcome.json").read_text())
