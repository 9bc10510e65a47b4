"""Refusing a document whole while keeping a record of why.

A refusal rolls back everything the document did, so the exception that tells the buyer about
it is written afterwards, by the outermost service call, in a transaction of its own.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from django.db import transaction

from procurement.models import Company, ProcurementException

from .audit import audit_event, audit_write
from .errors import DocumentRefused
from .raising import exception_draft, exception_raise
from .sources import WriteSource
from .values import jsonable

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity

REFUSAL_SEVERITY: dict[str, str] = {
    Kind.DUPLICATE_INVOICE: Severity.FINANCIAL_MISMATCH,
}

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("service_depth", default=0)
# Whether a write-path service takes a savepoint of its own (``service_atomic``).
_own_savepoint: contextvars.ContextVar[bool] = contextvars.ContextVar("service_own_savepoint", default=True)


def service_atomic() -> transaction.Atomic:
    """The transaction a write-path service runs in: a savepoint of its own inside a caller's
    transaction, so a refusal takes back only the service's writes, unless the caller has said it
    rolls back to a savepoint of its own instead (``service_savepoints_left_to_caller``)."""
    return transaction.atomic(savepoint=_own_savepoint.get())


@contextmanager
def service_savepoints_left_to_caller() -> Iterator[None]:
    """Within this block, write-path services take no savepoint of their own: a caller that wraps
    several of them in one savepoint saves a statement pair per service. A refusal raised after a
    service wrote something then leaves the caller's transaction to be rolled back
    (``needs_rollback``) and is not recorded: the caller rolls back to its savepoint and runs the
    work again outside this block, where the refusal is recorded as usual."""
    token = _own_savepoint.set(False)
    try:
        yield
    finally:
        _own_savepoint.reset(token)


P = ParamSpec("P")
R = TypeVar("R")


def refusal_recorded(
    *,
    source: WriteSource,
    company: Company,
    kind: str,
    message: str,
    code: str,
    dedup_key: str,
    evidence: dict | None = None,
    supplier_message: str = "",
    errors: list[dict[str, str]] | None = None,
    **links: Any,
) -> DocumentRefused:
    """A ``DocumentRefused`` that, once it leaves the service, is recorded as an exception.

    ``errors``: the fields it refuses, for the API's answer (``ProcurementError.errors``)."""
    error = DocumentRefused(message, code=code, errors=errors)
    error.draft = exception_draft(  # type: ignore[attr-defined]
        company=company,
        kind=kind,
        severity=REFUSAL_SEVERITY.get(kind, Severity.DATA_QUALITY),
        dedup_key=dedup_key,
        summary=message,
        evidence=evidence or {"refused": message},
        supplier_message=supplier_message or message,
        source=source,
        **links,
    )
    error.source = source  # type: ignore[attr-defined]
    return error


def records_refusals(fn: Callable[P, R]) -> Callable[P, R]:
    """Record the exception of a refusal that leaves the outermost service call."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _depth.set(_depth.get() + 1)
        try:
            return fn(*args, **kwargs)
        except DocumentRefused as error:
            # A transaction left to be rolled back (``service_savepoints_left_to_caller``) records nothing.
            recordable = not transaction.get_connection().needs_rollback
            if _depth.get() == 1 and getattr(error, "draft", None) is not None and recordable:
                error.exception_id = _record(error)
            raise
        finally:
            _depth.reset(token)

    return wrapper


def _record(error: DocumentRefused) -> int:
    draft: ProcurementException = error.draft  # type: ignore[attr-defined]
    refused = lambda saved: {"code": error.code, "message": error.message, "exception": saved.pk}  # noqa: E731
    raised = exception_raise(draft, source=error.source, action="document.refused", after=refused)  # type: ignore[attr-defined]
    if raised is not draft:
        _joined(raised, draft, error.source, refused(raised))  # type: ignore[attr-defined]
    return raised.pk


# How many of the PO numbers a supplier's refused documents named one exception lists in its evidence.
PO_NUMBERS_KEPT = 50


def _joined(open_one: ProcurementException, draft: ProcurementException, source: WriteSource, after: dict) -> None:
    """A document refused for a reason already open joins its exception: counted, dated, audited.

    The buyer's queue keeps one line for the reason however many documents repeat it; the trail
    still names each document's refusal and the exception it joined. The exception's evidence
    counts the documents (``documents``, the first included) and dates the latest (``last_seen``);
    the PO numbers they named (``po_numbers``) are gathered, the first ``PO_NUMBERS_KEPT`` of them.
    The row is locked while it is updated, so documents refused at once are each counted.
    """
    with transaction.atomic():
        row = ProcurementException.objects.select_for_update().get(pk=open_one.pk)
        evidence = {
            **row.evidence,
            "documents": row.evidence.get("documents", 1) + 1,
            "last_seen": jsonable(draft.raised_at),
        }
        named = draft.evidence.get("po_numbers")
        if named is not None:
            numbers = list(dict.fromkeys([*evidence.get("po_numbers", []), *named]))
            evidence["po_numbers"] = numbers[:PO_NUMBERS_KEPT]
            row.summary = _numbers_summary(row, evidence["documents"], numbers)
        row.evidence = evidence
        row.save(update_fields=["evidence", "summary"])
        audit_write(
            [
                audit_event(
                    source=source, action="document.refused", obj=row, company=row.company, po=row.po, after=after
                )
            ]
        )
    open_one.evidence, open_one.summary = row.evidence, row.summary


def _numbers_summary(row: ProcurementException, documents: int, numbers: list[str]) -> str:
    shown = ", ".join(numbers[:5]) + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
    sender = f"supplier {row.supplier.code}" if row.supplier is not None else row.company.code
    return f"{documents} documents from {sender} name unknown POs: {shown}"[:300]
