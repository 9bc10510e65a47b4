"""A buyer turns a planned purchase into a purchase order, published like any other."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from gateway.actors import Actor
from gateway.formatting import po_label
from materials.models import PlannedPurchase, RequirementRun
from procurement.inputs import POLineInput, PurchaseOrderInput
from procurement.models import PurchaseOrder
from procurement.services import purchase_order_publish
from procurement.services.audit import audit_event, audit_write

from .access import company_for, write_source
from .errors import InvalidAction, NotFound
from .requirements import plan_lock_take, requirements_replan


@dataclass(frozen=True)
class PlannedOrdered:
    """The PO a planned purchase became, and the net change that counted it as supply (None when the
    company was never planned in full: its first run will)."""

    po: PurchaseOrder
    run: RequirementRun | None


@transaction.atomic
def planned_purchase_order(
    *, actor: Actor, company_code: str, planned_pk: int, number: str, correlation_id: str = ""
) -> PlannedOrdered:
    """Publish PO ``number`` for a planned purchase through ``purchase_order_publish`` (so it goes out
    by the supplier's channel) and mark the planned purchase ``ordered``, naming the PO (audited as
    ``planned_purchase.ordered``, beside the PO's own publishing audit).

    The PO has one line: the planned quantity of the item, needed by the planned need date, at the
    supplier's price for it. Refused (``InvalidAction``) for a make order, one without an approved
    supplier or one already ordered; ``NotFound`` for another company's or a missing one. The PO's
    line is supply at once: the item is re-planned at the plant in the same transaction (a net
    change), so its shortages, and the buyer's shortage exception, show what the PO covers.
    """
    company = company_for(actor, company_code)
    # The planning lock before the planned purchase's row, as every re-planning path takes them.
    plan_lock_take(company.pk)
    planned = (
        PlannedPurchase.objects.select_for_update(of=("self",))
        .select_related("item", "plant", "supplier")
        .filter(company=company, pk=planned_pk)
        .first()
    )
    if planned is None:
        raise NotFound("the planned purchase is not known", code="not_found")
    if planned.make or planned.supplier is None:
        raise InvalidAction("a planned purchase without a supplier cannot be ordered", code="no_supplier")
    if planned.state == PlannedPurchase.State.ORDERED:
        raise InvalidAction(f"planned purchase {planned_pk} is already ordered", code="already_ordered")
    offer = planned.item.supplier_items.filter(supplier=planned.supplier).first()
    po = PurchaseOrderInput(
        company=company.code,
        number=number,
        supplier=planned.supplier.code,
        ship_to=planned.plant.code,
        currency=offer.currency if offer is not None else company.currency,
        order_date=timezone.localdate(),
        lines=(
            POLineInput(
                line_no="1",
                part_number=planned.item.part_number,
                quantity=planned.quantity,
                uom=planned.item.base_uom,
                unit_price=offer.unit_price if offer is not None else Decimal(0),
                need_by=planned.need_date,
                supplier_part_number=offer.supplier_part_number if offer is not None else "",
            ),
        ),
    )
    source = write_source(actor, correlation_id)
    result = purchase_order_publish(po=po, source=source)
    planned.state, planned.po = PlannedPurchase.State.ORDERED, result.record
    planned.save(update_fields=["state", "po"])
    audit_write(
        [
            audit_event(
                source=source,
                action="planned_purchase.ordered",
                obj=planned,
                company=company,
                po=result.record,
                before={"state": PlannedPurchase.State.PROPOSED},
                after={"state": planned.state, "po": number, "quantity": planned.quantity},
            )
        ]
    )
    who = source.user.get_username() if source.user is not None else actor.label
    run = requirements_replan(
        company=company,
        keys={(planned.plant_id, planned.item_id)},
        reason=f"{po_label(number)} ordered",
        covered_by=f"Covered by {po_label(number)} (Create PO by {who})",
    )
    return PlannedOrdered(result.record, run)
