"""Audit rows: who did what to which record, through which channel, before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils import timezone

from procurement.models import AuditEvent, Company, PurchaseOrder

from .sources import WriteSource
from .values import jsonable


def audit_event(
    *,
    source: WriteSource,
    action: str,
    obj: models.Model,
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


def audit_write(events: list[AuditEvent]) -> None:
    """Write audit rows collected during one write, in one statement. The trail is append-only."""
    AuditEvent.objects.bulk_create(events)
