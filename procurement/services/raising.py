"""Raising exceptions for the buyer: an SLA-dated draft, saved at most once per open deviation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from procurement.models import Company, ProcurementException

from .audit import audit_event, audit_write
from .severity import severity_assess
from .sources import WriteSource
from .values import jsonable

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
    Kind.BACKORDERED: 24,
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
    Kind.BOM_REVISION_MISMATCH: 48,
    Kind.BOM_RELEASE_REFUSED: 24,
    Kind.INVENTORY_VARIANCE: 48,
    Kind.MATERIAL_SHORTAGE: 24,
}


def exception_draft(
    *,
    company: Company,
    kind: str,
    severity: str,
    dedup_key: str,
    summary: str,
    evidence: dict,
    source: WriteSource,
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
        severity_rank=ProcurementException.SEVERITY_RANK[Severity(severity)],
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
    source: WriteSource,
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
        severity_assess([draft])
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            return ProcurementException.objects.open().get(dedup_key=draft.dedup_key)
        audit_write(
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
