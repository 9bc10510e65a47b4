"""What buyers add to an exception besides deciding it: internal comments, and escalation to a supervisor.

Both are written as ``ExceptionNote`` rows, which no supplier-facing read ever returns.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.models import OutboundMessage
from notifications.services import outbox_write
from procurement.models import EscalationRule, ExceptionNote, ProcurementException

from .audit import audit_event, audit_write
from .errors import InvalidAction, NotFound
from .notify import outbound_message
from .sources import WriteSource

NOTE_MAX_LENGTH = 4000


@transaction.atomic
def exception_comment(*, exception_id: int, body: str, source: WriteSource) -> ExceptionNote:
    """Add a buyers' internal note to an exception (open or closed). Audited; nothing goes to the supplier."""
    body = body.strip()
    if not body:
        raise InvalidAction("a comment needs some text")
    if len(body) > NOTE_MAX_LENGTH:
        raise InvalidAction(f"a comment is at most {NOTE_MAX_LENGTH} characters")
    exc = ProcurementException.objects.select_related("company", "po").filter(pk=exception_id).first()
    if exc is None:
        raise NotFound(f"exception {exception_id} does not exist")
    now = timezone.now()
    note = ExceptionNote.objects.create(
        exception=exc,
        kind=ExceptionNote.Kind.COMMENT,
        author=source.user,
        author_label=source.label,
        body=body,
        created_at=now,
    )
    _audit(source, "exception.commented", exc, {"note": note.pk}, now)
    return note


def escalation_supervisor(exc: ProcurementException) -> EscalationRule | None:
    """The rule for the exception's plant (the PO's ship-to), else its company's; None if neither names one."""
    plant_id = exc.po.ship_to_id if exc.po is not None else None
    where = Q(plant__isnull=True) | Q(plant_id=plant_id) if plant_id else Q(plant__isnull=True)
    rules = EscalationRule.objects.filter(where, company_id=exc.company_id).select_related("supervisor")
    return rules.order_by(F("plant_id").asc(nulls_last=True)).first()


@transaction.atomic
def exception_escalate(*, exception_id: int, source: WriteSource, reason: str = "") -> ExceptionNote:
    """Escalate an open exception to its plant's (or company's) supervisor: a note and an e-mail notice.

    Once per exception: escalating one already escalated is refused. The supervisor is told through
    the outbox (``exception.escalated``), delivered after commit.
    """
    exc = (
        ProcurementException.objects.select_for_update(of=("self",))
        .select_related("company", "po", "supplier")
        .filter(pk=exception_id)
        .first()
    )
    if exc is None:
        raise NotFound(f"exception {exception_id} does not exist")
    if not exc.is_open:
        raise InvalidAction(f"exception {exception_id} is already {exc.state}")
    rule = escalation_supervisor(exc)
    if rule is None:
        raise InvalidAction("no supervisor is named for this exception's plant or company")
    return _escalate(exc, rule, source, reason or "escalated by a buyer", timezone.now())


def exceptions_overdue_escalate(*, source: WriteSource, now: dt.datetime | None = None) -> list[ExceptionNote]:
    """Escalate every open exception overdue by more than its rule's margin and not escalated yet.

    For the scheduled sweep. Idempotent: an exception escalates once (a unique constraint backs the
    check, so two sweeps at once cannot both notify). Each escalation commits on its own.
    """
    now = now or timezone.now()
    done = []
    for rule in EscalationRule.objects.select_related("supervisor").order_by("plant_id"):
        candidates = ProcurementException.objects.open().filter(
            company_id=rule.company_id,
            due_at__lt=now - dt.timedelta(hours=rule.overdue_margin_hours),
        )
        candidates = candidates.exclude(notes__kind=ExceptionNote.Kind.ESCALATION)
        if rule.plant_id is not None:
            candidates = candidates.filter(po__ship_to_id=rule.plant_id)
        else:
            # A plant with a rule of its own is that rule's to escalate.
            own = EscalationRule.objects.filter(company_id=rule.company_id, plant__isnull=False).values("plant_id")
            candidates = candidates.exclude(po__ship_to_id__in=own)
        for exc in candidates.select_related("company", "po", "supplier").order_by("id"):
            try:
                with transaction.atomic():
                    done.append(
                        _escalate(exc, rule, source, f"overdue by more than {rule.overdue_margin_hours} h", now)
                    )
            except IntegrityError:
                continue  # escalated by a concurrent sweep
    return done


def _escalate(
    exc: ProcurementException, rule: EscalationRule, source: WriteSource, reason: str, now: dt.datetime
) -> ExceptionNote:
    if ExceptionNote.objects.filter(exception=exc, kind=ExceptionNote.Kind.ESCALATION).exists():
        raise InvalidAction(f"exception {exc.pk} is already escalated")
    supervisor: User = rule.supervisor
    note = ExceptionNote.objects.create(
        exception=exc,
        kind=ExceptionNote.Kind.ESCALATION,
        author=source.user,
        author_label=source.label,
        body=reason,
        escalated_to=supervisor,
        created_at=now,
    )
    if supervisor.email:
        outbox_write(
            [
                outbound_message(
                    kind=OutboundMessage.Kind.EMAIL,
                    event="exception.escalated",
                    destination=supervisor.email,
                    payload={
                        "exception": exc.pk,
                        "summary": exc.summary,
                        "severity": exc.severity,
                        "po": exc.po.number if exc.po is not None else None,
                        "due_at": exc.due_at,
                        "reason": reason,
                    },
                    idempotency_key=f"exception.escalated:{exc.pk}",
                    source=source,
                    po=exc.po,
                    now=now,
                )
            ]
        )
    _audit(source, "exception.escalated", exc, {"to": supervisor.pk, "reason": reason}, now)
    return note


def _audit(source: WriteSource, action: str, exc: ProcurementException, after: dict, now: dt.datetime) -> None:
    audit_write(
        [audit_event(source=source, action=action, obj=exc, company=exc.company, po=exc.po, after=after, now=now)]
    )
