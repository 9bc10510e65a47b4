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
from procurement.models import InboundDocument, Item, ProcurementException

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
    (told,) = ProcurementException.objects.all()
    assert (told.kind, told.severity, told.supplier_id, told.summary) == (
        "invalid_document",
        "data_quality",
        None,
        "PLM file big.jsonl in the materials inbox was not read: payload of 370 bytes exceeds the limit of 100 bytes",
    )


@pytest.mark.parametrize(
    "content, reason",
    [
        (
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
            "a binary file (it holds NUL bytes); exports are JSON Lines or CSV text in UTF-8",
        ),
        (
            '{"kind": "item", "part_number": "DICHTUNG-\u00f6"}'.encode("latin-1"),
            "it is not UTF-8: byte 0xF6 at position 43 (line 1) cannot be read; save it as UTF-8",
        ),
        ('{"kind": "item", "part_number": "DICHTUNG"}'.encode("utf-16-le"), "it is UTF-16: save it as UTF-8"),
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
    assert list(ProcurementException.objects.values_list("summary", "evidence__rejected_as")) == [
        (f"PLM file export.jsonl in the materials inbox was not read: {reason}", next(iter(rejected())))
    ]


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
    told = ProcurementException.objects.filter(kind="invalid_document").values_list("evidence__file", flat=True)
    assert sorted(told) == [".in-progress.jsonl", "bom.xlsx", "link.jsonl", "pipe.csv", "sock.csv", "subfolder"]
    assert sorted(p.name for p in inbox.iterdir()) == [".claimed", "being-written.jsonl.part"]
    assert list(Item.objects.values_list("part_number", flat=True)) == ["X"]


def test_an_entry_that_cannot_be_moved_is_told_once_and_left(files, monkeypatch):
    (place().inbox / "batch").mkdir()
    rename = os.rename

    def refuse_the_directory(source, target):
        if str(source).endswith("batch"):
            raise PermissionError(13, "Permission denied")
        return rename(source, target)

    monkeypatch.setattr(filedrop.os, "rename", refuse_the_directory)
    scan_and_receive()
    scan_and_receive()

    reason = (
        "a directory; only files are read from the inbox (left in the inbox, it could not be moved: Permission denied)"
    )
    told = ProcurementException.objects.get()
    assert told.evidence == {"system": "PLM", "file": "batch", "reason": reason, "rejected_as": None}
    told.state = "dismissed"
    told.save(update_fields=["state"])
    scan_and_receive()
    assert ProcurementException.objects.count() == 1
    assert (place().inbox / "batch").is_dir()


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


def test_a_plm_export_is_applied_line_by_line_and_archived_with_what_became_of_each(files):
    drop("ecn-2027-014.jsonl", (EXPORTS / "plm-ecn-2027-014.jsonl").read_bytes())

    assert scan_and_receive() == ["processed"]

    (document,) = InboundDocument.objects.all()
    assert (document.channel, document.sender, document.document_type, document.state, document.outcome_code) == (
        "file",
        "PLM",
        "materials_jsonl",
        "processed",
        "processed",
    )
    assert sorted(Item.objects.values_list("part_number", flat=True)) == ["BLADE-7", "IMP-40", "PMP-100", "SEAL-9"]
    impeller, pump = BomRelease.objects.order_by("id")
    assert (impeller.release_id, impeller.source_system, impeller.state) == ("ECN-2027-013", "PLM", "applied")
    # BOX-SEAL is not in the item master yet: the pump's release waits for it, whole.
    assert (pump.release_id, pump.state, pump.waits_for_items) == ("ECN-2027-014", "held", ["BOX-SEAL"])
    assert bytes(pump.raw) == (EXPORTS / "plm-ecn-2027-014.jsonl").read_bytes().splitlines()[6]
    assert pump.correlation_id == document.correlation_id
    (archive, report) = archived()
    assert (archive.name, report.name) == (
        f"{document.pk}__ecn-2027-014.jsonl",
        f"{document.pk}__ecn-2027-014.jsonl.outcome.json",
    )
    assert archive.read_bytes() == (EXPORTS / "plm-ecn-2027-014.jsonl").read_bytes()
    outcomes = outcome_report(archive)["outcomes"]
    assert [(o["where"], o["kind"], o["key"], o["outcome"]) for o in outcomes] == [
        ("line 1", "item", "PMP-100", "created"),
        ("line 2", "item", "IMP-40", "created"),
        ("line 3", "item", "BLADE-7", "created"),
        ("line 4", "item", "SEAL-9", "created"),
        ("line 6", "release", "ECN-2027-013", "applied"),
        ("line 7", "release", "ECN-2027-014", "held"),
    ]
    assert outcomes[5]["release"] == pump.pk and "BOX-SEAL" in outcomes[5]["reason"]
    assert list(place().inbox.iterdir()) == [place().claimed]
    assert list(place().claimed.iterdir()) == []

    # The item arrives in the next export: the held release applies by itself.
    drop("box-seal.jsonl", b'{"kind": "item", "part_number": "BOX-SEAL", "base_uom": "BOX"}\n')
    assert scan_and_receive() == ["processed"]
    pump.refresh_from_db()
    assert pump.state == "applied"


def test_an_erp_export_in_csv_is_applied_release_by_release(files):
    drop(
        "items.jsonl",
        b"".join(
            b'{"kind": "item", "part_number": "%s"}\n' % n.encode()
            for n in ("PMP-100", "HSG-2200", "IMP-40", "GSKT-310", "GSKT-311", "BLADE-7")
        ),
        system="ERP",
    )
    scan_and_receive()
    first = (
        "release_id,bom_type,parent_part_number,revision,status,plants,position,part_number,quantity_per\n"
        "MBOM-PMP-100-A,manufacturing,PMP-100,A,approved_for_production,DET,0010,HSG-2200,1\n"
    )
    drop("a.csv", first.encode(), system="ERP")
    drop("b.csv", (EXPORTS / "erp-cs11-export.csv").read_bytes(), system="ERP")

    assert scan_and_receive() == ["processed", "processed"]

    assert list(BomRelease.objects.order_by("id").values_list("release_id", "source_system", "revision", "state")) == [
        ("MBOM-PMP-100-A", "ERP", "A", "superseded"),
        ("MBOM-PMP-100-B", "ERP", "B", "applied"),
        ("MBOM-IMP-40-A", "ERP", "A", "applied"),
    ]
    pump_b = BomRelease.objects.get(release_id="MBOM-PMP-100-B")
    assert bytes(pump_b.raw).decode().splitlines() == (EXPORTS / "erp-cs11-export.csv").read_text().splitlines()[:5]
    assert list(pump_b.components.order_by("id").values_list("position", "part_number", "alternate_group")) == [
        ("0010", "HSG-2200", ""),
        ("0020", "IMP-40", ""),
        ("0030", "GSKT-310", "G1"),
        ("0031", "GSKT-311", "G1"),
    ]


def test_bad_lines_are_refused_and_recorded_and_the_good_ones_around_them_applied(files):
    lines = [
        b'{"kind": "item", "part_number": "HSG-2200"}',
        b'{"kind": "item", "part_number": "GSKT-310", "moq": "lots"}',
        b"this line is not JSON",
        b'{"kind": "release", "bom_type": "manufacturing", "release_id": "R-BAD", "parent_part_number": "HSG-2200", '
        b'"revision": "A", "status": "approved_for_production", "components": [{"position": "10", '
        b'"part_number": "GSKT-310", "quantity_per": "-2"}]}',
        b'{"kind": "routing", "operation": "0010"}',
        b'{"kind": "item", "part_number": "PMP-100"}',
    ]
    drop("mixed.jsonl", b"\n".join(lines) + b"\n")

    assert scan_and_receive() == ["partly_refused"]

    assert sorted(Item.objects.values_list("part_number", flat=True)) == ["HSG-2200", "PMP-100"]
    (refused,) = BomRelease.objects.all()
    assert (refused.state, refused.source_system, bytes(refused.raw)) == ("refused", "PLM", lines[3])
    assert refused.state_reason == "line 4: components[0].quantity_per: must be greater than 0, not -2"
    (document,) = InboundDocument.objects.all()
    assert (document.state, document.outcome_code) == ("processed", "partly_refused")
    assert document.error.splitlines() == [
        "line 2 (item GSKT-310): moq: 'lots' is not a number",
        "line 3 (unknown ?): not JSON: Expecting value: line 1 column 1 (char 0)",
        "line 4 (release R-BAD): components[0].quantity_per: must be greater than 0, not -2",
        "line 5 (unknown ?): kind 'routing' is not item or release",
    ]
    (archive, _report) = archived()
    assert [(o["where"], o["outcome"]) for o in outcome_report(archive)["outcomes"]] == [
        ("line 1", "created"),
        ("line 2", "refused"),
        ("line 3", "refused"),
        ("line 4", "refused"),
        ("line 5", "refused"),
        ("line 6", "created"),
    ]


def test_a_file_read_twice_applies_nothing_twice(files):
    drop("ecn.jsonl", (EXPORTS / "plm-ecn-2027-014.jsonl").read_bytes())
    (claimed,) = list(filedrop.scan())
    materials_file_receive(claimed.document_id, claimed.path)
    releases, versions = BomRelease.objects.count(), Item.objects.count()

    # The task delivered again after the file moved: the settled document is not read again.
    assert materials_file_receive(claimed.document_id, claimed.path) == "settled"
    assert (BomRelease.objects.count(), Item.objects.count()) == (releases, versions)
    assert InboundDocument.objects.get().attempts == 1

    # A worker that died midway, before the document settled: the file is read again from its store.
    InboundDocument.objects.update(state="received")
    result = filedrop.claimed_file_receive(document_id=claimed.document_id, claimed_path=claimed.path)
    assert result is not None
    assert [(o.key, o.outcome) for o in result.outcomes] == [
        ("PMP-100", "unchanged"),
        ("IMP-40", "unchanged"),
        ("BLADE-7", "unchanged"),
        ("SEAL-9", "unchanged"),
        ("ECN-2027-013", "duplicate"),
        ("ECN-2027-014", "duplicate"),
    ]
    assert Item.objects.count() == versions
    assert list(BomRelease.objects.order_by("id").values_list("state", flat=True)) == [
        "applied",
        "held",
        "duplicate",
        "duplicate",
    ]


def test_a_claim_left_by_a_dead_worker_is_read_by_a_later_scan(files, settings):
    settings.GATEWAY_MATERIALS_STALE_CLAIM_SECONDS = 60
    drop("ecn.jsonl", b'{"kind": "item", "part_number": "X"}\n')
    (claimed,) = list(filedrop.scan())  # claimed and stored, then the worker died

    assert list(filedrop.claims_stale()) == []  # not stale yet
    (again,) = list(filedrop.claims_stale(now=time.time() + 120))
    assert again.document_id == claimed.document_id
    assert materials_file_receive(again.document_id, again.path) == "processed"
    assert list(Item.objects.values_list("part_number", flat=True)) == ["X"]
    assert [p.name for p in archived()] == [
        f"{claimed.document_id}__ecn.jsonl",
        f"{claimed.document_id}__ecn.jsonl.outcome.json",
    ]
