"""Recording goods receipts from the WMS/ERP, and what they settle in 3-way matching."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from procurement import inputs
from procurement.inputs import ReceiptInput
from procurement.models import (
    Company,
    Invoice,
    POLine,
    ProcurementException,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    Shipment,
)
from procurement.models.fields import QUANTITY_LIMIT

from .audit import audit_event, audit_write
from .bulk import rows_update
from .closing import exceptions_close
from .documents import document_replay, orders_touch
from .errors import DocumentRefused, NotFound
from .invoices import quantity_reference
from .lines import lines_locked
from .refusals import records_refusals, refusal_recorded
from .severity import supply_changed
from .sources import RecordResult, WriteSource

Kind = ProcurementException.Kind


@records_refusals
def receipt_record(*, receipt: ReceiptInput, source: WriteSource) -> RecordResult:
    """Record goods received against a PO: physical status and financial posting kept apart.

    Adds to each line's received and rejected quantities. On a company that matches three ways,
    an open invoice quantity mismatch that the receipt now covers is cleared and the invoice
    released. Idempotent on (company, receipt number); the same receipt sent again with
    ``posted`` set records the financial posting, nothing else.
    """
    _validate(receipt)
    with transaction.atomic():
        company = Company.objects.filter(code=receipt.company).first()
        if company is None:
            raise NotFound(f"company {receipt.company!r} is not known", code="unknown_company")
        document = f"receipt {receipt.receipt_number}"
        lines = lines_locked(
            query=POLine.objects.filter(po__company=company),
            wanted=[(receipt.po_number, line.line_no) for line in receipt.lines],
            source=source,
            company=company,
            document=document,
        )
        order = next(iter(lines.values())).po
        digest = inputs.fingerprint(dataclasses.replace(receipt, posted=False))
        now = timezone.now()
        existing = Receipt.objects.filter(company=company, receipt_number=receipt.receipt_number).first()
        if existing is not None:
            return _again(existing, receipt, digest, source, order, now)
        received: dict[int, Decimal] = defaultdict(Decimal)
        rejected: dict[int, Decimal] = defaultdict(Decimal)
        for given in receipt.lines:
            pk = lines[(receipt.po_number, given.line_no)].pk
            received[pk] += given.quantity_received
            rejected[pk] += given.quantity_rejected
        record = _receipt_create(receipt, order, lines, received, rejected, digest, source, now)
        touched = [line for line in lines.values() if line.pk in received]
        for line in touched:
            line.received_quantity += received[line.pk]
            line.rejected_quantity += rejected[line.pk]
            if line.received_quantity >= QUANTITY_LIMIT:
                raise DocumentRefused(
                    f"{document}: line {line.line_no} would receive more than can be recorded", code="invalid"
                )
        cleared = _clear_quantity_holds(company, touched, source, now) if company.three_way_match else []
        rows_update(touched, ["received_quantity", "rejected_quantity", "match_state"])
        audit_write(
            [
                audit_event(
                    source=source,
                    action="receipt.recorded",
                    obj=record,
                    company=company,
                    po=order,
                    document_key=f"{company.code}:{receipt.receipt_number}",
                    after={
                        "physical": record.physical_status,
                        "posting": record.posting_status,
                        "lines": {line.line_no: line.receipt_status for line in touched},
                        "cleared_exceptions": cleared,
                    },
                    now=now,
                )
            ]
        )
        orders_touch([order.pk], now=now)
        supply_changed(company_id=company.pk, po_line_ids=[line.pk for line in touched], received=True)
    return RecordResult("applied", record)


def _receipt_create(
    receipt: ReceiptInput,
    order: PurchaseOrder,
    lines: dict[tuple[str, str], POLine],
    received: dict[int, Decimal],
    rejected: dict[int, Decimal],
    digest: str,
    source: WriteSource,
    now: dt.datetime,
) -> Receipt:
    """The receipt and its lines, linked to the ship notice it names when that is known."""
    shipment = None
    if receipt.shipment_id:
        shipment = Shipment.objects.filter(supplier=order.supplier, shipment_id=receipt.shipment_id).first()
    total_received, total_rejected = sum(received.values()), sum(rejected.values())
    physical = (
        Receipt.PhysicalStatus.REJECTED
        if total_rejected and total_rejected >= total_received
        else Receipt.PhysicalStatus.PARTLY_REJECTED
        if total_rejected
        else Receipt.PhysicalStatus.RECEIVED
    )
    record = Receipt.objects.create(
        company=order.company,
        po=order,
        shipment=shipment,
        receipt_number=receipt.receipt_number,
        received_on=receipt.received_on,
        physical_status=physical,
        posting_status=Receipt.PostingStatus.POSTED if receipt.posted else Receipt.PostingStatus.UNPOSTED,
        posted_at=now if receipt.posted else None,
        channel=source.channel,
        document_id=receipt.receipt_number,
        fingerprint=digest,
        inbound_document=source.document,
        correlation_id=source.correlation_id,
        received_at=now,
    )
    ReceiptLine.objects.bulk_create(
        [
            ReceiptLine(
                receipt=record,
                po_line=lines[(receipt.po_number, given.line_no)],
                quantity_received=given.quantity_received,
                quantity_rejected=given.quantity_rejected,
                lot=given.lot,
                sscc=given.sscc,
            )
            for given in receipt.lines
        ]
    )
    return record


def _again(
    existing: Receipt, receipt: ReceiptInput, digest: str, source: WriteSource, order: PurchaseOrder, now: dt.datetime
) -> RecordResult:
    """A receipt sent again: a duplicate, or its financial posting when it now says ``posted``."""
    replay = document_replay(
        record=existing,
        stored_fingerprint=existing.fingerprint,
        digest=digest,
        refuse=lambda: refusal_recorded(
            source=source,
            company=existing.company,
            po=order,
            kind=Kind.DUPLICATE_DOCUMENT,
            code="conflict",
            message=f"receipt {receipt.receipt_number} was already recorded with different lines",
            dedup_key=f"dup_receipt:{existing.pk}:{digest}",
        ),
    )
    if receipt.posted and existing.posting_status != Receipt.PostingStatus.POSTED:
        existing.posting_status = Receipt.PostingStatus.POSTED
        existing.posted_at = now
        existing.save(update_fields=["posting_status", "posted_at"])
        audit_write(
            [
                audit_event(
                    source=source,
                    action="receipt.posted",
                    obj=existing,
                    company=existing.company,
                    po=order,
                    document_key=f"{existing.company.code}:{receipt.receipt_number}",
                    before={"posting": Receipt.PostingStatus.UNPOSTED},
                    after={"posting": Receipt.PostingStatus.POSTED},
                    now=now,
                )
            ]
        )
        return RecordResult("applied", existing)
    return replay


def _clear_quantity_holds(company: Company, touched: list[POLine], source: WriteSource, now: dt.datetime) -> list[int]:
    """Clear 3-way quantity mismatches that the goods now received cover; release invoices left clean."""
    by_pk: dict[int | None, POLine] = {line.pk: line for line in touched}
    pending = list(
        ProcurementException.objects.open().filter(kind=Kind.INVOICE_QUANTITY_MISMATCH, po_line_id__in=by_pk)
    )
    cleared = [
        e for e in pending if by_pk[e.po_line_id].invoiced_quantity <= quantity_reference(by_pk[e.po_line_id], True)
    ]
    if not cleared:
        return []
    cleared = exceptions_close(
        ProcurementException.objects.filter(pk__in=[e.pk for e in cleared]),
        resolution=ProcurementException.Resolution.AUTO_CLEARED,
        source=source,
        note="goods received now cover the invoiced quantity",
        now=now,
    )
    still_open = set(
        ProcurementException.objects.open()
        .filter(po_line_id__in={e.po_line_id for e in cleared}, invoice__isnull=False)
        .values_list("po_line_id", flat=True)
    )
    for e in cleared:
        line = by_pk[e.po_line_id]
        if line.match_state == POLine.MatchState.EXCEPTION and line.pk not in still_open:
            line.match_state = POLine.MatchState.MATCHED
    invoice_ids = {e.invoice_id for e in cleared if e.invoice_id}
    still_held = set(
        ProcurementException.objects.open().filter(invoice_id__in=invoice_ids).values_list("invoice_id", flat=True)
    )
    Invoice.objects.filter(pk__in=invoice_ids - still_held, match_status=Invoice.MatchStatus.ON_HOLD).update(
        match_status=Invoice.MatchStatus.MATCHED, hold_reason=""
    )
    return [e.pk for e in cleared]


def _validate(receipt: ReceiptInput) -> None:
    if not receipt.receipt_number:
        raise DocumentRefused("a receipt needs a receipt number", code="invalid")
    if not receipt.lines:
        raise DocumentRefused(f"receipt {receipt.receipt_number} has no lines", code="invalid")
    for line in receipt.lines:
        if line.quantity_received < 0 or line.quantity_rejected < 0:
            raise DocumentRefused(
                f"receipt {receipt.receipt_number} line {line.line_no}: negative quantity", code="invalid"
            )
        if line.quantity_rejected > line.quantity_received:
            raise DocumentRefused(
                f"receipt {receipt.receipt_number} line {line.line_no}: more rejected than received",
                code="invalid",
            )
