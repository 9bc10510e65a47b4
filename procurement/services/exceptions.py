"""What buyers do with exceptions: assign, accept the supplier's proposal, reject it, dismiss."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from gateway.formatting import po_label
from notifications.services import outbox_write
from procurement.models import (
    ChangeRequest,
    Invoice,
    POLine,
    PORevision,
    ProcurementException,
    PurchaseOrder,
    ScheduleLine,
)

from .audit import audit_event, audit_write
from .closing import exceptions_close
from .documents import orders_touch
from .errors import InvalidAction, NotFound
from .locking import lock_po_for_revision
from .notify import supplier_notifications
from .orders import changes_terms, po_as_input, proposal_applied, purchase_order_revise
from .raising import exception_draft
from .severity import severity_assess
from .sources import WriteSource

Kind = ProcurementException.Kind
State = ProcurementException.State
Resolution = ProcurementException.Resolution


@transaction.atomic
def exception_assign(*, exception_id: int, owner: User, source: WriteSource) -> ProcurementException:
    """Give an open exception to ``owner`` (a buyer). Audited; assigning twice to the same owner is a no-op."""
    exc = _open_locked(exception_id)
    before = {"owner": exc.owner_id, "state": exc.state}
    if exc.owner_id == owner.pk and exc.state == State.IN_PROGRESS:
        return exc
    exc.owner, exc.state = owner, State.IN_PROGRESS
    exc.save(update_fields=["owner", "state"])
    _audit(source, "exception.assigned", exc, before, {"owner": owner.pk, "state": exc.state})
    return exc


@transaction.atomic
def exception_accept(*, exception_id: int, source: WriteSource, note: str = "") -> ProcurementException:
    """Accept what the exception is about.

    For a supplier's proposal: the change request is accepted and folded into a new PO revision,
    published to the supplier through the outbox; every open exception of that proposal resolves.
    For an invoice mismatch: the variance is accepted, the line marked overridden and the invoice
    released once nothing else holds it. Otherwise the deviation is accepted as it is.
    """
    exc = _open_locked(exception_id)
    now = timezone.now()
    if exc.change_request is not None:
        if exc.change_request.state != ChangeRequest.State.PROPOSED:
            raise InvalidAction(f"the proposal behind exception {exc.pk} is already {exc.change_request.state}")
        _proposal_accept(exc.change_request, source, note, now)
    else:
        if exc.invoice_id and exc.po_line is not None:
            POLine.objects.filter(pk=exc.po_line.pk).update(match_state=POLine.MatchState.OVERRIDDEN)
            orders_touch([exc.po_line.po_id], now=now)  # the line's match status changed
        _resolve(ProcurementException.objects.filter(pk=exc.pk), Resolution.ACCEPTED, source, note, now)
        if exc.invoice_id:
            _release_invoice_if_clear(exc.invoice_id)
    exc.refresh_from_db()
    return exc


@transaction.atomic
def exception_reject(*, exception_id: int, source: WriteSource, reason: str) -> ProcurementException:
    """Reject what the exception is about and tell the supplier why, through the outbox.

    For a proposal: the change request is declined and the line awaits a new answer on the
    buyer's terms, which stay as they were.
    """
    if not reason.strip():
        raise InvalidAction("a rejection needs a reason the supplier can act on")
    exc = _open_locked(exception_id)
    now = timezone.now()
    cr = exc.change_request
    to_resolve = ProcurementException.objects.filter(pk=exc.pk)
    if cr is not None and cr.state == ChangeRequest.State.PROPOSED:
        _proposal_decline(cr, source, now)
        to_resolve = ProcurementException.objects.open().filter(change_request=cr)
    _resolve(to_resolve, Resolution.REJECTED, source, reason, now)
    if exc.supplier is not None:
        outbox_write(
            supplier_notifications(
                supplier=exc.supplier,
                event="proposal.rejected" if cr is not None else "exception.rejected",
                payload={
                    "po": exc.po.number if exc.po else None,
                    "line": exc.po_line.line_no if exc.po_line else None,
                    "exception": exc.pk,
                    "kind": exc.kind,
                    "what": exc.supplier_message,
                    "reason": reason,
                },
                key=f"exception.rejected:{exc.pk}",
                source=source,
                po=exc.po,
            )
        )
    exc.refresh_from_db()
    return exc


@transaction.atomic
def change_request_accept(*, change_request_id: int, source: WriteSource, note: str = "") -> ChangeRequest:
    """Accept a supplier's proposal directly (one within tolerance raises no exception to act on).

    Same effect as accepting its exception: a new PO revision sent to the supplier; any open
    exception of the proposal resolves.
    """
    cr = _proposed_locked(change_request_id)
    _proposal_accept(cr, source, note, timezone.now())
    cr.refresh_from_db()
    return cr


@transaction.atomic
def change_request_decline(*, change_request_id: int, source: WriteSource, reason: str) -> ChangeRequest:
    """Decline a supplier's proposal directly and tell the supplier why; the buyer's terms stand."""
    if not reason.strip():
        raise InvalidAction("declining a proposal needs a reason the supplier can act on")
    cr = _proposed_locked(change_request_id)
    now = timezone.now()
    _proposal_decline(cr, source, now)
    _resolve(ProcurementException.objects.open().filter(change_request=cr), Resolution.REJECTED, source, reason, now)
    outbox_write(
        supplier_notifications(
            supplier=cr.po.supplier,
            event="proposal.rejected",
            payload={
                "po": cr.po.number,
                "line": cr.po_line.line_no,
                "change_request": cr.pk,
                "proposed": cr.proposed,
                "reason": reason,
            },
            key=f"proposal.rejected:cr{cr.pk}",
            source=source,
            po=cr.po,
        )
    )
    cr.refresh_from_db()
    return cr


@transaction.atomic
def exception_dismiss(*, exception_id: int, source: WriteSource, reason: str) -> ProcurementException:
    """Close an exception without acting on it; the reason is kept (internal, never shown to suppliers).

    The last open exception holding an invoice cannot be dismissed: that would leave the invoice
    on hold with nothing in the queue to release it. The buyer accepts the variance (releasing
    it) or rejects it (the supplier is told, the invoice stays held).
    """
    if not reason.strip():
        raise InvalidAction("dismissing an exception needs a reason")
    exc = _open_locked(exception_id)
    if (
        exc.invoice_id
        and not ProcurementException.objects.open().filter(invoice_id=exc.invoice_id).exclude(pk=exc.pk).exists()
    ):
        held = Invoice.objects.filter(pk=exc.invoice_id, match_status=Invoice.MatchStatus.ON_HOLD).first()
        if held is not None:
            raise InvalidAction(
                f"exception {exc.pk} is what holds invoice {held.invoice_number}: accept the variance to release "
                "the invoice, or reject it to dispute it with the supplier"
            )
    _resolve(
        ProcurementException.objects.filter(pk=exc.pk),
        Resolution.DISMISSED,
        source,
        reason,
        timezone.now(),
        state=State.DISMISSED,
    )
    exc.refresh_from_db()
    return exc


@transaction.atomic
def exceptions_clear(
    *,
    company_id: int,
    kind: str,
    dedup_key_prefix: str,
    reason: str,
    source: WriteSource,
    evidence: dict[str, Any] | None = None,
    keep_dedup_key: str = "",
) -> list[ProcurementException]:
    """Resolve, as ``auto_cleared``, the open exceptions of ``kind`` whose deviation no longer holds.

    For the system that raised them, when the data they were raised about agrees again. They are
    chosen by company, kind and the start of their ``dedup_key``; ``evidence`` (top-level keys and
    values) narrows them further where a key's parts could be ambiguous. With ``keep_dedup_key``,
    the deviation has not gone but changed into the one under that key: the others are resolved
    as ``superseded`` and that one stays open. Each one closed is audited and announced like any
    resolution; one already closed is left as it is. Returns those closed.
    """
    if not reason.strip():
        raise InvalidAction("clearing exceptions needs a reason")
    queryset = ProcurementException.objects.filter(
        company_id=company_id, kind=kind, dedup_key__startswith=dedup_key_prefix[:200]
    )
    for key, value in (evidence or {}).items():
        queryset = queryset.filter(**{f"evidence__{key}": value})
    resolution = Resolution.AUTO_CLEARED
    if keep_dedup_key:
        queryset, resolution = queryset.exclude(dedup_key=keep_dedup_key), Resolution.SUPERSEDED
    return exceptions_close(queryset, resolution=resolution, source=source, note=reason, now=timezone.now())


def acknowledgements_overdue_raise(*, source: WriteSource) -> list[ProcurementException]:
    """Raise one exception per PO revision still waiting for an acknowledgement past its company's due time.

    Idempotent: a PO revision already flagged (open or not) is not flagged again.
    """
    now = timezone.now()
    raised = []
    candidates = (
        PurchaseOrder.objects.filter(lines__ack_response="", lines__cancelled=False)
        .select_related("company", "supplier")
        .distinct()
    )
    for order in candidates:
        due = order.published_at + dt.timedelta(hours=order.company.ack_due_hours)
        latest_change = order.revisions.order_by("-revision").values_list("created_at", flat=True).first()
        due = max(due, (latest_change or order.published_at) + dt.timedelta(hours=order.company.ack_due_hours))
        if due > now:
            continue
        key = f"{Kind.ACK_OVERDUE}:{order.pk}:{order.revision}"
        if ProcurementException.objects.filter(dedup_key=key).exists():
            continue
        text = f"revision {order.revision} not acknowledged; it was due {due:%Y-%m-%d %H:%M} UTC"
        draft = exception_draft(
            company=order.company,
            kind=Kind.ACK_OVERDUE,
            severity=ProcurementException.Severity.PROCUREMENT_DELAY,
            dedup_key=key,
            summary=f"{po_label(order.number)}: {text}",
            evidence={"published_at": order.published_at, "due_at": due, "revision": order.revision},
            supplier_message=text,
            source=source,
            now=now,
            supplier=order.supplier,
            po=order,
        )
        severity_assess([draft])
        draft.save()
        _audit(source, "exception.raised", draft, None, {"kind": draft.kind})
        raised.append(draft)
    return raised


def _proposal_accept(cr: ChangeRequest, source: WriteSource, note: str, now: dt.datetime) -> None:
    """Fold an accepted proposal into a new PO revision and resolve its open exceptions."""
    lines = lock_po_for_revision(POLine.objects.filter(po_id=cr.po_id))
    if not changes_terms(cr.proposed):
        _schedule_accept(cr, source, note, now)
        return
    order = lines[0].po
    current = po_as_input(order, lines, revision=order.revision + 1)
    line_input = next(line for line in current.lines if line.line_no == cr.po_line.line_no)
    changed = proposal_applied(line_input, cr.proposed)
    new_lines = tuple(
        line
        for line in (changed if line.line_no == line_input.line_no else line for line in current.lines)
        if line is not None
    )
    if not new_lines:
        raise InvalidAction("accepting this rejection would cancel every line of the PO; cancel the PO instead")
    cr.state, cr.decided_by, cr.decided_at = ChangeRequest.State.ACCEPTED, source.user, now
    cr.resulting_revision = order.revision + 1
    cr.save(update_fields=["state", "decided_by", "decided_at", "resulting_revision"])
    purchase_order_revise(
        po=dataclasses.replace(current, lines=new_lines),
        source=source,
        company=order.company,
        revision_source=PORevision.Source.SUPPLIER_PROPOSAL,
    )
    _resolve(ProcurementException.objects.open().filter(change_request=cr), Resolution.ACCEPTED, source, note, now)


def _schedule_accept(cr: ChangeRequest, source: WriteSource, note: str, now: dt.datetime) -> None:
    """Accept a proposal that only schedules the line: its schedule lines stand, the PO keeps its revision."""
    cr.state, cr.decided_by, cr.decided_at = ChangeRequest.State.ACCEPTED, source.user, now
    cr.save(update_fields=["state", "decided_by", "decided_at"])
    POLine.objects.filter(pk=cr.po_line_id).update(change_state=POLine.ChangeState.ACCEPTED, proposal={})
    orders_touch([cr.po_id], now=now)
    audit_write(
        [
            audit_event(
                source=source,
                action="change_request.accepted",
                obj=cr,
                company=cr.po.company,
                po=cr.po,
                after={"proposed": cr.proposed},
                now=now,
            )
        ]
    )
    _resolve(ProcurementException.objects.open().filter(change_request=cr), Resolution.ACCEPTED, source, note, now)


def _proposal_decline(cr: ChangeRequest, source: WriteSource, now: dt.datetime) -> None:
    cr.state, cr.decided_by, cr.decided_at = ChangeRequest.State.DECLINED, source.user, now
    cr.save(update_fields=["state", "decided_by", "decided_at"])
    # The line is back on the buyer's terms and awaits a new answer; nothing the supplier
    # proposed stays as "confirmed".
    POLine.objects.filter(pk=cr.po_line_id).update(
        change_state=POLine.ChangeState.DECLINED,
        proposal={},
        confirmed_quantity=None,
        confirmed_price=None,
        promised_date=None,
        backordered_quantity=0,
    )
    ScheduleLine.objects.filter(po_line_id=cr.po_line_id).delete()
    orders_touch([cr.po_id], now=now)  # readers syncing by updated_since see it
    audit_write(
        [
            audit_event(
                source=source,
                action="change_request.declined",
                obj=cr,
                company=cr.po.company,
                po=cr.po,
                after={"proposed": cr.proposed},
                now=now,
            )
        ]
    )


def _proposed_locked(change_request_id: int) -> ChangeRequest:
    cr = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("po", "po__company", "po__supplier", "po_line")
        .filter(pk=change_request_id)
        .first()
    )
    if cr is None:
        raise NotFound(f"change request {change_request_id} does not exist")
    if cr.state != ChangeRequest.State.PROPOSED:
        raise InvalidAction(f"change request {change_request_id} is already {cr.state}")
    return cr


def _open_locked(exception_id: int) -> ProcurementException:
    exc = (
        ProcurementException.objects.select_for_update(of=("self",))
        .select_related("change_request", "change_request__po_line", "po", "po_line", "supplier")
        .filter(pk=exception_id)
        .first()
    )
    if exc is None:
        raise NotFound(f"exception {exception_id} does not exist")
    if not exc.is_open:
        raise InvalidAction(f"exception {exception_id} is already {exc.state}")
    return exc


def _resolve(
    queryset: QuerySet[ProcurementException],
    resolution: str,
    source: WriteSource,
    note: str,
    now: dt.datetime,
    state: str = State.RESOLVED,
) -> None:
    exceptions_close(queryset, resolution=resolution, source=source, note=note, now=now, state=state)


def _release_invoice_if_clear(invoice_id: int) -> None:
    if not ProcurementException.objects.open().filter(invoice_id=invoice_id).exists():
        Invoice.objects.filter(pk=invoice_id, match_status=Invoice.MatchStatus.ON_HOLD).update(
            match_status=Invoice.MatchStatus.RELEASED
        )


def _audit(source: WriteSource, action: str, exc: ProcurementException, before: Any, after: Any) -> None:
    audit_write(
        [
            audit_event(
                source=source,
                action=action,
                obj=exc,
                company=exc.company,
                po=exc.po,
                before=before,
                after=after,
            )
        ]
    )
