"""The one write path of the procurement record.

Channels (portal, REST API, X12 EDI) translate what they receive into the canonical inputs of
``procurement.inputs`` and call these functions; nothing else writes the record.
"""

from .acknowledgements import PreflightLine, acknowledgement_preflight, acknowledgement_record
from .errors import DocumentRefused, InvalidAction, NotFound, ProcurementError
from .escalation import exception_comment, exception_escalate, exceptions_overdue_escalate
from .exceptions import (
    acknowledgements_overdue_raise,
    change_request_accept,
    change_request_decline,
    exception_accept,
    exception_assign,
    exception_dismiss,
    exception_reject,
    exceptions_clear,
)
from .inbound import (
    inbound_document_apply,
    inbound_document_reject,
    inbound_document_settle,
    inbound_document_store,
    inbound_document_stream,
)
from .invoices import invoice_record
from .items import ItemMasterResult, item_master_write
from .orders import purchase_order_change, purchase_order_publish
from .outbox import outbox_message_retry
from .receipts import receipt_record
from .replays import (
    Replayer,
    document_replay_approve,
    document_replay_request,
    document_replayer_register,
    inbound_document_replay,
    replay_needs_approval,
)
from .shipments import ShipmentPreflightLine, shipment_preflight, shipment_record
from .sources import RecordResult, WriteSource

__all__ = [
    "DocumentRefused",
    "InvalidAction",
    "ItemMasterResult",
    "NotFound",
    "PreflightLine",
    "ProcurementError",
    "RecordResult",
    "Replayer",
    "ShipmentPreflightLine",
    "WriteSource",
    "acknowledgement_preflight",
    "acknowledgement_record",
    "acknowledgements_overdue_raise",
    "change_request_accept",
    "change_request_decline",
    "document_replay_approve",
    "document_replay_request",
    "document_replayer_register",
    "exception_accept",
    "exception_assign",
    "exception_comment",
    "exception_dismiss",
    "exception_escalate",
    "exception_reject",
    "exceptions_clear",
    "exceptions_overdue_escalate",
    "inbound_document_apply",
    "inbound_document_reject",
    "inbound_document_replay",
    "inbound_document_settle",
    "inbound_document_store",
    "inbound_document_stream",
    "invoice_record",
    "item_master_write",
    "outbox_message_retry",
    "purchase_order_change",
    "purchase_order_publish",
    "receipt_record",
    "replay_needs_approval",
    "shipment_preflight",
    "shipment_record",
]
