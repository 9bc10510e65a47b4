"""Receipts of POs in the inventory ledger: the procurement record and the ledger agree by construction.

Procurement never imports materials, so the channel that records a receipt (``receipt_record``)
calls ``receipt_inventory_post`` in the same transaction. Event ids are derived from the receipt
line, so posting again (a replayed receipt, the same receipt sent later with ``posted``) adds only
what is new: the physical events once, the posted event once the receipt is posted.
"""

from __future__ import annotations

import dataclasses

from django.db import transaction

from materials.inputs import InventoryEventInput
from materials.models import InventoryEvent
from procurement.models import Receipt

from .inventory import RECEIPT_SOURCE, events_append
from .results import EventOutcome


@transaction.atomic
def receipt_inventory_post(*, receipt_id: int) -> list[EventOutcome]:
    """Append the ledger events of receipt ``receipt_id`` under source ``PROCUREMENT``; one outcome each.

    Per receipt line at the PO's ship-to plant, lot as received, location empty (receiving):
    a physical ``receipt`` of the accepted quantity (received − rejected) as usable stock; the
    rejected quantity as a physical receipt into ``blocked``; and, once the receipt is posted,
    a posted ``receipt`` of the accepted quantity. The receipt's id is the source sequence.
    Idempotent: calling it again appends nothing already there.
    """
    receipt = Receipt.objects.select_related("company", "po__ship_to").get(pk=receipt_id)
    posted = receipt.posting_status == Receipt.PostingStatus.POSTED
    occurred = receipt.received_at
    events: list[InventoryEventInput] = []
    for line in receipt.lines.select_related("po_line__item").order_by("pk"):
        key = f"receipt:{receipt.receipt_number}:{line.pk}"
        accepted = line.quantity_received - line.quantity_rejected
        physical = InventoryEventInput(
            plant_code=receipt.po.ship_to.code,
            part_number=line.po_line.item.part_number,
            kind=InventoryEvent.Kind.RECEIPT.value,
            quantity=accepted,
            source_event_id=f"{key}:physical",
            source_sequence=receipt.pk,
            occurred_at=occurred,
            uom=line.po_line.uom,
            lot=line.lot,
        )
        if accepted > 0:
            events.append(physical)
        if line.quantity_rejected > 0:
            events.append(
                dataclasses.replace(
                    physical,
                    quantity=min(line.quantity_rejected, line.quantity_received),
                    source_event_id=f"{key}:rejected",
                    stock_status=InventoryEvent.StockStatus.BLOCKED.value,
                )
            )
        if posted and accepted > 0:
            events.append(
                dataclasses.replace(
                    physical,
                    source_event_id=f"{key}:posted",
                    occurred_at=receipt.posted_at or occurred,
                    posting=InventoryEvent.Posting.POSTED.value,
                )
            )
    return events_append(
        company=receipt.company,
        source_system=RECEIPT_SOURCE,
        events=events,
        document=receipt.inbound_document,
        correlation_id=receipt.correlation_id,
    )
