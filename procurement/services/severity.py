"""Severity from what a deviation puts at risk, told by whoever knows: the rule's severity until then.

Procurement ranks a supplier's deviation by a rule per kind. Material requirements (a higher floor
that reads procurement) know better: whether the deviation makes projected stock go negative before
a demand needs it. They register an assessor here from their ``AppConfig.ready()``; procurement asks
it before it saves exceptions, and they call ``exception_severity_set`` when their projection moves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from procurement.models import ProcurementException

from .audit import audit_event, audit_write
from .sources import WriteSource

Assessor = Callable[[list[ProcurementException]], None]
_assessors: list[Assessor] = []


def severity_assessor_register(assessor: Assessor) -> None:
    """Have ``assessor`` set the severity (and evidence) of unsaved exceptions before they are saved."""
    if assessor not in _assessors:
        _assessors.append(assessor)


def severity_assess(drafts: list[ProcurementException]) -> None:
    """Let the registered assessors re-rank ``drafts`` in place; none registered: the rules stand."""
    if drafts:
        for assessor in _assessors:
            assessor(drafts)


def exception_severity_set(
    *,
    exception: ProcurementException,
    severity: str,
    evidence: dict,
    source: WriteSource,
    reason: str,
    summary: str | None = None,
) -> bool:
    """Set an open exception's severity and the evidence behind it; audited. False if nothing changed.

    Used when what the deviation puts at risk changed (new demand, stock landing, another supplier
    covering): an exception can rise to production stop or fall from it, and the audit trail says why.
    ``summary``: the summary told from the new evidence, for an exception whose summary is made of it
    (a material shortage's quantity and date); None keeps the summary as it is.
    """
    summary = exception.summary if summary is None else summary
    if exception.severity == severity and exception.evidence == evidence and exception.summary == summary:
        return False  # before any savepoint: a net change asks this of every open shortage it re-plans
    _severity_write(exception, severity, evidence, source, reason, summary)
    return True


@transaction.atomic
def _severity_write(
    exception: ProcurementException, severity: str, evidence: dict, source: WriteSource, reason: str, summary: str
) -> None:
    before = {"severity": exception.severity, "evidence": exception.evidence}
    after = {"severity": severity, "evidence": evidence, "reason": reason}
    if summary != exception.summary:
        before["summary"], after["summary"] = exception.summary, summary
    exception.severity = severity
    exception.severity_rank = ProcurementException.SEVERITY_RANK[ProcurementException.Severity(severity)]
    exception.evidence = evidence
    exception.summary = summary
    exception.save(update_fields=["severity", "severity_rank", "evidence", "summary"])
    audit_write(
        [
            audit_event(
                source=source,
                action="exception.severity_changed",
                obj=exception,
                company=exception.company,
                po=exception.po,
                before=before,
                after=after,
                now=timezone.now(),
            )
        ]
    )


class SupplyListener(Protocol):
    def __call__(self, company_id: int, po_line_ids: list[int], *, received: bool = False) -> None: ...


_supply_listeners: list[SupplyListener] = []


def supply_listener_register(listener: SupplyListener) -> None:
    """Have ``listener(company_id, po_line_ids, received=...)`` hear of lines whose expected supply changed."""
    if listener not in _supply_listeners:
        _supply_listeners.append(listener)


def supply_changed(*, company_id: int, po_line_ids: list[int], received: bool = False) -> None:
    """Tell the listeners that what these PO lines bring, or when, changed (an answer, a ship notice, a
    receipt), inside the transaction that changed them: requirements re-plan the lines' items at once.
    ``received``: a receipt, whose stock the buyer's inventory may take in the same transaction."""
    if po_line_ids:
        for listener in _supply_listeners:
            listener(company_id, po_line_ids, received=received)
