"""Reads scoped to who is asking. Every ``*_for`` selector takes an ``Actor`` (gateway/actors.py):

- a supplier sees its own rows only;
- a buyer, or one of a company's systems, sees the rows of the companies it acts for;
- any other actor sees nothing.

Another tenant's row is therefore "not found", exactly like a missing one.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, F, Model, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from gateway.actors import Actor
from notifications.models import OutboundMessage
from procurement.models import (
    Acknowledgement,
    Company,
    CompanyMembership,
    InboundDocument,
    Invoice,
    Item,
    Plant,
    POLine,
    PORevision,
    ProcurementException,
    PurchaseOrder,
    ScheduleLine,
    Shipment,
    ShipmentLine,
    UomConversion,
)
from suppliers.models import Supplier, SupplierMembership

# "Any line of the PO is …" for each status dimension value, as database conditions.
_target = Coalesce(F("confirmed_quantity"), F("quantity"))
LINE_STATUS_CONDITIONS: dict[str, dict[str, Q]] = {
    "ack": {
        "awaiting": Q(ack_response="") | Q(change_state="declined"),
        "acknowledged": Q(ack_response="ACKNOWLEDGED"),
        "changes_proposed": Q(change_state="proposed"),
        "rejected": Q(ack_response="REJECT") & ~Q(change_state="declined"),
        "on_hold": Q(ack_response="HOLD"),
        "accepted": ~Q(ack_response__in=["", "ACKNOWLEDGED", "REJECT", "HOLD"])
        & ~Q(change_state__in=["proposed", "declined"]),
    },
    "change": {state: Q(change_state=state) for state in POLine.ChangeState.values},
    "ship": {
        "not_shipped": Q(shipped_quantity__lte=0),
        "partially_shipped": Q(shipped_quantity__gt=0, shipped_quantity__lt=_target),
        "shipped": Q(shipped_quantity__gt=0, shipped_quantity=_target),
        "over_shipped": Q(shipped_quantity__gt=_target),
    },
    "receipt": {
        "nothing": Q(received_quantity__lte=F("rejected_quantity")),
        "partial": Q(
            received_quantity__gt=F("rejected_quantity"), received_quantity__lt=F("quantity") + F("rejected_quantity")
        ),
        "full": Q(
            received_quantity__gt=F("rejected_quantity"), received_quantity=F("quantity") + F("rejected_quantity")
        ),
        "over": Q(received_quantity__gt=F("quantity") + F("rejected_quantity")),
    },
    "invoice": {
        "not_invoiced": Q(invoiced_quantity__lte=0),
        "partially_invoiced": Q(invoiced_quantity__gt=0, invoiced_quantity__lt=F("quantity")),
        "invoiced": Q(invoiced_quantity__gt=0, invoiced_quantity=F("quantity")),
        "over_invoiced": Q(invoiced_quantity__gt=F("quantity")),
    },
    "match": {state: Q(match_state=state) for state in POLine.MatchState.values},
}


def actor_for_user(user: AbstractBaseUser | AnonymousUser, *, supplier_id: int | None = None) -> Actor:
    """The actor a signed-in person is: a supplier's person, a buyer of companies, or nobody.

    A person who acts for a supplier is that supplier's actor, even if also listed with a company:
    supplier and buyer sides never mix in one actor. A person with several active memberships acts
    for ``supplier_id`` (the portal's choice, kept in the session) when it is one of them, else for
    the first by supplier code. Inactive memberships and inactive suppliers give no access.
    """
    if not user.is_authenticated or not user.is_active:
        return Actor.nobody()
    label = f"user {user.get_username()}"
    supplier_ids = supplier_ids_for_user(user)
    if supplier_ids:
        chosen = supplier_id if supplier_id in supplier_ids else supplier_ids[0]
        return Actor.for_supplier(supplier_id=chosen, label=label, user_id=user.pk)
    companies = set(CompanyMembership.objects.filter(user_id=user.pk).values_list("company_id", flat=True))
    if companies:
        return Actor.for_buyer(company_ids=companies, label=label, user_id=user.pk)
    return Actor.nobody(label)


def supplier_ids_for_user(user: AbstractBaseUser | AnonymousUser) -> list[int]:
    """The suppliers a person acts for through active memberships of active suppliers, by supplier code."""
    if not user.is_authenticated:
        return []
    memberships = SupplierMembership.objects.filter(user_id=user.pk, active=True, supplier__active=True)
    return list(memberships.order_by("supplier__code").values_list("supplier_id", flat=True))


M = TypeVar("M", bound=Model)


def scoped_for(
    queryset: QuerySet[M], *, actor: Actor, supplier_field: str = "supplier", company_field: str = "company"
) -> QuerySet[M]:
    """``queryset`` narrowed to what ``actor`` may see: its supplier's rows, or its companies' rows, or none."""
    if actor.is_supplier:
        return queryset.filter(**{f"{supplier_field}_id": actor.supplier_id})
    if actor.is_buyer_side:
        return queryset.filter(**{f"{company_field}_id__in": sorted(actor.company_ids)})
    return queryset.none()


def company_get_for(*, actor: Actor, code: str) -> Company | None:
    """The company with this code if ``actor`` acts for it (a buyer or a company's system), else None."""
    if not actor.is_buyer_side:
        return None
    return Company.objects.filter(code=code, pk__in=sorted(actor.company_ids)).first()


def companies_for(*, actor: Actor) -> QuerySet[Company]:
    """The companies ``actor`` acts for (a buyer's or a company system's), by code; none for anyone else."""
    if not actor.is_buyer_side:
        return Company.objects.none()
    return Company.objects.filter(pk__in=sorted(actor.company_ids)).order_by("code")


def plants_for(*, actor: Actor) -> QuerySet[Plant]:
    """The plants of the companies ``actor`` acts for, by company and code; none for anyone else."""
    if not actor.is_buyer_side:
        return Plant.objects.none()
    return (
        Plant.objects.filter(company_id__in=sorted(actor.company_ids))
        .select_related("company")
        .order_by("company__code", "code")
    )


def company_roles_for(*, actor: Actor) -> dict[int, str]:
    """``{company id: role}`` of the person behind a buyer actor (``CompanyMembership.Role``); empty otherwise."""
    if not actor.is_buyer_side or actor.user_id is None:
        return {}
    memberships = CompanyMembership.objects.filter(user_id=actor.user_id, company_id__in=sorted(actor.company_ids))
    return dict(memberships.values_list("company_id", "role"))


def purchase_orders_for(*, actor: Actor) -> QuerySet[PurchaseOrder]:
    orders = PurchaseOrder.objects.select_related("company", "supplier", "ship_to").prefetch_related(
        Prefetch(
            "lines", queryset=POLine.objects.select_related("item").prefetch_related("schedule_lines").order_by("id")
        )
    )
    return scoped_for(orders, actor=actor)


PO_ROW_FIELDS = ("id", "number", "revision", "currency", "order_date", "notes", "published_at", "updated_at")
PO_LINE_ROW_FIELDS = (
    "id", "po_id", "line_no", "supplier_part_number", "description", "quantity", "uom", "unit_price", "need_by",
    "cancelled", "revision", "ack_response", "ack_raw_code", "confirmed_quantity", "confirmed_price",
    "promised_date", "backordered_quantity", "change_state", "proposal", "shipped_quantity", "received_quantity",
    "rejected_quantity", "invoiced_quantity", "match_state",
)  # fmt: skip


def purchase_order_rows(orders: QuerySet[PurchaseOrder]) -> QuerySet:
    """``orders`` as plain rows with their company, supplier and ship-to codes: one query, no model instances.

    For read paths that show many POs; pair with ``purchase_order_line_rows`` for their lines.
    """
    return orders.prefetch_related(None).values(
        *PO_ROW_FIELDS,
        company_code=F("company__code"),
        supplier_code=F("supplier__code"),
        ship_to_code=F("ship_to__code"),
    )


def purchase_order_positions(orders: QuerySet[PurchaseOrder]) -> QuerySet:
    """``orders`` as their ids and change times only: what a cursor page needs to pick its POs."""
    return orders.prefetch_related(None).values("id", "updated_at")


def purchase_order_line_rows(po_ids: list[int]) -> dict[int, list[POLine]]:
    """The lines of these POs in line order, as read-only ``POLine.from_row`` views keyed by PO id: two queries.

    Each line's row also holds ``schedule``: its confirmed schedule lines as ``(quantity, date)`` in the order sent.
    """
    schedules: dict[int, list[tuple[Decimal, dt.date]]] = defaultdict(list)
    deliveries = ScheduleLine.objects.filter(po_line__po_id__in=po_ids).order_by("po_line_id", "position")
    for po_line_id, quantity, date in deliveries.values_list("po_line_id", "quantity", "date"):
        schedules[po_line_id].append((quantity, date))
    lines: dict[int, list[POLine]] = {po_id: [] for po_id in po_ids}
    rows = POLine.objects.filter(po_id__in=po_ids).order_by("po_id", "id")
    for row in rows.values(*PO_LINE_ROW_FIELDS, part_number=F("item__part_number")):
        row["schedule"] = schedules.get(row["id"], [])
        lines[row["po_id"]].append(POLine.from_row(row))
    return lines


def purchase_orders_with_line_status(queryset: QuerySet[PurchaseOrder], dimension: str, value: str) -> QuerySet:
    """POs with at least one live line in ``value`` of ``dimension`` (ack, change, ship, receipt, invoice, match)."""
    condition = LINE_STATUS_CONDITIONS[dimension][value]
    lines = POLine.objects.filter(condition, cancelled=False).values("po_id")
    return queryset.filter(pk__in=lines)


def purchase_order_revisions_for(*, actor: Actor, po_id: int) -> QuerySet[PORevision]:
    return PORevision.objects.filter(po__in=purchase_orders_for(actor=actor).filter(pk=po_id).values("pk"))


def inbound_documents_for(*, actor: Actor) -> QuerySet[InboundDocument]:
    """Stored payloads: a supplier's own, or, for the buyer's side, those its companies' records came from
    (or that their systems and EDI partners sent), and those that could be placed with no company.

    A supplier's payload refused before it named a PO (too large, binary, too deep, not JSON, not
    valid) concerns no company: it is shown to the buyers of every company the supplier has a PO
    from (``suppliers_for``'s relation), and to no other. Which of them it was meant for cannot be
    known, so the workbench shows such a document's outcome (state, reason, size) but not its payload.
    """
    documents = InboundDocument.objects.defer("content").order_by("-received_at", "-id")
    if actor.is_supplier and actor.supplier_id is not None:
        return documents.filter(supplier_id=actor.supplier_id)
    if actor.is_buyer_side:
        companies = sorted(actor.company_ids)
        served = PurchaseOrder.objects.filter(supplier_id=OuterRef("supplier_id"), company_id__in=companies)
        return documents.filter(
            Q(company_id__in=companies) | Q(Exists(served), company_id__isnull=True, supplier_id__isnull=False)
        )
    return documents.none()


def invoices_for(*, actor: Actor) -> QuerySet[Invoice]:
    invoices = Invoice.objects.select_related("po", "supplier").prefetch_related("lines__po_line").order_by("-id")
    return scoped_for(invoices, actor=actor, company_field="po__company")


def exceptions_for(*, actor: Actor) -> QuerySet[ProcurementException]:
    exceptions = ProcurementException.objects.select_related("po", "po_line", "supplier", "invoice").order_by(
        "severity_rank", "due_at", "id"
    )
    return scoped_for(exceptions, actor=actor)


@dataclass(frozen=True)
class ItemUnits:
    """An item's identity and units: ``factors`` maps each of its own units to base units (1 uom = factor base)."""

    pk: int
    part_number: str
    description: str
    base_uom: str
    factors: dict[str, Decimal]


def item_units(*, company_id: int, part_numbers: Collection[str], factors: bool = True) -> dict[str, ItemUnits]:
    """The company's items among ``part_numbers``, by part number, with their own unit conversions.

    For domain code that has already checked who is asking (materials' services and explosion);
    two queries whatever the number of items, one with ``factors=False`` (``factors`` left empty).
    """
    rows = list(
        Item.objects.filter(company_id=company_id, part_number__in=list(part_numbers)).values_list(
            "pk", "part_number", "description", "base_uom"
        )
    )
    by_item: dict[int, dict[str, Decimal]] = {pk: {} for pk, *_ in rows}
    if rows and factors:
        for item_id, uom, factor in UomConversion.objects.filter(item_id__in=list(by_item)).values_list(
            "item_id", "uom", "factor"
        ):
            by_item[item_id][uom] = factor
    return {part: ItemUnits(pk, part, description, base_uom, by_item[pk]) for pk, part, description, base_uom in rows}


def outbound_messages_for(*, actor: Actor) -> QuerySet[OutboundMessage]:
    """Outbound messages about a PO ``actor`` may see: its companies' (a buyer's), or its own (a supplier's).

    A message about no PO (a company-wide digest) is not listed: its recipients are people, not a document trail.
    """
    messages = OutboundMessage.objects.select_related("supplier", "po").order_by("-created_at", "-id")
    if actor.is_supplier and actor.supplier_id is not None:
        return messages.filter(supplier_id=actor.supplier_id, po__isnull=False)
    if actor.is_buyer_side:
        return messages.filter(po__company_id__in=sorted(actor.company_ids))
    return messages.none()


def suppliers_for(*, actor: Actor) -> QuerySet[Supplier]:
    """The suppliers ``actor``'s companies have sent a PO to, by code (a supplier actor: itself)."""
    if actor.is_supplier and actor.supplier_id is not None:
        return Supplier.objects.filter(pk=actor.supplier_id)
    if not actor.is_buyer_side:
        return Supplier.objects.none()
    ordered = PurchaseOrder.objects.filter(supplier_id=OuterRef("pk"), company_id__in=sorted(actor.company_ids))
    return Supplier.objects.filter(Exists(ordered)).order_by("code")


def shipments_for(*, actor: Actor) -> QuerySet[Shipment]:
    """Ship notices: a supplier's own; for the buyer's side, those with a line on its companies' POs."""
    shipments = Shipment.objects.order_by("-received_at", "-id")
    if actor.is_supplier and actor.supplier_id is not None:
        return shipments.filter(supplier_id=actor.supplier_id)
    if actor.is_buyer_side:
        lines = ShipmentLine.objects.filter(po_line__po__company_id__in=sorted(actor.company_ids)).values("shipment_id")
        return shipments.filter(pk__in=lines)
    return shipments.none()


def acknowledgements_for(*, actor: Actor) -> QuerySet[Acknowledgement]:
    """Acknowledgements: a supplier's own, or those of the buyer's companies' POs."""
    acks = Acknowledgement.objects.select_related("po").order_by("-received_at", "-id")
    return scoped_for(acks, actor=actor, company_field="po__company")


def lines_to_ship_for(*, actor: Actor, ship_to_id: int | None = None) -> QuerySet[POLine]:
    """A supplier's live PO lines with something left to ship (confirmed, else ordered, above shipped),
    optionally to one ship-to plant; a line rejected by the supplier has nothing left. Supplier actors only."""
    supplier_id = actor.supplier_id if actor.is_supplier else None
    if supplier_id is None:
        return POLine.objects.none()
    lines = POLine.objects.filter(po__supplier_id=supplier_id, cancelled=False).filter(shipped_quantity__lt=_target)
    if ship_to_id is not None:
        lines = lines.filter(po__ship_to_id=ship_to_id)
    return lines.select_related("po__company", "po__ship_to", "item").order_by("need_by", "po__number", "id")


def ship_tos_for(*, actor: Actor) -> QuerySet[Plant]:
    """The plants a supplier has lines left to ship to."""
    plant_ids = lines_to_ship_for(actor=actor).values("po__ship_to_id")
    return Plant.objects.filter(pk__in=plant_ids).select_related("company").order_by("company__code", "code")
