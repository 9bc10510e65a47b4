"""Closing exceptions, whoever closes them: a buyer's decision, a newer document, or goods received."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from notifications.services import outbox_write
from procurement.models import ProcurementException

from .audit import audit_event, audit_write
from .notify import webhook_rows
from .sources import WriteSource


def exceptions_close(
    queryset: QuerySet[ProcurementException],
    *,
    resolution: str,
    source: WriteSource,
    note: str,
    now: dt.datetime,
    state: str = ProcurementException.State.RESOLVED,
) -> list[ProcurementException]:
    """Close the open exceptions in ``queryset``, with an audit event and an ``exception.resolved`` webhook each.

    Call inside the caller's transaction. The rows are locked and their state checked under the
    lock, so an exception someone else closed meanwhile is left as they closed it. The buyer's
    subscribers get the note; the supplier's get what it may see (kind, PO, line, its message and
    the resolution). Returns the rows this call closed.
    """
    rows = list(
        queryset.filter(state__in=ProcurementException.OPEN_STATES)
        .select_related("po", "po_line", "supplier", "company")
        .select_for_update(of=("self",))
    )
    if not rows:
        return []
    before = {exc.pk: exc.state for exc in rows}
    for exc in rows:
        exc.state, exc.resolution, exc.resolution_note = state, resolution, note
        exc.resolved_by, exc.resolved_at = source.user, now
    ProcurementException.objects.bulk_update(
        rows, ["state", "resolution", "resolution_note", "resolved_by", "resolved_at"]
    )
    for exc in rows:
        visible = {
            "id": exc.pk,
            "kind": exc.kind,
            "po_number": exc.po.number if exc.po is not None else None,
            "line_no": exc.po_line.line_no if exc.po_line is not None else None,
            "message": exc.supplier_message,
            "resolution": resolution,
        }
        outbox_write(
            webhook_rows(
                event="exception.resolved",
                supplier=exc.supplier,
                payload=visible | {"note": note},
                supplier_payload=visible,
                key=f"exception.resolved:{exc.pk}",
                source=source,
                company_ids={exc.company_id},
                po=exc.po,
            )
        )
    audit_write(
        [
            audit_event(
                source=source,
                action=f"exception.{resolution}",
                obj=exc,
                company=exc.company,
                po=exc.po,
                before={"state": before[exc.pk]},
                after={"state": exc.state, "resolution": resolution, "note": note},
                now=now,
            )
            for exc in rows
        ]
    )
    return rows
