"""Comparing two BOM structures line by line: what a revision added, removed and changed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from materials.models import BomComponent

# What a component line says, compared between two releases (the release and the item link aside).
COMPARED = (
    "quantity_per",
    "uom",
    "scrap_factor",
    "phantom",
    "alternate_group",
    "alternate_priority",
    "valid_from",
    "valid_to",
)


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def line_summary(component: BomComponent) -> dict[str, str]:
    """A component line as text, for evidence, audit rows and pages."""
    return {"position": component.position, "part_number": component.part_number} | {
        name: _text(getattr(component, name)) for name in COMPARED
    }


@dataclass(frozen=True)
class ComponentChange:
    """A line at the same position and part number that says something else: field → (before, after)."""

    position: str
    part_number: str
    changes: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class StructureDiff:
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    changed: list[ComponentChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_evidence(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": [
                {
                    "position": c.position,
                    "part_number": c.part_number,
                    "changes": {k: list(v) for k, v in c.changes.items()},
                }
                for c in self.changed
            ],
        }


def structure_diff(before: Iterable[BomComponent], after: Iterable[BomComponent]) -> StructureDiff:
    """Lines of ``after`` against ``before``, matched on (position, part number, alternate group).

    Quantities compare by value (``2`` and ``2.000`` are equal). Lines are listed in position order.
    """

    def keyed(lines: Iterable[BomComponent]) -> dict[tuple[str, str, str], dict[str, str]]:
        found: dict[tuple[str, str, str], dict[str, str]] = {}
        for line in lines:
            key = (line.position, line.part_number, line.alternate_group)
            found.setdefault(key, line_summary(line))
        return found

    old, new = keyed(before), keyed(after)
    changed = []
    for key in sorted(old.keys() & new.keys()):
        changes = {name: (old[key][name], new[key][name]) for name in COMPARED if old[key][name] != new[key][name]}
        if changes:
            changed.append(ComponentChange(key[0], key[1], changes))
    return StructureDiff(
        added=[new[key] for key in sorted(new.keys() - old.keys())],
        removed=[old[key] for key in sorted(old.keys() - new.keys())],
        changed=changed,
    )
