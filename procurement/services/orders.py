"""Publishing and changing purchase orders (the buyer's side of the record)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gateway.formatting import po_label
from notifications.services import outbox_write
from procurement import inputs
from procurement.inputs import POLineInput, PurchaseOrderInput
from procurement.models import (
    ChangeRequest,
    Company,
    Item,
    Plant,
    POLine,
    PORevision,
    ProcurementException,
    PurchaseOrder,
    ScheduleLine,
)
from procurement.models.fields import PRICE_LIMIT, QUANTITY_LIMIT
from suppliers.models import Supplier

from .audit import audit_event, audit_write
from .closing import exceptions_close
from .documents import document_replay
from .errors import DocumentRefused, NotFound
from .items import items_created
from .locking import lock_po_for_revision
from .notify import supplier_notifications
from .refusals import records_refusals, refusal_recorded
from .sources import RecordResult, WriteSource
from .values import jsonable

LINE_FIELDS = (
    "part_number",
    "quantity",
    "uom",
    "unit_price",
    "need_by",
    "supplier_part_number",
    "description",
)
HEADER_FIELDS = ("ship_to", "currency", "order_date", "buyer", "notes")


@records_refusals
def purchase_order_publish(*, po: PurchaseOrderInput, source: WriteSource) -> RecordResult:
    """Publish a new PO (revision ``po.revision``, usually 0) and tell the supplier through the outbox.

    Idempotent on (company, number, revision): the same PO again is a duplicate with no effect; a
    different PO under a number and revision already published is refused. A higher revision of a
    known PO is a change and goes through ``purchase_order_change``.
    Side effects: PO, lines and revision rows, audit events, ``po.published`` outbox rows.
    """
    _validate(po)
    with transaction.atomic():
        company, supplier, plant, buyer = _resolve_parties(po)
        existing = PurchaseOrder.objects.filter(company=company, number=po.number).first()
        if existing is not None:
            if po.revision > existing.revision:
                return purchase_order_revise(po=po, source=source, company=company, revision_source="buyer")
            return _same_revision_or_refuse(existing, po, source)
        now = timezone.now()
        order = PurchaseOrder.objects.create(
            company=company,
            supplier=supplier,
            ship_to=plant,
            buyer=buyer,
            number=po.number,
            revision=po.revision,
            currency=po.currency,
            order_date=po.order_date,
            notes=po.notes,
            published_at=now,
            updated_at=now,
        )
        items = _items_for(company, po.lines)
        POLine.objects.bulk_create([_new_line(order, line, items[line.part_number], po.revision) for line in po.lines])
        PORevision.objects.create(
            po=order,
            revision=po.revision,
            channel=source.channel,
            fingerprint=inputs.fingerprint(po),
            snapshot=inputs.canonical_json(po),
            correlation_id=source.correlation_id,
            created_at=now,
        )
        key = f"{po.company}:{po.number}:{po.revision}"
        audit_write(
            [
                audit_event(
                    source=source,
                    action="po.published",
                    obj=order,
                    company=company,
                    po=order,
                    document_key=key,
                    after=inputs.canonical_json(po),
                    now=now,
                )
            ]
        )
        outbox_write(
            supplier_notifications(
                supplier=supplier,
                event="po.published",
                payload={"po": inputs.canonical_json(po)},
                key=f"po.published:{key}",
                source=source,
                po=order,
            )
        )
    return RecordResult("applied", order)


@records_refusals
def purchase_order_change(
    *, po: PurchaseOrderInput, source: WriteSource, revision_source: str = "buyer"
) -> RecordResult:
    """Publish a new revision of an existing PO: the full new picture, with the from/to diff recorded.

    Lines missing from the new picture are cancelled, never deleted. A changed line awaits a new
    acknowledgement and any pending supplier proposal on it is superseded. Idempotent on (company,
    number, revision). Side effects: revision row, line updates, audit, ``po.changed`` outbox rows.
    """
    _validate(po)
    with transaction.atomic():
        company = Company.objects.filter(code=po.company).first()
        if company is None:
            raise NotFound(f"company {po.company!r} is not known", code="unknown_company")
        return purchase_order_revise(po=po, source=source, company=company, revision_source=revision_source)


def po_as_input(order: PurchaseOrder, lines: list[POLine], *, revision: int) -> PurchaseOrderInput:
    """The PO as it stands, as a canonical input at ``revision`` (live lines only)."""
    return PurchaseOrderInput(
        company=order.company.code,
        number=order.number,
        supplier=order.supplier.code,
        ship_to=order.ship_to.code,
        currency=order.currency,
        order_date=order.order_date,
        revision=revision,
        buyer=order.buyer.get_username() if order.buyer else "",
        notes=order.notes,
        lines=tuple(
            POLineInput(
                line_no=line.line_no,
                part_number=line.item.part_number,
                quantity=line.quantity,
                uom=line.uom,
                unit_price=line.unit_price,
                need_by=line.need_by,
                supplier_part_number=line.supplier_part_number,
                description=line.description,
            )
            for line in lines
            if not line.cancelled
        ),
    )


def changes_terms(proposed: dict) -> bool:
    """Whether a supplier's proposal changes the buyer's terms of the line.

    A schedule does not: the line keeps its need-by date and the supplier's confirmed schedule
    lines stand beside it, so accepting a proposal that only schedules the line needs no revision.
    """
    return bool(set(proposed) - {"schedule"})


def proposal_applied(line: POLineInput, proposed: dict) -> POLineInput | None:
    """``line`` with a supplier's proposal (as stored: JSON values) folded in; ``None`` when it cancels the line."""
    if proposed.get("cancel"):
        return None
    changes: dict = {}
    for name in ("unit_price", "quantity"):
        if name in proposed:
            changes[name] = Decimal(str(proposed[name]))
    if "need_by" in proposed:
        changes["need_by"] = dt.date.fromisoformat(str(proposed["need_by"]))
    if "part_number" in proposed:
        changes["part_number"] = proposed["part_number"]
    return dataclasses.replace(line, **changes)


def purchase_order_revise(
    *, po: PurchaseOrderInput, source: WriteSource, company: Company, revision_source: str
) -> RecordResult:
    """Make ``po`` (the full new picture, at a higher revision) the PO's current revision.

    The step behind ``purchase_order_change`` and the acceptance of a supplier's proposal, whoever
    accepts it (a buyer, or policy within tolerance); call it inside the caller's transaction.
    ``revision_source`` says whose revision it is (``PORevision.Source``): a buyer's change needs
    a new answer on each changed line and supersedes pending proposals on them; an accepted
    proposal stands as the supplier's answer.

    Locks the PO's row and lines. Lines missing from ``po`` are cancelled, never deleted. A revision
    at or below the current one is a duplicate when it is what was published under that number and
    refused otherwise. Side effects: line updates, a ``PORevision`` with the from/to diff, an audit
    event and ``po.changed`` outbox rows for the supplier.
    """
    lines = lock_po_for_revision(POLine.objects.filter(po__company=company, po__number=po.number))
    if not lines:
        raise refusal_recorded(
            source=source,
            company=company,
            kind=ProcurementException.Kind.UNKNOWN_PO,
            message=f"{po_label(po.number)} is not known; publish it before changing it",
            code="unknown_po",
            dedup_key=f"unknown_po:{company.pk}:{po.number}",
        )
    order = lines[0].po
    if po.revision <= order.revision:
        return _same_revision_or_refuse(order, po, source)
    ship_to, buyer = _header_parties_revised(order, po)
    now = timezone.now()
    previous = po_as_input(order, lines, revision=order.revision)
    diff = _diff(previous, po)
    changed_ids = _lines_revise(order, lines, po, accepted=revision_source != PORevision.Source.BUYER)
    if changed_ids and revision_source == PORevision.Source.BUYER:
        _supersede_proposals(changed_ids, source=source, now=now, note=f"PO revision {po.revision} changed the line")
    order.revision = po.revision
    order.currency, order.order_date, order.notes = po.currency, po.order_date, po.notes
    order.ship_to, order.buyer = ship_to, buyer
    order.updated_at = now
    order.save(update_fields=["revision", "currency", "order_date", "notes", "ship_to", "buyer", "updated_at"])
    PORevision.objects.create(
        po=order,
        revision=po.revision,
        source=revision_source,
        channel=source.channel,
        fingerprint=inputs.fingerprint(po),
        snapshot=inputs.canonical_json(po),
        diff=jsonable(diff),
        correlation_id=source.correlation_id,
        created_at=now,
    )
    key = f"{po.company}:{po.number}:{po.revision}"
    audit_write(
        [
            audit_event(
                source=source,
                action="po.changed",
                obj=order,
                company=company,
                po=order,
                document_key=key,
                before=inputs.canonical_json(previous),
                after=inputs.canonical_json(po),
                now=now,
            )
        ]
    )
    outbox_write(
        supplier_notifications(
            supplier=order.supplier,
            event="po.changed",
            payload={
                "po": inputs.canonical_json(po),
                "diff": jsonable(diff),
                "previous_revision": previous.revision,
            },
            key=f"po.changed:{key}",
            source=source,
            po=order,
        )
    )
    return RecordResult("applied", order)


def _header_parties_revised(order: PurchaseOrder, po: PurchaseOrderInput) -> tuple[Plant, User | None]:
    """The ship-to plant and buyer the new revision names; a revision cannot move the PO to another supplier."""
    if po.supplier != order.supplier.code:
        raise DocumentRefused(
            f"{po_label(po.number)} belongs to supplier {order.supplier.code}; a change cannot move it",
            code="invalid",
        )
    ship_to: Plant | None = order.ship_to
    if po.ship_to != order.ship_to.code:
        ship_to = Plant.objects.filter(company=order.company, code=po.ship_to).first()
    if ship_to is None:
        raise NotFound(f"plant {po.ship_to!r} is not known in {po.company}", code="unknown_plant")
    buyer = _buyer(po.buyer) if po.buyer != (order.buyer.get_username() if order.buyer else "") else order.buyer
    return ship_to, buyer


def _lines_revise(order: PurchaseOrder, lines: list[POLine], po: PurchaseOrderInput, *, accepted: bool) -> list[int]:
    """Bring the PO's lines to ``po``: changed lines updated, new ones added, missing ones cancelled.

    Each changed or cancelled line awaits a new answer unless ``accepted`` (the change is the
    supplier's own proposal). Returns the ids of the lines changed or cancelled.
    """
    by_no = {line.line_no: line for line in lines}
    items = _items_for(order.company, po.lines)
    changed_ids: list[int] = []
    to_update: list[POLine] = []
    to_create: list[POLine] = []
    wanted = set()
    for new in po.lines:
        wanted.add(new.line_no)
        line = by_no.get(new.line_no)
        if line is None:
            to_create.append(_new_line(order, new, items[new.part_number], po.revision))
            continue
        if not line.cancelled and not _line_changed(line, new):
            continue
        line.item = items[new.part_number]
        line.quantity, line.uom, line.unit_price, line.need_by = (
            new.quantity,
            new.uom,
            new.unit_price,
            new.need_by,
        )
        line.supplier_part_number, line.description = new.supplier_part_number, new.description
        line.cancelled = False
        line.revision = po.revision
        _reset_supplier_answer(line, accepted=accepted)
        changed_ids.append(line.pk)
        to_update.append(line)
    for line in lines:
        if line.line_no not in wanted and not line.cancelled:
            line.cancelled = True
            line.revision = po.revision
            _reset_supplier_answer(line, accepted=accepted)
            changed_ids.append(line.pk)
            to_update.append(line)
    if changed_ids:
        _schedules_revise(to_update, changed_ids, accepted=accepted)
    if to_update:
        POLine.objects.bulk_update(to_update, [*_UPDATED_FIELDS])
    if to_create:
        POLine.objects.bulk_create(to_create)
    return changed_ids


_UPDATED_FIELDS = (
    "item",
    "quantity",
    "uom",
    "unit_price",
    "need_by",
    "supplier_part_number",
    "description",
    "cancelled",
    "revision",
    "ack_response",
    "ack_raw_code",
    "confirmed_quantity",
    "confirmed_price",
    "promised_date",
    "backordered_quantity",
    "change_state",
    "proposal",
)


def _schedules_revise(lines: list[POLine], changed_ids: list[int], *, accepted: bool) -> None:
    """A changed line that needs a new answer loses its schedule lines; one whose change is the
    supplier's accepted proposal keeps them, and is promised for the earliest of them."""
    schedules = ScheduleLine.objects.filter(po_line_id__in=changed_ids)
    if not accepted:
        schedules.delete()
        return
    earliest: dict[int, dt.date] = {}
    for po_line_id, date in schedules.values_list("po_line_id", "date"):
        earliest[po_line_id] = min(date, earliest.get(po_line_id, date))
    for line in lines:
        if line.pk in earliest and not line.cancelled:
            line.promised_date = earliest[line.pk]


def _reset_supplier_answer(line: POLine, *, accepted: bool) -> None:
    """A changed line needs a new answer, unless the change is the supplier's own accepted proposal."""
    if accepted:
        line.ack_response = inputs.LINE_ACCEPT
        line.confirmed_quantity, line.confirmed_price, line.promised_date = (
            line.quantity,
            line.unit_price,
            line.need_by,
        )
        line.change_state = POLine.ChangeState.ACCEPTED
    else:
        line.ack_response = ""
        line.confirmed_quantity = line.confirmed_price = line.promised_date = None
        line.change_state = POLine.ChangeState.NONE
    line.ack_raw_code = ""
    line.backordered_quantity = Decimal("0")
    line.proposal = {}


def _supersede_proposals(line_ids: list[int], *, source: WriteSource, now: dt.datetime, note: str) -> None:
    ChangeRequest.objects.filter(po_line_id__in=line_ids, state=ChangeRequest.State.PROPOSED).update(
        state=ChangeRequest.State.SUPERSEDED, decided_at=now
    )
    exceptions_close(
        ProcurementException.objects.filter(
            po_line_id__in=line_ids, state__in=ProcurementException.OPEN_STATES, change_request__isnull=False
        ),
        resolution=ProcurementException.Resolution.SUPERSEDED,
        source=source,
        note=note,
        now=now,
    )


def _line_changed(line: POLine, new: POLineInput) -> bool:
    return (
        line.item.part_number != new.part_number
        or line.quantity != new.quantity
        or line.uom != new.uom
        or line.unit_price != new.unit_price
        or line.need_by != new.need_by
        or line.supplier_part_number != new.supplier_part_number
        or line.description != new.description
    )


def _diff(before: PurchaseOrderInput, after: PurchaseOrderInput) -> list[dict]:
    """From/to per changed field: header fields, then lines added, removed and changed."""
    changes: list[dict] = []
    for name in HEADER_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append({"line": None, "field": name, "from": old, "to": new})
    old_lines = {line.line_no: line for line in before.lines}
    new_lines = {line.line_no: line for line in after.lines}
    for no, line in new_lines.items():
        if no not in old_lines:
            changes.append({"line": no, "field": "line", "from": None, "to": "added"})
            continue
        for name in LINE_FIELDS:
            old, new = getattr(old_lines[no], name), getattr(line, name)
            if old != new:
                changes.append({"line": no, "field": name, "from": old, "to": new})
    for no in old_lines:
        if no not in new_lines:
            changes.append({"line": no, "field": "line", "from": "open", "to": "cancelled"})
    return changes


def _same_revision_or_refuse(order: PurchaseOrder, po: PurchaseOrderInput, source: WriteSource) -> RecordResult:
    revision = PORevision.objects.filter(po=order, revision=po.revision).first()
    digest = inputs.fingerprint(po)
    return document_replay(
        record=order,
        stored_fingerprint=revision.fingerprint if revision is not None else None,
        digest=digest,
        refuse=lambda: refusal_recorded(
            source=source,
            company=order.company,
            po=order,
            kind=ProcurementException.Kind.DUPLICATE_DOCUMENT,
            message=(
                f"{po_label(po.number)} revision {po.revision} differs from what was published under that revision "
                f"(current revision {order.revision}); publish a higher revision to change it"
            ),
            code="conflict",
            dedup_key=f"po_conflict:{order.pk}:{po.revision}:{digest}",
        ),
    )


def _validate(po: PurchaseOrderInput) -> None:
    if not po.lines:
        raise DocumentRefused(f"{po_label(po.number)} has no lines", code="invalid")
    numbers = [line.line_no for line in po.lines]
    if len(set(numbers)) != len(numbers):
        raise DocumentRefused(f"{po_label(po.number)} repeats a line number", code="invalid")
    for line in po.lines:
        if line.quantity <= 0:
            raise DocumentRefused(
                f"{po_label(po.number)} line {line.line_no}: quantity must be positive", code="invalid"
            )
        if line.quantity >= QUANTITY_LIMIT or line.unit_price >= PRICE_LIMIT:
            raise DocumentRefused(
                f"{po_label(po.number)} line {line.line_no}: quantity or price too large", code="invalid"
            )
        if line.unit_price < 0:
            raise DocumentRefused(
                f"{po_label(po.number)} line {line.line_no}: price cannot be negative", code="invalid"
            )


def _resolve_parties(po: PurchaseOrderInput) -> tuple[Company, Supplier, Plant, User | None]:
    company = Company.objects.filter(code=po.company).first()
    if company is None:
        raise NotFound(f"company {po.company!r} is not known", code="unknown_company")
    supplier = Supplier.objects.filter(code=po.supplier).first()
    if supplier is None:
        raise NotFound(f"supplier {po.supplier!r} is not known", code="unknown_supplier")
    plant = Plant.objects.filter(company=company, code=po.ship_to).first()
    if plant is None:
        raise NotFound(f"plant {po.ship_to!r} is not known in {po.company}", code="unknown_plant")
    return company, supplier, plant, _buyer(po.buyer)


def _buyer(name: str) -> User | None:
    """The buyer named by username or e-mail; None when empty or unknown (the PO is then unassigned)."""
    if not name:
        return None
    return get_user_model().objects.filter(Q(username=name) | Q(email=name)).first()


def _items_for(company: Company, lines: tuple[POLineInput, ...]) -> dict[str, Item]:
    """Items by part number; a part the ERP orders that the gateway has not seen yet is created."""
    wanted = {line.part_number for line in lines}
    items = {i.part_number: i for i in Item.objects.filter(company=company, part_number__in=wanted)}
    missing = [
        Item(company=company, part_number=line.part_number, description=line.description, base_uom=line.uom)
        for line in {line.part_number: line for line in lines if line.part_number not in items}.values()
    ]
    if missing:
        Item.objects.bulk_create(missing)
        items.update({i.part_number: i for i in Item.objects.filter(company=company, part_number__in=wanted)})
        items_created(company, {item.part_number for item in missing})
    return items


def _new_line(order: PurchaseOrder, line: POLineInput, item: Item, revision: int) -> POLine:
    return POLine(
        po=order,
        line_no=line.line_no,
        item=item,
        supplier_part_number=line.supplier_part_number,
        description=line.description,
        quantity=line.quantity,
        uom=line.uom,
        unit_price=line.unit_price,
        need_by=line.need_by,
        revision=revision,
    )
