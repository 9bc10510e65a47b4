"""Ledger rows for reconciliation tests: an event as a source sent it, and the balance it projects to.

Reconciliation reads balances and explains with events; these build both directly, so each test
states exactly what each system holds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from materials.models import InventoryBalance, InventoryEvent

_sequence = iter(range(1, 10**9))


def balance(company, plant, item, source: str, *, physical="0", posted="0", lot="", status="usable", location="A1"):
    """Set one source's balance of a position (created or replaced)."""
    row, _ = InventoryBalance.objects.update_or_create(
        company=company,
        plant=plant,
        item=item,
        location=location,
        lot=lot,
        stock_status=status,
        source_system=source,
        defaults={"physical": Decimal(physical), "posted": Decimal(posted), "updated_at": timezone.now()},
    )
    return row


def event(
    company,
    plant,
    item,
    source: str,
    kind: str,
    quantity: str,
    occurred_at: dt.datetime,
    *,
    posting="physical",
    lot="",
    status="usable",
    to_status="",
    location="A1",
):
    number = next(_sequence)
    return InventoryEvent.objects.create(
        company=company,
        plant=plant,
        item=item,
        kind=kind,
        location=location,
        lot=lot,
        quantity=Decimal(quantity),
        uom=item.base_uom,
        base_quantity=Decimal(quantity),
        stock_status=status,
        to_status=to_status,
        posting=posting,
        source_system=source,
        source_event_id=f"{source}-{number}",
        source_sequence=number,
        occurred_at=occurred_at,
        received_at=occurred_at,
        content_hash=f"{number:064d}",
    )
