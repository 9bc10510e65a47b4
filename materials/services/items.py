"""The item master from the ERP: planning data beside procurement's items, each change versioned."""

from __future__ import annotations

from gateway.actors import Actor
from materials.inputs import ItemBatchInput, UomConversionInput

from .results import ItemOutcome


def items_upsert(*, actor: Actor, batch: ItemBatchInput, correlation_id: str = "") -> list[ItemOutcome]:
    """Create or update the batch's items, one outcome per item, in the batch's order."""
    raise NotImplementedError


def category_conversions_set(
    *,
    actor: Actor,
    company_code: str,
    category: str,
    base_uom: str,
    conversions: tuple[UomConversionInput, ...],
    correlation_id: str = "",
) -> int:
    """Set the unit conversions of every item of ``category`` whose base unit is ``base_uom``."""
    raise NotImplementedError
