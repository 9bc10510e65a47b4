"""EDI end to end with a real worker: a file dropped in an inbox becomes the record, exceptions and a 997."""

import datetime as dt
import os
import time
from decimal import Decimal

import pytest

from edi import filedrop, x12
from edi.models import Interchange, TradingPartner
from notifications.models import OutboundMessage
from procurement import factories, inputs
from procurement.models import Acknowledgement, InboundDocument, POLine, ProcurementException
from procurement.services import WriteSource, purchase_order_publish
from suppliers.models import Supplier

from .conftest import wait_for

pytestmark = pytest.mark.worker


def test_a_dropped_855_becomes_the_record_an_exception_and_a_997(worker_with_beat):
    company = factories.CompanyFactory(code="ACME")
    factories.PlantFactory(company=company, code="DET")
    supplier = factories.SupplierFactory(code="CASTINGS", channel=Supplier.Channel.EDI, notify_email="")
    partner = TradingPartner.objects.create(
        supplier=supplier, company=company, isa_qualifier="ZZ", isa_id="CASTINGS", gs_id="CASTINGS", folder="castings"
    )
    po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number="PO-9100", lines=2)
    purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
    ack = inputs.AcknowledgementInput(
        document_id="855-9100",
        po_number="PO-9100",
        header=inputs.ACK_ACCEPTED_WITH_CHANGES,
        acknowledged_on=dt.date(2027, 1, 20),
        lines=(
            inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA"),
            inputs.AckLineInput(line_no="2", response=inputs.LINE_CHANGE_QTY, raw_code="IQ", quantity=Decimal("60")),
        ),
    )
    envelope = x12.Envelope(sender_id="CASTINGS", receiver_id="GATEWAY", interchange_control=501, group_control=501)
    inbox = filedrop.folders(partner).inbox
    (inbox / "855-9100.edi.part").write_bytes(x12.write_855(ack, envelope, "0001"))
    os.rename(inbox / "855-9100.edi.part", inbox / "855-9100.edi")
    dropped = time.monotonic()

    processed = wait_for(lambda: InboundDocument.objects.filter(channel="edi", state="processed").exists())
    outbox = filedrop.folders(partner).outbox
    answered = wait_for(lambda: list(outbox.glob("997_*.edi")))

    assert processed and answered, InboundDocument.objects.values("state", "outcome_code", "error").first()
    assert time.monotonic() - dropped < 30
    assert Acknowledgement.objects.get().document_id == "855-9100"
    line = POLine.objects.get(line_no="2")
    assert (line.quantity, line.proposal, line.ack_status) == (Decimal("100"), {"quantity": "60"}, "changes_proposed")
    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.severity) == ("quantity_deviation", "procurement_delay")
    (reply,) = x12.parse(answered[0].read_bytes()).interchanges
    segments = [s.elements for s in reply.groups[0].sets[0].segments]
    assert ["AK1", "PR", "501"] in segments and ["AK9", "A", "1", "1", "1"] in segments
    assert list(inbox.glob("*.edi")) == []
    assert len(list(filedrop.folders(partner).archive.rglob("*855-9100.edi"))) == 1
    assert Interchange.objects.filter(direction="in", isa13="000000501").count() == 1
    # The 850 for the published PO went out too, through the same worker.
    assert wait_for(lambda: list(outbox.glob("850_PO-9100_*.edi")))
    assert OutboundMessage.objects.filter(state="delivered", event__in=["po.published", "x12.997"]).count() == 2


def castings_partner() -> TradingPartner:
    """The partner of edi/tests/test_filedrop.py: CASTINGS, with PO-4504 (two lines) published to it."""
    company = factories.CompanyFactory(code="ACME")
    factories.PlantFactory(company=company, code="DET")
    supplier = factories.SupplierFactory(code="CASTINGS", channel=Supplier.Channel.EDI, notify_email="")
    partner = TradingPartner.objects.create(
        supplier=supplier, company=company, isa_qualifier="ZZ", isa_id="CASTINGS", gs_id="CASTINGS", folder="castings"
    )
    po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number="PO-4504", lines=2)
    purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
    return partner


def settled(document_count: int = 1):
    def check():
        documents = InboundDocument.objects.filter(channel="edi")
        return documents.count() == document_count and not documents.filter(state__in=["received", "failed"]).exists()

    return check


def test_a_worker_failing_after_an_interchange_is_recorded_retries_and_receives_the_file_once(
    transactional_db, monkeypatch, request
):
    from edi.tests.test_filedrop import AS_IF_NOTHING_FAILED, control_numbers, received_record, two_interchanges

    # The worker's second interchange fails once, after its record is written and before its sets apply.
    monkeypatch.setenv("GATEWAY_EDI_FAULTS", "interchange_recorded=2")
    request.getfixturevalue("worker_with_beat")
    partner = castings_partner()
    inbox = filedrop.folders(partner).inbox
    (inbox / "two.edi.part").write_bytes(two_interchanges())
    os.rename(inbox / "two.edi.part", inbox / "two.edi")

    place = filedrop.folders(partner)
    assert wait_for(settled()), InboundDocument.objects.values("state", "outcome_code", "error").first()
    answered = wait_for(lambda: len(list(place.outbox.glob("997_*.edi"))) == 2 or None)
    assert wait_for(lambda: list(place.outbox.glob("850_*.edi")))

    assert answered
    assert received_record() == AS_IF_NOTHING_FAILED
    assert control_numbers() == ["000000001", "000000002", "000000003"]  # the 850 and two 997s
    assert InboundDocument.objects.get().attempts == 2  # the failed attempt, then the one that finished
    assert OutboundMessage.objects.filter(event="x12.997", state="delivered").count() == 2
    assert len(list(place.archive.rglob("*two.edi"))) == 1
    assert list(place.claimed.iterdir()) == [] and list(inbox.glob("*.edi")) == []


def test_a_file_dropped_with_an_old_mtime_is_stored_once_by_the_worker(transactional_db, monkeypatch, request):
    monkeypatch.setenv("GATEWAY_EDI_RECEIVE_SWEEP_SECONDS", "0.5")
    request.getfixturevalue("worker_with_beat")
    partner = castings_partner()
    ack = inputs.AcknowledgementInput(
        document_id="855-old",
        po_number="PO-4504",
        header=inputs.ACK_ACCEPTED,
        acknowledged_on=dt.date(2027, 1, 20),
        lines=(inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),),
    )
    envelope = x12.Envelope(sender_id="CASTINGS", receiver_id="GATEWAY", interchange_control=90, group_control=90)
    inbox = filedrop.folders(partner).inbox
    (inbox / "old.edi.part").write_bytes(x12.write_855(ack, envelope, "0001"))
    a_year_ago = time.time() - 365 * 24 * 3600
    os.utime(inbox / "old.edi.part", (a_year_ago, a_year_ago))
    os.rename(inbox / "old.edi.part", inbox / "old.edi")

    assert wait_for(settled())
    time.sleep(2)  # several more scans and sweeps

    assert list(InboundDocument.objects.values_list("filename", "state")) == [("old.edi", "processed")]
    assert len(list(filedrop.folders(partner).archive.rglob("*old.edi"))) == 1
    assert Acknowledgement.objects.count() == 1
