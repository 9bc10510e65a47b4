"""Names of business documents in pages and messages, shared by the portal and the workbench."""

from django import template

register = template.Library()


@register.filter
def po_label(number: object) -> str:
    """``"4500123"`` → ``PO 4500123``; a number that already says it is a PO (``"PO-4500"``) as it is."""
    text = str(number)
    return text if text[:2].upper() == "PO" else f"PO {text}"
