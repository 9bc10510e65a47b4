"""Building inventory events for ACME in one line each, and reading balances back as plain tuples."""

import datetime as dt
from decimal import Decimal

from materials.inputs import InventoryEventInput
from materials.models import InventoryBalance

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def event(event_id, sequence, kind, quantity, *, part="BOLT", plant="DET", **kwargs):
    """An event of ``part`` at ``plant``; occurred ``sequence`` minutes after T0."""
    return InventoryEventInput(
        plant_code=plant,
        part_number=part,
        kind=kind,
        quantity=Decimal(quantity),
        source_event_id=event_id,
        source_sequence=sequence,
        occurred_at=T0 + dt.timedelta(minutes=sequence),
        **kwargs,
    )


def balances(source=None):
    """{(part, location, lot, status, source): (physical, posted)} for every non-zero balance."""
    rows = InventoryBalance.objects.all()
    if source:
        rows = rows.filter(source_system=source)
    return {
        (b.item.part_number, b.location, b.lot, b.stock_status, b.source_system): (b.physical, b.posted)
        for b in rows.select_related("item")
        if b.physical or b.posted
    }


def reservations(source=None):
    """{(part, location, lot, status, source): reserved} for every balance with something reserved."""
    rows = InventoryBalance.objects.exclude(reserved=0)
    if source:
        rows = rows.filter(source_system=source)
    return {
        (b.item.part_number, b.location, b.lot, b.stock_status, b.source_system): b.reserved
        for b in rows.select_related("item")
    }
