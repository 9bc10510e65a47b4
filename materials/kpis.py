"""Sync SLA figures of the materials record: inventory events and BOM releases, beside the
procurement record's (``procurement.kpis.procurement_sync_rows``) on the buyers' dashboard.

- **inventory sync**: from the movement in the source system (``occurred_at``) to its arrival in the
  ledger (``received_at``; the balance moves in the same transaction), per plant and channel (the
  stored document's);
- **BOM release**: from arrival to applied; a release still received or held past its SLA is a
  miss, one that can never apply (duplicate, stale, refused) is not counted. A release names its
  plants in its effectivity, so a plant slice counts the releases in effect there (or everywhere).

Neither has a supplier: a supplier, tier or supplier-channel slice leaves them out, and suppliers
never see them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef

from gateway.actors import Actor
from materials.models import BomRelease, BomReleaseEffectivity, InventoryEvent
from procurement.kpis import KpiQuery, Paths, SyncSpec, sync_rows

INVENTORY_PATHS = Paths(
    company="company_id", supplier="", plant="plant__code", date="occurred_at", channel="document__channel"
)
BOM_PATHS = Paths(company="company_id", supplier="", plant=None, date="received_at")
NEVER_APPLIED = (BomRelease.State.DUPLICATE, BomRelease.State.STALE, BomRelease.State.REFUSED)


def materials_sync_rows(*, actor: Actor, q: KpiQuery, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Sync SLA rows of inventory events and BOM releases (see the module docstring)."""
    rows = sync_rows(
        InventoryEvent.objects.all(),
        actor=actor,
        q=q,
        spec=SyncSpec("inventory", INVENTORY_PATHS, "occurred_at", "received_at"),
        now=now,
    )
    releases = BomRelease.objects.exclude(state__in=NEVER_APPLIED, applied_at__isnull=True)
    if q.plant:
        effectivity = BomReleaseEffectivity.objects.filter(release=OuterRef("pk"))
        releases = releases.filter(~Exists(effectivity) | Exists(effectivity.filter(plant_code__in=(q.plant, ""))))
    rows += sync_rows(
        releases,
        actor=actor,
        q=KpiQuery(start=q.start, end=q.end, supplier=q.supplier, tier=q.tier, channel=q.channel, group=q.group),
        spec=SyncSpec("bom_release", BOM_PATHS, "received_at", "applied_at"),
        now=now,
    )
    return rows
