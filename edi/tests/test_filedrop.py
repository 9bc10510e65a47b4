"""The file-drop channel end to end in one process: a partner's file becomes the record and a 997."""

import datetime as dt
import os
import re
import socket
import stat
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db.models import F

from edi import filedrop, x12
from edi.models import FunctionalGroup, Interchange, TradingPartner
from edi.tasks import edi_file_receive
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from procurement import factories, inputs
from procurement.models import Acknowledgement, AuditEvent, InboundDocument, POLine, ProcurementException
from procurement.services import WriteSource, purchase_order_publish
from suppliers.models import Supplier


@pytest.fixture
def partner(db, tmp_path, settings):
    settings.GATEWAY_FILE_ROOT = tmp_path / "files"
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    settings.GATEWAY_EDI_SETTLE_SECONDS = 0
    company = factories.CompanyFactory(code="ACME")
    factories.PlantFactory(company=company, code="DET")
    supplier = factories.SupplierFactory(code="CASTINGS", channel=Supplier.Channel.EDI, notify_email="")
    partner = TradingPartner.objects.create(
        supplier=supplier, company=company, isa_qualifier="ZZ", isa_id="CASTINGS", gs_id="CASTINGS", folder="castings"
    )
    po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number="PO-4504", lines=2)
    purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
    return partner


def partner_855(lines: tuple, *, isa: int = 17, st02: str = "0001", document_id: str = "855-000017") -> bytes:
    ack = inputs.AcknowledgementInput(
        document_id=document_id,
        po_number="PO-4504",
        header=inputs.ACK_ACCEPTED_WITH_CHANGES,
        lines=lines,
        acknowledged_on=dt.date(2027, 1, 20),
    )
    envelope = x12.Envelope(
        sender_id="CASTINGS", receiver_id="GATEWAY", interchange_control=isa, group_control=isa, version="004010"
    )
    return x12.write_855(ack, envelope, st02)


def filedrop_scan() -> int:
    """What the scan task does, with each claimed file processed here rather than by a worker."""
    claimed = list(filedrop.scan())
    for item in claimed:
        edi_file_receive(item.partner_id, item.document_id, item.path)
    return len(claimed)


def drop(partner: TradingPartner, name: str, content: bytes) -> None:
    inbox = filedrop.folders(partner).inbox
    (inbox / name).write_bytes(content)
    past = time.time() - 5
    os.utime(inbox / name, (past, past))


def test_a_dropped_855_is_applied_archived_and_answered_with_a_997(partner):
    content = partner_855(
        (
            inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA"),
            inputs.AckLineInput(
                line_no="2", response=inputs.LINE_CHANGE_PRICE, raw_code="IP", unit_price=Decimal("11")
            ),
        )
    )
    drop(partner, "ack-17.edi", content)

    assert filedrop_scan() == 1

    document = InboundDocument.objects.get(channel="edi")
    assert (document.state, document.outcome_code, document.filename) == ("processed", "processed", "ack-17.edi")
    assert bytes(document.content) == content
    ack = Acknowledgement.objects.get()
    assert (ack.channel, ack.header) == ("edi", "ACCEPTED_WITH_CHANGES")
    assert POLine.objects.get(line_no="2").proposal == {"unit_price": "11"}
    assert ProcurementException.objects.get().kind == "price_deviation"
    place = filedrop.folders(partner)
    assert list(place.inbox.glob("*.edi")) == []
    archived = list(place.archive.rglob("*ack-17.edi"))
    assert len(archived) == 1 and archived[0].read_bytes() == content
    inbound = Interchange.objects.get(direction="in")
    assert (inbound.isa13, inbound.duplicate) == ("000000017", "")
    group = FunctionalGroup.objects.get(interchange=inbound)
    assert (group.gs01, group.ack_code) == ("PR", "A")
    answer = OutboundMessage.objects.get(event="x12.997")
    assert outbox_message_deliver(message_id=answer.pk) == "delivered"
    (written,) = list(place.outbox.glob("997_*.edi"))
    reply = x12.parse(written.read_bytes())
    (ic,) = reply.interchanges
    assert (ic.isa06.strip(), ic.isa08.strip()) == ("GATEWAY", "CASTINGS")
    segments = [s.elements for s in ic.groups[0].sets[0].segments]
    assert ["AK1", "PR", "17"] in segments
    assert ["AK9", "A", "1", "1", "1"] in segments


def test_the_same_file_twice_has_one_effect(partner):
    content = partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),))
    drop(partner, "first.edi", content)
    filedrop_scan()
    drop(partner, "again.edi", content)

    filedrop_scan()

    first, again = InboundDocument.objects.order_by("pk")
    assert (first.state, again.state, again.outcome_code) == ("processed", "duplicate", "duplicate_content")
    assert Acknowledgement.objects.count() == 1
    assert OutboundMessage.objects.filter(event="x12.997").count() == 1


def test_a_resent_interchange_number_with_new_content_is_refused(partner):
    drop(partner, "a.edi", partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),)))
    filedrop_scan()
    drop(
        partner,
        "b.edi",
        partner_855((inputs.AckLineInput(line_no="2", response=inputs.LINE_ACCEPT),), document_id="855-other"),
    )

    filedrop_scan()

    assert list(Interchange.objects.filter(direction="in").values_list("duplicate", flat=True).order_by("pk")) == [
        "",
        "control_number",
    ]
    assert Acknowledgement.objects.count() == 1
    first = InboundDocument.objects.get(filename="a.edi")
    assert list(InboundDocument.objects.order_by("pk").values_list("filename", "state", "outcome_code", "error")) == [
        ("a.edi", "processed", "processed", "855 0001: applied"),
        (
            "b.edi",
            "rejected",
            "envelope_rejected",
            "interchange 000000017 rejected, TA1 025 (Duplicate interchange control number): "
            "control number 000000017 from CASTINGS was used by "
            f"document {first.pk} (a.edi, received {first.received_at:%Y-%m-%d}) for other content",
        ),
    ]
    assert [p.name for p in filedrop.folders(partner).archive.rglob("*.edi")] == [f"{first.pk}__a.edi"]
    assert sorted(p.name for p in filedrop.folders(partner).rejected.iterdir()) == ["b.edi", "b.edi.reason.txt"]


def test_an_interchange_number_repeated_within_one_file_for_new_content_is_refused(partner):
    first = partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),))
    again = partner_855((inputs.AckLineInput(line_no="2", response=inputs.LINE_ACCEPT),), document_id="855-other")
    drop(partner, "twice.edi", first + again)

    filedrop_scan()

    received = Interchange.objects.filter(direction="in").order_by("pk")
    assert list(received.values_list("isa13", "position", "duplicate", "rejected")) == [
        ("000000017", 0, "", False),
        ("000000017", 1, "control_number", True),
    ]
    assert Acknowledgement.objects.count() == 1
    assert OutboundMessage.objects.filter(event="x12.997").count() == 1
    assert OutboundMessage.objects.filter(event="x12.ta1").count() == 1
    assert ProcurementException.objects.get().kind == "duplicate_document"


def test_a_different_document_under_an_old_business_key_is_refused_with_an_exception(partner):
    drop(partner, "a.edi", partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),), isa=20))
    filedrop_scan()
    drop(partner, "b.edi", partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_REJECT),), isa=21))

    filedrop_scan()

    second = InboundDocument.objects.order_by("pk").last()
    assert (second.state, second.outcome_code) == ("processed", "refused")
    assert Acknowledgement.objects.count() == 1
    assert ProcurementException.objects.get().kind == "duplicate_document"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        # The words of ``edi translate`` for the same files.
        (b"\x00\x01 this is not X12 at all", "binary content, not X12"),
        (b"", "empty file"),
        (b" \r\n\n", "empty file"),
        (b"hello, this is not X12", "not an X12 interchange: no ISA segment found"),
    ],
)
def test_an_unreadable_file_is_rejected_with_a_reason_and_an_exception(partner, content, reason):
    drop(partner, "garbage.edi", content)

    filedrop_scan()

    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code, document.error) == ("rejected", "unreadable", reason)
    place = filedrop.folders(partner)
    assert [p.name for p in sorted(place.rejected.iterdir())] == ["garbage.edi", "garbage.edi.reason.txt"]
    assert (place.rejected / "garbage.edi.reason.txt").read_text() == reason + "\n"
    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.summary) == ("edi_syntax", f"file garbage.edi could not be read: {reason}")


def test_a_partners_exceptions_are_filed_under_the_company_it_trades_with(partner):
    """Not the first company in the database, nor the one of its supplier's latest PO (both ACME here)."""
    globex = factories.CompanyFactory(code="GLOBEX")
    TradingPartner.objects.filter(pk=partner.pk).update(company=globex)
    drop(partner, "garbage.edi", b"\x00\x01 this is not X12 at all")

    filedrop_scan()

    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.company.code) == ("edi_syntax", "GLOBEX")


def test_a_partners_refused_document_is_filed_under_the_company_it_trades_with(partner):
    """An 855 for a PO nobody knows: the refusal goes to the partner's company, not its supplier's first PO's."""
    globex = factories.CompanyFactory(code="GLOBEX")
    TradingPartner.objects.filter(pk=partner.pk).update(company=globex)
    ack = inputs.AcknowledgementInput(
        document_id="855-NONE",
        po_number="PO-NONE",
        header=inputs.ACK_ACCEPTED,
        lines=(inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA"),),
        acknowledged_on=dt.date(2027, 1, 20),
    )
    envelope = x12.Envelope(
        sender_id="CASTINGS", receiver_id="GATEWAY", interchange_control=30, group_control=30, version="004010"
    )
    drop(partner, "unknown-po.edi", x12.write_855(ack, envelope, "0001"))

    filedrop_scan()

    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.company.code) == ("unknown_po", "GLOBEX")
    assert InboundDocument.objects.get().company == globex


def test_an_oversized_file_is_rejected_without_being_read(partner, settings):
    settings.GATEWAY_EDI_MAX_FILE_BYTES = 100
    drop(partner, "big.edi", b"ISA" + b"*" * 500)

    assert filedrop_scan() == 0

    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code, document.size, bytes(document.content)) == (
        "rejected",
        "too_large",
        503,
        b"",
    )
    reason = (filedrop.folders(partner).rejected / "big.edi.reason.txt").read_text()
    assert reason == "payload of 503 bytes exceeds the limit of 100 bytes\n"


def test_files_still_being_written_are_left_alone(partner, settings):
    settings.GATEWAY_EDI_SETTLE_SECONDS = 60
    inbox = filedrop.folders(partner).inbox
    (inbox / "fresh.edi").write_bytes(b"ISA")
    (inbox / "upload.edi.part").write_bytes(b"ISA")
    (inbox / ".hidden.edi").write_bytes(b"ISA")

    assert filedrop_scan() == 0
    assert InboundDocument.objects.count() == 0
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [".hidden.edi", "fresh.edi", "upload.edi.part"]


def test_publishing_a_po_writes_an_850_with_fresh_control_numbers(partner):
    message = OutboundMessage.objects.get(event="po.published", kind="file")

    assert outbox_message_deliver(message_id=message.pk) == "delivered"

    (written,) = list(filedrop.folders(partner).outbox.glob("850_*.edi"))
    assert written.name == "850_PO-4504_r0_000000001.edi"
    parsed = x12.parse(written.read_bytes())
    assert not parsed.has_errors
    (ts,) = list(parsed.transaction_sets())
    mapped = x12.map_850(ts)
    assert mapped.value.number == "PO-4504"
    assert [line.line_no for line in mapped.value.lines] == ["1", "2"]
    sent = Interchange.objects.get(direction="out", po__number="PO-4504")
    assert FunctionalGroup.objects.get(interchange=sent).ack_state == "awaited"


def test_replaying_a_processed_document_has_no_second_effect(partner):
    drop(partner, "a.edi", partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),)))
    filedrop_scan()
    document = InboundDocument.objects.get()

    from django.core.management import call_command

    call_command("edi", "replay", str(document.pk))

    document.refresh_from_db()
    assert document.state == "processed"
    assert Acknowledgement.objects.count() == 1


def test_the_replay_command_refuses_a_file_recorded_as_sent_by_another_partner(partner):
    from django.core.management import CommandError, call_command

    drop(partner, "a.edi", partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),)))
    document = InboundDocument.objects.get(pk=next(iter(filedrop.scan())).document_id)
    forgings = factories.SupplierFactory(code="FORGINGS")
    TradingPartner.objects.create(
        supplier=forgings, company=partner.company, isa_id="FORGINGS", gs_id="FORGINGS", folder="forgings"
    )
    InboundDocument.objects.filter(pk=document.pk).update(sender="FORGINGS")

    with pytest.raises(CommandError) as refused:
        call_command("edi", "replay", str(document.pk))

    assert str(refused.value) == (
        f"Document {document.pk} was sent as 'FORGINGS' but is filed under another supplier: "
        "which trading partner to replay it for is unclear."
    )
    assert Acknowledgement.objects.count() == 0


def test_file_process_is_idempotent(partner):
    drop(partner, "a.edi", partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),)))
    filedrop_scan()
    document = InboundDocument.objects.get()

    assert edi_file_receive(partner.pk, document.pk, "") == "processed"
    assert Acknowledgement.objects.count() == 1


def test_translate_prints_the_reading_without_a_database(tmp_path, capsys):
    path = tmp_path / "855.edi"
    path.write_bytes(partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),)))
    from django.core.management import call_command

    call_command("edi", "translate", str(path), "--format", "json")

    import json

    reading = json.loads(capsys.readouterr().out)
    (ic,) = reading["interchanges"]
    (group,) = ic["groups"]
    (item,) = group["sets"]
    assert (item["st01"], item["ack_code"]) == ("855", "A")
    assert item["canonical"]["po_number"] == "PO-4504"
    assert item["canonical"]["lines"][0]["response"] == "ACCEPT"


def test_a_scan_takes_at_most_a_batch_and_the_next_scan_the_rest(partner, settings):
    settings.GATEWAY_EDI_SCAN_BATCH = 2
    for n in range(3):
        drop(
            partner,
            f"f{n}.edi",
            partner_855((inputs.AckLineInput(line_no="1", response="ACCEPT"),), isa=40 + n, document_id=f"855-b{n}"),
        )

    assert filedrop_scan() == 2
    assert filedrop_scan() == 1
    assert filedrop_scan() == 0
    assert sorted(InboundDocument.objects.values_list("filename", flat=True)) == ["f0.edi", "f1.edi", "f2.edi"]


def test_a_file_still_settling_is_left_and_the_wait_reported(partner, settings):
    settings.GATEWAY_EDI_SETTLE_SECONDS = 1
    drop(partner, "fresh.edi", b"ISA")
    written = (filedrop.folders(partner).inbox / "fresh.edi").stat().st_mtime
    settling: list[float] = []

    assert list(filedrop.scan(now=written + 0.25, settling=settling)) == []

    assert settling == [pytest.approx(0.75)]
    assert (filedrop.folders(partner).inbox / "fresh.edi").exists()


def test_a_file_still_being_written_reports_when_it_will_have_settled_until_it_is_left_unwritten(partner, settings):
    settings.GATEWAY_EDI_SETTLE_SECONDS = 1
    inbox = filedrop.folders(partner).inbox
    written = time.time()
    for name, age in (("a.edi.part", 0.25), (".b.edi", 0.5), ("c.edi.tmp", 1.5)):
        (inbox / name).write_bytes(b"ISA")
        os.utime(inbox / name, (written - age, written - age))
    settling: list[float] = []

    assert list(filedrop.scan(now=written, settling=settling)) == []

    # Left unwritten past the settling time (c.edi.tmp): no earlier look than the scheduled scans.
    assert sorted(settling) == [pytest.approx(0.5), pytest.approx(0.75)]
    assert sorted(p.name for p in inbox.iterdir()) == [".b.edi", ".claimed", "a.edi.part", "c.edi.tmp"]
    assert InboundDocument.objects.count() == 0


@pytest.fixture
def follow_ups(monkeypatch):
    """The scan task's follow-up scans (countdowns) and queued files, recorded instead of sent to a broker."""
    from edi import tasks

    calls = {"scans": [], "files": []}
    monkeypatch.setattr(tasks.edi_file_receive, "delay", lambda *args: calls["files"].append(args))
    monkeypatch.setattr(tasks.edi_files_receive, "delay", lambda items: calls["files"].extend(map(tuple, items)))
    monkeypatch.setattr(
        tasks.filedrop_scan, "apply_async", lambda kwargs, countdown: calls["scans"].append((kwargs, countdown))
    )
    cache.delete(tasks.FOLLOW_UP)
    yield calls
    cache.delete(tasks.FOLLOW_UP)


def test_a_scan_stopped_by_its_batch_limit_is_followed_by_another_at_once(partner, settings, follow_ups):
    from edi.tasks import filedrop_scan as scan_task

    settings.GATEWAY_EDI_SCAN_BATCH = 2
    for n in range(3):
        drop(partner, f"f{n}.edi", b"ISA")

    assert scan_task() == 2
    assert (follow_ups["scans"], len(follow_ups["files"])) == ([({"follow_up": True}, 0.0)], 2)
    assert scan_task(follow_up=True) == 1
    assert (len(follow_ups["scans"]), len(follow_ups["files"])) == (1, 3)


def test_a_scan_that_saw_a_settling_file_looks_again_when_it_has_settled_once(partner, settings, follow_ups):
    from edi.tasks import filedrop_scan as scan_task

    settings.GATEWAY_EDI_SETTLE_SECONDS = 1
    settings.GATEWAY_EDI_SCAN_SECONDS = 2
    (filedrop.folders(partner).inbox / "fresh.edi").write_bytes(b"ISA")

    assert scan_task() == 0
    assert scan_task() == 0  # the scheduler's next scan: one follow-up is already waiting

    ((kwargs, countdown),) = follow_ups["scans"]
    assert kwargs == {"follow_up": True} and 0.5 < countdown <= 1.01
    assert follow_ups["files"] == []
    assert scan_task(follow_up=True) == 0  # still settling: the follow-up schedules the next one
    assert len(follow_ups["scans"]) == 2


def test_a_lost_follow_up_holds_back_the_next_ones_only_until_the_scheduler_would_have_looked(
    partner, settings, follow_ups, monkeypatch
):
    from edi import tasks

    settings.GATEWAY_EDI_SETTLE_SECONDS = 1
    settings.GATEWAY_EDI_SCAN_SECONDS = 2
    (filedrop.folders(partner).inbox / "fresh.edi").write_bytes(b"ISA")
    marks: list[tuple[str, float]] = []
    add = tasks.cache.add
    monkeypatch.setattr(
        tasks.cache, "add", lambda key, value, timeout: marks.append((key, timeout)) or add(key, value, timeout)
    )

    assert tasks.filedrop_scan() == 0

    ((_, countdown),) = follow_ups["scans"]
    assert [timeout for key, timeout in marks if key == tasks.FOLLOW_UP] == [countdown + 2]


def test_a_scan_that_saw_a_file_being_written_looks_again_when_it_would_have_settled(partner, settings, follow_ups):
    from edi.tasks import filedrop_scan as scan_task

    settings.GATEWAY_EDI_SETTLE_SECONDS = 1
    settings.GATEWAY_EDI_SCAN_SECONDS = 2
    inbox = filedrop.folders(partner).inbox
    content = partner_855((inputs.AckLineInput(line_no="1", response="ACCEPT"),), isa=61, document_id="855-w")
    (inbox / "w.edi.part").write_bytes(content)

    assert scan_task() == 0
    assert scan_task() == 0  # one follow-up is waiting already

    ((kwargs, countdown),) = follow_ups["scans"]
    assert kwargs == {"follow_up": True} and 0.5 < countdown <= 1.01
    # Renamed into place by its sender meanwhile, with the time it was written: taken by the follow-up.
    past = time.time() - 1.5
    os.utime(inbox / "w.edi.part", (past, past))
    os.rename(inbox / "w.edi.part", inbox / "w.edi")
    assert scan_task(follow_up=True) == 1
    assert len(follow_ups["files"]) == 1 and len(follow_ups["scans"]) == 1
    assert list(InboundDocument.objects.values_list("filename", "state")) == [("w.edi", "received")]


def test_a_file_left_unwritten_past_the_settling_time_waits_for_the_scheduled_scans(partner, settings, follow_ups):
    from edi.tasks import filedrop_scan as scan_task

    settings.GATEWAY_EDI_SETTLE_SECONDS = 1
    inbox = filedrop.folders(partner).inbox
    (inbox / "stalled.edi.part").write_bytes(b"ISA")
    past = time.time() - 1.5
    os.utime(inbox / "stalled.edi.part", (past, past))

    assert scan_task() == 0
    assert follow_ups["scans"] == [] and follow_ups["files"] == []
    assert (inbox / "stalled.edi.part").exists()


def test_the_997_is_delivered_by_the_task_that_processed_the_file_once_it_commits(
    partner, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import tasks

    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
    queued = []
    monkeypatch.setattr(tasks.outbox_deliver, "delay", lambda pk: queued.append(pk))
    drop(partner, "ack-60.edi", partner_855((inputs.AckLineInput(line_no="1", response="ACCEPT"),), isa=60))
    before = OutboundMessage.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        assert filedrop_scan() == 1

    reply = OutboundMessage.objects.get(event="x12.997")
    assert (reply.state, reply.attempts) == ("delivered", 1)
    assert (OutboundMessage.objects.count() - before, queued) == (1, [])  # nothing else to send, nothing queued
    (written,) = filedrop.folders(partner).outbox.glob("997_*.edi")
    assert x12.parse(written.read_bytes()).interchanges[0].groups[0].sets[0].st01 == "997"


def test_a_997_the_task_could_not_deliver_itself_is_left_to_the_queue(
    partner, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import services as outbox
    from notifications import tasks

    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
    queued = []
    monkeypatch.setattr(tasks.outbox_deliver, "delay", lambda pk: queued.append(pk))

    def database_gone(**kwargs):
        raise ConnectionError("server closed the connection")

    monkeypatch.setattr(outbox, "outbox_messages_deliver", database_gone)
    drop(partner, "ack-61.edi", partner_855((inputs.AckLineInput(line_no="1", response="ACCEPT"),), isa=61))

    with django_capture_on_commit_callbacks(execute=True):
        assert filedrop_scan() == 1

    reply = OutboundMessage.objects.get(event="x12.997")
    assert (reply.state, queued) == ("pending", [reply.pk])


def outbox_full(message):
    raise OSError("No space left on device")


def test_a_997_whose_first_attempt_fails_goes_back_to_the_queue_for_its_retry(
    partner, settings, monkeypatch, django_capture_on_commit_callbacks, notification_registry
):
    from notifications import tasks

    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
    notification_registry.file_renderer_register("x12.997", outbox_full)
    queued = []
    monkeypatch.setattr(tasks.outbox_deliver, "delay", lambda pk: queued.append(pk))
    drop(partner, "ack-62.edi", partner_855((inputs.AckLineInput(line_no="1", response="ACCEPT"),), isa=62))

    with django_capture_on_commit_callbacks(execute=True):
        assert filedrop_scan() == 1

    reply = OutboundMessage.objects.get(event="x12.997")
    assert (reply.state, reply.attempts, queued) == ("pending", 1, [reply.pk])
    assert reply.last_error == "OSError: No space left on device"


def two_interchanges() -> bytes:
    """One file holding two partner interchanges: 855s for lines 1 and 2 of PO-4504."""
    return partner_855(
        (inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),), isa=70, document_id="855-70"
    ) + partner_855((inputs.AckLineInput(line_no="2", response=inputs.LINE_ACCEPT),), isa=71, document_id="855-71")


@pytest.fixture
def fault_at(settings, monkeypatch):
    """Make receiving fail the n-th time it reaches a named point (as a worker does with GATEWAY_EDI_FAULTS)."""
    from collections import Counter

    from edi import services

    monkeypatch.setattr(services, "_fault_hits", Counter())

    def arm(name: str, n: int) -> None:
        settings.GATEWAY_EDI_FAULTS = {name: n}

    return arm


def received_record() -> dict:
    """Everything receiving a file writes, in a form two runs can be compared by."""
    return {
        "documents": list(InboundDocument.objects.values_list("state", "outcome_code", "error")),
        "interchanges": list(
            Interchange.objects.filter(direction="in").order_by("pk").values_list("isa13", "position", "duplicate")
        ),
        "groups": list(
            FunctionalGroup.objects.filter(interchange__direction="in").order_by("pk").values_list("gs06", "ack_code")
        ),
        "acknowledgements": sorted(Acknowledgement.objects.values_list("document_id", flat=True)),
        "answers": sorted(
            OutboundMessage.objects.filter(event="x12.997").values_list("payload__answers_isa13", flat=True)
        ),
    }


def control_numbers() -> list[str]:
    return sorted(Interchange.objects.filter(direction="out").values_list("isa13", flat=True))


AS_IF_NOTHING_FAILED = {
    "documents": [("processed", "processed", "855 0001: applied; 855 0001: applied")],
    "interchanges": [("000000070", 0, ""), ("000000071", 1, "")],
    "groups": [("70", "A"), ("71", "A")],
    "acknowledgements": ["855-70", "855-71"],
    "answers": ["000000070", "000000071"],
}


def test_a_file_of_two_interchanges_is_received_whole(partner):
    drop(partner, "two.edi", two_interchanges())

    assert filedrop_scan() == 1

    assert received_record() == AS_IF_NOTHING_FAILED
    assert control_numbers() == ["000000001", "000000002"]
    assert InboundDocument.objects.get().attempts == 1


def test_a_failure_after_an_interchange_is_recorded_is_undone_and_the_retry_receives_the_file_once(partner, fault_at):
    from edi.services import InjectedFault

    fault_at("interchange_recorded", 2)  # the second interchange fails before its sets apply
    drop(partner, "two.edi", two_interchanges())

    with pytest.raises(InjectedFault):
        filedrop_scan()

    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code, document.error, document.attempts) == (
        "failed",
        "transient_error",
        "InjectedFault: fault injected at interchange_recorded",
        1,
    )
    # The first interchange committed whole, the second not at all.
    assert list(Interchange.objects.filter(direction="in").values_list("isa13", flat=True)) == ["000000070"]
    assert list(Acknowledgement.objects.values_list("document_id", flat=True)) == ["855-70"]
    assert OutboundMessage.objects.filter(event="x12.997").count() == 1
    (claimed,) = filedrop.folders(partner).claimed.iterdir()

    assert edi_file_receive(partner.pk, document.pk, str(claimed)) == "processed"

    assert received_record() == AS_IF_NOTHING_FAILED
    assert control_numbers() == ["000000001", "000000002"]  # none taken twice, none skipped
    assert InboundDocument.objects.get().attempts == 2
    assert list(filedrop.folders(partner).claimed.iterdir()) == []
    assert len(list(filedrop.folders(partner).archive.rglob("*two.edi"))) == 1

    assert edi_file_receive(partner.pk, document.pk, str(claimed)) == "processed"  # a redelivered message
    assert received_record() == AS_IF_NOTHING_FAILED


def test_a_terminal_error_is_dead_lettered_not_retried_and_a_replay_applies_the_file_and_answers_it_once(
    partner, fault_at, monkeypatch
):
    from django.core.management import call_command

    from edi import services

    real = services.fault_point

    def bug(name: str) -> None:
        real(name)
        if services._fault_hits[name] == 2:
            raise KeyError("a bug in the gateway")

    monkeypatch.setattr(services, "fault_point", bug)
    fault_at("interchange_recorded", 99)  # counting, never failing by itself
    drop(partner, "two.edi", two_interchanges())

    assert filedrop_scan() == 1  # not raised: nothing a retry would change

    reason = "receiving failed with an error a retry would repeat: KeyError: 'a bug in the gateway'"
    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code, document.error, document.attempts) == (
        "failed",
        "dead_letter",
        reason,
        1,
    )
    assert OutboundMessage.objects.filter(event="x12.997").count() == 1
    (dead,) = ProcurementException.objects.filter(dedup_key=f"edi_dead_letter:{document.pk}")
    assert (dead.kind, dead.supplier_id, dead.company_id) == (
        "invalid_document",
        partner.supplier_id,
        partner.company_id,
    )
    assert dead.supplier_message == "file two.edi could not be received; it waits for the buyer"

    place = filedrop.folders(partner)
    assert list(place.claimed.iterdir()) == []
    assert sorted(p.name for p in place.rejected.iterdir()) == ["two.edi", "two.edi.reason.txt"]
    assert (place.rejected / "two.edi.reason.txt").read_text() == reason + "\n"

    call_command("edi", "replay", str(document.pk))

    assert received_record() == AS_IF_NOTHING_FAILED
    assert list(place.claimed.iterdir()) == []
    call_command("edi", "replay", str(document.pk))
    assert received_record() == AS_IF_NOTHING_FAILED
    assert control_numbers() == ["000000001", "000000002"]
    assert AuditEvent.objects.filter(action="document.replayed").count() == 2


def test_a_file_dropped_with_an_old_mtime_is_claimed_and_stored_once(partner):
    from edi.tasks import edi_receive_sweep

    drop(partner, "old.edi", partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),)))
    a_year_ago = time.time() - 365 * 24 * 3600
    os.utime(filedrop.folders(partner).inbox / "old.edi", (a_year_ago, a_year_ago))

    (claimed,) = filedrop.scan()
    assert list(filedrop.scan()) == []  # the claim is judged by its own time, not the file's
    assert edi_receive_sweep() == 0
    edi_file_receive(claimed.partner_id, claimed.document_id, claimed.path)

    assert list(InboundDocument.objects.values_list("filename", "state")) == [("old.edi", "processed")]
    assert len(list(filedrop.folders(partner).archive.rglob("*old.edi"))) == 1
    assert list(filedrop.folders(partner).inbox.glob("*.edi")) == []


@pytest.fixture
def queued(monkeypatch):
    """The files the sweep queues, recorded instead of sent to a broker."""
    from edi import tasks

    calls: list[tuple] = []
    monkeypatch.setattr(tasks.edi_file_receive, "delay", lambda *args: calls.append(args))
    return calls


def test_the_sweep_takes_up_what_a_dead_worker_left_once_it_is_stale(partner, settings, queued):
    from edi.tasks import edi_receive_sweep

    settings.GATEWAY_EDI_STALE_CLAIM_SECONDS = 60
    place = filedrop.folders(partner)
    drop(partner, "stored.edi", partner_855((inputs.AckLineInput(line_no="1", response="ACCEPT"),), isa=80))
    (stored,) = filedrop.scan()  # claimed and stored; its task was lost with the worker
    long_ago = time.time() - 120
    # A worker that died between its claim and the store, and one whose store never got a task.
    (place.claimed / filedrop.claim_name("unstored.edi", "c0ffee", long_ago)).write_bytes(b"ISA")
    correlation_id = InboundDocument.objects.get().correlation_id
    os.rename(stored.path, place.claimed / filedrop.claim_name("stored.edi", correlation_id, long_ago))

    assert edi_receive_sweep() == 1

    ((partner_id, document_id, path),) = queued
    assert (partner_id, document_id) == (partner.pk, stored.document_id)
    assert [p.name for p in place.claimed.iterdir()] == [Path(path).name]
    assert Path(path).name.endswith(f".{correlation_id}__stored.edi")
    assert sorted(p.name for p in place.inbox.iterdir() if p.is_file()) == ["unstored.edi"]
    assert (edi_receive_sweep(), len(queued)) == (0, 1)  # claimed afresh by the sweep: not queued twice

    edi_file_receive(partner_id, document_id, path)
    queued.clear()
    filedrop_scan()

    assert edi_receive_sweep() == 0
    assert list(place.claimed.iterdir()) == []
    assert sorted(InboundDocument.objects.values_list("filename", "state")) == [
        ("stored.edi", "processed"),
        ("unstored.edi", "rejected"),
    ]


def test_the_sweep_queues_documents_left_received_or_failed_transiently_without_a_file(partner, settings, queued):
    from django.utils import timezone

    from edi.tasks import edi_receive_sweep
    from procurement.services import inbound_document_store

    settings.GATEWAY_EDI_STALE_CLAIM_SECONDS = 60
    stored = [
        inbound_document_store(channel="edi", sender="CASTINGS", content=f"ISA {n}".encode(), supplier=partner.supplier)
        for n in range(4)
    ]
    long_ago = timezone.now() - dt.timedelta(seconds=120)
    InboundDocument.objects.filter(pk=stored[0].pk).update(received_at=long_ago)
    InboundDocument.objects.filter(pk=stored[1].pk).update(
        state="failed", outcome_code="transient_error", processed_at=long_ago
    )
    InboundDocument.objects.filter(pk=stored[2].pk).update(state="failed", outcome_code="error", processed_at=long_ago)

    assert edi_receive_sweep() == 2

    assert queued == [(partner.pk, stored[0].pk, ""), (partner.pk, stored[1].pk, "")]


def test_a_message_queued_under_the_tasks_former_name_still_receives_its_file(partner):
    from gateway.celery import app

    drop(partner, "queued-before.edi", partner_855((inputs.AckLineInput(line_no="1", response="ACCEPT"),)))
    (claimed,) = filedrop.scan()

    assert app.tasks["edi.tasks.file_process"](claimed.partner_id, claimed.document_id, claimed.path) == "processed"

    assert Acknowledgement.objects.count() == 1
    assert len(list(filedrop.folders(partner).archive.rglob("*queued-before.edi"))) == 1


def test_edi_work_and_outbox_deliveries_are_routed_to_queues_of_their_own():
    from gateway.celery import app

    def queue(task: str) -> str:
        return app.amqp.router.route({}, task)["queue"].name

    assert [queue(t) for t in ("edi.tasks.edi_file_receive", "edi.tasks.file_process", "edi.tasks.filedrop_scan")] == [
        "edi",
        "edi",
        "edi",
    ]
    assert [queue(t) for t in ("edi.tasks.edi_receive_sweep", "edi.tasks.functional_acks_overdue_check")] == [
        "edi",
        "edi",
    ]
    assert [queue(t) for t in ("notifications.tasks.outbox_deliver", "notifications.tasks.outbox_dispatch_due")] == [
        "outbox",
        "outbox",
    ]
    assert queue("procurement.tasks.acknowledgements_overdue_check") == "default"
    assert sorted(q.name for q in app.conf.task_queues) == ["default", "edi", "materials", "outbox"]


def test_replaying_the_first_of_two_identical_files_reports_what_it_did_not_its_copy(partner):
    from io import StringIO

    from django.core.management import call_command

    content = partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),))
    drop(partner, "first.edi", content)
    filedrop_scan()
    drop(partner, "copy.edi", content)
    filedrop_scan()
    first = InboundDocument.objects.get(filename="first.edi")
    out = StringIO()

    call_command("edi", "replay", str(first.pk), stdout=out)

    assert out.getvalue().splitlines() == [f"document {first.pk}: processed (processed)", "  855 0001: applied"]
    assert list(InboundDocument.objects.order_by("pk").values_list("state", "outcome_code", "attempts")) == [
        ("processed", "processed", 1),
        ("duplicate", "duplicate_content", 1),
    ]
    assert (Acknowledgement.objects.count(), OutboundMessage.objects.filter(event="x12.997").count()) == (1, 1)


# Anything a partner can put in its inbox: one bad entry never stops a scan.

REJECTED_AS = r"\d{8}T\d{6}-[0-9a-f]{6}-"


def good_855_beside(partner: TradingPartner) -> None:
    """A good file sorted after the bad one: it is received in the same scan."""
    drop(partner, "zz-good.edi", partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),)))


def assert_rejected(partner: TradingPartner, safe_name: str, shown: str, reason: str) -> Path:
    """The entry is in ``rejected/`` under a safe name with its reason, and one exception says so."""
    place = filedrop.folders(partner)
    moved, reason_file = sorted(place.rejected.iterdir())
    assert re.fullmatch(REJECTED_AS + re.escape(safe_name), moved.name)
    assert reason_file.name == moved.name + ".reason.txt"
    assert reason_file.read_text() == f"{shown}\n{reason}\n"
    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.company.code, exception.supplier_id) == (
        "invalid_document",
        "ACME",
        partner.supplier_id,
    )
    assert exception.evidence == {"file": shown, "reason": reason, "rejected_as": moved.name}
    named = shown if len(shown) <= 64 else f"{shown[:40]}…{shown[-20:]}"  # the evidence keeps the whole name
    assert exception.summary == f"file {named} in the inbox cannot be received: {reason}"
    assert len(exception.summary) < 300  # whole, never cut mid-sentence
    return moved


def assert_good_one_received() -> None:
    assert list(InboundDocument.objects.values_list("filename", "state")) == [("zz-good.edi", "processed")]
    assert Acknowledgement.objects.count() == 1


def test_a_file_name_too_long_to_claim_is_rejected_and_the_next_file_still_received(partner):
    name = "a" * 230 + ".edi"
    drop(partner, name, b"ISA")
    good_855_beside(partner)

    assert filedrop_scan() == 1

    assert_good_one_received()
    moved = assert_rejected(
        partner,
        "a" * 100,
        name,
        "the file name is 234 bytes, too long to be claimed; keep names to 207 bytes at most",
    )
    assert moved.read_bytes() == b"ISA"
    assert filedrop_scan() == 0
    assert ProcurementException.objects.count() == 1


def test_the_longest_name_that_can_be_claimed_is_received(partner):
    name = "b" * (255 - len(filedrop.claim_name("", "0" * 32, time.time())) - 4) + ".edi"
    drop(partner, name, partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),)))

    assert filedrop_scan() == 1

    assert list(InboundDocument.objects.values_list("filename", "state")) == [(name, "processed")]
    assert ProcurementException.objects.count() == 0


def test_a_file_name_that_is_not_utf8_is_rejected_with_its_name_kept_readably(partner):
    drop(partner, os.fsdecode(b"ack-\xff\xfe.edi"), b"ISA")
    good_855_beside(partner)

    assert filedrop_scan() == 1

    assert_good_one_received()
    reason = "the file name is not UTF-8; name files in UTF-8"
    assert_rejected(partner, "ack-_xff_xfe.edi", "ack-\\xff\\xfe.edi", reason)
    assert filedrop_scan() == 0
    assert ProcurementException.objects.count() == 1


def test_a_symbolic_link_is_rejected_without_being_followed(partner, tmp_path):
    secret = tmp_path / "secret.edi"
    secret.write_bytes(partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),), isa=40))
    (filedrop.folders(partner).inbox / "link.edi").symlink_to(secret)
    good_855_beside(partner)

    assert filedrop_scan() == 1

    assert_good_one_received()
    moved = assert_rejected(
        partner, "link.edi", "link.edi", "a symbolic link; links are never followed, drop the file itself"
    )
    assert moved.is_symlink()
    assert secret.exists()


def test_a_fifo_is_rejected_without_being_opened(partner):
    os.mkfifo(filedrop.folders(partner).inbox / "pipe.edi")
    good_855_beside(partner)

    assert filedrop_scan() == 1

    assert_good_one_received()
    moved = assert_rejected(
        partner, "pipe.edi", "pipe.edi", "a named pipe (FIFO); only regular files are read from the inbox"
    )
    assert stat.S_ISFIFO(os.lstat(moved).st_mode)


def test_a_directory_is_rejected_with_what_is_in_it(partner):
    (filedrop.folders(partner).inbox / "batch").mkdir()
    (filedrop.folders(partner).inbox / "batch" / "inner.edi").write_bytes(b"ISA")
    good_855_beside(partner)

    assert filedrop_scan() == 1

    assert_good_one_received()
    moved = assert_rejected(partner, "batch", "batch", "a directory; only files are read from the inbox")
    assert [p.name for p in moved.iterdir()] == ["inner.edi"]


def test_a_socket_is_rejected(partner, monkeypatch):
    monkeypatch.chdir(filedrop.folders(partner).inbox)  # a socket's path is short: bind it relative
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind("sock.edi")
        good_855_beside(partner)

        assert filedrop_scan() == 1

    assert_good_one_received()
    assert_rejected(partner, "sock.edi", "sock.edi", "a device or socket; only regular files are read from the inbox")


def test_a_dot_file_left_for_more_than_a_day_is_rejected_and_a_fresh_one_left_alone(partner):
    inbox = filedrop.folders(partner).inbox
    (inbox / ".uploading.edi").write_bytes(b"ISA")
    (inbox / ".left-over.edi").write_bytes(b"ISA")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(inbox / ".left-over.edi", (two_days_ago, two_days_ago))
    good_855_beside(partner)

    assert filedrop_scan() == 1

    assert_good_one_received()
    assert_rejected(
        partner,
        "left-over.edi",
        ".left-over.edi",
        "a dot-file left in the inbox for more than a day; files in progress are renamed when complete",
    )
    assert sorted(p.name for p in inbox.iterdir()) == [".claimed", ".uploading.edi"]


def test_an_entry_that_cannot_be_moved_is_recorded_once_and_left(partner, monkeypatch):
    (filedrop.folders(partner).inbox / "batch").mkdir()
    good_855_beside(partner)
    rename = os.rename

    def refuse_the_directory(source, target):
        if str(source).endswith("batch"):
            raise PermissionError(13, "Permission denied")
        return rename(source, target)

    monkeypatch.setattr(filedrop.os, "rename", refuse_the_directory)

    assert filedrop_scan() == 1
    assert filedrop_scan() == 0

    assert_good_one_received()
    reason = (
        "a directory; only files are read from the inbox (left in the inbox, it could not be moved: Permission denied)"
    )
    exception = ProcurementException.objects.get()
    assert exception.evidence == {"file": "batch", "reason": reason, "rejected_as": None}
    assert list(filedrop.folders(partner).rejected.iterdir()) == []
    assert (filedrop.folders(partner).inbox / "batch").is_dir()


def test_an_entry_that_fails_unexpectedly_is_rejected_and_the_scan_goes_on(partner, monkeypatch):
    drop(partner, "aa-first.edi", b"ISA")
    good_855_beside(partner)
    claim = filedrop._claim

    def fail_the_first(partner, place, entry):
        if entry.name == "aa-first.edi":
            raise OSError(5, "Input/output error")
        return claim(partner, place, entry)

    monkeypatch.setattr(filedrop, "_claim", fail_the_first)

    assert filedrop_scan() == 1

    assert_good_one_received()
    assert_rejected(partner, "aa-first.edi", "aa-first.edi", "could not be taken: [Errno 5] Input/output error")


def test_a_claim_that_cannot_be_recovered_does_not_stop_the_others(partner, settings, monkeypatch):
    settings.GATEWAY_EDI_STALE_CLAIM_SECONDS = 60
    place = filedrop.folders(partner)
    long_ago = time.time() - 120
    (place.claimed / filedrop.claim_name("aa-bad.edi", "c0ffee", long_ago)).write_bytes(b"ISA")
    (place.claimed / filedrop.claim_name("zz-fine.edi", "c0ffee", long_ago)).write_bytes(b"ISA")
    rename = os.rename

    def fail_one(source, target):
        if "aa-bad.edi" in str(source):
            raise UnicodeEncodeError("utf-8", "x", 0, 1, "surrogates not allowed")
        return rename(source, target)

    monkeypatch.setattr(filedrop.os, "rename", fail_one)

    assert filedrop.claims_recover() == ([], {"c0ffee"})

    assert sorted(p.name for p in place.inbox.iterdir() if p.is_file()) == ["zz-fine.edi"]


def test_an_entry_gone_since_the_inbox_was_read_is_passed_over_quietly(partner, monkeypatch, caplog):
    drop(partner, "aa-gone.edi", b"ISA")
    good_855_beside(partner)
    unusable = filedrop._unusable

    def taken_meanwhile(entry, now):
        if entry.name == "aa-gone.edi":
            os.unlink(entry.path)
        return unusable(entry, now)

    monkeypatch.setattr(filedrop, "_unusable", taken_meanwhile)

    assert filedrop_scan() == 1

    assert_good_one_received()
    assert list(filedrop.folders(partner).rejected.iterdir()) == []
    assert ProcurementException.objects.count() == 0
    assert [r.getMessage() for r in caplog.records if r.name == "edi.filedrop"] == []


def test_an_855_for_a_closed_po_is_accepted_as_syntax_and_refused_as_a_document(partner):
    POLine.objects.filter(po__number="PO-4504").update(
        ack_response="ACCEPT",
        confirmed_quantity=F("quantity"),
        shipped_quantity=F("quantity"),
        received_quantity=F("quantity"),
        invoiced_quantity=F("quantity"),
        match_state="matched",
    )
    content = partner_855(
        (
            inputs.AckLineInput(line_no="1", response=inputs.LINE_REJECT, raw_code="IR"),
            inputs.AckLineInput(line_no="2", response=inputs.LINE_ACCEPT, raw_code="IA"),
        )
    )
    drop(partner, "ack-closed.edi", content)

    filedrop_scan()

    document = InboundDocument.objects.get(channel="edi")
    assert (document.state, document.outcome_code, document.error) == (
        "processed",
        "refused",
        "855 0001: refused (po_closed: PO-4504 is closed (every line is received and invoiced in full): "
        "it can no longer be acknowledged or changed)",
    )
    assert Acknowledgement.objects.count() == 0
    assert set(POLine.objects.values_list("ack_response", "confirmed_quantity")) == {("ACCEPT", Decimal("100"))}
    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.summary, exception.inbound_document) == (
        "invalid_document",
        "PO-4504 is closed (every line is received and invoiced in full): it can no longer be acknowledged or changed",
        document,
    )
    group = FunctionalGroup.objects.get(interchange__direction="in")
    assert group.ack_code == "A"


def test_an_855_promising_a_date_before_its_po_is_refused_not_applied(partner):
    content = partner_855(
        (
            inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA"),
            inputs.AckLineInput(
                line_no="2", response=inputs.LINE_RESCHEDULE, raw_code="DR", promised_date=dt.date(1999, 1, 1)
            ),
        )
    )
    drop(partner, "ack-year-1999.edi", content)

    filedrop_scan()

    document = InboundDocument.objects.get(channel="edi")
    assert (document.state, document.outcome_code, document.error) == (
        "processed",
        "refused",
        "855 0001: refused (date_out_of_range: acknowledgement 855-000017 of PO PO-4504: line 2: promised date "
        "1999-01-01 is before the PO's order date 2027-01-15; nothing was applied)",
    )
    assert Acknowledgement.objects.count() == 0
    assert set(POLine.objects.values_list("ack_response", flat=True)) == {""}
    assert ProcurementException.objects.get().kind == "invalid_document"


def test_an_855_naming_another_part_for_a_line_is_refused_not_applied(partner):
    part = POLine.objects.get(po__number="PO-4504", line_no="1").item.part_number
    content = partner_855(
        (
            inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA", part_number="XYZ"),
            inputs.AckLineInput(line_no="2", response=inputs.LINE_ACCEPT, raw_code="IA"),
        )
    )
    assert b"PO1*1*****BP*XYZ~" in content
    drop(partner, "ack-other-part.edi", content)

    filedrop_scan()

    document = InboundDocument.objects.get(channel="edi")
    assert (document.state, document.outcome_code, document.error) == (
        "processed",
        "refused",
        f"855 0001: refused (part_mismatch: acknowledgement 855-000017 of PO-4504: line 1 is part {part}, "
        "the answer names XYZ; nothing was applied)",
    )
    assert Acknowledgement.objects.count() == 0
    assert set(POLine.objects.values_list("ack_response", flat=True)) == {""}
    assert ProcurementException.objects.get().kind == "invalid_document"
    assert FunctionalGroup.objects.get(interchange__direction="in").ack_code == "A"
