"""A queue of mixed exceptions for ACME's buyer: two supplier proposals on PO-1000 (a price on line 2,
a quantity on line 3) and an invoice price variance on PO-2000, all from BOLTS."""

from __future__ import annotations

from dataclasses import dataclass

from procurement.models import ProcurementException, PurchaseOrder
from procurement.services import invoice_record, receipt_record
from procurement.tests import helpers as h


@dataclass
class Queue:
    po: PurchaseOrder
    invoiced_po: PurchaseOrder
    price: ProcurementException
    quantity: ProcurementException
    invoice_price: ProcurementException


def queue_seed(*, published_po: PurchaseOrder, company, plant, supplier) -> Queue:
    h.record_ack(supplier, "ACK-1", h.price("2", "11"), h.quantity("3", "90"))
    invoiced = h.publish(company, plant, supplier, number="PO-2000", lines=1)
    h.accept_all(supplier, po="PO-2000")
    receipt_record(receipt=h.receipt("GR-1", ("1", "100"), po="PO-2000"), source=h.source(channel="system"))
    invoice_record(supplier=supplier, invoice=h.invoice("INV-1", ("1", "100", "11"), po="PO-2000"), source=h.source())
    return Queue(
        po=published_po,
        invoiced_po=invoiced,
        price=ProcurementException.objects.get(kind="price_deviation"),
        quantity=ProcurementException.objects.get(kind="quantity_deviation"),
        invoice_price=ProcurementException.objects.get(kind="invoice_price_mismatch"),
    )
