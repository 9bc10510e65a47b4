"""Reads for the buyers' exception queue and exception page, scoped to who is asking.

Like ``procurement.selectors``: every function takes an ``Actor`` and returns nothing for an actor
that does not act for the row's company. Kept apart from ``selectors`` because they serve one
surface (the workbench's queue and exception page, and the system API's queue). The PO timeline
on the exception page is read in ``procurement.timeline``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gateway import text_encoding
from gateway.actors import Actor
from notifications.models import OutboundMessage
from procurement.models import (
    AuditEvent,
    ExceptionNote,
    InboundDocument,
    ProcurementException,
)

from .selectors import scoped_for

# An exception due within this many hours is "due soon".
DUE_SOON_HOURS = 24
SLA_STATES = ("overdue", "due_soon")
OWNER_CHOICES = ("me", "unassigned", "anyone")


@dataclass(frozen=True)
class QueueFilter:
    """What the queue is narrowed to; empty values narrow nothing."""

    severity: str = ""
    kind: str = ""
    plant: str = ""
    supplier: str = ""
    tier: str = ""
    channel: str = ""
    owner: str = "anyone"
    sla: str = ""


def exceptions_open_for(*, actor: Actor) -> QuerySet[ProcurementException]:
    """The open exceptions ``actor`` may see, with what a queue row shows (one query, no per-row reads)."""
    rows = ProcurementException.objects.open().select_related("po", "po__ship_to", "po_line", "supplier", "owner")
    return scoped_for(rows, actor=actor)


def exception_queue_for(
    *, actor: Actor, where: QueueFilter, now: dt.datetime | None = None
) -> QuerySet[ProcurementException]:
    """The open exceptions ``actor`` may see, narrowed by ``where``, most at risk first, then soonest due.

    ``owner="me"`` is the actor's own person; ``sla`` is ``overdue`` (past due) or ``due_soon``
    (due within ``DUE_SOON_HOURS``). A plant is the PO's ship-to plant, or for an exception without a
    PO the plant its evidence names; a channel is the one the supplier trades on.
    """
    rows = _narrowed(exceptions_open_for(actor=actor), actor=actor, where=where)
    now = now or timezone.now()
    if where.sla == "overdue":
        rows = rows.filter(due_at__lt=now)
    elif where.sla == "due_soon":
        rows = rows.filter(due_at__gte=now, due_at__lt=now + dt.timedelta(hours=DUE_SOON_HOURS))
    return rows.order_by("severity_rank", "due_at", "id")


def exception_queue_counts(*, actor: Actor, where: QueueFilter, now: dt.datetime | None = None) -> dict[str, int]:
    """Counts of the open exceptions ``where`` selects, in one query.

    Per severity and per SLA state the counts ignore ``where``'s own severity and SLA state (so each
    can be chosen from them): ``{"production_stop": n, …, "overdue": n, "due_soon": n, "all": n}``;
    ``"matching"`` is the number ``exception_queue_for`` returns with all of ``where``. They count
    by severity rank and due time, which the queue's index holds, so the count reads no table rows.
    """
    now = now or timezone.now()
    rows = _narrowed(
        scoped_for(ProcurementException.objects.open(), actor=actor),
        actor=actor,
        where=QueueFilter(**{**where.__dict__, "severity": "", "sla": ""}),
    )
    soon = now + dt.timedelta(hours=DUE_SOON_HOURS)
    sla = {"overdue": Q(due_at__lt=now), "due_soon": Q(due_at__gte=now, due_at__lt=soon)}
    rank = ProcurementException.SEVERITY_RANK
    aggregates: dict[str, Any] = {
        severity: Count("id", filter=Q(severity_rank=rank[ProcurementException.Severity(severity)]))
        for severity in ProcurementException.Severity.values
    }
    aggregates |= {state: Count("id", filter=condition) for state, condition in sla.items()}
    aggregates["all"] = Count("id")
    matching = Q()
    if where.severity:
        matching &= Q(severity_rank=rank[ProcurementException.Severity(where.severity)])
    if where.sla in sla:
        matching &= sla[where.sla]
    aggregates["matching"] = Count("id", filter=matching) if matching else Count("id")
    return rows.aggregate(**aggregates)


def _narrowed(rows: QuerySet, *, actor: Actor, where: QueueFilter) -> QuerySet:
    if where.severity:
        rows = rows.filter(
            severity_rank=ProcurementException.SEVERITY_RANK[ProcurementException.Severity(where.severity)]
        )
    if where.kind:
        rows = rows.filter(kind=where.kind)
    if where.plant:
        # A PO's exception is at the PO's ship-to plant. One raised without a PO (a material shortage,
        # a BOM revision mismatch, an inventory variance) is about an item or a requirement at a plant,
        # which its raiser names in its evidence: the plant the queue shows for it.
        rows = rows.filter(Q(po__ship_to__code=where.plant) | Q(po__isnull=True, evidence__plant=where.plant))
    if where.supplier:
        rows = rows.filter(supplier__code=where.supplier)
    if where.tier:
        rows = rows.filter(supplier__tier=where.tier)
    if where.channel:
        rows = rows.filter(supplier__channel=where.channel)
    if where.owner == "me":
        rows = rows.filter(owner_id=actor.user_id) if actor.user_id is not None else rows.none()
    elif where.owner == "unassigned":
        rows = rows.filter(owner__isnull=True)
    return rows


def exception_get_for(*, actor: Actor, exception_id: int) -> ProcurementException | None:
    """One exception, open or closed, with its PO, line, proposal, invoice and document; None if not ``actor``'s."""
    rows = ProcurementException.objects.select_related(
        "company",
        "po",
        "po__ship_to",
        "po__supplier",
        "po_line",
        "po_line__item",
        "supplier",
        "owner",
        "resolved_by",
        "change_request",
        "change_request__ack",
        "invoice",
        "shipment",
        "inbound_document",
    ).defer("inbound_document__content")
    return scoped_for(rows, actor=actor).filter(pk=exception_id).first()


def exception_notes(exception: ProcurementException) -> list[ExceptionNote]:
    """The buyers' internal notes and escalations on an exception, oldest first."""
    return list(exception.notes.select_related("escalated_to").order_by("created_at", "id"))


def document_answers(document: InboundDocument | None) -> list[OutboundMessage]:
    """The 997/999/TA1 written in answer to a stored inbound document (same correlation id), oldest first."""
    if document is None or not document.correlation_id:
        return []
    answers = OutboundMessage.objects.filter(
        correlation_id=document.correlation_id, event__in=("x12.997", "x12.999", "x12.ta1")
    )
    return list(answers.order_by("created_at", "id"))


def document_content(document: InboundDocument | None, *, limit: int = 20000) -> str:
    """The stored payload as text (its first ``limit`` bytes) for reading on a page; empty if none.

    Read from wherever it is kept (the row, or the file store for a large one); a payload whose file
    is gone is said so rather than failing the page.
    """
    if document is None:
        return ""
    stored = InboundDocument.objects.filter(pk=document.pk).first()  # ``content`` is deferred on the page's row
    if stored is None:
        return ""
    try:
        with stored.open_payload() as payload:
            text, decoded_as = text_encoding.preview(payload.read(limit))
            return f"({decoded_as})\n{text}" if decoded_as else text
    except OSError as error:
        return f"(the stored payload cannot be read: {error.strerror})"


def exception_audit(exception: ProcurementException) -> QuerySet[AuditEvent]:
    """The audit trail of one exception (raised, assigned, escalated, commented, resolved), oldest first."""
    events = AuditEvent.objects.filter(object_type="ProcurementException", object_id=str(exception.pk))
    # The PO's index narrows the search; an exception without a PO is found by its company's events.
    if exception.po_id is not None:
        events = events.filter(po_id=exception.po_id)
    else:
        events = events.filter(company_id=exception.company_id)
    return events.order_by("occurred_at", "id")
