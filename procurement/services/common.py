"""Plumbing shared by the services: where a write came from, audit rows, outbox rows, exceptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications import registry
from procurement import inputs
from procurement.models import (
    AuditEvent,
    Company,
    InboundDocument,
    OutboundMessage,
    ProcurementException,
    PurchaseOrder,
)

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity

# Hours from raising to due, per kind; a company's ``sla_hours`` overrides any of them.
DEFAULT_SLA_HOURS: dict[str, int] = {
    Kind.PRICE_DEVIATION: 48,
    Kind.QUANTITY_DEVIATION: 24,
    Kind.DATE_DEVIATION: 24,
    Kind.REJECTED_LINE: 8,
    Kind.SUBSTITUTION: 24,
    Kind.LINE_ON_HOLD: 24,
    Kind.UNKNOWN_PO: 24,
    Kind.UNKNOWN_LINE: 24,
    Kind.ACK_OVERDUE: 24,
    Kind.ASN_OVER_SHIPMENT: 8,
    Kind.ASN_WITHOUT_ACK: 24,
    Kind.INVOICE_PRICE_MISMATCH: 72,
    Kind.INVOICE_QUANTITY_MISMATCH: 72,
    Kind.DUPLICATE_INVOICE: 72,
    Kind.DUPLICATE_DOCUMENT: 48,
    Kind.INVALID_DOCUMENT: 24,
    Kind.FA_OVERDUE: 24,
    Kind.FA_REJECTED: 8,
    Kind.EDI_SYNTAX: 24,
}


@dataclass(frozen=True)
class Source:
    """Where a write comes from: the channel, the person or system behind it, and its payload."""

    channel: str
    label: str
    actor: AbstractBaseUser | None = None
    correlation_id: str = ""
    document: InboundDocument | None = None

    @property
    def user(self) -> AbstractBaseUser | None:
        """The signed-in person behind the write, to record as its actor; None for systems and anonymous."""
        return self.actor if self.actor is not None and self.actor.is_authenticated else None


@dataclass
class RecordResult:
    """What a write-path service did with a document.

    ``outcome`` is ``applied`` or ``duplicate`` (the same document again: nothing changed).
    """

    outcome: str
    record: Any
    exceptions: list[ProcurementException] = field(default_factory=list)

    @property
    def duplicate(self) -> bool:
        return self.outcome == "duplicate"


def num(value: Decimal) -> str:
    """A quantity or price as people write it: no trailing zeros from the column's scale."""
    return format(value.normalize(), "f")


def jsonable(value: Any) -> Any:
    """``inputs.canonical_json``: the one normaliser for audit rows, evidence, diffs and payloads."""
    return inputs.canonical_json(value)


def audit_event(
    *,
    source: Source,
    action: str,
    obj: Any,
    company: Company | None = None,
    po: PurchaseOrder | None = None,
    document_key: str = "",
    before: Any = None,
    after: Any = None,
    now: dt.datetime | None = None,
) -> AuditEvent:
    """An unsaved audit row; callers collect them and write them with one ``bulk_create``."""
    return AuditEvent(
        occurred_at=now or timezone.now(),
        actor=source.user,
        actor_label=source.label[:120],
        channel=source.channel,
        action=action,
        company=company,
        po=po,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        document_key=document_key[:200],
        correlation_id=source.correlation_id,
        before=jsonable(before),
        after=jsonable(after),
    )


def exception_draft(
    *,
    company: Company,
    kind: str,
    severity: str,
    dedup_key: str,
    summary: str,
    evidence: dict,
    source: Source,
    supplier_message: str = "",
    now: dt.datetime | None = None,
    **links: Any,
) -> ProcurementException:
    """An unsaved exception with its due time from the company's SLA for ``kind``."""
    now = now or timezone.now()
    hours = int(company.sla_hours.get(kind, DEFAULT_SLA_HOURS[kind]))
    return ProcurementException(
        company=company,
        kind=kind,
        severity=severity,
        severity_rank=ProcurementException.SEVERITY_RANK[severity],
        dedup_key=dedup_key[:200],
        summary=summary[:300],
        supplier_message=supplier_message,
        evidence=jsonable(evidence),
        due_at=now + dt.timedelta(hours=hours),
        raised_at=now,
        correlation_id=source.correlation_id,
        inbound_document=source.document,
        **links,
    )


def exception_raise(
    draft: ProcurementException,
    *,
    source: Source,
    action: str = "exception.raised",
    after: Callable[[ProcurementException], dict] | None = None,
) -> ProcurementException:
    """Save ``draft`` and audit it, unless the same deviation is already open: then that one is returned.

    ``after`` builds the audit event's payload from the saved exception (default: kind and evidence).

    Safe against a concurrent raise of the same deviation (the open-dedup constraint decides).
    """
    with transaction.atomic():
        existing = ProcurementException.objects.open().filter(dedup_key=draft.dedup_key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            return ProcurementException.objects.open().get(dedup_key=draft.dedup_key)
        AuditEvent.objects.bulk_create(
            [
                audit_event(
                    source=source,
                    action=action,
                    obj=draft,
                    company=draft.company,
                    po=draft.po,
                    after=after(draft) if after is not None else {"kind": draft.kind, "evidence": draft.evidence},
                )
            ]
        )
    return draft


def outbound_message(
    *,
    kind: str,
    event: str,
    destination: str,
    payload: dict,
    idempotency_key: str,
    source: Source,
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
    *, supplier: Any, event: str, payload: dict, key: str, source: Source, po: PurchaseOrder | None = None
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
        event=event, supplier=supplier, payload=payload, supplier_payload=payload, key=key, source=source, po=po
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
    source: Source,
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
    source: Source,
    po: PurchaseOrder | None = None,
) -> list[OutboundMessage]:
    """Outbox rows for the webhook subscriptions that want ``event`` (the fan-out the API registers
    in ``notifications.registry``; none without it).

    ``supplier_payload`` is what the supplier's own subscriptions see; None sends them nothing.
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
        po=po,
    )


def exception_notifications(
    *, drafts: list[ProcurementException], orders: dict[int, PurchaseOrder], document: str, key: str, source: Source
) -> list[OutboundMessage]:
    """The buyer's e-mail and the ``exception.raised`` webhooks for the exceptions one document raised."""
    rows = buyer_alerts(drafts=drafts, orders=orders, document=document, key=key, source=source)
    if not drafts:
        return rows
    supplier = drafts[0].supplier
    visible = [
        {
            "id": d.pk,
            "kind": d.kind,
            "po_number": orders[d.po_id].number if d.po_id else None,
            "line_no": d.po_line.line_no if d.po_line_id else None,
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
    )


def lock_po_lines(query) -> list:
    """Lines with their PO, company and buyer, locking the PO rows in one query, in a fixed order.

    The fixed order (PO, then line) keeps two documents touching the same POs from deadlocking.
    """
    return list(
        query.select_related("po", "po__company", "po__buyer", "item")
        .select_for_update(of=("self", "po"))
        .order_by("po_id", "id")
    )
