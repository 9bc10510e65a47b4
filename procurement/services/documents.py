"""The steps every service that records a document takes, named once and called in this order.

1. ``document_replay``: a document already received under its key is a duplicate when its content is
   the same, and refused when it is not (the caller says how to refuse).
2. ``exceptions_not_open`` (where a deviation may already be open) and ``exceptions_create``: the
   exceptions the document raises, one per deviation.
3. ``audit_write`` (in ``audit``): the document's own audit events and, from ``exceptions_audited``,
   one ``exception.raised`` per exception, in one statement.
4. ``exceptions_notify``: the buyer's e-mail and the ``exception.raised`` webhooks, into the outbox.
5. ``orders_touch``: the POs the document touched show it in ``updated_at`` (or
   ``orders_touch_statement``, run in the statement that updates the lines).

Every step runs inside the caller's transaction and writes with one statement (or none), so a
service's query count does not grow with the number of lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model

from notifications.services import outbox_write
from procurement.models import AuditEvent, Company, ProcurementException, PurchaseOrder

from .audit import audit_event
from .bulk import Statement, update_statement
from .errors import DocumentRefused
from .notify import exception_notifications
from .sources import RecordResult, WriteSource


def document_replay(
    *, record: Model, stored_fingerprint: str | None, digest: str, refuse: Callable[[], DocumentRefused]
) -> RecordResult:
    """The answer to a document sent again under a key already used.

    ``record`` is what the key first recorded and ``stored_fingerprint`` the content it was recorded
    with (None when nothing comparable was kept). The same content is a ``duplicate`` result with no
    effect; different content raises the refusal ``refuse`` builds (only then is it built).
    """
    if stored_fingerprint == digest:
        return RecordResult("duplicate", record)
    raise refuse()


def exceptions_not_open(drafts: list[ProcurementException]) -> list[ProcurementException]:
    """The drafts whose deviation is not already open: a re-sent notice must not raise it twice.

    One query, none when there are no drafts.
    """
    if not drafts:
        return []
    open_keys = set(
        ProcurementException.objects.open()
        .filter(dedup_key__in=[d.dedup_key for d in drafts])
        .values_list("dedup_key", flat=True)
    )
    return [d for d in drafts if d.dedup_key not in open_keys]


def exceptions_create(drafts: list[ProcurementException]) -> list[ProcurementException]:
    """Save the exceptions a document raised, in one statement; returns them with their ids."""
    if drafts:
        ProcurementException.objects.bulk_create(drafts)
    return drafts


def exceptions_audited(
    raised: list[ProcurementException],
    *,
    source: WriteSource,
    company: Company,
    orders: Mapping[int, PurchaseOrder],
    document_key: str,
    now: dt.datetime,
) -> list[AuditEvent]:
    """An unsaved ``exception.raised`` audit event per exception a document raised, for ``audit_write``.

    ``orders`` holds every PO a raised exception names, by id.
    """
    return [
        audit_event(
            source=source,
            action="exception.raised",
            obj=d,
            company=company,
            po=orders[d.po_id] if d.po_id is not None else None,
            document_key=document_key,
            after={"kind": d.kind, "severity": d.severity, "evidence": d.evidence},
            now=now,
        )
        for d in raised
    ]


def exceptions_notify(
    *,
    raised: list[ProcurementException],
    orders: dict[int, PurchaseOrder],
    document: str,
    key: str,
    source: WriteSource,
    versions: Mapping[int, int] | None = None,
) -> None:
    """Queue the buyer's e-mail and the ``exception.raised`` webhooks for what one document raised.

    ``document`` names it for people ("ship notice ASN-1"); ``key`` makes the outbox rows idempotent.
    ``versions``: each company's ``webhooks_version`` read under the PO lock, when the caller has
    them, so the webhook subscriptions need no query. Nothing is queued when nothing was raised.
    """
    outbox_write(
        exception_notifications(
            drafts=raised, orders=orders, document=document, key=key, source=source, versions=versions
        )
    )


def orders_touch(order_ids: Iterable[int], *, now: dt.datetime, **also: Any) -> None:
    """Mark POs as changed at ``now`` (readers syncing by ``updated_since`` see it), with ``also`` set too."""
    PurchaseOrder.objects.filter(pk__in=list(order_ids)).update(updated_at=now, **also)


def orders_touch_statement(order_ids: Iterable[int], *, now: dt.datetime, **also: Any) -> Statement:
    """``orders_touch`` as a statement, to run beside the lines' update (``rows_update(alongside=…)``).

    A plain touch of as many POs as an earlier one is that one's SQL with new values: compiling the
    UPDATE cost a ship notice more than sending it.
    """
    ids = list(order_ids)
    key = (len(ids), connection.vendor)
    sql = None if also or not ids else _touch_sql.get(key)
    if sql is None or getattr(settings, "GATEWAY_COMPILED_VERIFY", False):
        compiled_sql, params = update_statement(PurchaseOrder.objects.filter(pk__in=ids), updated_at=now, **also)
        if sql is not None and compiled_sql != sql:
            raise AssertionError(f"a PO touch's SQL changed: {compiled_sql!r}")
        if not also and ids and list(params)[1:] == ids:
            _touch_sql[key] = compiled_sql
        return compiled_sql, params
    return sql, [_updated_at().get_db_prep_save(now, connection=connection), *ids]


_touch_sql: dict[tuple[int, str], str] = {}


def _updated_at() -> Any:
    return PurchaseOrder._meta.get_field("updated_at")
