"""The procurement record: one record per PO, and everything that answers it."""

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
from .escalation import EscalationRule, ExceptionNote
from .exceptions import ProcurementException
from .messages import InboundDocument
from .orders import POLine, PORevision, PurchaseOrder, ScheduleLine
from .organisation import Company, CompanyMembership, Item, Plant, SupplierItem, UomConversion
from .policy import ToleranceRule
from .replays import DocumentReplayRequest

__all__ = [
    "Acknowledgement",
    "AcknowledgementLine",
    "AuditEvent",
    "ChangeRequest",
    "Company",
    "CompanyMembership",
    "DocumentReplayRequest",
    "EscalationRule",
    "ExceptionNote",
    "InboundDocument",
    "Invoice",
    "InvoiceLine",
    "Item",
    "POLine",
    "PORevision",
    "Plant",
    "ProcurementException",
    "PurchaseOrder",
    "Receipt",
    "ReceiptLine",
    "ScheduleLine",
    "Shipment",
    "ShipmentLine",
    "ShipmentPack",
    "SupplierItem",
    "ToleranceRule",
    "UomConversion",
]
