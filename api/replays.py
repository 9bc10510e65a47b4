"""Replaying a stored API body from the workbench: the body validated again by the serializer of its
endpoint and applied through the same write path (``inbound_document_apply``) as when it came in.

Registered with ``procurement.services.document_replayer_register`` from ``ApiConfig.ready()``.
Only a supplier's documents replay (acknowledgement, ship notice, invoice): a system's batch goes
back to the system that sent it. An invoice moves money: a second buyer approves its replay.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from api import serializers as s
from api.parsers import MAX_DEPTH, depth_exceeds
from procurement.inputs import canonical_json
from procurement.models import InboundDocument
from procurement.services import (
    InvalidAction,
    RecordResult,
    Replayer,
    WriteSource,
    acknowledgement_record,
    inbound_document_apply,
    invoice_record,
    shipment_record,
)
from suppliers.models import Supplier


@dataclass(frozen=True)
class Endpoint:
    """How a supplier's POST of one document type is read (its serializer) and applied."""

    serializer: Callable[..., Any]
    record: Callable[[Supplier, Any, WriteSource], RecordResult]


ENDPOINTS: dict[str, Endpoint] = {
    "acknowledgement": Endpoint(
        s.AcknowledgementIn,
        lambda supplier, ack, source: acknowledgement_record(supplier=supplier, ack=ack, source=source),
    ),
    "shipment": Endpoint(
        s.ShipmentIn,
        lambda supplier, shipment, source: shipment_record(supplier=supplier, shipment=shipment, source=source),
    ),
    "invoice": Endpoint(
        s.InvoiceIn, lambda supplier, invoice, source: invoice_record(supplier=supplier, invoice=invoice, source=source)
    ),
}
MONEY_TYPES = frozenset({"invoice"})
SETTLED = (InboundDocument.State.PROCESSED, InboundDocument.State.DUPLICATE)


def api_body_input(document: InboundDocument) -> Any:
    """The stored body's canonical input, read as its endpoint reads it.

    Raises ``InvalidAction`` saying why when it cannot be: a document type no endpoint replays, a
    body that is not JSON (or nests deeper than the API allows), or one its serializer refuses.
    """
    endpoint = ENDPOINTS.get(document.document_type)
    if endpoint is None:
        raise InvalidAction(
            f"A {document.document_type or 'untyped'} body cannot be replayed from the workbench; "
            "ask the system that sent it to send it again."
        )
    try:
        with document.open_payload() as payload:
            data = json.loads(payload.read())
    except (OSError, ValueError, RecursionError) as error:
        raise InvalidAction(f"The stored body is not readable JSON ({type(error).__name__}).") from error
    if depth_exceeds(data, MAX_DEPTH):
        raise InvalidAction(f"The stored body nests more than {MAX_DEPTH} levels deep.")
    serializer = endpoint.serializer(data=data)
    if not serializer.is_valid():
        raise InvalidAction(f"The stored body is not a valid {document.document_type}: {serializer.errors}")
    return serializer.to_input()


def api_body_canonical(document: InboundDocument) -> Any:
    """The canonical input of a stored body as JSON-ready data (what the exception page shows)."""
    return canonical_json(api_body_input(document))


def api_body_replay(document: InboundDocument, source: WriteSource) -> str:
    """Apply a stored body again through the write path, as its supplier. Idempotent: a body already
    applied (``processed`` or ``duplicate``) is left as it is; the write path's document key makes
    any other a duplicate once it has taken effect. A body refused when it came in takes this run's
    outcome. Returns what happened, in words; a refusal is raised (and recorded on the document)."""
    if document.state in SETTLED:
        return f"{document.state}: already applied, nothing done again"
    supplier = Supplier.objects.filter(pk=document.supplier_id).first() if document.supplier_id is not None else None
    if supplier is None:
        raise InvalidAction(f"Document {document.pk} names no supplier to replay it for.")
    value = api_body_input(document)
    endpoint = ENDPOINTS[document.document_type]
    result = inbound_document_apply(
        document=document,
        label=f"replayed by {source.label}",
        actor=source.actor if isinstance(source.actor, AbstractBaseUser) else None,
        apply=lambda write_source: endpoint.record(supplier, value, write_source),
        replayed=True,
    )
    return f"{'duplicate' if result.duplicate else 'processed'}: {result.outcome}"


def api_body_moves_money(document: InboundDocument) -> bool:
    return document.document_type in MONEY_TYPES


API_REPLAYER = Replayer(replay=api_body_replay, moves_money=api_body_moves_money)
