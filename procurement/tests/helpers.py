"""Small builders and probes shared by the procurement write-path tests."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.models import DeliveryAttempt, OutboundMessage
from procurement import factories, inputs
from procurement.models import (
    Acknowledgement,
    AcknowledgementLine,
    AuditEvent,
    ChangeRequest,
    InboundDocument,
    Invoice,
    InvoiceLine,
    Item,
    POLine,
    PORevision,
    ProcurementException,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    ScheduleLine,
    Shipment,
    ShipmentLine,
    ShipmentPack,
    ToleranceRule,
)
from procurement.services import DocumentRefused, WriteSource, acknowledgement_record, purchase_order_publish

NEED_BY = dt.date(2027, 3, 1)
D = Decimal

COUNTED = (
    PurchaseOrder,
    POLine,
    ScheduleLine,
    PORevision,
    Item,
    Acknowledgement,
    AcknowledgementLine,
    ChangeRequest,
    Shipment,
    ShipmentPack,
    ShipmentLine,
    Receipt,
    ReceiptLine,
    Invoice,
    InvoiceLine,
    ProcurementException,
    AuditEvent,
    OutboundMessage,
    DeliveryAttempt,
    InboundDocument,
)


def counts() -> dict[str, int]:
    """Row counts of every table the write path touches."""
    return {model.__name__: model.objects.count() for model in COUNTED}


def line_state(po: PurchaseOrder) -> list[tuple]:
    """Everything a document can change on a PO's lines, to compare before and after a refusal."""
    return list(
        POLine.objects.filter(po=po)
        .order_by("line_no")
        .values_list(
            "line_no",
            "quantity",
            "unit_price",
            "need_by",
            "cancelled",
            "revision",
            "ack_response",
            "confirmed_quantity",
            "confirmed_price",
            "promised_date",
            "change_state",
            "proposal",
            "shipped_quantity",
            "received_quantity",
            "rejected_quantity",
            "invoiced_quantity",
            "match_state",
        )
    )


def po_line(po: PurchaseOrder | str, line_no: str) -> POLine:
    """A fresh copy of one PO line."""
    if isinstance(po, str):
        return POLine.objects.get(po__number=po, line_no=line_no)
    return POLine.objects.get(po=po, line_no=line_no)


def source(channel: str = "api", correlation_id: str = "corr-sup-0001", label: str = "supplier BOLTS", actor=None):
    return WriteSource(channel=channel, label=label, actor=actor, correlation_id=correlation_id)


def publish(company, plant, supplier, *, number: str = "PO-2000", lines: int = 3, **kwargs) -> PurchaseOrder:
    """Publish a PO through the write path (the ERP's source) and return it."""
    po = factories.po_input(
        company=company.code, supplier=supplier.code, plant=plant.code, number=number, lines=lines, **kwargs
    )
    erp = WriteSource(channel="system", label="system ERP", correlation_id=f"corr-erp-{number}")
    return purchase_order_publish(po=po, source=erp).record


# Acknowledgements ------------------------------------------------------------------------------


def answer(line_no: str, response: str = inputs.LINE_ACCEPT, **kwargs) -> inputs.AckLineInput:
    return inputs.AckLineInput(line_no=line_no, response=response, **kwargs)


def price(line_no: str, value: str) -> inputs.AckLineInput:
    return answer(line_no, inputs.LINE_CHANGE_PRICE, raw_code="IP", unit_price=D(value))


def quantity(line_no: str, value: str) -> inputs.AckLineInput:
    return answer(line_no, inputs.LINE_CHANGE_QTY, raw_code="IQ", quantity=D(value))


def reschedule(line_no: str, date: dt.date) -> inputs.AckLineInput:
    return answer(line_no, inputs.LINE_RESCHEDULE, raw_code="DR", promised_date=date)


def ack(
    document_id: str, *lines: inputs.AckLineInput, header: str | None = None, po: str = "PO-1000", **kwargs
) -> inputs.AcknowledgementInput:
    """An acknowledgement; the header defaults to what the lines say (with changes or not)."""
    if header is None:
        changes = any(line.response != inputs.LINE_ACCEPT for line in lines)
        header = inputs.ACK_ACCEPTED_WITH_CHANGES if changes else inputs.ACK_ACCEPTED
    return inputs.AcknowledgementInput(document_id=document_id, po_number=po, header=header, lines=lines, **kwargs)


def record_ack(supplier, document_id: str, *lines: inputs.AckLineInput, src: WriteSource | None = None, **kwargs):
    return acknowledgement_record(supplier=supplier, ack=ack(document_id, *lines, **kwargs), source=src or source())


def accept_all(supplier, po: str = "PO-1000", document_id: str | None = None):
    """The supplier accepts every line of ``po`` as ordered."""
    return record_ack(supplier, document_id or f"ACK-{po}-OK", header=inputs.ACK_ACCEPTED, po=po)


# Documents ------------------------------------------------------------------------------------


def asn(shipment_id: str, *lines: tuple, ship_date: dt.date = dt.date(2027, 2, 20), **kwargs) -> inputs.ShipmentInput:
    """A ship notice; each line is (po, line_no, quantity) or (po, line_no, quantity, extra-kwargs)."""
    built = []
    for spec in lines:
        po, line_no, qty, *extra = spec
        built.append(
            inputs.ShipmentLineInput(po_number=po, line_no=line_no, quantity=D(qty), **(extra[0] if extra else {}))
        )
    return inputs.ShipmentInput(shipment_id=shipment_id, ship_date=ship_date, lines=tuple(built), **kwargs)


def invoice(number: str, *lines: tuple, po: str = "PO-1000", **kwargs) -> inputs.InvoiceInput:
    """An invoice; each line is (line_no, quantity, unit_price)."""
    return inputs.InvoiceInput(
        invoice_number=number,
        po_number=po,
        invoice_date=dt.date(2027, 3, 10),
        currency="USD",
        lines=tuple(inputs.InvoiceLineInput(line_no=no, quantity=D(q), unit_price=D(p)) for no, q, p in lines),
        **kwargs,
    )


def receipt(number: str, *lines: tuple, po: str = "PO-1000", company: str = "ACME", **kwargs) -> inputs.ReceiptInput:
    """A goods receipt; each line is (line_no, received) or (line_no, received, rejected)."""
    built = tuple(
        inputs.ReceiptLineInput(
            line_no=spec[0], quantity_received=D(spec[1]), quantity_rejected=D(spec[2]) if len(spec) > 2 else D("0")
        )
        for spec in lines
    )
    return inputs.ReceiptInput(
        receipt_number=number, company=company, po_number=po, received_on=dt.date(2027, 2, 25), lines=built, **kwargs
    )


def refused(fn, **kwargs) -> DocumentRefused:
    """Call a service expecting a refusal; return the error."""
    with pytest.raises(DocumentRefused) as info:
        fn(**kwargs)
    return info.value


def rule(company, check: str, *, supplier=None, item=None, **limits) -> ToleranceRule:
    """A tolerance rule; limits not given are empty (they do not constrain)."""
    return ToleranceRule.objects.create(company=company, supplier=supplier, item=item, check_kind=check, **limits)


def item(company, part_number: str) -> Item:
    return Item.objects.get(company=company, part_number=part_number)


def kinds(**filters) -> list[str]:
    return sorted(ProcurementException.objects.filter(**filters).values_list("kind", flat=True))


# A real HTTP endpoint -------------------------------------------------------------------------


class WebhookServer:
    """An HTTP server on 127.0.0.1 answering POSTs with scripted status codes (the last one repeats)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                outer.requests.append({"path": self.path, "headers": headers, "body": json.loads(body)})
                status = outer.statuses.pop(0) if len(outer.statuses) > 1 else outer.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = str(self.server.server_address[0]), self.server.server_address[1]
        return f"http://{host}:{port}/hooks/gateway"

    def __enter__(self) -> WebhookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def num(value):
    """A JSON value with its numeric strings read as Decimals, so '10', '10.00' and '1E+1' compare by value."""
    if isinstance(value, dict):
        return {key: num(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [num(v) for v in value]
    if isinstance(value, str):
        try:
            return D(value)
        except InvalidOperation:
            return value
    return value
