"""Tolerance checks: does an answer deviate from the PO by more than policy allows?"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from decimal import Decimal

from procurement.models import Company, ToleranceRule

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Limits:
    over_percent: Decimal | None = ZERO
    over_amount: Decimal | None = ZERO
    under_percent: Decimal | None = ZERO
    under_amount: Decimal | None = ZERO
    auto_accept: bool = False
    rule_id: int | None = None

    def describe(self) -> dict:
        return {
            "rule": self.rule_id,
            "over_percent": self.over_percent,
            "over_amount": self.over_amount,
            "under_percent": self.under_percent,
            "under_amount": self.under_amount,
        }


# With no rule, no deviation is allowed.
STRICT = Limits()


@dataclass(frozen=True)
class Verdict:
    expected: Decimal
    actual: Decimal
    deviation: Decimal
    percent: Decimal | None
    within: bool
    limits: Limits

    @property
    def direction(self) -> str:
        return "over" if self.deviation > 0 else "under" if self.deviation < 0 else "none"

    def evidence(self) -> dict:
        return {
            "expected": self.expected,
            "actual": self.actual,
            "deviation": self.deviation,
            "deviation_percent": None if self.percent is None else self.percent.quantize(Decimal("0.01")),
            "tolerance": self.limits.describe(),
        }


class RuleSet:
    """A company's tolerance rules, resolved narrowest first: supplier+item, item, supplier, company."""

    def __init__(self, rules: list[ToleranceRule]) -> None:
        self._rules = {(r.check_kind, r.supplier_id, r.item_id): r for r in rules}

    def limits(self, check: str, *, supplier_id: int | None, item_id: int | None) -> Limits:
        for key in ((check, supplier_id, item_id), (check, None, item_id), (check, supplier_id, None)):
            if key in self._rules:
                return self._as_limits(self._rules[key])
        rule = self._rules.get((check, None, None))
        return self._as_limits(rule) if rule else STRICT

    @staticmethod
    def _as_limits(rule: ToleranceRule) -> Limits:
        return Limits(
            over_percent=rule.over_percent,
            over_amount=rule.over_amount,
            under_percent=rule.under_percent,
            under_amount=rule.under_amount,
            auto_accept=rule.auto_accept,
            rule_id=rule.pk,
        )


_cache: dict[int, tuple[int, RuleSet]] = {}
_cache_lock = threading.Lock()


def rules_for(company: Company) -> RuleSet:
    """The company's rule set; cached per process and keyed on ``policy_version`` so edits show at once."""
    with _cache_lock:
        hit = _cache.get(company.pk)
    if hit and hit[0] == company.policy_version:
        return hit[1]
    ruleset = RuleSet(list(ToleranceRule.objects.filter(company=company)))
    with _cache_lock:
        _cache[company.pk] = (company.policy_version, ruleset)
    return ruleset


def evaluate(limits: Limits, *, expected: Decimal, actual: Decimal, percent_applies: bool = True) -> Verdict:
    """Whether ``actual`` is within ``limits`` of ``expected``; every limit that is set must hold."""
    deviation = actual - expected
    magnitude = abs(deviation)
    # Against an expected zero any deviation is infinitely many percent: a set percentage never allows it.
    percent = Decimal("Infinity") if expected == 0 else magnitude * HUNDRED / abs(expected)
    if deviation == 0:
        within = True
    else:
        pct_limit, abs_limit = (
            (limits.over_percent, limits.over_amount) if deviation > 0 else (limits.under_percent, limits.under_amount)
        )
        within = abs_limit is None or magnitude <= abs_limit
        if percent_applies and pct_limit is not None:
            within = within and percent <= pct_limit
    return Verdict(
        expected=expected,
        actual=actual,
        deviation=deviation,
        percent=percent if percent_applies and percent.is_finite() else None,
        within=within,
        limits=limits,
    )


def evaluate_date(limits: Limits, *, expected: dt.date, actual: dt.date) -> Verdict:
    """Dates compare in days: ``over`` is late, ``under`` is early; percentages do not apply."""
    return evaluate(
        limits,
        expected=Decimal(expected.toordinal()),
        actual=Decimal(actual.toordinal()),
        percent_applies=False,
    )
