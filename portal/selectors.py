"""The portal's reads, always starting from an actor-scoped selector of procurement.

A supplier's person sees its supplier's orders only; an order of another supplier is "not found".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from gateway.actors import Actor
from notifications.models import Notification
from procurement import selectors
from procurement.models import (
    Acknowledgement,
    ChangeRequest,
    Invoice,
    Plant,
    POLine,
    PORevision,
    ProcurementException,
    PurchaseOrder,
    Shipment,
)

from .models import PurchaseOrderSeen

STATUS_DIMENSIONS = tuple(selectors.LINE_STATUS_CONDITIONS)
# How many POs a search may match and still be handed to the page's query as a list of ids.
SEARCH_IDS_LISTED = 500


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox is narrowed to; every field optional. ``status`` is ``(dimension, value)``."""

    status: tuple[str, str] | None = None
    plant: str = ""
    need_by_from: dt.date | None = None
    need_by_to: dt.date | None = None
    query: str = ""
    badge: str = ""  # "new", "changed" or "awaiting"


def inbox_for(*, actor: Actor, filters: InboxFilters) -> QuerySet:
    """The actor's POs, newest change first, each annotated with the inbox's badges for its person.

    ``is_new``: the person never opened it; ``is_changed``: changed since they last did;
    ``is_awaiting``: a live line still waits for an answer. One query however many rows.
    """
    # An actor with no person behind it (an API key) has never looked at anything.
    seen = PurchaseOrderSeen.objects.filter(user_id=actor.user_id or 0, po_id=OuterRef("pk"))
    awaiting = POLine.objects.filter(
        selectors.LINE_STATUS_CONDITIONS["ack"]["awaiting"], cancelled=False, po_id=OuterRef("pk")
    )
    orders: QuerySet = (
        selectors.scoped_for(PurchaseOrder.objects.all(), actor=actor)
        .select_related("company", "ship_to")
        .annotate(
            seen_at=Subquery(seen.values("seen_at")[:1]),
            is_new=~Exists(seen),
            is_awaiting=Exists(awaiting),
            is_changed=Exists(seen.filter(seen_at__lt=OuterRef("updated_at"))),
        )
        .order_by("-updated_at", "-id")
    )
    if filters.status is not None:
        orders = selectors.purchase_orders_with_line_status(orders, *filters.status)
    if filters.plant:
        orders = orders.filter(ship_to__code=filters.plant)
    if filters.need_by_from or filters.need_by_to:
        window = Q(cancelled=False)
        if filters.need_by_from:
            window &= Q(need_by__gte=filters.need_by_from)
        if filters.need_by_to:
            window &= Q(need_by__lte=filters.need_by_to)
        orders = orders.filter(pk__in=POLine.objects.filter(window).values("po_id"))
    if filters.query:
        # One UNION of three reads rather than an OR: each side is answered by its own index (pg_trgm
        # on PostgreSQL, portal migration 0003), where the OR read every PO and every line of the supplier.
        text = filters.query
        matches = (
            selectors.scoped_for(PurchaseOrder.objects.filter(number__icontains=text), actor=actor)
            .order_by()
            .values_list("pk", flat=True)
            .union(
                POLine.objects.filter(supplier_part_number__icontains=text).order_by().values_list("po_id", flat=True),
                POLine.objects.filter(item__part_number__icontains=text).order_by().values_list("po_id", flat=True),
            )
        )
        # Read first, the matching POs are a few ids the planner can count: as a subquery it guessed
        # hundreds (a part on many lines) and hashed every line of the supplier for the "awaiting"
        # badge of a page of one PO. A search matching more POs than that stays a subquery.
        found = list(matches[: SEARCH_IDS_LISTED + 1])
        orders = orders.filter(pk__in=found if len(found) <= SEARCH_IDS_LISTED else matches)
    if filters.badge == "new":
        orders = orders.filter(is_new=True)
    elif filters.badge == "changed":
        orders = orders.filter(is_changed=True)
    elif filters.badge == "awaiting":
        orders = orders.filter(is_awaiting=True)
    return orders


def inbox_plants_for(*, actor: Actor) -> QuerySet[Plant]:
    """The plants the actor's POs ship to, for the inbox's plant filter."""
    ship_to = selectors.scoped_for(PurchaseOrder.objects.all(), actor=actor).values("ship_to_id")
    return Plant.objects.filter(pk__in=ship_to).order_by("code")


def purchase_order_get_for(*, actor: Actor, pk: int) -> PurchaseOrder | None:
    """One PO with its lines and schedule lines, if the actor may see it; None for missing and not yours alike."""
    return selectors.purchase_orders_for(actor=actor).filter(pk=pk).first()


def purchase_order_revisions_for(*, actor: Actor, po: PurchaseOrder) -> QuerySet[PORevision]:
    """Its revisions, newest first, with the from/to diff each recorded against the one before."""
    return selectors.purchase_order_revisions_for(actor=actor, po_id=po.pk).order_by("-revision")


@dataclass(frozen=True)
class DocumentRow:
    kind: str
    key: str
    channel: str
    received_at: dt.datetime


def purchase_order_documents_for(*, actor: Actor, po: PurchaseOrder) -> list[DocumentRow]:
    """The documents exchanged on the PO through any channel (portal, API, EDI), newest first.

    Each read starts from the actor's own rows (``scoped_for``), so a PO of another supplier yields nothing.
    """
    acks = selectors.scoped_for(Acknowledgement.objects.filter(po=po), actor=actor, company_field="po__company")
    changes = selectors.scoped_for(
        ChangeRequest.objects.filter(po=po), actor=actor, supplier_field="po__supplier", company_field="po__company"
    )
    shipments = selectors.scoped_for(
        Shipment.objects.filter(pk__in=Shipment.objects.filter(lines__po_line__po=po).values("pk")),
        actor=actor,
        company_field="lines__po_line__po__company",
    ).distinct()
    invoices = selectors.scoped_for(Invoice.objects.filter(po=po), actor=actor, company_field="po__company")
    rows = [
        *(DocumentRow("Acknowledgement", a.document_id, a.channel, a.received_at) for a in acks),
        *(DocumentRow("Ship notice", s.shipment_id, s.channel, s.received_at) for s in shipments),
        *(DocumentRow(i.get_purpose_display(), i.invoice_number, i.channel, i.received_at) for i in invoices),
        *(
            DocumentRow(
                f"Change request ({c.get_state_display().lower()})", f"line {c.po_line.line_no}", "", c.created_at
            )
            for c in changes.select_related("po_line")
        ),
    ]
    return sorted(rows, key=lambda row: row.received_at, reverse=True)


def purchase_order_exceptions_for(*, actor: Actor, po: PurchaseOrder) -> QuerySet[ProcurementException]:
    """The PO's exceptions the actor may see; the page shows only their supplier-facing words."""
    return selectors.exceptions_for(actor=actor).filter(po=po)


def inbox_badge_counts_for(*, actor: Actor) -> dict[str, int]:
    """How many of the actor's POs are new, changed since the person last looked, and awaiting an answer."""
    orders: QuerySet = inbox_for(actor=actor, filters=InboxFilters())
    return {
        "new": orders.filter(is_new=True).count(),
        "changed": orders.filter(is_changed=True).count(),
        "awaiting": orders.filter(is_awaiting=True).count(),
    }


def unread_notifications_count(*, actor: Actor) -> int:
    """How many of the person's inbox lines for the supplier the actor acts for are still unread:
    the badge on the portal's navigation. One count, on the inbox's (person, supplier) index."""
    return Notification.objects.filter(
        person_id=actor.user_id or 0, supplier_id=actor.supplier_id or 0, read_at__isnull=True
    ).count()
