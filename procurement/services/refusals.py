"""Refusing a document whole while keeping a record of why.

A refusal rolls back everything the document did, so the exception that tells the buyer about
it is written afterwards, by the outermost service call, in a transaction of its own.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from procurement.models import Company, ProcurementException

from .errors import DocumentRefused
from .raising import exception_draft, exception_raise
from .sources import WriteSource

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity

REFUSAL_SEVERITY: dict[str, str] = {
    Kind.DUPLICATE_INVOICE: Severity.FINANCIAL_MISMATCH,
}

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("service_depth", default=0)

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
    **links: Any,
) -> DocumentRefused:
    """A ``DocumentRefused`` that, once it leaves the service, is recorded as an exception."""
    error = DocumentRefused(message, code=code)
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
            if _depth.get() == 1 and getattr(error, "draft", None) is not None:
                error.exception_id = _record(error)
            raise
        finally:
            _depth.reset(token)

    return wrapper


def _record(error: DocumentRefused) -> int:
    draft: ProcurementException = error.draft  # type: ignore[attr-defined]
    raised = exception_raise(
        draft,
        source=error.source,  # type: ignore[attr-defined]
        action="document.refused",
        after=lambda saved: {"code": error.code, "message": error.message, "exception": saved.pk},
    )
    return raised.pk
