"""Reads of materials scoped to who is asking (``gateway.actors.Actor``).

A buyer or planner, or one of a company's systems, sees the companies it acts for; a supplier
and anyone else see nothing: another company's BOM is "not found", exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from gateway.actors import Actor
from materials.models import BomRelease


@dataclass(frozen=True)
class BomRow:
    """One line of an indented BOM: ``level`` 1 is a component of the root."""

    level: int
    position: str
    part_number: str
    description: str
    quantity_per: Decimal
    uom: str
    extended_quantity: Decimal
    scrap_factor: Decimal
    phantom: bool
    alternate_group: str
    alternate_priority: int
    is_alternate: bool
    revision: str


@dataclass(frozen=True)
class BomTree:
    root: str
    revision: str
    rows: list[BomRow] = field(default_factory=list)


@dataclass(frozen=True)
class WhereUsedRow:
    parent_part_number: str
    revision: str
    plant_code: str
    quantity_per: Decimal
    level: int


@dataclass(frozen=True)
class ComponentChange:
    """A component line that differs between two releases, keyed by position."""

    position: str
    part_number: str
    changes: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class ReleaseDiff:
    """Component lines added, removed and changed from ``against`` to ``release``."""

    release_pk: int
    against_pk: int | None
    against_revision: str
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[ComponentChange] = field(default_factory=list)


def bom_as_of(
    *, actor: Actor, company_code: str, part_number: str, plant_code: str, on: dt.date, bom_type: str = "manufacturing"
) -> BomTree | None:
    """The indented BOM of ``part_number`` built at ``plant_code`` on ``on``; None when none is in effect."""
    raise NotImplementedError


def where_used(
    *,
    actor: Actor,
    company_code: str,
    part_number: str,
    plant_code: str | None = None,
    on: dt.date | None = None,
) -> list[WhereUsedRow]:
    """Every parent that uses ``part_number``, at every level up."""
    raise NotImplementedError


def bom_releases_for(
    *, actor: Actor, company_code: str | None = None, part_number: str | None = None, state: str | None = None
) -> QuerySet[BomRelease]:
    """The releases the actor may see, newest first."""
    raise NotImplementedError


def bom_release_diff(*, actor: Actor, release_pk: int, against_pk: int | None = None) -> ReleaseDiff:
    """The component changes of a release against another (by default the revision it follows)."""
    raise NotImplementedError


def held_releases_for(*, actor: Actor, company_code: str | None = None) -> QuerySet[BomRelease]:
    """Held releases the actor may see, with what they wait for."""
    raise NotImplementedError
