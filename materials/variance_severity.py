"""Severity of an inventory variance from the projection: is the disputed stock needed soon?

A variance says the systems disagree on a position by ``deviation`` (the evidence's figure). Its
rule (``services.reconciliation.variance_severity``) ranks it by what kind of disagreement it is;
the requirements' stored projection of its (plant, item) says what it puts at risk. If the lower
figure is the true one, the stock planning counts is ``deviation`` too high, so every projected
quantity is that much lower:

- **production_stop** when the projection, lowered so, goes negative on a date a demand needs the
  item where it did not before, or earlier than before: the evidence names the orders due that
  date, the date, how short, and the quantity in doubt;
- **procurement_delay** when it falls below safety stock on a date where it did not (or earlier);
- otherwise the rule's severity stands. The projection only ever raises a variance: a component
  needed this week outranks the same disagreement on a slow mover, which keeps its rule.

Only stock planning counts is assessed (usable, and quarantine when the company's inventory policy
counts it); a variance of blocked stock keeps its rule. The evidence keeps ``rule_severity`` so a
later assessment can return to it. Procurement asks this before saving a variance (the severity
registry, ``procurement.services.severity``); the reconciliation re-assesses the open ones on each
run, since the projection moves between runs.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from materials.inventory import policy_for
from materials.models import InventoryEvent, ProjectionRow
from procurement.inputs import decimal_text
from procurement.models import ProcurementException
from procurement.services import WriteSource
from procurement.services.severity import exception_severity_set

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity
RANK = ProcurementException.SEVERITY_RANK
ZERO = Decimal(0)


def variance_drafts_assess(drafts: list[ProcurementException]) -> None:
    """The assessor procurement calls before saving exceptions: ranks inventory variances in place.

    One query when none is a variance of a company the requirements have planned: rules stand.
    """
    wanted = [d for d in drafts if d.kind == Kind.INVENTORY_VARIANCE]
    if not wanted or not ProjectionRow.objects.filter(company_id__in={d.company_id for d in wanted}).exists():
        return
    counted: dict[int, set[str]] = {}
    for draft in wanted:
        if draft.company_id not in counted:
            counted[draft.company_id] = counted_statuses(draft.company_id)
        severity, evidence = variance_assess(
            draft.company_id, draft.severity, draft.evidence, counted[draft.company_id]
        )
        draft.severity, draft.evidence = severity, evidence
        draft.severity_rank = RANK[Severity(severity)]


def variance_assess(
    company_id: int, severity: str, evidence: dict, counted: set[str] | None = None
) -> tuple[str, dict]:
    """(severity, evidence) of a variance from its evidence and the stored projection of its item.

    ``counted``: the stock statuses planning counts (read from the company's policy if not given).
    """
    evidence = dict(evidence)
    rule = evidence.get("rule_severity", severity)
    evidence.pop("requirements", None)
    finding = _finding(company_id, evidence, counted if counted is not None else counted_statuses(company_id))
    if finding is None:
        evidence.pop("rule_severity", None)
        return rule, evidence
    evidence["rule_severity"] = rule
    found, detail = finding
    if found is None or RANK[Severity(found)] >= RANK[Severity(rule)]:
        return rule, evidence
    evidence["requirements"] = detail
    return found, evidence


def counted_statuses(company_id: int) -> set[str]:
    """The stock statuses planning counts under the company's inventory policy."""
    statuses = {InventoryEvent.StockStatus.USABLE.value}
    if policy_for(company_id).include_quarantine:
        statuses.add(InventoryEvent.StockStatus.QUARANTINE.value)
    return statuses


def _finding(company_id: int, evidence: dict, counted: set[str]) -> tuple[str | None, dict] | None:
    """(severity the projection gives or None, detail); None when no run planned the item or
    planning does not count the stock in question."""
    if evidence.get("stock_status") not in counted:
        return None
    try:
        plant, item, doubt = int(evidence["plant_id"]), int(evidence["item_id"]), Decimal(str(evidence["deviation"]))
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None
    rows = list(
        ProjectionRow.objects.filter(company_id=company_id, plant_id=plant, item_id=item)
        .order_by("date")
        .values_list("date", "demand", "projected", "safety_stock", "pegs")
    )
    if not rows or doubt <= ZERO:
        return None
    today = timezone.localdate()
    short_before = _first(rows, ZERO, lambda projected, demand, _: projected < ZERO and demand > ZERO)
    short_now = _first(rows, doubt, lambda projected, demand, _: projected < ZERO and demand > ZERO)
    if short_now is not None and (short_before is None or short_now[0] < short_before[0]):
        date, _demand, projected, _, pegs = short_now
        return Severity.PRODUCTION_STOP, {
            "date": date.isoformat(),
            "days_away": (date - today).days,
            "orders": [p.get("reference", "") for p in pegs],
            "short": decimal_text(-(projected - doubt)),
            "in_doubt": decimal_text(doubt),
        }
    low_before = _first(rows, ZERO, lambda projected, _, safety: projected < safety)
    low_now = _first(rows, doubt, lambda projected, _, safety: projected < safety)
    if low_now is not None and (low_before is None or low_now[0] < low_before[0]):
        return Severity.PROCUREMENT_DELAY, {
            "date": low_now[0].isoformat(),
            "days_away": (low_now[0] - today).days,
            "below_safety_stock": decimal_text(low_now[3]),
            "in_doubt": decimal_text(doubt),
        }
    return None, {}


def _first(rows: list[tuple], lower_by: Decimal, test) -> tuple | None:
    """The first row whose projection, lowered by ``lower_by``, passes ``test(projected, demand, safety)``."""
    for row in rows:
        _date, demand, projected, safety, _ = row
        if test(projected - lower_by, demand, safety):
            return row
    return None


def variances_reassess(*, company_id: int, source: WriteSource, skip: frozenset[int] = frozenset()) -> int:
    """Re-assess the company's open variances (but ``skip``) against the projection as it stands now;
    each change of severity goes through ``exception_severity_set`` (audited). Returns how many changed."""
    changed = 0
    variances = (
        ProcurementException.objects.open()
        .filter(company_id=company_id, kind=Kind.INVENTORY_VARIANCE)
        .exclude(pk__in=skip)
        .select_related("company", "po")
        .order_by("pk")
    )
    if not ProjectionRow.objects.filter(company_id=company_id).exists():
        # Nothing planned (any more): only those a projection once ranked have a rule to return to.
        variances = variances.filter(evidence__has_key="rule_severity")
    counted = counted_statuses(company_id)
    for exception in variances:
        severity, evidence = variance_assess(company_id, exception.severity, exception.evidence, counted)
        changed += exception_severity_set(
            exception=exception,
            severity=severity,
            evidence=evidence,
            source=source,
            reason="projection of the item changed",
        )
    return changed
