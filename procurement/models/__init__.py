"""The procurement record: one record per PO, and everything that answers it.

``OutboundMessage`` and ``DeliveryAttempt`` belong to ``notifications``; they are re-exported here
for the code that still imports them from this package.
"""

from notifications.models import DeliveryAttempt, OutboundMessage

from .audit import AuditEvent
from .documents import (
    Acknowledgement,
    AcknowledgementLine,
    ChangeRequest,
    Invoice,
    InvoiceLine,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentLine,
    ShipmentPack,
)
from .exceptions import ProcurementException
from .messages import InboundDocument
from .orders import POLine, PORevision, PurchaseOrder
from .organisation import Company, CompanyMembership, Item, Plant, SupplierItem, UomConversion
from .policy import ToleranceRule

__all__ = [
    "Acknowledgement",
    "AcknowledgementLine",
    "AuditEvent",
    "ChangeRequest",
    "Company",
    "CompanyMembership",
    "DeliveryAttempt",
    "InboundDocument",
    "Invoice",
    "InvoiceLine",
    "Item",
    "OutboundMessage",
    "POLine",
    "PORevision",
    "Plant",
    "ProcurementException",
    "PurchaseOrder",
    "Receipt",
    "ReceiptLine",
    "Shipment",
    "ShipmentLine",
    "ShipmentPack",
    "SupplierItem",
    "ToleranceRule",
    "UomConversion",
]
