"""A small procurement record built row by row, with every time chosen, for exact KPI values.

ACME (acknowledgements due within 24 hours) buys from BOLTS (standard, portal) at Detroit and from
CAST (strategic, EDI) at Monterrey; OTHER's rows and ACME's rows outside January–February 2027
must never be counted. The expected figures are worked out beside each row in the tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from edi.models import FunctionalGroup, Interchange, TradingPartner
from procurement import factories
from procurement.models import (
    ChangeRequest,
    InboundDocument,
    Invoice,
    Item,
    POLine,
    ProcurementException,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentLine,
)
from suppliers.models import Supplier

START, END = dt.date(2027, 1, 1), dt.date(2027, 2, 28)
NOW = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)


def at(day: str, hour: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def _po(company, supplier, plant, number: str, published: dt.datetime, acked: dt.datetime | None) -> PurchaseOrder:
    po = PurchaseOrder.objects.create(
        company=company,
        supplier=supplier,
        ship_to=plant,
        number=number,
        currency="USD",
        order_date=published.date(),
        published_at=published,
        first_ack_at=acked,
        updated_at=published,
    )
    item, _ = Item.objects.get_or_create(company=company, part_number=f"PART-{number}")
    POLine.objects.create(
        po=po, line_no="1", item=item, quantity=Decimal(10), uom="EA", unit_price=Decimal(2), need_by=START
    )
    return po


def _keyed(document_id: str, received: dt.datetime, channel: str = "portal") -> dict:
    return {"channel": channel, "document_id": document_id, "fingerprint": document_id, "received_at": received}


def _exception(
    company,
    supplier,
    po,
    key: str,
    severity: ProcurementException.Severity,
    raised: dt.datetime,
    state: str,
    resolved=None,
):
    return ProcurementException.objects.create(
        company=company,
        supplier=supplier,
        po=po,
        kind=ProcurementException.Kind.PRICE_DEVIATION,
        severity=severity,
        severity_rank=ProcurementException.SEVERITY_RANK[severity],
        dedup_key=key,
        summary=key,
        state=state,
        due_at=raised + dt.timedelta(days=1),
        raised_at=raised,
        resolved_at=resolved,
    )


def _document(company, supplier, channel: str, state: str, received: dt.datetime, n: int) -> InboundDocument:
    content = f"document {n}".encode()
    return InboundDocument.objects.create(
        channel=channel,
        sender=supplier.code if supplier else "unknown",
        supplier=supplier,
        company=company,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        correlation_id=f"corr-{n}",
        received_at=received,
        state=state,
    )


def kpi_dataset(company) -> dict:
    """The rows; returns the companies, plants, suppliers and POs by name."""
    company.ack_due_hours = 24
    company.save(update_fields=["ack_due_hours"])
    det = factories.PlantFactory(company=company, code="DET", name="Detroit")
    mty = factories.PlantFactory(company=company, code="MTY", name="Monterrey")
    bolts, _ = Supplier.objects.update_or_create(
        code="BOLTS", defaults={"name": "Bolts Inc", "tier": Supplier.Tier.STANDARD, "channel": Supplier.Channel.PORTAL}
    )
    cast, _ = Supplier.objects.update_or_create(
        code="CAST",
        defaults={"name": "Supplier CAST", "tier": Supplier.Tier.STRATEGIC, "channel": Supplier.Channel.EDI},
    )
    other = factories.CompanyFactory(code="OTHER")
    other_plant = factories.PlantFactory(company=other, code="OTP")

    p1 = _po(company, bolts, det, "P1", at("2027-01-05", 10), at("2027-01-05", 16))  # 6 h, on time
    p2 = _po(company, bolts, det, "P2", at("2027-01-10"), at("2027-01-10", 20))  # 20 h, on time
    p3 = _po(company, cast, mty, "P3", at("2027-02-01"), at("2027-02-01", 12))  # 12 h, on time
    _po(company, cast, mty, "P4", at("2027-02-27", 12), None)  # due 02-28 12:00, passed: late
    _po(company, bolts, det, "P5", at("2027-02-28", 20), None)  # due 03-01 20:00: not due yet
    _po(company, bolts, det, "P6", at("2026-12-20"), at("2026-12-25"))  # before the period
    theirs = _po(other, bolts, other_plant, "X1", at("2027-01-07"), at("2027-01-09"))

    line = {po.pk: po.lines.get() for po in (p1, p2, p3, theirs)}
    for po, proposed, state, created in (
        (p1, {"need_by": "2027-02-01"}, ChangeRequest.State.ACCEPTED, at("2027-01-06")),
        (p3, {"need_by": "2027-03-01"}, ChangeRequest.State.PROPOSED, at("2027-02-02")),
        (p3, {"unit_price": "1.5"}, ChangeRequest.State.PROPOSED, at("2027-02-02")),  # not a date change
        (theirs, {"need_by": "2027-03-01"}, ChangeRequest.State.PROPOSED, at("2027-01-08")),
    ):
        ChangeRequest.objects.create(
            po=po,
            po_line=line[po.pk],
            response="RESCHEDULE",
            proposed=proposed,
            current={},
            state=state,
            created_at=created,
        )

    s1 = Shipment.objects.create(
        supplier=bolts, shipment_id="S1", ship_date=dt.date(2027, 1, 7), **_keyed("S1", at("2027-01-08", 8))
    )
    ShipmentLine.objects.create(shipment=s1, po_line=line[p1.pk], quantity=Decimal(10), uom="EA")
    s2 = Shipment.objects.create(
        supplier=cast, shipment_id="S2", ship_date=dt.date(2027, 2, 4), **_keyed("S2", at("2027-02-05"))
    )
    ShipmentLine.objects.create(shipment=s2, po_line=line[p3.pk], quantity=Decimal(3), uom="EA")
    ShipmentLine.objects.create(shipment=s2, po_line=line[p3.pk], quantity=Decimal(2), uom="EA")
    for number, po, shipment, received, quantity in (
        ("R1", p1, s1, at("2027-01-09", 8), Decimal(10)),  # 24 h after the ASN, as announced
        ("R2", p3, s2, at("2027-02-05", 6), Decimal(4)),  # 6 h after, 4 of the 5 announced
        ("R3", p2, None, at("2027-01-15"), Decimal(10)),  # no ship notice: not counted
    ):
        receipt = Receipt.objects.create(
            company=company,
            po=po,
            shipment=shipment,
            receipt_number=number,
            received_on=received.date(),
            physical_status="received",
            posting_status="posted",
            **_keyed(number, received),
        )
        ReceiptLine.objects.create(
            receipt=receipt, po_line=line[po.pk], quantity_received=quantity, quantity_rejected=Decimal(0)
        )

    for number, supplier, po, status, purpose, received in (
        ("I1", bolts, p1, "matched", "invoice", at("2027-01-20")),
        ("I2", bolts, p2, "on_hold", "invoice", at("2027-01-21")),
        ("I5", bolts, p1, "matched", "invoice", at("2027-02-20")),
        ("I3", cast, p3, "released", "invoice", at("2027-02-08")),
        ("I4", cast, p3, "within_tolerance", "invoice", at("2027-02-10")),
        ("CM1", bolts, p1, "matched", "credit_memo", at("2027-01-22")),  # a credit memo: not counted
        ("IX", bolts, theirs, "on_hold", "invoice", at("2027-01-22")),  # OTHER's
    ):
        Invoice.objects.create(
            supplier=supplier,
            po=po,
            invoice_number=number,
            purpose=purpose,
            invoice_date=received.date(),
            currency="USD",
            total=Decimal(20),
            match_status=status,
            **_keyed(number, received),
        )

    stop, money = ProcurementException.Severity.PRODUCTION_STOP, ProcurementException.Severity.FINANCIAL_MISMATCH
    _exception(company, cast, p3, "E1", stop, at("2027-02-28"), "open")  # open 24 h at NOW
    _exception(company, bolts, p1, "E2", stop, at("2027-01-10"), "resolved", at("2027-01-11"))  # 24 h
    _exception(company, bolts, p2, "E3", money, at("2027-01-20"), "dismissed", at("2027-01-20", 12))  # 12 h
    _exception(company, cast, p3, "E4", money, at("2027-02-27"), "in_progress")  # open 48 h at NOW
    _exception(company, bolts, p1, "E5", money, at("2027-02-01"), "resolved", at("2027-02-02"))  # 24 h
    _exception(other, bolts, theirs, "EX", stop, at("2027-01-10"), "open")

    for n, (owner, supplier, channel, outcome) in enumerate(
        (
            (company, cast, "edi", "processed"),
            (company, cast, "edi", "processed"),
            (company, cast, "edi", "rejected"),
            (company, bolts, "api", "processed"),
            (company, bolts, "api", "refused"),
            (company, bolts, "portal", "processed"),
            # Placed in no company (refused unread): the buyers of ACME and OTHER, both served by BOLTS,
            # see its outcome; the KPI figures, which read each company's own documents, do not count it.
            (None, bolts, "api", "rejected"),
            (other, bolts, "api", "failed"),
        )
    ):
        _document(owner, supplier, channel, outcome, at("2027-01-15") + dt.timedelta(days=n), n)

    partner = TradingPartner.objects.create(supplier=cast, company=company, isa_id="CAST", gs_id="CAST", folder="cast")

    def interchange(direction: str, created: dt.datetime, isa13: str) -> Interchange:
        return Interchange.objects.create(
            direction=direction,
            partner=partner,
            sender_qualifier="ZZ",
            sender_id="X",
            receiver_id="Y",
            isa13=isa13,
            isa15="P",
            created_at=created,
        )

    answer = interchange("in", at("2027-02-01", 3), "000000009")
    FunctionalGroup.objects.create(
        interchange=interchange("out", at("2027-02-01"), "000000001"),
        gs01="PO",
        gs06="1",
        gs08="004010",
        ack_state="accepted",
        ack_interchange=answer,
    )  # answered in 3 h
    FunctionalGroup.objects.create(
        interchange=interchange("out", at("2027-02-10"), "000000002"),
        gs01="PO",
        gs06="2",
        gs08="004010",
        ack_state="overdue",
    )
    return {"bolts": bolts, "cast": cast, "other": other, "det": det, "mty": mty, "p1": p1, "p3": p3}
