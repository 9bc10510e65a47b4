"""Gross requirements of every component at every level, from demands for parent items.

The structure reachable from the demanded items is loaded level by level (two queries a level,
plus the items' units), never one query per node. Each demand is resolved at its **need date**:
a revision is in effect at a plant on D when ``valid_from <= D <= effective_to`` (both ends
inclusive), the latest of the plant's chain (or of the every-plant chain) winning; a line is in
effect when ``valid_from <= D <= valid_to`` (inclusive, open when empty). Dates between the same
effectivity boundaries share one structure, so the work is done once per (plant, span of dates)
and top item, then scaled by each demand's quantity.

Rules: a line's quantity is ``quantity_per / base_quantity`` of its parent, converted to the
component's base unit, times ``1 + scrap_factor``; what a component needs flows down to its
own components. A phantom passes its needs through to its components and is not itself
required, unless the same item is also on a real line of the same parent (ERPNext's rule: it is
then real for its whole quantity) or no structure of it is in effect (then it is required as
it is). Of a group of alternates only the primary (lowest priority number in effect) counts.
The demanded items themselves are not in the result.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from materials.models import DATE_MAX, BomComponent, BomPlantRevision
from materials.units import category_factors
from procurement.selectors import item_units

ONE = Decimal(1)
CHUNK = 5000


class ExplosionError(ValueError):
    """The structure cannot be exploded as stored: a cycle, or a unit that no longer converts."""


@dataclass(frozen=True)
class Demand:
    part_number: str
    plant_code: str
    quantity: Decimal
    need_date: dt.date


class Line(NamedTuple):
    """A BOM line as explosion uses it: the component's base units per base unit of the parent."""

    position: str
    part_number: str
    per_unit: Decimal
    phantom: bool
    alternate_group: str
    alternate_priority: int
    valid_from: dt.date | None
    valid_to: dt.date | None

    def in_effect(self, on: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class Revision:
    plant_code: str
    sequence: int
    valid_from: dt.date
    effective_to: dt.date
    release_id: int
    revision: str


class Structures:
    """The applied BOMs of one company and type reachable from some items, loaded in bulk."""

    def __init__(self, company_id: int, bom_type: str, plants: set[str]) -> None:
        self.company_id, self.bom_type, self.plants = company_id, bom_type, sorted(plants | {""})
        self.revisions: dict[str, list[Revision]] = {}
        self.lines: dict[int, list[Line]] = {}
        self.raw_lines: dict[int, list[tuple]] = {}
        self.boundaries: list[dt.date] = []

    def load(self, parts: Iterable[str]) -> None:
        """Load the structures of ``parts`` and of everything below them."""
        frontier = {p for p in parts if p not in self.revisions}
        while frontier:
            for part in frontier:
                self.revisions[part] = []
            below: set[str] = set()
            for chunk in _chunks(sorted(frontier)):
                rows = list(
                    BomPlantRevision.objects.filter(
                        company_id=self.company_id,
                        bom_type=self.bom_type,
                        parent_part_number__in=chunk,
                        plant_code__in=self.plants,
                    ).values_list(
                        "parent_part_number",
                        "plant_code",
                        "sequence",
                        "valid_from",
                        "effective_to",
                        "release_id",
                        "revision",
                    )
                )
                fresh = set()
                for parent, plant, sequence, valid_from, effective_to, release_id, revision in rows:
                    if effective_to < valid_from:
                        continue  # replaced before it took effect
                    self.revisions[parent].append(
                        Revision(plant, sequence, valid_from, effective_to, release_id, revision)
                    )
                    self.boundaries += (
                        [valid_from, effective_to + dt.timedelta(days=1)] if effective_to < DATE_MAX else [valid_from]
                    )
                    if release_id not in self.raw_lines:
                        fresh.add(release_id)
                        self.raw_lines[release_id] = []
                for ids in _chunks(sorted(fresh)):
                    for row in (
                        BomComponent.objects.filter(release_id__in=ids)
                        .values_list(
                            "release_id",
                            "position",
                            "part_number",
                            "quantity_per",
                            "uom",
                            "scrap_factor",
                            "phantom",
                            "alternate_group",
                            "alternate_priority",
                            "valid_from",
                            "valid_to",
                            "release__base_quantity",
                        )
                        .order_by("release_id", "id")
                    ):
                        self.raw_lines[row[0]].append(row[1:])
                        below.add(row[2])
                        if row[9]:
                            self.boundaries.append(row[9])
                        if row[10] and row[10] < DATE_MAX:
                            self.boundaries.append(row[10] + dt.timedelta(days=1))
            frontier = below - set(self.revisions)
        self.boundaries = sorted(set(self.boundaries))
        self._convert()

    def _convert(self) -> None:
        """Turn loaded lines into per-unit quantities in each component's base unit."""
        wanted = {raw[1] for release_id, raws in self.raw_lines.items() if release_id not in self.lines for raw in raws}
        units = {}
        for chunk in _chunks(sorted(wanted)):
            units.update(item_units(company_id=self.company_id, part_numbers=chunk))
        needs_category = [
            u.pk
            for release_id, raws in self.raw_lines.items()
            if release_id not in self.lines
            for raw in raws
            if (u := units.get(raw[1])) is not None and raw[3] and raw[3] != u.base_uom and raw[3] not in u.factors
        ]
        by_category = category_factors(self.company_id, needs_category) if needs_category else {}
        for release_id, raws in self.raw_lines.items():
            if release_id in self.lines:
                continue
            lines = []
            for position, part, quantity_per, uom, scrap, phantom, group, priority, v_from, v_to, base in raws:
                unit = units.get(part)
                if unit is None:
                    raise ExplosionError(f"item {part} is not known")
                if not uom or uom == unit.base_uom:
                    factor = ONE
                elif uom in unit.factors:
                    factor = unit.factors[uom]
                elif uom in by_category.get(unit.pk, {}):
                    factor = by_category[unit.pk][uom]
                else:
                    raise ExplosionError(f"unit {uom} of {part} does not convert to {unit.base_uom}")
                per_unit = quantity_per if base == ONE else quantity_per / base
                if factor != ONE:
                    per_unit *= factor
                if scrap:
                    per_unit *= ONE + scrap
                lines.append(Line(position, part, per_unit, phantom, group, priority, v_from, v_to))
            self.lines[release_id] = lines

    def span(self, on: dt.date) -> int:
        """Which span between effectivity boundaries ``on`` falls in: equal spans, equal structures."""
        return bisect.bisect_right(self.boundaries, on)

    def in_effect(self, part: str, plant: str, on: dt.date) -> Revision | None:
        """The revision of ``part`` built at ``plant`` on ``on``: the plant's own chain before the every-plant one."""
        best: Revision | None = None
        for revision in self.revisions.get(part, ()):
            if revision.plant_code not in (plant, "") or not revision.valid_from <= on <= revision.effective_to:
                continue
            if best is None or (revision.plant_code != "", revision.sequence) > (best.plant_code != "", best.sequence):
                best = revision
        return best

    def lines_in_effect(self, release_id: int, on: dt.date) -> list[Line]:
        """The lines of a release in effect on ``on``, alternates reduced to their primary."""
        lines = [line for line in self.lines[release_id] if line.in_effect(on)]
        primary: dict[str, int] = {}
        for line in lines:
            if line.alternate_group:
                primary[line.alternate_group] = min(
                    primary.get(line.alternate_group, line.alternate_priority), line.alternate_priority
                )
        return [
            line
            for line in lines
            if not line.alternate_group or line.alternate_priority == primary[line.alternate_group]
        ]


def explode(
    *, company_id: int, demands: Iterable[Demand], bom_type: str = "manufacturing"
) -> dict[tuple[str, str, dt.date], Decimal]:
    """(plant code, part number, need date) → gross quantity of each component the demands need.

    Quantities are in each component's base unit; see the module's docstring for the rules.
    Raises ``ExplosionError`` naming the path of a cycle or the unit that does not convert.
    """
    grouped: dict[tuple[str, dt.date], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for demand in demands:
        grouped[(demand.plant_code, demand.need_date)][demand.part_number] += demand.quantity
    if not grouped:
        return {}
    structures = Structures(company_id, bom_type, {plant for plant, _ in grouped})
    structures.load({part for parts in grouped.values() for part in parts})
    flat: dict[tuple[str, str, int], dict[str, Decimal]] = {}
    result: dict[tuple[str, str, dt.date], Decimal] = {}
    for (plant, on), tops in grouped.items():
        span = structures.span(on)
        needs: dict[str, Decimal] | None = None
        for top, quantity in tops.items():
            key = (top, plant, span)
            if key not in flat:
                flat[key] = _flatten(structures, top, plant, on)
            if len(tops) == 1:  # the common case: straight into the result
                result.update({(plant, part, on): quantity * per_unit for part, per_unit in flat[key].items()})
                break
            if needs is None:
                needs = {part: quantity * per_unit for part, per_unit in flat[key].items()}
                continue
            get = needs.get
            for part, per_unit in flat[key].items():
                before = get(part)
                needs[part] = quantity * per_unit if before is None else before + quantity * per_unit
        result.update({(plant, part, on): quantity for part, quantity in (needs or {}).items()})
    return result


def _flatten(structures: Structures, top: str, plant: str, on: dt.date) -> dict[str, Decimal]:
    """What one unit of ``top`` needs of each component at every level, at ``plant`` on ``on``."""
    children: dict[str, list[tuple[Line, bool]]] = {}
    order: list[str] = []
    _visit(structures, top, plant, on, children, order, [], set())
    total: dict[str, Decimal] = defaultdict(Decimal)
    real: dict[str, Decimal] = defaultdict(Decimal)
    total[top] = ONE
    for part in reversed(order):  # parents before their components
        quantity = total[part]
        for line, passes_through in children.get(part, ()):
            amount = quantity * line.per_unit
            total[line.part_number] += amount
            if not passes_through:
                real[line.part_number] += amount
    return dict(real)


def _visit(
    structures: Structures,
    part: str,
    plant: str,
    on: dt.date,
    children: dict[str, list[tuple[Line, bool]]],
    order: list[str],
    path: list[str],
    done: set[str],
) -> None:
    """Depth-first: the lines below ``part`` and a post-order of the parts (components before parents)."""
    if part in done:
        return
    if part in path:
        cycle = [*path[path.index(part) :], part]
        raise ExplosionError(f"the structure has a cycle: {' > '.join(cycle)}")
    revision = structures.in_effect(part, plant, on)
    lines = structures.lines_in_effect(revision.release_id, on) if revision is not None else []
    real_here = {line.part_number for line in lines if not line.phantom}
    path.append(part)
    below = []
    for line in lines:
        # ERPNext's rule: on both a phantom and a real line of one parent, the item is real.
        phantom = line.phantom and line.part_number not in real_here
        if phantom:
            sub = structures.in_effect(line.part_number, plant, on)
            phantom = sub is not None and bool(structures.lines_in_effect(sub.release_id, on))
        below.append((line, phantom))
        _visit(structures, line.part_number, plant, on, children, order, path, done)
    path.pop()
    children[part] = below
    done.add(part)
    order.append(part)


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
