"""The item master from the ERP: planning data beside procurement's items, each change versioned."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from gateway.actors import Actor
from materials.inputs import MAKE_OR_BUY, ItemBatchInput, ItemInput, UomConversionInput
from materials.models import ApprovedSupplier, CategoryUomConversion, ItemPlanning, ItemPlantPlanning, ItemVersion
from procurement.inputs import ItemMasterInput, SupplierItemInput, canonical_json
from procurement.models import Company, Plant
from procurement.services import WriteSource, item_master_write
from procurement.services.audit import audit_event, audit_write
from suppliers.models import Supplier

from .access import company_for, write_source
from .errors import InvalidAction
from .holds import held_releases_retry
from .results import ItemOutcome

QUANTITY_LIMIT = Decimal(10) ** 12


@transaction.atomic
def items_upsert(*, actor: Actor, batch: ItemBatchInput, correlation_id: str = "") -> list[ItemOutcome]:
    """Create or update the batch's items, one outcome per item, in the batch's order.

    Each item is whole (``ItemInput``): its conversions, plants and approved suppliers replace
    the ones it had. An item that fails validation (unknown plant or supplier, a factor or
    lot size that is not positive, a part number twice in the batch) is ``refused`` with the
    reason, and the others go ahead. Each change is kept as an ``ItemVersion``; the same item
    again is ``unchanged`` and writes nothing. Releases held for an item or a unit conversion
    the batch brings are applied afterwards, in the same transaction.

    Raises ``NotFound`` when the actor does not act for ``batch.company_code``.
    """
    company = company_for(actor, batch.company_code)
    source = write_source(actor, correlation_id)
    plants = {p.code: p for p in Plant.objects.filter(company=company)}
    supplier_codes = {s.supplier_code for i in batch.items for s in i.approved_suppliers}
    known_suppliers = set(Supplier.objects.filter(code__in=supplier_codes).values_list("code", flat=True))
    outcomes: dict[int, ItemOutcome] = {}
    accepted: dict[str, tuple[int, ItemInput]] = {}
    for index, item in enumerate(batch.items):
        reason = _refusal(item, plants, known_suppliers)
        if not reason and item.part_number in accepted:
            reason = f"part number {item.part_number} is in the batch twice"
        if reason:
            outcomes[index] = ItemOutcome(item.part_number, "refused", reason)
        else:
            accepted[item.part_number] = (index, item)
    if accepted:
        outcomes.update(_write(company, batch.source_system, accepted, plants, source))
    touched = [o.part_number for o in outcomes.values() if o.outcome in ("created", "updated")]
    if touched:
        held_releases_retry(company=company, part_numbers=set(touched), source=source)
    return [outcomes[index] for index in range(len(batch.items))]


def _refusal(item: ItemInput, plants: dict[str, Plant], suppliers: set[str]) -> str:
    """Why ``item`` cannot be taken, or empty."""
    if not item.part_number.strip() or len(item.part_number) > 64:
        return "a part number must have 1 to 64 characters"
    if not item.base_uom.strip() or len(item.base_uom) > 8:
        return f"item {item.part_number}: a base unit must have 1 to 8 characters"
    if item.make_or_buy not in MAKE_OR_BUY:
        return f"item {item.part_number}: make_or_buy must be one of {', '.join(MAKE_OR_BUY)}, not {item.make_or_buy!r}"
    if item.inspection_days < 0:
        return f"item {item.part_number}: inspection days must not be negative"
    if item.lead_time_days < 0:
        return f"item {item.part_number}: lead time must not be negative"
    for name in ("moq", "order_multiple"):
        if not Decimal(0) < getattr(item, name) < QUANTITY_LIMIT:
            return f"item {item.part_number}: {name} must be positive"
    if not Decimal(0) <= item.safety_stock < QUANTITY_LIMIT:
        return f"item {item.part_number}: safety stock must not be negative"
    if item.max_lot is not None and not item.moq <= item.max_lot < QUANTITY_LIMIT:
        return f"item {item.part_number}: the maximum lot size must not be below the minimum order quantity"
    seen: set[str] = set()
    for conversion in item.conversions:
        if not conversion.uom or len(conversion.uom) > 8 or conversion.uom == item.base_uom:
            return f"item {item.part_number}: unit {conversion.uom!r} must have 1 to 8 characters, not be the base unit"
        if conversion.uom in seen:
            return f"item {item.part_number}: unit {conversion.uom} is converted twice"
        if not Decimal(0) < conversion.factor < QUANTITY_LIMIT:
            return f"item {item.part_number}: the factor of {conversion.uom} must be positive"
        seen.add(conversion.uom)
    for plant in item.plants:
        if plant.plant_code not in plants:
            return f"item {item.part_number}: plant {plant.plant_code!r} is not known"
        values = (plant.safety_stock, plant.moq, plant.order_multiple, plant.max_lot)
        days = (plant.lead_time_days, plant.inspection_days)
        if any(d is not None and d < 0 for d in days) or any(
            v is not None and not Decimal(0) <= v < QUANTITY_LIMIT for v in values
        ):
            return f"item {item.part_number}: plant {plant.plant_code} has a negative parameter"
        if plant.max_lot is not None and not Decimal(0) < plant.max_lot >= (plant.moq or Decimal(0)):
            return (
                f"item {item.part_number}: plant {plant.plant_code}: the maximum lot size must be positive, "
                "not below its minimum order quantity"
            )
    codes = [s.supplier_code for s in item.approved_suppliers]
    for code in codes:
        if code not in suppliers:
            return f"item {item.part_number}: supplier {code!r} is not known"
    if len(set(codes)) != len(codes):
        return f"item {item.part_number}: a supplier is approved twice"
    return ""


def _write(
    company: Company,
    source_system: str,
    accepted: dict[str, tuple[int, ItemInput]],
    plants: dict[str, Plant],
    source: WriteSource,
) -> dict[int, ItemOutcome]:
    now = timezone.now()
    masters = item_master_write(
        company=company,
        items=[
            ItemMasterInput(
                part_number=item.part_number,
                description=item.description,
                base_uom=item.base_uom,
                conversions=tuple((c.uom, c.factor) for c in item.conversions),
                supplier_items=tuple(
                    SupplierItemInput(s.supplier_code, s.supplier_part_number, s.lead_time_days, s.moq)
                    for s in item.approved_suppliers
                ),
            )
            for _, item in accepted.values()
        ],
        source=source,
    )
    item_ids = {part: result.item.pk for part, result in masters.items()}
    plannings = {p.item_id: p for p in ItemPlanning.objects.filter(item_id__in=item_ids.values())}
    latest: dict[int, ItemVersion] = {}
    for version in ItemVersion.objects.filter(item_id__in=item_ids.values()).order_by("item_id", "version"):
        latest[version.item_id] = version
    outcomes: dict[int, ItemOutcome] = {}
    versions, audits, changed_ids = [], [], []
    for part, (index, item) in accepted.items():
        item_id = item_ids[part]
        data = canonical_json(item)
        previous = latest.get(item_id)
        if previous is not None and previous.data == data:
            outcomes[index] = ItemOutcome(part, "unchanged")
            continue
        number = previous.version + 1 if previous is not None else 1
        versions.append(
            ItemVersion(
                item_id=item_id,
                version=number,
                data=data,
                source_system=source_system[:40],
                correlation_id=source.correlation_id,
                recorded_at=now,
            )
        )
        planning = plannings.get(item_id) or ItemPlanning(item_id=item_id)
        outcome = "updated" if planning.pk is not None else "created"
        planning.category = item.category[:64]
        planning.make_or_buy = item.make_or_buy
        planning.lead_time_days = item.lead_time_days
        planning.moq, planning.order_multiple, planning.safety_stock = item.moq, item.order_multiple, item.safety_stock
        planning.max_lot = item.max_lot
        planning.inspection_days = item.inspection_days
        planning.version, planning.source_system, planning.updated_at = number, source_system[:40], now
        planning.save()
        changed_ids.append(item_id)
        outcomes[index] = ItemOutcome(part, outcome)
        audits.append(
            audit_event(
                source=source,
                action=f"item_planning.{outcome}",
                obj=planning,
                company=company,
                document_key=part,
                before=previous.data if previous is not None else None,
                after=data,
                now=now,
            )
        )
    ItemVersion.objects.bulk_create(versions)
    _plants_replace(changed_ids, accepted, item_ids, plants)
    _approvals_replace(changed_ids, accepted, item_ids, masters)
    audit_write(audits)
    return outcomes


def _plants_replace(
    changed_ids: list[int],
    accepted: dict[str, tuple[int, ItemInput]],
    item_ids: dict[str, int],
    plants: dict[str, Plant],
) -> None:
    ItemPlantPlanning.objects.filter(item_id__in=changed_ids).delete()
    wanted = set(changed_ids)
    ItemPlantPlanning.objects.bulk_create(
        ItemPlantPlanning(
            item_id=item_ids[part],
            plant=plants[p.plant_code],
            lead_time_days=p.lead_time_days,
            safety_stock=p.safety_stock,
            moq=p.moq,
            order_multiple=p.order_multiple,
            max_lot=p.max_lot,
            inspection_days=p.inspection_days,
        )
        for part, (_, item) in accepted.items()
        if item_ids[part] in wanted
        for p in item.plants
    )


def _approvals_replace(
    changed_ids: list[int], accepted: dict[str, tuple[int, ItemInput]], item_ids: dict[str, int], masters: dict
) -> None:
    ApprovedSupplier.objects.filter(item_id__in=changed_ids).delete()
    wanted = set(changed_ids)
    ApprovedSupplier.objects.bulk_create(
        ApprovedSupplier(
            supplier_item=masters[part].supplier_items[s.supplier_code],
            item_id=item_ids[part],
            priority=s.priority,
        )
        for part, (_, item) in accepted.items()
        if item_ids[part] in wanted
        for s in item.approved_suppliers
    )


@transaction.atomic
def category_conversions_set(
    *,
    actor: Actor,
    company_code: str,
    category: str,
    base_uom: str,
    conversions: tuple[UomConversionInput, ...],
    correlation_id: str = "",
) -> int:
    """Set the unit conversions of every item of ``category`` whose base unit is ``base_uom``.

    The conversions given replace the category's for that base unit; returns how many there are
    now. Releases held for a unit these make convertible are applied afterwards. Raises
    ``NotFound`` for a company the actor does not act for, ``InvalidAction`` for a factor that is
    not positive.
    """
    company = company_for(actor, company_code)
    source = write_source(actor, correlation_id)
    for conversion in conversions:
        if not Decimal(0) < conversion.factor < QUANTITY_LIMIT or not conversion.uom or len(conversion.uom) > 8:
            raise InvalidAction(
                f"conversion {conversion.uom!r}: the factor must be positive", code="invalid_conversion"
            )
    rows = CategoryUomConversion.objects.filter(company=company, category=category, base_uom=base_uom)
    before = {r.uom: r.factor for r in rows}
    rows.delete()
    created = CategoryUomConversion.objects.bulk_create(
        CategoryUomConversion(company=company, category=category, uom=c.uom, base_uom=base_uom, factor=c.factor)
        for c in conversions
    )
    audit_write(
        [
            audit_event(
                source=source,
                action="category_conversions.set",
                obj=company,
                company=company,
                document_key=f"{category}/{base_uom}",
                before=before,
                after={c.uom: c.factor for c in conversions},
            )
        ]
    )
    members = ItemPlanning.objects.filter(item__company=company, category=category, item__base_uom=base_uom)
    parts = set(members.values_list("item__part_number", flat=True))
    if parts:
        held_releases_retry(company=company, part_numbers=parts, source=source)
    return len(created)
