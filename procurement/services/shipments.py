"""Recording advance ship notices against confirmed and open quantities."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from gateway.formatting import plain_number, po_label
from notifications.services import outbox_written
from procurement import inputs
from procurement.inputs import ShipmentInput
from procurement.models import (
    Company,
    POLine,
    ProcurementException,
    Shipment,
    ShipmentLine,
    ShipmentPack,
    UomConversion,
)
from procurement.models.fields import QUANTITY_LIMIT
from suppliers.models import Supplier

from . import tolerance
from .audit import audit_event
from .bulk import Statement, row_insert_with_children, rows_insert, rows_update, rows_update_statement
from .documents import document_replay, exceptions_audited, exceptions_not_open, orders_touch_statement
from .errors import DocumentRefused
from .lines import lines_locked_with, lines_numbered, other_parts_refused, supplier_lines, supplier_lines_shape
from .notify import exception_notifications
from .raising import exception_draft
from .refusals import records_refusals, refusal_recorded, service_atomic
from .severity import severity_assess, supply_changed
from .sources import RecordResult, WriteSource

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity


@records_refusals
def shipment_record(*, supplier: Supplier, shipment: ShipmentInput, source: WriteSource) -> RecordResult:
    """Record a ship notice from ``supplier``; its lines may reference several of its POs.

    Adds to each line's shipped quantity and checks it against the confirmed quantity (or the
    ordered one, before any acknowledgement) within the ``asn_quantity`` tolerance; a line not yet
    acknowledged raises an exception when the company requires acknowledgement first.
    Idempotent on (supplier, shipment id); an unknown PO or line refuses the whole notice.
    """
    _validate(shipment)
    with service_atomic():
        document = f"ship notice {shipment.shipment_id}"
        numbered = lines_numbered(
            shipment,
            po_number=lambda line: line.po_number,
            prior=Shipment.objects.filter(supplier=supplier, shipment_id=shipment.shipment_id),
            document=document,
            supplier=supplier,
            source=source,
        )
        if numbered.same is not None:
            return RecordResult("duplicate", numbered.same)
        shipment, received = numbered.document, numbered.received
        # The look-up of the same document runs right after the lock is granted, as its own statement,
        # but is sent with it: one round trip for both.
        lines, found = lines_locked_with(
            # Built only when its shape is first compiled: the lock's SQL is kept per shape.
            query=lambda: supplier_lines(supplier, shipment.company, source),
            shape=supplier_lines_shape(supplier, shipment.company, source),
            wanted=[(line.po_number, line.line_no) for line in shipment.lines],
            source=source,
            supplier=supplier,
            named_company=shipment.company,
            document=document,
            also=(
                "shipment.existing",
                lambda: Shipment.objects.filter(supplier=supplier, shipment_id=shipment.shipment_id).order_by("pk")[:1],
                [shipment.shipment_id, supplier.pk],
            ),
        )
        digest = inputs.fingerprint(shipment)
        existing = found[0] if found else None
        if received is not None and (existing is None or existing.fingerprint != digest):
            # Stored as received; one stored before, fingerprinted once numbered, is still compared so.
            digest = received
        orders = {line.po_id: line.po for line in lines.values()}
        company = next(iter(orders.values())).company
        if existing is not None:
            return document_replay(
                record=existing,
                stored_fingerprint=existing.fingerprint,
                digest=digest,
                refuse=lambda: refusal_recorded(
                    source=source,
                    company=company,
                    supplier=supplier,
                    kind=Kind.DUPLICATE_DOCUMENT,
                    code="conflict",
                    message=f"{document} was already received with different content; use a new shipment id",
                    dedup_key=f"dup_asn:{supplier.pk}:{shipment.shipment_id}:{digest}",
                ),
            )
        other_parts_refused(
            named=[(line.po_number, line.line_no, line.part_number) for line in shipment.lines],
            lines=lines,
            document=document,
            supplier=supplier,
            source=source,
        )
        now = timezone.now()
        shipped: dict[int, Decimal] = defaultdict(Decimal)
        for line, quantity in _in_po_units(shipment, lines):
            shipped[line.pk] += quantity
        touched = [line for line in lines.values() if line.pk in shipped]
        for line in touched:
            line.shipped_quantity += shipped[line.pk]
            if line.shipped_quantity >= QUANTITY_LIMIT:
                raise DocumentRefused(
                    f"{document}: {po_label(line.po.number)} line {line.line_no} would ship more than can be recorded",
                    code="invalid",
                )
        # The notice, its packs, the lines' shipped totals and the POs' touch: one statement on PostgreSQL.
        record, packs = _shipment_create(
            shipment, supplier, lines, digest, source, now, [orders_touch_statement(orders, now=now)], touched
        )
        rules = tolerance.rules_for(company)
        drafts = []
        for line in touched:
            drafts += _findings(line, supplier, rules, company, record, source, now)
        notice_lines = _shipment_lines(shipment, lines, record, packs)
        if drafts:
            # The notice's lines before the findings are rated: the rating reads this notice's quantities
            # from the database as stock on its way (the PO lines' shipped totals are already raised).
            rows_insert(notice_lines)
            notice_lines = []
            drafts = exceptions_not_open(drafts)
            severity_assess(drafts)
            rows_insert(drafts)  # as exceptions_create does, without compiling an INSERT query each time
        key = f"{source.channel}:{supplier.code}:{shipment.shipment_id}"
        events = [
            audit_event(
                source=source,
                action="shipment.recorded",
                obj=record,
                company=company,
                po=order,
                document_key=key,
                after={
                    "lines": {
                        line.line_no: {"shipped": line.shipped_quantity, "status": line.ship_status}
                        for line in touched
                        if line.po_id == order.pk
                    }
                },
                now=now,
            )
            for order in orders.values()
        ] + exceptions_audited(drafts, source=source, company=company, orders=orders, document_key=key, now=now)
        messages = exception_notifications(
            drafts=drafts,
            orders=orders,
            document=document,
            key=f"asn:{record.pk}",
            source=source,
            # Read with the POs' lock: a subscription changed since then has bumped it.
            versions={company.pk: company.webhooks_version},
        )
        # The audit trail and the outbox in one statement on PostgreSQL (with the notice's lines, when
        # no finding needed them written first).
        rows_insert(notice_lines, events, messages)
        outbox_written(messages)
        supply_changed(company_id=company.pk, po_line_ids=[line.pk for line in touched])
    return RecordResult("applied", record, drafts)


def _shipment_create(
    shipment: ShipmentInput,
    supplier: Supplier,
    lines: dict[tuple[str, str], POLine],
    digest: str,
    source: WriteSource,
    now: dt.datetime,
    alongside: list[Statement],
    touched: list[POLine],
) -> tuple[Shipment, dict[str, ShipmentPack]]:
    """The ship notice and its packs (by SSCC), which get their keys, and the shipped totals of
    ``touched`` written; ``alongside``: other writes to run in the same statement on PostgreSQL."""
    record = Shipment(
        supplier=supplier,
        # All its lines are one company's (``lines_locked`` refuses a notice spanning several).
        company_id=next(iter(lines.values())).po.company_id,
        shipment_id=shipment.shipment_id,
        ship_date=shipment.ship_date,
        expected_delivery=shipment.expected_delivery,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        bill_of_lading=shipment.bill_of_lading,
        channel=source.channel,
        document_id=shipment.shipment_id,
        fingerprint=digest,
        inbound_document=source.document,
        correlation_id=source.correlation_id,
        received_at=now,
    )
    sscc = list(dict.fromkeys([*shipment.packs, *(line.pack_sscc for line in shipment.lines if line.pack_sscc)]))
    packs = [ShipmentPack(sscc=s) for s in sscc]
    if connection.vendor == "postgresql":
        updates = [rows_update_statement(touched, ["shipped_quantity"])] if touched else []
        row_insert_with_children(
            record,
            [],
            link="shipment",
            keyed=packs,
            keyed_link="shipment",
            alongside=[*alongside, *updates],
        )
    else:
        record.save(force_insert=True)
        for pack in packs:
            pack.shipment = record
        ShipmentPack.objects.bulk_create(packs)
        rows_update(touched, ["shipped_quantity"])
        with connection.cursor() as cursor:
            for statement in alongside:
                cursor.execute(*statement)
    by_sscc = {p.sscc: p for p in packs}
    on_pallets = []
    for carton, pallet in shipment.pack_parents:
        by_sscc[carton].parent = by_sscc[pallet]
        on_pallets.append(by_sscc[carton])
    rows_update(on_pallets, ["parent"])  # the packs' keys are known only once they are written
    return record, by_sscc


def _shipment_lines(
    shipment: ShipmentInput, lines: dict[tuple[str, str], POLine], record: Shipment, packs: dict[str, ShipmentPack]
) -> list[ShipmentLine]:
    """The notice's lines, each in the unit it was shipped in, in its pack (by SSCC, ``_shipment_create``'s)."""
    return [
        ShipmentLine(
            shipment=record,
            pack=packs.get(line.pack_sscc),
            po_line=lines[(line.po_number, line.line_no)],
            quantity=line.quantity,
            uom=line.uom or lines[(line.po_number, line.line_no)].uom,
            lot=line.lot,
            serial=line.serial,
        )
        for line in shipment.lines
    ]


def _findings(
    line: POLine,
    supplier: Supplier,
    rules: tolerance.RuleSet,
    company: Company,
    record: Shipment,
    source: WriteSource,
    now: dt.datetime,
) -> list[ProcurementException]:
    """What one line's new shipped total deviates from: the confirmed quantity, and acknowledgement first."""
    drafts = []
    target = _target(line)
    if line.shipped_quantity > target:
        limits = rules.limits("asn_quantity", supplier_id=supplier.pk, item_id=line.item_id)
        verdict = tolerance.evaluate(limits, expected=target, actual=line.shipped_quantity)
        if not verdict.within:
            text = f"shipped {plain_number(line.shipped_quantity)} in all against {plain_number(target)} confirmed"
            drafts.append(
                exception_draft(
                    company=company,
                    kind=Kind.ASN_OVER_SHIPMENT,
                    severity=Severity.FINANCIAL_MISMATCH,
                    dedup_key=f"{Kind.ASN_OVER_SHIPMENT}:{line.pk}",
                    summary=f"{po_label(line.po.number)} line {line.line_no}: {text}",
                    evidence=verdict.evidence() | {"shipment": record.shipment_id},
                    supplier_message=text,
                    source=source,
                    now=now,
                    supplier=supplier,
                    po=line.po,
                    po_line=line,
                    shipment=record,
                )
            )
    if company.require_ack_before_asn and line.ack_response in ("", "ACKNOWLEDGED"):
        text = f"shipped before the line was acknowledged (ship notice {record.shipment_id})"
        drafts.append(
            exception_draft(
                company=company,
                kind=Kind.ASN_WITHOUT_ACK,
                severity=Severity.DATA_QUALITY,
                dedup_key=f"{Kind.ASN_WITHOUT_ACK}:{line.pk}",
                summary=f"{po_label(line.po.number)} line {line.line_no}: {text}",
                evidence={"shipment": record.shipment_id, "ack_status": line.ack_status},
                supplier_message=text,
                source=source,
                now=now,
                supplier=supplier,
                po=line.po,
                po_line=line,
                shipment=record,
            )
        )
    return drafts


def _in_po_units(shipment: ShipmentInput, lines: dict[tuple[str, str], POLine]) -> list[tuple[POLine, Decimal]]:
    """Each shipped quantity in its PO line's unit (a supplier may ship cases against a PO in each)."""
    foreign = {
        lines[(s.po_number, s.line_no)].item_id
        for s in shipment.lines
        if s.uom and s.uom != lines[(s.po_number, s.line_no)].uom
    }
    factors: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for conversion in UomConversion.objects.filter(item_id__in=foreign) if foreign else ():
        factors[conversion.item_id][conversion.uom] = conversion.factor
    converted = []
    for given in shipment.lines:
        line = lines[(given.po_number, given.line_no)]
        try:
            quantity = line.item.convert(given.quantity, given.uom or line.uom, line.uom, factors[line.item_id])
        except LookupError as error:
            raise DocumentRefused(f"ship notice {shipment.shipment_id}: {error}", code="unknown_uom") from error
        converted.append((line, quantity))
    return converted


def _validate(shipment: ShipmentInput) -> None:
    if not shipment.shipment_id:
        raise DocumentRefused("a ship notice needs a shipment id", code="invalid")
    if not shipment.lines:
        raise DocumentRefused(f"ship notice {shipment.shipment_id} has no lines", code="invalid")
    for sscc in shipment.packs:
        if len(sscc) != 18 or not sscc.isdigit():
            raise DocumentRefused(f"ship notice {shipment.shipment_id}: SSCC {sscc!r} is not 18 digits", code="invalid")
    for sscc, pallet in shipment.pack_parents:
        if sscc == pallet or not {sscc, pallet} <= set(shipment.packs):
            raise DocumentRefused(
                f"ship notice {shipment.shipment_id}: pack {sscc} is on {pallet}, which is not another of its packs",
                code="invalid",
            )
    for line in shipment.lines:
        if line.quantity <= 0:
            raise DocumentRefused(
                f"ship notice {shipment.shipment_id}: {po_label(line.po_number)} line {line.line_no} ships no quantity",
                code="invalid",
            )
        if line.pack_sscc and (len(line.pack_sscc) != 18 or not line.pack_sscc.isdigit()):
            raise DocumentRefused(
                f"ship notice {shipment.shipment_id}: SSCC {line.pack_sscc!r} is not 18 digits",
                code="invalid",
            )


@dataclass(frozen=True)
class ShipmentPreflightLine:
    """What a ship notice would do to one PO line: its shipped total after it, against the target.

    ``over`` is the over-shipment the notice would raise an exception for (outside the
    ``asn_quantity`` tolerance), in the words of that exception; empty when within tolerance.
    """

    po_number: str
    line_no: str
    shipped_after: Decimal
    target: Decimal
    over: str


def shipment_preflight(*, supplier: Supplier, shipment: ShipmentInput) -> list[ShipmentPreflightLine]:
    """The over-shipment verdict ``shipment_record`` would reach on each line, with nothing written.

    The same validation, unit conversion and ``asn_quantity`` tolerance as the write path, read
    without locks, so the portal can warn before a supplier submits. Raises ``DocumentRefused``
    for a notice the write path would refuse (unknown PO or line, bad quantity or SSCC).
    """
    _validate(shipment)
    wanted = {(line.po_number, line.line_no) for line in shipment.lines}
    lines = {
        (line.po.number, line.line_no): line
        for line in supplier_lines(supplier, shipment.company)
        .filter(po__number__in={po for po, _ in wanted})
        .select_related("po__company", "item")
    }
    missing = sorted(f"{po}/{no}" for po, no in wanted if (po, no) not in lines)
    if missing:
        raise DocumentRefused(
            f"ship notice {shipment.shipment_id}: no such PO line {', '.join(missing)}", code="unknown_line"
        )
    if len({line.po.company_id for line in lines.values()}) > 1:
        raise DocumentRefused(
            f"ship notice {shipment.shipment_id}: its PO numbers exist for several companies; name the company",
            code="ambiguous_po",
        )
    shipped: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line, quantity in _in_po_units(shipment, lines):
        shipped[(line.po.number, line.line_no)] += quantity
    rules = tolerance.rules_for(next(iter(lines.values())).po.company)
    verdicts = []
    for key, quantity in shipped.items():
        line = lines[key]
        after = line.shipped_quantity + quantity
        target = _target(line)
        over = ""
        if after > target:
            limits = rules.limits("asn_quantity", supplier_id=supplier.pk, item_id=line.item_id)
            if not tolerance.evaluate(limits, expected=target, actual=after).within:
                over = f"shipped {plain_number(after)} in all against {plain_number(target)} confirmed"
        verdicts.append(ShipmentPreflightLine(key[0], key[1], after, target, over))
    return verdicts


def _target(line: POLine) -> Decimal:
    """What a line may ship in all: its confirmed quantity, the ordered one before any, none once cancelled."""
    if line.cancelled:
        return Decimal("0")
    return line.confirmed_quantity if line.confirmed_quantity is not None else line.quantity
