"""Held releases that an item, or a unit conversion, has just made complete."""

from __future__ import annotations

from materials.models import BomRelease
from procurement.models import Company
from procurement.services import WriteSource

from .access import company_bom_lock
from .sequencing import release_settle

State = BomRelease.State


def held_releases_retry_for_new_items(company: Company, part_numbers: set[str]) -> None:
    """Procurement created items a PO ordered before the item master sent them: a release held for one
    of them applies now, in the same transaction, as if the item master had sent it."""
    waiting = (
        BomRelease.objects.filter(company=company, state=State.HELD)
        .exclude(waits_for_items=[])
        .values_list("waits_for_items", flat=True)
    )
    if any(part_numbers & set(parts) for parts in waiting):
        source = WriteSource(channel="system", label="items created by a purchase order")
        held_releases_retry(company=company, part_numbers=part_numbers, source=source)


def held_releases_retry(*, company: Company, part_numbers: set[str], source: WriteSource) -> list[int]:
    """Settle again the company's held releases that wait for any of ``part_numbers``; returns their pks.

    Oldest first, so a chain of held releases applies in the order it arrived; those still
    missing something stay held with the new reason. Call inside a transaction.
    """
    company_bom_lock(company)
    held = [
        release
        for release in BomRelease.objects.select_related("company")
        .filter(company=company, state=State.HELD)
        .exclude(waits_for_items=[])
        .order_by("received_at", "pk")
        if part_numbers & set(release.waits_for_items)
    ]
    for release in held:
        release.refresh_from_db()
        if release.state == State.HELD:  # a cascade from an earlier one may have settled it
            release_settle(release, source=source)
    return [release.pk for release in held]
