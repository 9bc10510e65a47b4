"""Form posts as a browser sends them, and counts of what a denial must leave untouched."""

from __future__ import annotations

from notifications.models import OutboundMessage
from procurement.models import (
    Acknowledgement,
    AuditEvent,
    ChangeRequest,
    InboundDocument,
    Invoice,
    ProcurementException,
    Shipment,
)

TOKEN = "0123456789abcdef0123456789abcdef"


def written() -> dict[str, int]:
    """Rows of everything a portal submission can write (documents, records, exceptions, outbox)."""
    models = (InboundDocument, Acknowledgement, ChangeRequest, Shipment, Invoice, ProcurementException, AuditEvent)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["OutboundMessage"] = OutboundMessage.objects.count()
    return counts


def ack_post(
    lines: dict[str, dict], *, action: str = "submit", token: str = TOKEN, revision: int = 0, **header
) -> dict:
    """The acknowledgement form's fields: ``lines`` maps line number → the row's fields (response and changes)."""
    data = {
        "token": token,
        "revision": str(revision),
        "action": action,
        "form-TOTAL_FORMS": str(len(lines)),
        "form-INITIAL_FORMS": str(len(lines)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        **header,
    }
    for n, (line_no, fields) in enumerate(lines.items()):
        data[f"form-{n}-line_no"] = line_no
        data[f"form-{n}-response"] = "ACCEPT"
        for name, value in fields.items():
            data[f"form-{n}-{name}"] = value
    return data


def formset(prefix: str, rows: list[dict]) -> dict:
    """A formset's management fields and rows, as a browser posts them."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(len(rows)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{n}-{name}"] = value
    return data
