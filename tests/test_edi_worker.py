"""EDI end to end with a real worker: a file dropped in an inbox becomes the record, exceptions and a 997."""

import datetime as dt
import os
import time
from decimal import Decimal

import pytest

from edi import filedrop, x12
from edi.models import Interchange, TradingPartner
from procurement import factories, inputs
from procurement.models import Acknowledgement, InboundDocument, OutboundMessage, POLine, ProcurementException
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
