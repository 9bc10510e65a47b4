"""Recording a supplier's acknowledgement: line responses, proposals, tolerance exceptions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone

from gateway.formatting import plain_number, po_label, price_text
from notifications.services import outbox_written
from procurement import inputs
from procurement.inputs import AckLineInput, AcknowledgementInput
from procurement.models import (
    Acknowledgement,
    AcknowledgementLine,
    ChangeRequest,
    POLine,
    PORevision,
    ProcurementException,
    PurchaseOrder,
    ScheduleLine,
)
from procurement.models.fields import PRICE_LIMIT, QUANTITY_LIMIT
from suppliers.models import Supplier

from . import compiled, tolerance
from .audit import audit_event
from .bulk import Statement, row_insert_with_children, rows_insert, rows_update, rows_update_statement
from .closing import exceptions_close
from .documents import (
    document_replay,
    exceptions_audited,
    orders_touch_statement,
)
from .errors import DocumentRefused
from .lines import LineNumbers, refusal_company, supplier_lines, unknown_po_key
from .locking import lock_po_lines_query
from .notify import exception_notifications
from .orders import changes_terms, po_as_input, proposal_applied, purchase_order_revise
from .raising import exception_draft
from .refusals import records_refusals, refusal_recorded, service_atomic
from .severity import severity_assess, supply_changed
from .sources import RecordResult, WriteSource
from .values import jsonable

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity
ZERO = Decimal("0")

# Exceptions an acknowledgement raises on a line; a later acknowledgement of the line replaces them.
ACK_KINDS = (
    Kind.PRICE_DEVIATION,
    Kind.QUANTITY_DEVIATION,
    Kind.DATE_DEVIATION,
    Kind.REJECTED_LINE,
    Kind.SUBSTITUTION,
    Kind.LINE_ON_HOLD,
    Kind.BACKORDERED,
)
_LINE_UPDATE_FIELDS = [
    "ack_response",
    "ack_raw_code",
    "confirmed_quantity",
    "confirmed_price",
    "promised_date",
    "backordered_quantity",
    "change_state",
    "proposal",
]


@dataclass
class _LinePlan:
    line: POLine
    answer: AckLineInput
    proposal: dict = field(default_factory=dict)
    current: dict = field(default_factory=dict)
    findings: list[tuple[str, str, str, dict]] = field(default_factory=list)  # kind, severity, text, evidence
    auto_accept: bool = False
    was_response: str = ""
    was_backordered: Decimal = ZERO

    def __post_init__(self) -> None:
        self.was_response = self.line.ack_response
        self.was_backordered = self.line.backordered_quantity

    @property
    def backorder_changed(self) -> bool:
        """Whether the answer states another backorder than the line's (read before it is applied)."""
        stated = self.answer.backordered_quantity
        return stated is not None and (self.was_response, self.was_backordered) != (self.answer.response, stated)


@records_refusals
def acknowledgement_record(*, supplier: Supplier, ack: AcknowledgementInput, source: WriteSource) -> RecordResult:
    """Record ``supplier``'s acknowledgement of one of its POs, whatever channel it came through.

    Every line response is stored with its raw code. A response that changes the buyer's terms
    (price, quantity, date, item, or rejecting the line) becomes a ``ChangeRequest`` proposal —
    never an overwrite — and, outside tolerance, an exception; inside a tolerance that allows it,
    the proposal is accepted into a new PO revision. Whether the acknowledgement is "with
    changes" is decided from the lines, not from the header code.

    Idempotent on (channel, supplier, ``ack.document_id``): the same document again has no
    effect; a different one under that id is refused with an exception. Serialised per PO by a
    row lock. Query count does not grow with the number of lines.
    """
    _validate(ack)
    with service_atomic():
        # The look-up of the same document runs right after the lock is granted, as its own statement,
        # but is sent with it: one round trip for both.
        locked, found = compiled.fetch_together(
            _lock_po_lines_query(supplier, ack, source),
            (
                "acknowledgement.existing",
                lambda: Acknowledgement.objects.filter(
                    channel=source.channel, supplier=supplier, document_id=ack.document_id
                ).order_by("pk")[:1],
                [source.channel, ack.document_id, supplier.pk],
            ),
        )
        lines = _lines_known(locked, supplier, ack, source)
        ack = _in_po_terms(_numbered_as_recorded(ack, lines), lines)
        order = lines[0].po
        company = order.company
        digest = inputs.fingerprint(ack)
        existing = found[0] if found else None
        if existing is not None:
            return document_replay(
                record=existing,
                stored_fingerprint=existing.fingerprint,
                digest=digest,
                refuse=lambda: refusal_recorded(
                    source=source,
                    company=company,
                    supplier=supplier,
                    po=order,
                    kind=Kind.DUPLICATE_DOCUMENT,
                    code="conflict",
                    message=(
                        f"acknowledgement {ack.document_id} was already received with different content; "
                        "send changes under a new document id"
                    ),
                    dedup_key=f"dup_ack:{supplier.pk}:{source.channel}:{ack.document_id}:{digest}",
                ),
            )
        _refuse_stale_revision(ack, order, supplier, source)
        _refuse_finished(ack, order, lines, supplier, source)
        _refuse_other_parts(ack, order, lines, supplier, source)
        _refuse_other_units(ack, order, lines, supplier, source)
        _refuse_implausible_dates(ack, order, supplier, source)
        now = timezone.now()
        plans = _plan(lines, ack, supplier, tolerance.rules_for(company), source)
        _refuse_received_changes(ack, order, plans, supplier, source)
        header = _header_from_lines(ack, plans)
        _previous_answers_supersede(plans, ack, source, now)
        unchanged = {
            p.line.pk
            for p in plans
            if p.proposal and p.line.change_state == POLine.ChangeState.PROPOSED and p.proposal == p.line.proposal
        }
        supply_before = {p.line.pk: _supply_terms(p.line) for p in plans}
        _apply_answers(plans, unchanged)
        answered = [p.line for p in plans]
        touch = orders_touch_statement([order.pk], now=now, first_ack_at=Coalesce("first_ack_at", now))
        new_requests = _change_requests_drafted(plans, unchanged, order, now)
        raising = _findings_raising(plans, new_requests)
        keys: list[int] = []
        if connection.vendor == "postgresql":
            # The proposals, the lines' answers and the PO's touch ride on the acknowledgement's own
            # INSERT, and so do the keys of the exceptions it raises: one round trip for all of it.
            lines_update = [rows_update_statement(answered, _LINE_UPDATE_FIELDS)] if answered else []
            record, keys = _acknowledgement_create(
                ack,
                order,
                supplier,
                plans,
                header,
                digest,
                source,
                now,
                new_requests,
                [touch, *lines_update],
                exceptions=sum(len(p.findings) for p, _ in raising),
            )
        else:
            record, _ = _acknowledgement_create(ack, order, supplier, plans, header, digest, source, now, new_requests)
            rows_update(answered, _LINE_UPDATE_FIELDS, alongside=touch)
        _schedules_replace(plans)
        drafts = _findings_drafted(raising, order, supplier, source, now)
        severity_assess(drafts)  # ranked by what they put at risk, once the answers are on the lines
        if keys:
            # Written below, in the statement of the audit rows and the outbox that name them.
            for draft, key in zip(drafts, keys, strict=True):
                draft.pk = key
        else:
            rows_insert(drafts)  # as exceptions_create does, without compiling an INSERT query each time
        document_key = f"{source.channel}:{supplier.code}:{ack.document_id}"
        events = [
            audit_event(
                source=source,
                action="acknowledgement.recorded",
                obj=record,
                company=company,
                po=order,
                document_key=document_key,
                after={
                    "header": header,
                    "header_sent": ack.header,
                    "raw_code": ack.raw_code,
                    "lines": {p.line.line_no: p.line.statuses() for p in plans},
                },
                now=now,
            ),
            *exceptions_audited(
                drafts,
                source=source,
                company=company,
                orders={order.pk: order},
                document_key=document_key,
                now=now,
            ),
        ]
        messages = exception_notifications(
            drafts=drafts,
            orders={order.pk: order},
            document=f"acknowledgement {ack.document_id}",
            key=f"ack:{record.pk}",
            source=source,
            # Read with the PO's lock: a subscription changed since then has bumped it.
            versions={company.pk: company.webhooks_version},
        )
        # The exceptions, the audit trail and the outbox in one statement on PostgreSQL (round trips saved).
        rows_insert(drafts if keys else [], events, messages)
        outbox_written(messages)
        auto_accepted = [(p, cr) for p, cr in new_requests if p.auto_accept]
        if auto_accepted:
            _proposals_auto_accept(order, lines, auto_accepted, source, now)
        supply_changed(
            company_id=company.pk,
            po_line_ids=[
                p.line.pk
                for p in plans
                if p.answer.schedule
                or getattr(p.line, "has_schedule", False)
                or supply_before[p.line.pk] != _supply_terms(p.line)
            ],
        )
    return RecordResult("applied", record, drafts)


def _supply_terms(line: POLine) -> tuple:
    """What a line brings and when, as requirements count it: an answer that leaves these alone (a price
    change, an acceptance as ordered) changes no one's plan."""
    return (
        line.promised_date or line.need_by,
        line.confirmed_quantity if line.confirmed_quantity is not None else line.quantity,
        line.ack_response in (inputs.LINE_REJECT, inputs.LINE_HOLD),
    )


def _refuse_stale_revision(
    ack: AcknowledgementInput, order: PurchaseOrder, supplier: Supplier, source: WriteSource
) -> None:
    """An acknowledgement must answer the PO's current revision when it names one."""
    if ack.po_revision is not None and ack.po_revision != order.revision:
        raise refusal_recorded(
            source=source,
            company=order.company,
            supplier=supplier,
            po=order,
            kind=Kind.INVALID_DOCUMENT,
            code="stale_revision",
            message=(
                f"acknowledgement {ack.document_id} answers revision {ack.po_revision} of {po_label(order.number)}, "
                f"which is at revision {order.revision}; acknowledge the current revision"
            ),
            dedup_key=f"stale_ack:{order.pk}:{ack.po_revision}:{order.revision}",
        )


def _refuse_finished(
    ack: AcknowledgementInput, order: PurchaseOrder, lines: list[POLine], supplier: Supplier, source: WriteSource
) -> None:
    """A closed or cancelled PO takes no acknowledgement: nothing on it is left to confirm or change."""
    status = PurchaseOrder.status_for(lines)
    if status not in PurchaseOrder.FINISHED:
        return
    raise refusal_recorded(
        source=source,
        company=order.company,
        supplier=supplier,
        po=order,
        kind=Kind.INVALID_DOCUMENT,
        code=f"po_{status}",
        message=_finished_message(order, status),
        evidence={"refused": f"acknowledgement {ack.document_id} of a {status} PO", "status": status},
        # A supplier's every further answer to the PO joins the one open exception.
        dedup_key=f"po_{status}:{order.pk}:{supplier.pk}",
    )


def _refuse_other_parts(
    ack: AcknowledgementInput, order: PurchaseOrder, lines: list[POLine], supplier: Supplier, source: WriteSource
) -> None:
    """An answer that names a part (the buyer's or the supplier's part number) must name its line's part.

    Lines are matched by number; a part that differs says the answer was written for another line
    (or another PO), so applying it to the line of that number would confirm what was not meant.
    """
    by_no = {line.line_no: line for line in lines}
    wrong = [
        (a.line_no, named, expected)
        for a in ack.lines
        for named, expected in (
            (a.part_number, by_no[a.line_no].item.part_number),
            (a.supplier_part_number, by_no[a.line_no].supplier_part_number),
        )
        if named and expected and named.strip() != expected
    ]
    if not wrong:
        return
    said = "; ".join(f"line {no} is part {expected}, the answer names {named}" for no, named, expected in wrong)
    raise refusal_recorded(
        source=source,
        company=order.company,
        supplier=supplier,
        po=order,
        kind=Kind.INVALID_DOCUMENT,
        code="part_mismatch",
        message=f"acknowledgement {ack.document_id} of {po_label(order.number)}: {said}; nothing was applied",
        evidence={
            "refused": f"acknowledgement {ack.document_id} names other parts",
            "lines": [{"line": no, "expected": expected, "actual": named} for no, named, expected in wrong],
        },
        dedup_key=f"part_mismatch:{order.pk}:{supplier.pk}:{ack.document_id}",
    )


def _refuse_other_units(
    ack: AcknowledgementInput, order: PurchaseOrder, lines: list[POLine], supplier: Supplier, source: WriteSource
) -> None:
    """Prices in another currency than the PO's, or a quantity in another unit than its line's, are
    refused: recorded as they stand they would confirm 9 USD for 9 EUR, or 10 each for 10 cases."""
    by_no = {line.line_no: line for line in lines}
    said = [
        f"line {a.line_no} is in {by_no[a.line_no].uom}, the answer's quantity is in {a.uom.strip()}"
        for a in ack.lines
        if a.uom.strip() and a.quantity is not None and a.uom.strip().upper() != by_no[a.line_no].uom.upper()
    ]
    priced = any(a.unit_price is not None for a in ack.lines)
    if ack.currency.strip() and priced and ack.currency.strip().upper() != order.currency.upper():
        said.insert(0, f"its prices are in {ack.currency.strip()}, the PO's in {order.currency}")
    if not said:
        return
    differences = "; ".join(said)
    raise refusal_recorded(
        source=source,
        company=order.company,
        supplier=supplier,
        po=order,
        kind=Kind.INVALID_DOCUMENT,
        code="unit_mismatch",
        message=f"acknowledgement {ack.document_id} of {po_label(order.number)}: {differences}; nothing was applied",
        evidence={"refused": f"acknowledgement {ack.document_id} in other units", "differences": said},
        dedup_key=f"unit_mismatch:{order.pk}:{supplier.pk}:{ack.document_id}",
    )


# A supplier's date on an answer (a promise, a scheduled delivery, a backorder's date) earlier than
# its PO's order date by more than the grace, or later than the horizon after it, is a typing or
# mapping error (0001-01-01, a year 2205), not a plan: applied, it would move the line's supply
# out of every horizon. The grace allows for a PO keyed in the ERP after it was agreed.
DATE_GRACE = dt.timedelta(days=30)
DATE_HORIZON_YEARS = 5


def _latest_date(order_date: dt.date) -> dt.date:
    try:
        return order_date.replace(year=order_date.year + DATE_HORIZON_YEARS)
    except ValueError:  # 29 February, and the year it lands on has none
        return order_date.replace(year=order_date.year + DATE_HORIZON_YEARS, day=28)


def _dates_out_of_range(ack: AcknowledgementInput, order: PurchaseOrder) -> list[dict[str, str]]:
    """The answer's dates outside the PO's order date (less ``DATE_GRACE``) to ``DATE_HORIZON_YEARS``
    after it, as ``{field, message, code}`` each, in the order of the answer's lines."""
    earliest, latest = order.order_date - DATE_GRACE, _latest_date(order.order_date)
    wrong: list[dict[str, str]] = []
    for index, answer in enumerate(ack.lines):
        dates = [
            ("promised_date", "promised date", answer.promised_date),
            ("backorder_date", "backorder date", answer.backorder_date),
            *(
                (f"schedule[{n}].date", f"delivery {n + 1}'s date", delivery.date)
                for n, delivery in enumerate(answer.schedule)
            ),
        ]
        for field_name, words, date in dates:
            if date is None or earliest <= date <= latest:
                continue
            why = (
                f"is before the PO's order date {order.order_date.isoformat()}"
                if date < earliest
                else f"is more than {DATE_HORIZON_YEARS} years after the PO's order date {order.order_date.isoformat()}"
            )
            wrong.append(
                {
                    "field": f"lines[{index}].{field_name}",
                    "message": f"line {answer.line_no}: {words} {date.isoformat()} {why}",
                    "code": "date_out_of_range",
                }
            )
    return wrong


def _dates_message(ack: AcknowledgementInput, order: PurchaseOrder, wrong: list[dict[str, str]]) -> str:
    said = "; ".join(e["message"] for e in wrong)
    return f"acknowledgement {ack.document_id} of PO {order.number}: {said}; nothing was applied"


def _refuse_implausible_dates(
    ack: AcknowledgementInput, order: PurchaseOrder, supplier: Supplier, source: WriteSource
) -> None:
    """A date out of range (``_dates_out_of_range``) refuses the answer whole, naming each line and field."""
    wrong = _dates_out_of_range(ack, order)
    if not wrong:
        return
    raise refusal_recorded(
        source=source,
        company=order.company,
        supplier=supplier,
        po=order,
        kind=Kind.INVALID_DOCUMENT,
        code="date_out_of_range",
        message=_dates_message(ack, order, wrong),
        evidence={
            "refused": f"acknowledgement {ack.document_id} gives dates out of range",
            "earliest": (order.order_date - DATE_GRACE).isoformat(),
            "latest": _latest_date(order.order_date).isoformat(),
            "lines": [{"field": e["field"], "said": e["message"]} for e in wrong],
        },
        dedup_key=f"date_out_of_range:{order.pk}:{supplier.pk}:{ack.document_id}",
        errors=wrong,
    )


def _finished_message(order: PurchaseOrder, status: str) -> str:
    return (
        f"{po_label(order.number)} is {status} ({PurchaseOrder.FINISHED[status]}): "
        "it can no longer be acknowledged or changed"
    )


def _refuse_received_changes(
    ack: AcknowledgementInput, order: PurchaseOrder, plans: list[_LinePlan], supplier: Supplier, source: WriteSource
) -> None:
    """A line received in full may be accepted as ordered, never rejected, held or changed: the goods are in."""
    received = [p.line.line_no for p in plans if p.line.received_in_full and (p.proposal or p.findings)]
    if not received:
        return
    raise refusal_recorded(
        source=source,
        company=order.company,
        supplier=supplier,
        po=order,
        kind=Kind.INVALID_DOCUMENT,
        code="line_received",
        message=_received_message(order, received),
        evidence={"refused": f"acknowledgement {ack.document_id} changes received lines", "lines": received},
        dedup_key=f"line_received:{order.pk}:{supplier.pk}:{','.join(received)}",
    )


def _received_message(order: PurchaseOrder, line_nos: list[str]) -> str:
    several = len(line_nos) > 1
    return (
        f"{po_label(order.number)} line{'s' if several else ''} {', '.join(line_nos)}: received in full, "
        f"so {'they' if several else 'it'} can no longer be rejected, put on hold or changed "
        "(accept as ordered, or leave out)"
    )


def _acknowledgement_create(
    ack: AcknowledgementInput,
    order: PurchaseOrder,
    supplier: Supplier,
    plans: list[_LinePlan],
    header: str,
    digest: str,
    source: WriteSource,
    now: dt.datetime,
    new_requests: list[tuple[_LinePlan, ChangeRequest]],
    alongside: Sequence[Statement] = (),
    *,
    exceptions: int = 0,
) -> tuple[Acknowledgement, list[int]]:
    """The acknowledgement and its line responses, each with the raw code it was sent with, and the
    change requests its lines propose (which get their keys).

    ``alongside``: other writes to run in the same statement (``row_insert_with_children``).
    ``exceptions``: how many exception keys to reserve in it (PostgreSQL only); they are returned.
    """
    record = Acknowledgement(
        po=order,
        supplier=supplier,
        po_revision=ack.po_revision if ack.po_revision is not None else order.revision,
        header=header,
        header_sent=ack.header,
        raw_code=ack.raw_code,
        note=ack.note,
        channel=source.channel,
        document_id=ack.document_id,
        fingerprint=digest,
        inbound_document=source.document,
        correlation_id=source.correlation_id,
        received_at=now,
    )
    # One statement on PostgreSQL: the acknowledgement's new id goes to its lines inside it.
    keys = row_insert_with_children(
        record,
        [
            AcknowledgementLine(
                po_line=p.line,
                response=p.answer.response,
                raw_code=p.answer.raw_code,
                quantity=p.answer.quantity,
                unit_price=p.answer.unit_price,
                promised_date=p.answer.promised_date,
                substitute_part_number=p.answer.substitute_part_number,
                note=p.answer.note,
                schedule=jsonable([{"quantity": s.quantity, "date": s.date} for s in p.answer.schedule]),
            )
            for p in plans
        ],
        link="ack",
        keyed=[cr for _, cr in new_requests],
        keyed_link="ack",
        alongside=alongside,
        reserve=(ProcurementException, exceptions),
    )
    return record, keys


def _previous_answers_supersede(
    plans: list[_LinePlan], ack: AcknowledgementInput, source: WriteSource, now: dt.datetime
) -> None:
    """A fresh answer on a line replaces what the previous answer proposed or raised.

    Unless it proposes exactly the same thing: then the open proposal and its exception stay as they are.
    """
    replaced = [
        p.line.pk
        for p in plans
        if (p.line.change_state == POLine.ChangeState.PROPOSED and p.proposal != p.line.proposal)
        or (p.line.ack_response == inputs.LINE_HOLD and p.answer.response != inputs.LINE_HOLD)
    ]
    # A stated backorder raised its own exception without a proposal: a new answer that states
    # another backorder, or none, closes it (and nothing else on the line). Acknowledging or
    # holding the line keeps what it had, its backorder included.
    backorders = [
        p.line.pk
        for p in plans
        if p.line.pk not in replaced
        and p.was_backordered
        and p.answer.response not in ("ACKNOWLEDGED", inputs.LINE_HOLD)
        and (p.backorder_changed or p.answer.backordered_quantity is None)
    ]
    if backorders:
        exceptions_close(
            ProcurementException.objects.filter(po_line_id__in=backorders, kind=Kind.BACKORDERED),
            resolution=ProcurementException.Resolution.SUPERSEDED,
            source=source,
            note=f"replaced by acknowledgement {ack.document_id}",
            now=now,
        )
    if not replaced:
        return
    ChangeRequest.objects.filter(po_line_id__in=replaced, state=ChangeRequest.State.PROPOSED).update(
        state=ChangeRequest.State.SUPERSEDED, decided_at=now
    )
    exceptions_close(
        ProcurementException.objects.filter(
            po_line_id__in=replaced, kind__in=ACK_KINDS, state__in=ProcurementException.OPEN_STATES
        ),
        resolution=ProcurementException.Resolution.SUPERSEDED,
        source=source,
        note=f"replaced by acknowledgement {ack.document_id}",
        now=now,
    )


def _change_requests_drafted(
    plans: list[_LinePlan], unchanged: set[int], order: PurchaseOrder, now: dt.datetime
) -> list[tuple[_LinePlan, ChangeRequest]]:
    """A proposal per line whose answer changes the buyer's terms (and does not repeat the open one),
    unsaved: they are written with the acknowledgement they belong to."""
    return [
        (
            p,
            ChangeRequest(
                po=order,
                po_line=p.line,
                response=p.answer.response,
                proposed=jsonable(p.proposal),
                current=jsonable(p.current),
                created_at=now,
            ),
        )
        for p in plans
        if p.proposal and p.line.pk not in unchanged
    ]


def _findings_raising(
    plans: list[_LinePlan], new_requests: list[tuple[_LinePlan, ChangeRequest]]
) -> list[tuple[_LinePlan, ChangeRequest | None]]:
    """The lines whose findings are raised: new proposals (unless policy accepted them), and a fresh hold."""
    raising: list[tuple[_LinePlan, ChangeRequest | None]] = [(p, cr) for p, cr in new_requests if not p.auto_accept]
    raising += [
        (p, None) for p in plans if not p.proposal and (p.was_response != p.answer.response or p.backorder_changed)
    ]
    return raising


def _findings_drafted(
    raising: list[tuple[_LinePlan, ChangeRequest | None]],
    order: PurchaseOrder,
    supplier: Supplier,
    source: WriteSource,
    now: dt.datetime,
) -> list[ProcurementException]:
    """An exception per finding of each raising line, unsaved (its change request saved)."""
    return [
        exception_draft(
            company=order.company,
            kind=kind,
            severity=severity,
            dedup_key=f"{kind}:{p.line.pk}",
            summary=f"{po_label(order.number)} line {p.line.line_no}: {text}",
            evidence=evidence,
            supplier_message=text,
            source=source,
            now=now,
            supplier=supplier,
            po=order,
            po_line=p.line,
            change_request=cr,
        )
        for p, cr in raising
        for kind, severity, text, evidence in p.findings
    ]


def _proposals_auto_accept(
    order: PurchaseOrder,
    lines: list[POLine],
    accepted: list[tuple[_LinePlan, ChangeRequest]],
    source: WriteSource,
    now: dt.datetime,
) -> None:
    """Proposals within a tolerance that allows it are accepted at once, into a new PO revision.

    A proposal that only schedules the line changes none of the buyer's terms: it is accepted
    without a revision.
    """
    revising = [(p, cr) for p, cr in accepted if changes_terms(p.proposal)]
    for _, cr in accepted:
        cr.state = ChangeRequest.State.ACCEPTED
        cr.decided_at = now
    for _, cr in revising:
        cr.resulting_revision = order.revision + 1
    ChangeRequest.objects.bulk_update([cr for _, cr in accepted], ["state", "decided_at", "resulting_revision"])
    if revising:
        _accept_proposals(order, lines, [p for p, _ in revising], source)


def _validate(ack: AcknowledgementInput) -> None:
    if ack.header not in inputs.ACK_HEADER_CODES:
        raise DocumentRefused(f"unknown acknowledgement code {ack.header!r}", code="invalid")
    if not ack.document_id:
        raise DocumentRefused("an acknowledgement needs a document id", code="invalid")
    seen: set[str] = set()
    for line in ack.lines:
        if line.response not in inputs.LINE_RESPONSE_CODES:
            raise DocumentRefused(f"line {line.line_no}: unknown response {line.response!r}", code="invalid")
        if line.line_no in seen:
            raise DocumentRefused(f"line {line.line_no} is answered twice", code="invalid")
        if line.quantity is not None and line.quantity < 0:
            raise DocumentRefused(f"line {line.line_no}: quantity cannot be negative", code="invalid")
        if line.unit_price is not None and line.unit_price < 0:
            raise DocumentRefused(f"line {line.line_no}: price cannot be negative", code="invalid")
        if (line.quantity is not None and line.quantity >= QUANTITY_LIMIT) or (
            line.unit_price is not None and line.unit_price >= PRICE_LIMIT
        ):
            raise DocumentRefused(f"line {line.line_no}: quantity or price too large to record", code="invalid")
        if line.schedule:
            _validate_schedule(line)
        if line.backordered_quantity is not None or line.backorder_date is not None:
            _validate_backorder(line)
        seen.add(line.line_no)


def _validate_schedule(line: AckLineInput) -> None:
    """Schedule lines must be recordable, and agree with the quantity the line states beside them.

    A line whose stated quantity and schedule disagree cannot be read one way or the other (which
    did the supplier mean?), so the document is refused rather than one of them picked.
    """
    if any(s.quantity < 0 for s in line.schedule):
        raise DocumentRefused(f"line {line.line_no}: a schedule quantity cannot be negative", code="invalid")
    total = sum((s.quantity for s in line.schedule), ZERO)
    if total >= QUANTITY_LIMIT:
        raise DocumentRefused(f"line {line.line_no}: schedule quantities too large to record", code="invalid")
    if line.quantity is not None and line.quantity != total:
        raise DocumentRefused(
            f"line {line.line_no}: the schedule lines add up to {plain_number(total)}, "
            f"but the line states a quantity of {plain_number(line.quantity)}",
            code="invalid",
        )


def _validate_backorder(line: AckLineInput) -> None:
    """A stated backorder belongs to a (partial) backorder answer, and is a recordable quantity."""
    if line.response not in (inputs.LINE_BACKORDER, inputs.LINE_PARTIAL_BACKORDER):
        raise DocumentRefused(
            f"line {line.line_no}: a backordered quantity goes with a backorder answer, not {line.response}",
            code="invalid",
        )
    if line.backordered_quantity is None:
        raise DocumentRefused(f"line {line.line_no}: a backorder date needs the quantity backordered", code="invalid")
    if line.backordered_quantity < 0 or line.backordered_quantity >= QUANTITY_LIMIT:
        raise DocumentRefused(f"line {line.line_no}: backordered quantity cannot be recorded", code="invalid")


def _lock_po_lines_query(supplier: Supplier, ack: AcknowledgementInput, source: WriteSource) -> compiled.Query:
    """The PO's lines with the PO, its company and buyer, taking the PO's row lock in the same query."""
    # Whether each line has schedule lines rides on the lock's query: most answers have none to replace.
    # Its SQL is compiled once per shape (with or without a company), then only its values are sent.
    document_company = source.document.company_id if source.document is not None else None
    return (
        f"acknowledgement.lock:{document_company is not None}:{bool(ack.company)}",
        lambda: lock_po_lines_query(
            supplier_lines(supplier, ack.company, source)
            .filter(po__number=ack.po_number)
            .annotate(has_schedule=Exists(ScheduleLine.objects.filter(po_line=OuterRef("pk"))))
        ),
        [
            1,  # the EXISTS subquery's "SELECT 1"
            supplier.pk,
            *([document_company] if document_company is not None else []),
            *([ack.company] if ack.company else []),
            ack.po_number,
        ],
    )


def _lines_known(
    lines: list[POLine], supplier: Supplier, ack: AcknowledgementInput, source: WriteSource
) -> list[POLine]:
    """The locked lines, once they are known to be one PO's and to hold every line the answer names."""
    if not lines:
        company = refusal_company(supplier=supplier, source=source, named=ack.company)
        if company is None:
            raise DocumentRefused(f"{po_label(ack.po_number)} is not known", code="unknown_po")
        raise refusal_recorded(
            source=source,
            company=company,
            supplier=supplier,
            kind=Kind.UNKNOWN_PO,
            code="unknown_po",
            # The same words whether the number is another supplier's PO or nobody's: no hint of which.
            message=f"{po_label(ack.po_number)} is not one of {supplier.name}'s orders",
            evidence={"refused": f"{po_label(ack.po_number)} is not known", "po_numbers": [ack.po_number]},
            # One open exception per supplier and company, whichever PO numbers its documents name.
            dedup_key=unknown_po_key(company, supplier),
        )
    if len({line.po_id for line in lines}) > 1:
        raise DocumentRefused(
            f"PO number {ack.po_number} exists for several companies; name the company", code="ambiguous_po"
        )
    numbers = LineNumbers(lines)
    unknown = [a.line_no for a in ack.lines if numbers.find(lines[0].po.number, a.line_no) is None]
    if unknown:
        order = lines[0].po
        raise refusal_recorded(
            source=source,
            company=order.company,
            supplier=supplier,
            po=order,
            kind=Kind.UNKNOWN_LINE,
            code="unknown_line",
            message=f"{po_label(order.number)} has no line {', '.join(unknown)}",
            dedup_key=f"unknown_line:{order.pk}:{','.join(unknown)}",
        )
    return lines


def _numbered_as_recorded(ack: AcknowledgementInput, lines: list[POLine]) -> AcknowledgementInput:
    """The answer with each line named by the PO's own line number (``001`` → ``1``), once every
    line it names is known to be one of ``lines``."""
    order, numbers = lines[0].po.number, LineNumbers(lines)
    own = [(answer, numbers.find(order, answer.line_no)) for answer in ack.lines]
    if all(line is not None and line.line_no == answer.line_no for answer, line in own):
        return ack
    seen: dict[str, str] = {}
    for answer, line in own:
        if line is not None and seen.setdefault(line.line_no, answer.line_no) != answer.line_no:
            raise DocumentRefused(
                f"line {line.line_no} is answered twice (as {seen[line.line_no]} and {answer.line_no})", code="invalid"
            )
    return dataclasses.replace(
        ack, lines=tuple(dataclasses.replace(answer, line_no=line.line_no) for answer, line in own if line is not None)
    )


def _in_po_terms(ack: AcknowledgementInput, lines: list[POLine]) -> AcknowledgementInput:
    """The answer without the unit or currency it states when they are its line's and its PO's: said or
    not, they mean the same, and an answer received before its unit and currency were read (the
    fingerprint it was stored with) is the same answer when it is sent again."""
    by_no = {line.line_no: line for line in lines}
    currency = ack.currency
    if currency and currency.strip().upper() == lines[0].po.currency.upper():
        currency = ""
    answers = tuple(
        dataclasses.replace(a, uom="") if a.uom and a.uom.strip().upper() == by_no[a.line_no].uom.upper() else a
        for a in ack.lines
    )
    if currency == ack.currency and all(a is b for a, b in zip(answers, ack.lines, strict=True)):
        return ack
    return dataclasses.replace(ack, currency=currency, lines=answers)


def _plan(
    lines: list[POLine], ack: AcknowledgementInput, supplier: Supplier, rules: tolerance.RuleSet, source: WriteSource
) -> list[_LinePlan]:
    answers = {a.line_no: a for a in ack.lines}
    default = {
        inputs.ACK_ACCEPTED: inputs.LINE_ACCEPT,
        inputs.ACK_ACCEPTED_WITH_CHANGES: inputs.LINE_ACCEPT,
        inputs.ACK_REJECTED: inputs.LINE_REJECT,
        inputs.ACK_ACKNOWLEDGED: None,
    }[ack.header]
    plans = []
    for line in lines:
        if line.cancelled:
            continue
        answer = answers.get(line.line_no)
        if answer is None:
            if ack.lines and line.ack_response:
                continue  # not mentioned: its earlier answer stands
            answer = AckLineInput(line_no=line.line_no, response=default or "ACKNOWLEDGED", raw_code="")
        plans.append(_plan_line(line, _dated(answer, line.need_by), supplier, rules))
    return plans


def _dated(answer: AckLineInput, need_by: dt.date) -> AckLineInput:
    """The answer with its undated deliveries due on the line's need-by date, which only the record knows."""
    if all(s.date is not None for s in answer.schedule):
        return answer
    return dataclasses.replace(
        answer, schedule=tuple(dataclasses.replace(s, date=s.date or need_by) for s in answer.schedule)
    )


def _plan_line(line: POLine, answer: AckLineInput, supplier: Supplier, rules: tolerance.RuleSet) -> _LinePlan:
    """What the answer proposes against the buyer's terms, and which of it breaks tolerance."""
    plan = _LinePlan(line=line, answer=answer)
    response = answer.response
    limits = lambda check: rules.limits(check, supplier_id=supplier.pk, item_id=line.item_id)  # noqa: E731
    if response == "ACKNOWLEDGED":
        return plan
    if response == inputs.LINE_REJECT:
        plan.proposal, plan.current = {"cancel": True}, jsonable({"quantity": line.quantity})
        plan.findings.append(
            (
                Kind.REJECTED_LINE,
                Severity.PROCUREMENT_DELAY,
                "supplier rejected the line",
                {"raw_code": answer.raw_code},
            )
        )
        return plan
    if response == inputs.LINE_HOLD:
        plan.findings.append(
            (
                Kind.LINE_ON_HOLD,
                Severity.PROCUREMENT_DELAY,
                "supplier put the line on hold",
                {"raw_code": answer.raw_code},
            )
        )
        return plan
    within_all = True
    if answer.unit_price is not None and answer.unit_price != line.unit_price:
        verdict = tolerance.evaluate(limits("price"), expected=line.unit_price, actual=answer.unit_price)
        plan.proposal["unit_price"], plan.current["unit_price"] = answer.unit_price, line.unit_price
        within_all &= verdict.within and verdict.limits.auto_accept
        if not verdict.within:
            plan.findings.append(
                (
                    Kind.PRICE_DEVIATION,
                    Severity.FINANCIAL_MISMATCH,
                    f"price {price_text(answer.unit_price)} instead of {price_text(line.unit_price)}",
                    verdict.evidence(),
                )
            )
    quantity = _confirmed_quantity(line, answer)
    if answer.backordered_quantity is not None:
        # A stated backorder is still to come: the line's quantity is what is committed plus it.
        _plan_backorder(plan, quantity or ZERO, answer.backordered_quantity, answer.backorder_date)
        quantity = (quantity or ZERO) + answer.backordered_quantity
    if quantity is not None and quantity != line.quantity:
        verdict = tolerance.evaluate(limits("quantity"), expected=line.quantity, actual=quantity)
        plan.proposal["quantity"], plan.current["quantity"] = quantity, line.quantity
        within_all &= verdict.within and verdict.limits.auto_accept
        if not verdict.within:
            severity = Severity.PROCUREMENT_DELAY if quantity < line.quantity else Severity.FINANCIAL_MISMATCH
            plan.findings.append(
                (
                    Kind.QUANTITY_DEVIATION,
                    severity,
                    f"quantity {plain_number(quantity)} instead of {plain_number(line.quantity)}",
                    verdict.evidence(),
                )
            )
    if answer.schedule:
        within_all &= _plan_schedule(plan, answer.schedule, limits("date"))
    elif answer.promised_date is not None and answer.promised_date != line.need_by:
        verdict = tolerance.evaluate_date(limits("date"), expected=line.need_by, actual=answer.promised_date)
        plan.proposal["need_by"], plan.current["need_by"] = answer.promised_date, line.need_by
        within_all &= verdict.within and verdict.limits.auto_accept
        if not verdict.within:
            late = answer.promised_date > line.need_by
            evidence = verdict.evidence() | {"expected": line.need_by, "actual": answer.promised_date}
            evidence["deviation_days"] = evidence.pop("deviation")
            plan.findings.append(
                (
                    Kind.DATE_DEVIATION,
                    Severity.PROCUREMENT_DELAY if late else Severity.DATA_QUALITY,
                    f"promised {answer.promised_date} for need-by {line.need_by}",
                    evidence,
                )
            )
    if answer.substitute_part_number and answer.substitute_part_number != line.item.part_number:
        plan.proposal["part_number"], plan.current["part_number"] = (
            answer.substitute_part_number,
            line.item.part_number,
        )
        within_all = False
        plan.findings.append(
            (
                Kind.SUBSTITUTION,
                Severity.DATA_QUALITY,
                f"supplier proposes part {answer.substitute_part_number} for {line.item.part_number}",
                {"expected": line.item.part_number, "actual": answer.substitute_part_number},
            )
        )
    plan.auto_accept = bool(plan.proposal) and within_all
    plan.proposal, plan.current = jsonable(plan.proposal), jsonable(plan.current)
    return plan


def _plan_backorder(plan: _LinePlan, committed: Decimal, backordered: Decimal, expected: dt.date | None) -> None:
    """A backorder the supplier states beside what it commits is a delay to chase, not a change of terms.

    It proposes nothing (the line's quantity and date stand); the buyer's queue gets one finding
    naming the quantity backordered and when it is expected, if the supplier said.
    """
    if not backordered:
        return
    line = plan.line
    when = f"expected {expected}" if expected is not None else "with no date given"
    plan.findings.append(
        (
            Kind.BACKORDERED,
            Severity.PROCUREMENT_DELAY,
            f"{plain_number(backordered)} of {plain_number(line.quantity)} backordered, {when}",
            {
                "ordered": line.quantity,
                "committed": committed,
                "backordered": backordered,
                "expected": expected,
                "need_by": line.need_by,
                "raw_code": plan.answer.raw_code,
            },
        )
    )


def _plan_schedule(plan: _LinePlan, schedule: tuple[inputs.ScheduleLineInput, ...], limits: tolerance.Limits) -> bool:
    """Check each schedule line's date against the need-by date; whether policy may accept the schedule.

    A schedule whose dates all fall on the need-by date proposes nothing. Otherwise the schedule is
    the proposal, and the schedule lines outside the date tolerance raise one finding for the line
    (one exception in the buyer's queue, however many deliveries are late), naming each of them.
    """
    need_by = plan.line.need_by
    dated = [
        (position, s, tolerance.evaluate_date(limits, expected=need_by, actual=s.date or need_by))
        for position, s in enumerate(schedule, start=1)
        if s.date != need_by
    ]
    if not dated:
        return True
    plan.proposal["schedule"] = [{"quantity": s.quantity, "date": s.date} for s in schedule]
    plan.current["need_by"] = need_by
    outside = [(position, s, verdict) for position, s, verdict in dated if not verdict.within]
    if outside:
        late = any((s.date or need_by) > need_by for _, s, _ in outside)
        promised = ", ".join(f"{plain_number(s.quantity)} on {s.date}" for _, s, _ in outside)
        plan.findings.append(
            (
                Kind.DATE_DEVIATION,
                Severity.PROCUREMENT_DELAY if late else Severity.DATA_QUALITY,
                f"promised {promised} for need-by {need_by}",
                {
                    "expected": need_by,
                    "schedule": [
                        {
                            "position": position,
                            "quantity": s.quantity,
                            "date": s.date,
                            "deviation_days": verdict.deviation,
                        }
                        for position, s, verdict in outside
                    ],
                    "tolerance": limits.describe(),
                },
            )
        )
    return not outside and limits.auto_accept


def _confirmed_quantity(line: POLine, answer: AckLineInput) -> Decimal | None:
    """The quantity the supplier commits to ship on the dates it gives.

    A backorder commits nothing now; a partial backorder commits what it names; a schedule
    commits the sum of its lines.
    """
    if answer.response == inputs.LINE_BACKORDER:
        return ZERO
    if answer.schedule:
        return sum((s.quantity for s in answer.schedule), ZERO)
    return answer.quantity


def _schedules_replace(plans: list[_LinePlan]) -> None:
    """Each line this acknowledgement answers gets the answer's schedule in place of the one it had.

    A line put on hold or only acknowledged keeps what it had, as its confirmed quantity does;
    a rejected line has none.
    """
    answered = [p for p in plans if p.answer.response not in ("ACKNOWLEDGED", inputs.LINE_HOLD)]
    stale = [p.line.pk for p in answered if getattr(p.line, "has_schedule", True)]  # annotated by the lock
    if stale:
        ScheduleLine.objects.filter(po_line_id__in=stale).delete()
    ScheduleLine.objects.bulk_create(
        [
            ScheduleLine(po_line=p.line, position=position, quantity=s.quantity, date=s.date or p.line.need_by)
            for p in answered
            if p.answer.response != inputs.LINE_REJECT
            for position, s in enumerate(p.answer.schedule, start=1)
        ]
    )


def _apply_answers(plans: list[_LinePlan], unchanged: set[int]) -> None:
    for p in plans:
        line, answer = p.line, p.answer
        line.ack_response = answer.response
        line.ack_raw_code = answer.raw_code
        if answer.response in ("ACKNOWLEDGED", inputs.LINE_HOLD):
            continue
        if answer.response == inputs.LINE_REJECT:
            line.confirmed_quantity, line.confirmed_price, line.promised_date = ZERO, None, None
        else:
            quantity = _confirmed_quantity(line, answer)
            line.confirmed_quantity = quantity if quantity is not None else line.quantity
            line.confirmed_price = answer.unit_price if answer.unit_price is not None else line.unit_price
            line.promised_date = (
                min(s.date or line.need_by for s in answer.schedule)
                if answer.schedule
                else answer.promised_date or line.need_by
            )
        if answer.backordered_quantity is not None:
            line.backordered_quantity = answer.backordered_quantity
        elif answer.response in (inputs.LINE_BACKORDER, inputs.LINE_PARTIAL_BACKORDER):
            line.backordered_quantity = max(line.quantity - line.confirmed_quantity, ZERO)
        else:
            line.backordered_quantity = ZERO
        if line.pk in unchanged:
            continue
        if p.proposal:
            line.proposal = jsonable(p.proposal)
            line.change_state = POLine.ChangeState.ACCEPTED if p.auto_accept else POLine.ChangeState.PROPOSED
        else:
            line.proposal = {}
            # A fresh answer without a proposal withdraws an open one and answers a declined one.
            if line.change_state in (POLine.ChangeState.PROPOSED, POLine.ChangeState.DECLINED):
                line.change_state = POLine.ChangeState.NONE


def _header_from_lines(ack: AcknowledgementInput, plans: list[_LinePlan]) -> str:
    """The canonical header, decided by what the lines say rather than by the code sent."""
    responses = {p.answer.response for p in plans}
    if not plans or responses == {"ACKNOWLEDGED"}:
        return inputs.ACK_ACKNOWLEDGED if ack.header != inputs.ACK_REJECTED else inputs.ACK_REJECTED
    if responses == {inputs.LINE_REJECT}:
        return inputs.ACK_REJECTED
    if any(p.proposal or p.findings for p in plans):
        return inputs.ACK_ACCEPTED_WITH_CHANGES
    return inputs.ACK_ACCEPTED


def _accept_proposals(order: PurchaseOrder, lines: list[POLine], plans: list[_LinePlan], source: WriteSource) -> None:
    """Fold proposals that policy accepts into a new PO revision, announced through the outbox."""
    current = po_as_input(order, lines, revision=order.revision + 1)
    accepted = {p.line.line_no: p.proposal for p in plans}
    new_lines = tuple(
        proposal_applied(line, accepted[line.line_no]) if line.line_no in accepted else line for line in current.lines
    )
    purchase_order_revise(
        po=dataclasses.replace(current, lines=tuple(line for line in new_lines if line is not None)),
        source=source,
        company=order.company,
        revision_source=PORevision.Source.POLICY,
    )


@dataclass(frozen=True)
class PreflightLine:
    """What an acknowledgement would do to one line, told before it is sent.

    ``changes`` maps each of the buyer's terms the answer changes to (current, proposed), as text.
    ``outside`` is each deviation that breaks tolerance, in the words its exception would carry.
    ``to_buyer``: the change waits for the buyer (outside tolerance, or a tolerance that does not
    accept on its own); a change policy accepts at once is not ``to_buyer``.
    """

    line_no: str
    response: str
    changes: dict[str, tuple[str, str]]
    outside: tuple[str, ...]
    to_buyer: bool


def acknowledgement_preflight(*, supplier: Supplier, ack: AcknowledgementInput) -> list[PreflightLine]:
    """The verdict ``acknowledgement_record`` would reach on each answered line, with nothing written.

    The same validation, the same tolerance rules and the same per-line plan as the write path,
    read without locks: the portal shows it before the supplier submits. Raises ``DocumentRefused``
    for what the write path would refuse outright (unknown PO or line, bad values); records nothing.
    """
    _validate(ack)
    lines = list(
        supplier_lines(supplier, ack.company)
        .filter(po__number=ack.po_number)
        .select_related("po__company", "item")
        .order_by("po_id", "pk")
    )
    if not lines:
        raise DocumentRefused(f"{po_label(ack.po_number)} is not known", code="unknown_po")
    if len({line.po_id for line in lines}) > 1:
        raise DocumentRefused(
            f"PO number {ack.po_number} exists for several companies; name the company", code="ambiguous_po"
        )
    numbers = LineNumbers(lines)
    unknown = [a.line_no for a in ack.lines if numbers.find(lines[0].po.number, a.line_no) is None]
    if unknown:
        raise DocumentRefused(f"{po_label(ack.po_number)} has no line {', '.join(unknown)}", code="unknown_line")
    ack = _numbered_as_recorded(ack, lines)
    order = lines[0].po
    status = PurchaseOrder.status_for(lines)
    if status in PurchaseOrder.FINISHED:
        raise DocumentRefused(_finished_message(order, status), code=f"po_{status}")
    if wrong := _dates_out_of_range(ack, order):
        raise DocumentRefused(_dates_message(ack, order, wrong), code="date_out_of_range", errors=wrong)
    plans = _plan(lines, ack, supplier, tolerance.rules_for(order.company), WriteSource("portal", "preflight"))
    received = [p.line.line_no for p in plans if p.line.received_in_full and (p.proposal or p.findings)]
    if received:
        raise DocumentRefused(_received_message(order, received), code="line_received")
    return [
        PreflightLine(
            line_no=p.line.line_no,
            response=p.answer.response,
            changes={
                name: (_as_text(p.current.get(name, "")), _as_text(proposed)) for name, proposed in p.proposal.items()
            },
            outside=tuple(text for _, _, text, _ in p.findings),
            to_buyer=bool(p.proposal or p.findings) and not p.auto_accept,
        )
        for p in plans
    ]


def _as_text(value: object) -> str:
    if isinstance(value, list):  # a schedule: quantity on date, each
        return ", ".join(f"{s['quantity']} on {s['date']}" for s in value)
    return "" if value is None else str(value)
