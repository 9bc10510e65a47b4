"""Shapes of the API, a module per resource: inputs become the write path's canonical inputs; outputs show
the record."""

from .acknowledgements import AckLineIn, AcknowledgementIn
from .documents import DocumentOut, DocumentResultOut
from .exceptions import ExceptionForSupplierOut, ExceptionOut
from .fields import MAX_LINES, instant_out
from .invoices import InvoiceIn, InvoiceLineIn, InvoiceLineOut, InvoiceOut
from .purchase_orders import (
    POLineIn,
    POLineOut,
    PurchaseOrderIn,
    PurchaseOrderOut,
    RevisionOut,
    StatusesOut,
    purchase_orders_out,
)
from .receipts import ReceiptIn, ReceiptLineIn
from .shipments import ShipmentIn, ShipmentLineIn
from .webhooks import DeliveryOut, RedeliveredOut, RedeliverIn, WebhookCreatedOut, WebhookIn, WebhookOut

__all__ = [
    "MAX_LINES",
    "AckLineIn",
    "AcknowledgementIn",
    "DeliveryOut",
    "DocumentOut",
    "DocumentResultOut",
    "ExceptionForSupplierOut",
    "ExceptionOut",
    "InvoiceIn",
    "InvoiceLineIn",
    "InvoiceLineOut",
    "InvoiceOut",
    "POLineIn",
    "POLineOut",
    "PurchaseOrderIn",
    "PurchaseOrderOut",
    "ReceiptIn",
    "ReceiptLineIn",
    "RedeliverIn",
    "RedeliveredOut",
    "RevisionOut",
    "ShipmentIn",
    "ShipmentLineIn",
    "StatusesOut",
    "WebhookCreatedOut",
    "WebhookIn",
    "WebhookOut",
    "instant_out",
    "purchase_orders_out",
]
