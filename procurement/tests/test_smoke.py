import datetime as dt
from decimal import Decimal

from procurement import inputs
from procurement.models import POLine, ProcurementException
from procurement.services import acknowledgement_record


def test_price_change_outside_tolerance_is_a_proposal_and_an_exception(published_po, supplier, supplier_source):
    ack = inputs.AcknowledgementInput(
        document_id="ACK-1",
        po_number="PO-1000",
        header=inputs.ACK_ACCEPTED_WITH_CHANGES,
        lines=(
            inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),
            inputs.AckLineInput(
                line_no="2", response=inputs.LINE_CHANGE_PRICE, raw_code="IP", unit_price=Decimal("11")
            ),
            inputs.AckLineInput(line_no="3", response=inputs.LINE_RESCHEDULE, promised_date=dt.date(2027, 3, 5)),
        ),
    )
    result = acknowledgement_record(supplier=supplier, ack=ack, source=supplier_source)
    assert result.outcome == "applied"
    assert result.record.header == inputs.ACK_ACCEPTED_WITH_CHANGES
    line2 = POLine.objects.get(po=published_po, line_no="2")
    assert line2.unit_price == Decimal("10.00")
    assert line2.proposal == {"unit_price": "11"}
    assert line2.ack_status == "changes_proposed"
    kinds = sorted(ProcurementException.objects.values_list("kind", flat=True))
    assert kinds == ["date_deviation", "price_deviation"]
