"""Presentation helpers for the exception queue: time left or overdue, and the badge a severity wears."""

import datetime as dt
import re

from django import template

from gateway.formatting import price_text
from procurement import timeline
from procurement.models import ProcurementException

register = template.Library()

# The raisers write "PO {number}", which doubles the word when the number starts with it (see ``po_label``).
DOUBLED_PO = re.compile(r"\bPO (?=PO)")
# An absolute path (``/var/files/edi/x/850.edi``): the last part is the file's name.
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/]+/)*([^\s/]+)")

SEVERITY_BADGES: dict[str, str] = {
    ProcurementException.Severity.PRODUCTION_STOP: "badge-bad",
    ProcurementException.Severity.PROCUREMENT_DELAY: "badge-warn",
    ProcurementException.Severity.FINANCIAL_MISMATCH: "badge-info",
    ProcurementException.Severity.DATA_QUALITY: "badge-muted",
}


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60:02d} min" if hours < 10 else f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


@register.filter
def sla_text(due_at: dt.datetime, now: dt.datetime) -> str:
    """``5 h 10 min left`` or ``overdue by 2 d 3 h``: the SLA timer in words (the class is never the only sign)."""
    left = (due_at - now).total_seconds()
    return f"{_span(left)} left" if left >= 0 else f"overdue by {_span(-left)}"


@register.filter
def sla_class(due_at: dt.datetime, now: dt.datetime) -> str:
    left = (due_at - now).total_seconds()
    if left < 0:
        return "sla-overdue"
    return "sla-soon" if left < 24 * 3600 else "sla-ok"


@register.filter
def severity_badge(severity: str) -> str:
    return SEVERITY_BADGES.get(severity, "badge-muted")


@register.filter
def resolution_words(exception: ProcurementException) -> str:
    """How it was closed: a material shortage cleared automatically was cleared by a requirements run
    (a PO, stock or a supplier's deviation covering it), not by a document as the other kinds are."""
    if (
        exception.kind == ProcurementException.Kind.MATERIAL_SHORTAGE
        and exception.resolution == ProcurementException.Resolution.AUTO_CLEARED
    ):
        return "Cleared by a later requirements run"
    return exception.get_resolution_display()


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)


register.filter("price", price_text)
# The audit trail in words: what was done, to which record, and a document's state before and after.
register.filter("audit_action", timeline.audit_action_words)
register.filter("audit_record", timeline.audit_record_words)
register.filter("audit_state", timeline.audit_state_words)


@register.filter
def file_names(text: str) -> str:
    """Server paths in a delivery's detail as file names only: where the gateway keeps files is no buyer's business."""
    return ABSOLUTE_PATH.sub(lambda match: match.group(1), text or "")


@register.filter
def po_words(text: str) -> str:
    """``PO PO-4506 line 2`` as ``PO-4506 line 2``: a PO number that says it is one needs no "PO" before it."""
    return DOUBLED_PO.sub("", text or "")
