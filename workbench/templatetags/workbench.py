"""Presentation helpers for workbench templates: which badge a state wears, how deep a BOM row sits."""

from django import template

from materials.models import BomRelease

register = template.Library()

STATE_BADGES: dict[str, str] = {
    BomRelease.State.APPLIED: "badge-ok",
    BomRelease.State.HELD: "badge-warn",
    BomRelease.State.REFUSED: "badge-bad",
    BomRelease.State.SUPERSEDED: "badge-muted",
    BomRelease.State.STALE: "badge-muted",
    BomRelease.State.DUPLICATE: "badge-muted",
    BomRelease.State.RECEIVED: "badge-info",
}
DEEPEST_INDENT = 8


@register.inclusion_tag("workbench/_state_badge.html")
def state_badge(state: str) -> dict:
    """A release state as a coloured badge with its name (the colour is never the only sign)."""
    label = BomRelease.State(state).label if state in BomRelease.State.values else state
    return {"state": state, "label": label, "css": STATE_BADGES.get(state, "badge-muted")}


@register.filter
def level_class(level: int) -> str:
    return f"lvl-{level}" if level <= DEEPEST_INDENT else "lvl-deep"
