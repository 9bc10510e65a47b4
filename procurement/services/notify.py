"""Outbox rows that tell suppliers and buyers what happened: files, webhooks and e-mails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone

from notifications import registry
from notifications.models import OutboundMessage
from procurement.models import ProcurementException, PurchaseOrder

from .sources import WriteSource
from .values import jsonable


def outbound_message(
    *,
    kind: str,
    event: str,
    destination: str,
    payload: dict,
    idempotency_key: str,
    source: WriteSource,
    supplier: Any = None,
    po: PurchaseOrder | None = None,
    now: dt.datetime | None = None,
) -> OutboundMessage:
    """An unsaved outbox row; it is written in the caller's transaction and delivered after commit."""
    now = now or timezone.now()
    return OutboundMessage(
        kind=kind,
        event=event,
        destination=destination,
        payload=jsonable(payload),
        idempotency_key=idempotency_key[:120],
        supplier=supplier,
        po=po,
        max_attempts=settings.GATEWAY_OUTBOX_MAX_ATTEMPTS,
        next_attempt_at=now,
        correlation_id=source.correlation_id,
        created_at=now,
    )


def supplier_notifications(
    *, supplier: Any, event: str, payload: dict, key: str, source: WriteSource, po: PurchaseOrder | None = None
) -> list[OutboundMessage]:
    """Outbox rows that tell a supplier about ``event`` through the channel it trades on.

    EDI partners get a file in their outbox (the EDI channel renders it as X12); webhook
    subscriptions for the event get a signed POST; everyone with a notification address gets
    an e-mail.
    """
    rows = []
    if supplier.channel == "edi":
        rows.append(
            outbound_message(
                kind=OutboundMessage.Kind.FILE,
                event=event,
                destination=f"edi/{supplier.code}/outbox",
                payload=payload,
                idempotency_key=f"{key}:file",
                source=source,
                supplier=supplier,
                po=po,
            )
        )
    rows += webhook_rows(
        event=event,
        supplier=supplier,
        payload=payload,
        supplier_payload=payload,
        key=key,
        source=source,
        company_ids={po.company_id} if po is not None else set(),
        po=po,
    )
    if supplier.notify_email:
        rows.append(
            outbound_message(
                kind=OutboundMessage.Kind.EMAIL,
                event=event,
                destination=supplier.notify_email,
                payload=payload,
                idempotency_key=f"{key}:email",
                source=source,
                supplier=supplier,
                po=po,
            )
        )
    return rows


def buyer_alerts(
    *,
    drafts: list[ProcurementException],
    orders: dict[int, PurchaseOrder],
    document: str,
    key: str,
    source: WriteSource,
) -> list[OutboundMessage]:
    """One e-mail per PO buyer listing the exceptions a document raised on that buyer's POs."""
    by_po: dict[int, list[ProcurementException]] = {}
    for draft in drafts:
        if draft.po_id is not None:
            by_po.setdefault(draft.po_id, []).append(draft)
    rows = []
    for po_id, raised in by_po.items():
        order = orders[po_id]
        if order.buyer is None or not order.buyer.email:
            continue
        rows.append(
            outbound_message(
                kind=OutboundMessage.Kind.EMAIL,
                event="exception.raised",
                destination=order.buyer.email,
                payload={
                    "po": order.number,
                    "document": document,
                    "exceptions": [{"id": d.pk, "summary": d.summary, "severity": d.severity} for d in raised],
                },
                idempotency_key=f"exception.raised:{key}:{po_id}",
                source=source,
                po=order,
            )
        )
    return rows


def webhook_rows(
    *,
    event: str,
    supplier: Any,
    payload: dict,
    supplier_payload: dict | None,
    key: str,
    source: WriteSource,
    company_ids: Iterable[int],
    po: PurchaseOrder | None = None,
    versions: Mapping[int, int] | None = None,
) -> list[OutboundMessage]:
    """Outbox rows for the webhook subscriptions that want ``event`` (the fan-out the API registers
    in ``notifications.registry``; none without it).

    ``supplier_payload`` is what the supplier's own subscriptions see; None sends them nothing.
    The buyer's systems hear the event only if it concerns their company (``company_ids``: a set,
    or a query of company ids, which the fan-out uses as a subquery). ``versions``: each company's
    ``webhooks_version`` as read under the caller's PO lock, when it has them (saves the lookup).
    """
    rows_for = registry.webhook_fanout()
    if rows_for is None:
        return []
    return rows_for(
        event=event,
        supplier=supplier,
        payload=jsonable(payload),
        supplier_payload=jsonable(supplier_payload) if supplier_payload is not None else None,
        key=key,
        source=source,
        company_ids=company_ids,
        po=po,
        versions=versions,
    )


def exception_notifications(
    *,
    drafts: list[ProcurementException],
    orders: dict[int, PurchaseOrder],
    document: str,
    key: str,
    source: WriteSource,
    versions: Mapping[int, int] | None = None,
) -> list[OutboundMessage]:
    """The buyer's e-mail and the ``exception.raised`` webhooks for the exceptions one document raised.

    ``versions``: as for ``webhook_rows``.
    """
    rows = buyer_alerts(drafts=drafts, orders=orders, document=document, key=key, source=source)
    if not drafts:
        return rows
    supplier = drafts[0].supplier
    visible = [
        {
            "id": d.pk,
            "kind": d.kind,
            "po_number": orders[d.po_id].number if d.po_id else None,
            "line_no": d.po_line.line_no if d.po_line_id else None,  # type: ignore[union-attr]
            "message": d.supplier_message,
        }
        for d in drafts
    ]
    full = [
        v | {"severity": d.severity, "summary": d.summary, "evidence": d.evidence}
        for v, d in zip(visible, drafts, strict=True)
    ]
    return rows + webhook_rows(
        event="exception.raised",
        supplier=supplier,
        payload={"document": document, "exceptions": full},
        supplier_payload={"document": document, "exceptions": visible},
        key=f"exception.raised:{key}",
        source=source,
        company_ids={d.company_id for d in drafts},
        versions=versions,
    )
