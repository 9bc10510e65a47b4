"""Units of measure: an item's own conversions first (procurement's ``UomConversion``), then its category's."""

from __future__ import annotations

from decimal import Decimal

from materials.models import CategoryUomConversion, ItemPlanning


def category_factors(company_id: int, item_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Item → unit → factor (1 unit = factor × base unit) from its category's conversions for its base unit.

    Two queries; items without a category have none.
    """
    plannings = list(
        ItemPlanning.objects.filter(item_id__in=item_ids)
        .exclude(category="")
        .values_list("item_id", "category", "item__base_uom")
    )
    if not plannings:
        return {}
    conversions: dict[tuple[str, str], dict[str, Decimal]] = {}
    for category, uom, base_uom, factor in CategoryUomConversion.objects.filter(
        company_id=company_id, category__in={c for _, c, _ in plannings}
    ).values_list("category", "uom", "base_uom", "factor"):
        conversions.setdefault((category, base_uom), {})[uom] = factor
    return {item_id: conversions.get((category, base_uom), {}) for item_id, category, base_uom in plannings}
