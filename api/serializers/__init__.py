"""Shapes of the API, a module per resource: inputs become the write path's canonical inputs; outputs show
the record."""

from .acknowledgements import AckLineIn, AcknowledgementIn
from .documents import DocumentOut, DocumentResultOut
from .exceptions import (
    ExceptionAcceptIn,
    ExceptionAssignIn,
    ExceptionCommentIn,
    ExceptionForSupplierOut,
    ExceptionNoteOut,
    ExceptionOut,
    ExceptionReasonIn,
)
from .fields import MAX_LINES, instant_out
from .inventory import (
    InventoryBalanceOut,
    InventoryBulkResultOut,
    InventoryEventBatchIn,
    InventoryEventBatchRawIn,
    InventoryEventOut,
    InventoryEventResultOut,
    InventorySnapshotIn,
    InventorySnapshotResultOut,
    as_batch,
)
from .invoices import InvoiceIn, InvoiceLineIn, InvoiceLineOut, InvoiceOut
from .materials import (
    ITEM_OUTCOMES,
    BomOut,
    BomReleaseDetailOut,
    BomReleaseIn,
    BomReleaseOut,
    ItemBatchIn,
    ItemBatchResultOut,
    ReleaseOutcomeOut,
    WhereUsedOut,
    bom_out,
    bom_release_detail_out,
)
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
    "ITEM_OUTCOMES",
    "MAX_LINES",
    "AckLineIn",
    "AcknowledgementIn",
    "BomOut",
    "BomReleaseDetailOut",
    "BomReleaseIn",
    "BomReleaseOut",
    "DeliveryOut",
    "DocumentOut",
    "DocumentResultOut",
    "ExceptionAcceptIn",
    "ExceptionAssignIn",
    "ExceptionCommentIn",
    "ExceptionForSupplierOut",
    "ExceptionNoteOut",
    "ExceptionOut",
    "ExceptionReasonIn",
    "InventoryBalanceOut",
    "InventoryBulkResultOut",
    "InventoryEventBatchIn",
    "InventoryEventBatchRawIn",
    "InventoryEventOut",
    "InventoryEventResultOut",
    "InventorySnapshotIn",
    "InventorySnapshotResultOut",
    "InvoiceIn",
    "InvoiceLineIn",
    "InvoiceLineOut",
    "InvoiceOut",
    "ItemBatchIn",
    "ItemBatchResultOut",
    "POLineIn",
    "POLineOut",
    "PurchaseOrderIn",
    "PurchaseOrderOut",
    "ReceiptIn",
    "ReceiptLineIn",
    "RedeliverIn",
    "RedeliveredOut",
    "ReleaseOutcomeOut",
    "RevisionOut",
    "ShipmentIn",
    "ShipmentLineIn",
    "StatusesOut",
    "WebhookCreatedOut",
    "WebhookIn",
    "WebhookOut",
    "WhereUsedOut",
    "as_batch",
    "bom_out",
    "bom_release_detail_out",
    "instant_out",
    "purchase_orders_out",
]
