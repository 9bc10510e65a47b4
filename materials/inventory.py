"""What planning may count as on hand: the company's ``InventoryPolicy`` applied to the balances.

Other code (requirements, workbench) calls ``available_for_planning``; it reads projections only.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from materials.models import InventoryBalance, InventoryEvent, InventoryPolicy

ZERO = Decimal(0)


def policy_for(company_id: int) -> InventoryPolicy:
    """The company's policy, or the default (all sources, physical, usable only) unsaved."""
    policy = InventoryPolicy.objects.filter(company_id=company_id).first()
    return policy or InventoryPolicy(company_id=company_id)


def available_for_planning(*, company_id: int, plant_id: int, item_ids: list[int]) -> dict[int, Decimal]:
    """Item id → quantity (item's base unit) planning may count on at the plant, for every asked item.

    The rule (documented on ``InventoryPolicy``): usable stock, plus quarantine when the policy says
    so; the policy's basis (physical or posted); the policy's planning source, or with none, per
    position (location, lot, status) the largest of the sources' quantities; positions below zero
    count as zero. Two queries; items without balances get ``0``.
    """
    policy = policy_for(company_id)
    statuses = [InventoryEvent.StockStatus.USABLE]
    if policy.include_quarantine:
        statuses.append(InventoryEvent.StockStatus.QUARANTINE)
    rows = InventoryBalance.objects.filter(
        company_id=company_id, plant_id=plant_id, item_id__in=item_ids, stock_status__in=statuses
    )
    if policy.planning_source:
        rows = rows.filter(source_system=policy.planning_source)
    field = "posted" if policy.basis == InventoryEvent.Posting.POSTED else "physical"
    best: dict[tuple[int, str, str, str], Decimal] = defaultdict(lambda: ZERO)
    for item_id, location, lot, status, value in rows.values_list("item_id", "location", "lot", "stock_status", field):
        key = (item_id, location, lot, status)
        best[key] = max(best[key], value)
    result = dict.fromkeys(item_ids, ZERO)
    for (item_id, _location, _lot, _status), value in best.items():
        result[item_id] += value
    return result
