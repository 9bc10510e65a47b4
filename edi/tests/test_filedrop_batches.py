"""Small files received several to a task: one transaction, a savepoint per file, each file its own outcome and 997."""

import datetime as dt

import pytest
from django.db import OperationalError

from edi import filedrop, services, tasks, x12
from edi.models import Interchange
from edi.tests.test_filedrop import drop, partner  # noqa: F401  (partner is a fixture)
from notifications.models import OutboundMessage
from procurement import factories, inputs
from procurement.models import Acknowledgement, InboundDocument, ProcurementException
from procurement.services import WriteSource, purchase_order_publish

ORDERS = ("PO-7001", "PO-7002", "PO-7003", "PO-7004")


def partner_855(po_number: str, isa: int) -> bytes:
    """A supplier's 855 accepting both lines of ``po_number``, in an interchange of its own."""
    ack = inputs.AcknowledgementInput(
        document_id=f"855-{isa:06d}",
        po_number=po_number,
        header=inputs.ACK_ACCEPTED,
        acknowledged_on=dt.date(2027, 1, 20),
        lines=tuple(inputs.AckLineInput(line_no=str(n), response=inputs.LINE_ACCEPT, raw_code="IA") for n in (1, 2)),
    )
    envelope = x12.Envelope(
        sender_id="CASTINGS", receiver_id="GATEWAY", interchange_control=isa, group_control=isa, version="004010"
    )
    return x12.write_855(ack, envelope, "0001")


@pytest.fixture
def claimed(partner):  # noqa: F811
    """Four 855s dropped, for four published POs, claimed and stored by a scan; none received yet."""
    for number in ORDERS:
        po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number=number, lines=2)
        purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
    for n, number in enumerate(ORDERS):
        drop(partner, f"855-{n}.edi", partner_855(number, 700 + n))
    items = list(filedrop.scan())
    assert len(items) == 4
    return [[i.partner_id, i.document_id, i.path] for i in items]


def answered(partner) -> list[str]:  # noqa: F811
    """The ISA13 each 997 answers, from the replies written to the partner's outbox."""
    return sorted(m.payload["answers_isa13"] for m in OutboundMessage.objects.filter(event="x12.997"))


def test_a_scan_queues_small_files_of_one_partner_as_batches_and_a_large_one_alone(partner, settings, monkeypatch):  # noqa: F811
    settings.GATEWAY_EDI_RECEIVE_BATCH = 2
    settings.GATEWAY_EDI_RECEIVE_BATCH_FILE_BYTES = 600
    alone, batches = [], []
    monkeypatch.setattr(tasks.edi_file_receive, "delay", lambda *args: alone.append(args[2].rsplit("__")[-1]))
    monkeypatch.setattr(
        tasks.edi_files_receive, "delay", lambda items: batches.append([i[2].rsplit("__")[-1] for i in items])
    )
    for n in range(4):
        drop(partner, f"small-{n}.edi", b"ISA" + b" " * 100)
    drop(partner, "large.edi", b"ISA" + b" " * 700)

    assert tasks.filedrop_scan() == 5

    assert batches == [["small-0.edi", "small-1.edi"], ["small-2.edi", "small-3.edi"]]
    assert alone == ["large.edi"]


def test_a_batch_receives_each_file_with_its_own_outcome_and_997_and_moves_it(claimed, partner):  # noqa: F811
    assert tasks.edi_files_receive(claimed) == ["processed"] * 4

    assert sorted(Acknowledgement.objects.values_list("po__number", flat=True)) == list(ORDERS)
    assert list(InboundDocument.objects.values_list("state", flat=True).distinct()) == ["processed"]
    assert answered(partner) == ["000000700", "000000701", "000000702", "000000703"]
    # Written once the batch was received, each answer is still on its own interchange's receipt.
    receipts = Interchange.objects.filter(direction="in").order_by("isa13").values_list("receipt", flat=True)
    replies = Interchange.objects.filter(direction="out").order_by("isa13").values_list("isa13", flat=True)
    assert [r["acks"] for r in receipts] == [[f"997 {isa13}"] for isa13 in replies]
    place = filedrop.folders(partner)
    assert list(place.claimed.iterdir()) == []
    assert len(list(place.archive.rglob("*.edi"))) == 4


def test_a_poison_file_in_a_batch_fails_alone_and_the_others_are_applied(
    claimed,
    partner,  # noqa: F811
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    applier = services.APPLIERS["855"]

    def poisoned(supplier, value, source):
        if value.po_number == "PO-7002":
            raise ValueError("a fault in the gateway on this file")
        return applier(supplier, value, source)

    monkeypatch.setitem(services.APPLIERS, "855", poisoned)
    alone = []
    monkeypatch.setattr(tasks.edi_file_receive, "delay", lambda *args: alone.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.edi_files_receive(claimed) == ["processed"] * 3

    assert sorted(Acknowledgement.objects.values_list("po__number", flat=True)) == ["PO-7001", "PO-7003", "PO-7004"]
    poison = InboundDocument.objects.get(filename="855-1.edi")
    assert alone == [tuple(claimed[1])]  # sent alone, to the counted attempts of edi_file_receive
    assert (poison.state, poison.attempts) == ("received", 1)
    assert not Interchange.objects.filter(inbound_document=poison).exists()  # its savepoint rolled back
    assert answered(partner) == ["000000700", "000000702", "000000703"]
    place = filedrop.folders(partner)
    assert [p.name.rsplit("__")[-1] for p in place.claimed.iterdir()] == ["855-1.edi"]

    # Alone, an error a retry would repeat dead-letters it at once, its file set aside.
    assert tasks.edi_file_receive(*alone[0]) == "dead_letter"
    poison.refresh_from_db()
    assert (poison.state, poison.outcome_code) == ("failed", "dead_letter")
    assert list(place.claimed.iterdir()) == []
    assert [p.name for p in place.rejected.iterdir() if not p.name.endswith(".reason.txt")] == ["855-1.edi"]


def test_a_batch_takes_only_files_never_tried_and_sends_the_others_alone(claimed, partner, monkeypatch):  # noqa: F811
    """A batch redelivered after its worker died (its attempt counted) runs each file alone."""
    InboundDocument.objects.filter(pk=claimed[0][1]).update(attempts=1)
    alone = []
    monkeypatch.setattr(tasks.edi_file_receive, "delay", lambda *args: alone.append(args))

    assert tasks.edi_files_receive(claimed) == ["processed"] * 3

    assert alone == [tuple(claimed[0])]
    assert InboundDocument.objects.get(pk=claimed[0][1]).state == "received"
    assert sorted(
        InboundDocument.objects.filter(pk__in=[c[1] for c in claimed[1:]]).values_list("attempts", flat=True)
    ) == [1, 1, 1]


def test_a_transient_failure_of_one_file_sends_it_alone_to_its_retries(
    claimed,
    partner,  # noqa: F811
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    settings.GATEWAY_EDI_FAULTS = {"interchange_recorded": 3}
    monkeypatch.setattr(services, "_fault_hits", services.Counter())
    alone = []
    monkeypatch.setattr(tasks.edi_file_receive, "delay", lambda *args: alone.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.edi_files_receive(claimed) == ["processed"] * 3

    assert alone == [tuple(claimed[2])]
    assert InboundDocument.objects.get(pk=claimed[2][1]).state == "received"
    assert answered(partner) == ["000000700", "000000701", "000000703"]
    settings.GATEWAY_EDI_FAULTS = {}
    assert tasks.edi_file_receive(*alone[0]) == "processed"
    assert answered(partner) == ["000000700", "000000701", "000000702", "000000703"]


def test_a_batch_retried_after_its_transaction_failed_or_redelivered_applies_nothing_twice(
    claimed,
    partner,  # noqa: F811
    monkeypatch,
):
    receive_one = tasks._batch_receive_one
    calls = []

    def connection_lost_at_the_third(partner, document, claimed_path, reads):
        calls.append(document.pk)
        if len(calls) == 3:
            raise OperationalError("server closed the connection unexpectedly")
        return receive_one(partner, document, claimed_path, reads)

    monkeypatch.setattr(tasks, "_batch_receive_one", connection_lost_at_the_third)
    with pytest.raises(OperationalError):
        tasks.edi_files_receive(claimed)  # the task's retry takes it up again

    assert (Acknowledgement.objects.count(), answered(partner)) == (0, [])  # the whole batch rolled back
    # Its attempt was counted before it started: the retry sends each file alone, to counted attempts.
    alone = []
    monkeypatch.setattr(tasks.edi_file_receive, "delay", lambda *args: alone.append(args))
    assert tasks.edi_files_receive(claimed) == []
    assert alone == [tuple(item) for item in claimed]
    assert [tasks.edi_file_receive(*args) for args in alone] == ["processed"] * 4
    assert tasks.edi_files_receive(claimed) == []  # a redelivered message: each file alone again
    assert [tasks.edi_file_receive(*args) for args in alone[4:]] == ["processed"] * 4

    assert Acknowledgement.objects.count() == 4
    assert Interchange.objects.filter(direction="in").count() == 4
    assert answered(partner) == ["000000700", "000000701", "000000702", "000000703"]
    assert list(InboundDocument.objects.values_list("attempts", flat=True)) == [2, 2, 2, 2]
    assert len(list(filedrop.folders(partner).archive.rglob("*.edi"))) == 4


def test_a_batchs_997s_are_delivered_together_and_one_that_fails_is_left_to_its_retries(
    claimed,
    partner,  # noqa: F811
    settings,
    monkeypatch,
    notification_registry,
    django_capture_on_commit_callbacks,
):
    from edi.outbound import render_stored
    from notifications import services as outbox
    from notifications import tasks as outbox_tasks
    from notifications.models import DeliveryAttempt

    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
    queued, together = [], []
    monkeypatch.setattr(outbox_tasks.outbox_deliver, "delay", queued.append)
    deliver = outbox.outbox_messages_deliver
    monkeypatch.setattr(
        outbox,
        "outbox_messages_deliver",
        lambda message_ids: together.append(message_ids) or deliver(message_ids=message_ids),
    )

    def full_for_one(message):
        if message.payload["answers_isa13"] == "000000701":
            raise OSError(28, "No space left on device")
        return render_stored(message)

    notification_registry.file_renderer_register("x12.997", full_for_one)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.edi_files_receive(claimed) == ["processed"] * 4

    replies = OutboundMessage.objects.filter(event="x12.997").order_by("pk")
    assert together == [[r.pk for r in replies]]  # one delivery for the batch
    states = {r.payload["answers_isa13"]: (r.state, r.attempts) for r in replies}
    assert states == {
        "000000700": ("delivered", 1),
        "000000701": ("pending", 1),
        "000000702": ("delivered", 1),
        "000000703": ("delivered", 1),
    }
    failed = replies.get(state="pending")
    assert queued == [failed.pk]  # to the queue, for its retry on its backoff
    assert list(DeliveryAttempt.objects.filter(message=failed).values_list("number", "succeeded", "detail")) == [
        (1, False, "OSError: [Errno 28] No space left on device")
    ]
    assert DeliveryAttempt.objects.filter(succeeded=True).count() == 3
    outbox_folder = filedrop.folders(partner).outbox
    written = sorted(p.name for p in outbox_folder.iterdir())
    isa13s = dict(Interchange.objects.filter(direction="out").values_list("outbound_message_id", "isa13"))
    assert written == sorted(f"997_{isa13s[r.pk]}.edi" for r in replies if r.state == "delivered")
    assert len(list(filedrop.folders(partner).archive.rglob("*.edi"))) == 4


def test_files_needing_more_than_their_savepoint_are_received_again_with_it_and_keep_their_own_outcome(
    partner,  # noqa: F811
    monkeypatch,
):
    """A file is received in one savepoint; one that turns out to need another (a set refused once
    its service had begun, a group or an interchange refused at its trailer once its sets were
    applied) is rolled back to it and received again with all of them, as alone: its siblings are
    untouched."""
    for number in ORDERS:
        po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number=number, lines=2)
        purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
    miscounted = partner_855("PO-7003", 702).replace(b"GE*1*", b"GE*2*")
    assert miscounted != partner_855("PO-7003", 702)
    trailer_miscounted = partner_855("PO-7002", 704).replace(b"IEA*1*", b"IEA*2*")
    assert trailer_miscounted != partner_855("PO-7002", 704)
    files = [partner_855("PO-7001", 700), partner_855("PO-7999", 701), miscounted, partner_855("PO-7004", 703)]
    for n, content in enumerate([*files, trailer_miscounted]):
        drop(partner, f"855-{n}.edi", content)
    claimed = [[i.partner_id, i.document_id, i.path] for i in filedrop.scan()]
    receive, received = services.interchange_file_receive, []

    def counted(**kwargs):
        received.append(kwargs["document"].filename)
        return receive(**kwargs)

    monkeypatch.setattr(services, "interchange_file_receive", counted)

    assert tasks.edi_files_receive(claimed) == ["processed", "refused", "refused", "processed", "envelope_rejected"]

    assert received == [f"855-{n}.edi" for n in (0, 1, 1, 2, 2, 3, 4, 4)]

    assert sorted(Acknowledgement.objects.values_list("po__number", flat=True)) == ["PO-7001", "PO-7004"]
    documents = InboundDocument.objects.order_by("filename")
    assert [(d.filename, d.state, d.outcome_code, d.attempts) for d in documents] == [
        ("855-0.edi", "processed", "processed", 1),
        ("855-1.edi", "processed", "refused", 1),
        ("855-2.edi", "processed", "refused", 1),
        ("855-3.edi", "processed", "processed", 1),
        ("855-4.edi", "rejected", "envelope_rejected", 1),
    ]
    refused, miscounted_document = documents[1], documents[2]
    assert "PO-7999" in refused.error
    assert "group rejected" in miscounted_document.error
    # The refusal and the group's rejection are each recorded once, by the file's second receipt.
    assert ProcurementException.objects.filter(dedup_key__startswith="edi_group:").count() == 1
    assert ProcurementException.objects.filter(evidence__po_numbers=["PO-7999"]).count() == 1
    # Each file answered once, its receipt naming its own answer: a 997, or a TA1 for the interchange
    # refused at its trailer, whose group is not recorded.
    assert answered(partner) == ["000000700", "000000701", "000000702", "000000703"]
    receipts = Interchange.objects.filter(direction="in").order_by("isa13").values_list("receipt", flat=True)
    replies = Interchange.objects.filter(direction="out").order_by("isa13")
    assert [r["acks"] for r in receipts] == [[f"{r.outbound_message.payload['kind']} {r.isa13}"] for r in replies]
    assert [r.outbound_message.payload["kind"] for r in replies] == ["997"] * 4 + ["TA1"]
    assert list(Interchange.objects.filter(direction="in").order_by("isa13").values_list("isa13", "groups__gs06")) == [
        ("000000700", "700"),
        ("000000701", "701"),
        ("000000702", "702"),
        ("000000703", "703"),
        ("000000704", None),
    ]


def test_other_content_under_a_control_number_used_earlier_in_the_batch_is_refused_with_025(partner):  # noqa: F811
    """The first file's digest waits, with its receipt, to be saved with its 997 at the batch's end: the
    second file is still compared with it, and refused, as it would be received alone."""
    for number in ("PO-7001", "PO-7002"):
        po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number=number, lines=2)
        purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
    drop(partner, "855-0.edi", partner_855("PO-7001", 700))
    drop(partner, "855-1.edi", partner_855("PO-7002", 700))  # other content, the same ISA13
    claimed = [[i.partner_id, i.document_id, i.path] for i in filedrop.scan()]

    outcomes = tasks.edi_files_receive(claimed)

    assert outcomes == ["processed", "envelope_rejected"]
    assert list(Acknowledgement.objects.values_list("po__number", flat=True)) == ["PO-7001"]
    second = Interchange.objects.get(direction="in", position=0, inbound_document__filename="855-1.edi")
    assert (second.duplicate, second.rejected) == ("control_number", True)
    assert ProcurementException.objects.filter(kind="duplicate_document").count() == 1


def test_a_batch_judges_each_files_duplicates_against_earlier_files_and_its_own(partner):  # noqa: F811
    for number in ("PO-7001", "PO-7002", "PO-7003"):
        po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number=number, lines=2)
        purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
    first = partner_855("PO-7001", 700)
    drop(partner, "855-0.edi", first)
    assert tasks.edi_files_receive([[i.partner_id, i.document_id, i.path] for i in filedrop.scan()]) == ["processed"]
    drop(partner, "855-1.edi", first)  # received in the batch before
    drop(partner, "855-2.edi", partner_855("PO-7002", 700))  # other content under the ISA13 of that one
    drop(partner, "855-3.edi", partner_855("PO-7003", 703))
    drop(partner, "855-4.edi", partner_855("PO-7003", 703))  # a copy of the file before it, in this batch
    claimed = [[i.partner_id, i.document_id, i.path] for i in filedrop.scan()]

    outcomes = tasks.edi_files_receive(claimed)

    assert outcomes == ["duplicate_content", "envelope_rejected", "processed", "duplicate_content"]
    documents = InboundDocument.objects.order_by("pk")
    assert [(d.filename, d.state, d.error) for d in documents] == [
        ("855-0.edi", "processed", "855 0001: applied"),
        ("855-1.edi", "duplicate", f"same content as document {documents[0].pk} (855-0.edi)"),
        ("855-2.edi", "rejected", documents[2].error),
        ("855-3.edi", "processed", "855 0001: applied"),
        ("855-4.edi", "duplicate", f"same content as document {documents[3].pk} (855-3.edi)"),
    ]
    assert documents[2].error == (
        "interchange 000000700 rejected, TA1 025 (Duplicate interchange control number): control number 000000700 "
        f"from CASTINGS was used by document {documents[0].pk} "
        f"(855-0.edi, received {documents[0].received_at:%Y-%m-%d}) for other content"
    )
    assert sorted(Acknowledgement.objects.values_list("po__number", flat=True)) == ["PO-7001", "PO-7003"]
    assert ProcurementException.objects.filter(kind="duplicate_document").count() == 1


def resent(content: bytes) -> bytes:
    """``content`` sent again with its envelope written at another date (ISA09): the same interchange."""
    fields = content.decode().split("*", 10)
    fields[9] = "270101"
    return "*".join(fields).encode()


def test_a_file_that_fails_after_finding_an_earlier_file_of_its_batch_leaves_that_ones_record_whole(
    partner,  # noqa: F811
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """The first file's interchange waits to be recorded with the batch's 997s; the second, the same
    interchange resent, needs it recorded at once to point at it, then fails: the first is recorded
    at the batch's end all the same, and the second, received alone, is a duplicate of it."""
    for number in ("PO-7001", "PO-7002"):
        po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number=number, lines=2)
        purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
    first = partner_855("PO-7001", 700)
    drop(partner, "855-0.edi", first)
    drop(partner, "855-1.edi", resent(first))
    drop(partner, "855-2.edi", partner_855("PO-7002", 702))
    claimed = [[i.partner_id, i.document_id, i.path] for i in filedrop.scan()]
    settings.GATEWAY_EDI_FAULTS = {"interchange_recorded": 2}  # the second file, once it has found the first
    monkeypatch.setattr(services, "_fault_hits", services.Counter())
    alone = []
    monkeypatch.setattr(tasks.edi_file_receive, "delay", lambda *args: alone.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.edi_files_receive(claimed) == ["processed", "processed"]

    assert alone == [tuple(claimed[1])]
    received = Interchange.objects.filter(direction="in").order_by("pk")
    assert [(r.inbound_document.filename, r.isa13, r.duplicate) for r in received] == [
        ("855-0.edi", "000000700", ""),
        ("855-2.edi", "000000702", ""),
    ]
    assert [list(r.groups.values_list("gs06", flat=True)) for r in received] == [["700"], ["702"]]
    assert [r.receipt["acks"] for r in received] == [
        [f"997 {r.isa13}"] for r in Interchange.objects.filter(direction="out").order_by("pk")
    ]
    settings.GATEWAY_EDI_FAULTS = {}
    assert tasks.edi_file_receive(*alone[0]) == "duplicate_interchange"
    again = Interchange.objects.get(direction="in", inbound_document_id=claimed[1][1])
    assert (again.duplicate, again.duplicate_of) == ("control_number", received[0])
    assert sorted(Acknowledgement.objects.values_list("po__number", flat=True)) == ["PO-7001", "PO-7002"]
