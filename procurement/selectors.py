"""Reads scoped to who is asking. A supplier sees its own rows only; anything else is "not found".

``supplier=None`` means the buyer's side (a buyer or one of its systems), which sees everything.
"""

from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from procurement.models import (
    InboundDocument,
    Invoice,
    POLine,
    PORevision,
    ProcurementException,
    PurchaseOrder,
)

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


def purchase_orders_for(*, supplier) -> QuerySet[PurchaseOrder]:
    orders = PurchaseOrder.objects.select_related("company", "supplier", "ship_to").prefetch_related(
        Prefetch("lines", queryset=POLine.objects.select_related("item").order_by("id"))
    )
    return orders if supplier is None else orders.filter(supplier=supplier)


PO_ROW_FIELDS = ("id", "number", "revision", "currency", "order_date", "notes", "published_at", "updated_at")
PO_LINE_ROW_FIELDS = (
    "po_id", "line_no", "supplier_part_number", "description", "quantity", "uom", "unit_price", "need_by",
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


def purchase_order_line_rows(po_ids: list[int]) -> dict[int, list[POLine]]:
    """The lines of these POs in line order, as read-only ``POLine.from_row`` views keyed by PO id: one query."""
    lines: dict[int, list[POLine]] = {po_id: [] for po_id in po_ids}
    rows = POLine.objects.filter(po_id__in=po_ids).order_by("po_id", "id")
    for row in rows.values(*PO_LINE_ROW_FIELDS, part_number=F("item__part_number")):
        lines[row["po_id"]].append(POLine.from_row(row))
    return lines


def purchase_orders_with_line_status(queryset: QuerySet[PurchaseOrder], dimension: str, value: str) -> QuerySet:
    """POs with at least one live line in ``value`` of ``dimension`` (ack, change, ship, receipt, invoice, match)."""
    condition = LINE_STATUS_CONDITIONS[dimension][value]
    lines = POLine.objects.filter(condition, cancelled=False).values("po_id")
    return queryset.filter(pk__in=lines)


def purchase_order_revisions_for(*, supplier, po_id: int) -> QuerySet[PORevision]:
    return PORevision.objects.filter(po__in=purchase_orders_for(supplier=supplier).filter(pk=po_id).values("pk"))


def inbound_documents_for(*, supplier) -> QuerySet[InboundDocument]:
    documents = InboundDocument.objects.defer("content").order_by("-received_at", "-id")
    return documents if supplier is None else documents.filter(supplier=supplier)


def invoices_for(*, supplier) -> QuerySet[Invoice]:
    invoices = Invoice.objects.select_related("po", "supplier").prefetch_related("lines__po_line").order_by("-id")
    return invoices if supplier is None else invoices.filter(supplier=supplier)


def exceptions_for(*, supplier) -> QuerySet[ProcurementException]:
    exceptions = ProcurementException.objects.select_related("po", "po_line", "supplier", "invoice").order_by(
        "severity_rank", "due_at", "id"
    )
    return exceptions if supplier is None else exceptions.filter(supplier=supplier)
