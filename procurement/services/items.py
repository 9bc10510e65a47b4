"""The item master: items, their unit conversions and suppliers' offers, as the ERP sends them.

A PO line's item is the same item: items a PO created before the item master knew them are
completed here, never duplicated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from procurement.inputs import ItemMasterInput
from procurement.models import Company, Item, SupplierItem, UomConversion
from suppliers.models import Supplier

from .audit import audit_event, audit_write
from .errors import NotFound
from .sources import WriteSource

ItemsCreatedListener = Callable[[Company, set[str]], None]
_items_created_listeners: list[ItemsCreatedListener] = []


def items_created_listener_register(listener: ItemsCreatedListener) -> None:
    """Have ``listener(company, part_numbers)`` hear of items a PO created before the item master sent them."""
    if listener not in _items_created_listeners:
        _items_created_listeners.append(listener)


def items_created(company: Company, part_numbers: set[str]) -> None:
    """Tell the listeners, inside the transaction that created them, that these items now exist: a BOM
    release held for one of them can apply (materials)."""
    if part_numbers:
        for listener in _items_created_listeners:
            listener(company, part_numbers)


@dataclass
class ItemMasterResult:
    """What ``item_master_write`` did to one item: ``created`` or ``changed`` (anything of it)."""

    item: Item
    created: bool = False
    changed: bool = False
    supplier_items: dict[str, SupplierItem] = field(default_factory=dict)


@transaction.atomic
def item_master_write(
    *, company: Company, items: Sequence[ItemMasterInput], source: WriteSource
) -> dict[str, ItemMasterResult]:
    """Create or update ``items`` of ``company`` with their conversions and supplier offers.

    Conversions and supplier items are replaced by the sets given (a supplier item no longer
    listed is removed). A supplier item keeps its price; a new one starts at price 0 until a PO
    sets the price. Raises ``NotFound`` (code ``unknown_supplier``) naming the first unknown
    supplier code, before writing anything. Each created or changed item gets an audit event.
    Idempotent: the same items again change nothing and audit nothing.
    """
    codes = {offer.supplier_code for entry in items for offer in entry.supplier_items}
    suppliers = {s.code: s for s in Supplier.objects.filter(code__in=codes)}
    unknown = sorted(codes - set(suppliers))
    if unknown:
        raise NotFound(f"supplier {unknown[0]!r} is not known", code="unknown_supplier")
    wanted = [entry.part_number for entry in items]
    existing = {
        i.part_number: i for i in Item.objects.select_for_update().filter(company=company, part_number__in=wanted)
    }
    results: dict[str, ItemMasterResult] = {}
    new_items, changed_items = [], []
    for entry in items:
        item = existing.get(entry.part_number)
        if item is None:
            item = Item(
                company=company, part_number=entry.part_number, description=entry.description, base_uom=entry.base_uom
            )
            new_items.append(item)
            results[entry.part_number] = ItemMasterResult(item, created=True)
        else:
            changed = (item.description, item.base_uom) != (entry.description, entry.base_uom)
            if changed:
                item.description, item.base_uom = entry.description, entry.base_uom
                changed_items.append(item)
            results[entry.part_number] = ItemMasterResult(item, changed=changed)
    Item.objects.bulk_create(new_items)
    Item.objects.bulk_update(changed_items, ["description", "base_uom"])
    by_item = {results[entry.part_number].item.pk: entry for entry in items}
    _conversions_replace(by_item, results)
    _supplier_items_replace(by_item, results, suppliers)
    audit_write(
        [
            audit_event(
                source=source,
                action="item.created" if result.created else "item.changed",
                obj=result.item,
                company=company,
                document_key=part,
                after={"description": result.item.description, "base_uom": result.item.base_uom},
            )
            for part, result in results.items()
            if result.created or result.changed
        ]
    )
    return results


def _conversions_replace(by_item: dict[int, ItemMasterInput], results: dict[str, ItemMasterResult]) -> None:
    current: dict[int, dict[str, Decimal]] = {pk: {} for pk in by_item}
    for row in UomConversion.objects.filter(item_id__in=by_item):
        current[row.item_id][row.uom] = row.factor
    stale, fresh = [], []
    for pk, entry in by_item.items():
        wanted = {uom: Decimal(factor) for uom, factor in entry.conversions}
        if wanted == current[pk]:
            continue
        results[entry.part_number].changed = True
        stale.append(pk)
        fresh += [UomConversion(item_id=pk, uom=uom, factor=factor) for uom, factor in wanted.items()]
    if stale:
        UomConversion.objects.filter(item_id__in=stale).delete()
        UomConversion.objects.bulk_create(fresh)


def _supplier_items_replace(
    by_item: dict[int, ItemMasterInput], results: dict[str, ItemMasterResult], suppliers: dict[str, Supplier]
) -> None:
    current = {(row.item_id, row.supplier_id): row for row in SupplierItem.objects.filter(item_id__in=by_item)}
    keep: set[int] = set()
    for pk, entry in by_item.items():
        result = results[entry.part_number]
        for offer in entry.supplier_items:
            supplier = suppliers[offer.supplier_code]
            row = current.get((pk, supplier.pk))
            if row is None:
                row = SupplierItem(item_id=pk, supplier=supplier, unit_price=Decimal(0))
                result.changed = True
            wanted = {
                "supplier_part_number": offer.supplier_part_number,
                "lead_time_days": row.lead_time_days if offer.lead_time_days is None else offer.lead_time_days,
                "moq": row.moq if offer.moq is None else offer.moq,
            }
            if row.pk is None or any(getattr(row, name) != value for name, value in wanted.items()):
                for name, value in wanted.items():
                    setattr(row, name, value)
                row.save()
                result.changed = True
            keep.add(row.pk)
            result.supplier_items[offer.supplier_code] = row
    gone = [row.pk for row in current.values() if row.pk not in keep]
    if gone:
        for row in current.values():
            if row.pk not in keep:
                results[by_item[row.item_id].part_number].changed = True
        SupplierItem.objects.filter(pk__in=gone).delete()
