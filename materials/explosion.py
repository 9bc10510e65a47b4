"""Gross requirements of every component at every level, from demands for parent items.

The structure reachable from the demanded items is loaded in two queries (the database follows
the levels), never one query per node or per level. Each demand is resolved at its **need date**:
a revision is in effect at a plant on D when ``valid_from <= D <= effective_to`` (both ends
inclusive), the latest of the plant's chain (or of the every-plant chain) winning; a line is in
effect when ``valid_from <= D <= valid_to`` (inclusive, open when empty). An item is flattened once
into what one unit of it needs of every part below it, kept with the days on which the structure of
its whole subtree stays the same (between the start and end dates of the revisions and lines met);
each demand on one of those days is then one multiplication of that per-unit list, no walk.

Rules: a line's quantity is ``quantity_per / base_quantity`` of its parent, converted to the
component's base unit, times ``1 + scrap_factor``; what a component needs flows down to its
own components. A phantom passes its needs through to its components and is not itself
required, unless the same item is also on a real line of the same parent (ERPNext's rule: it is
then real for its whole quantity) or no structure of it is in effect (then it is required as
it is). Of a group of alternates only the primary (lowest priority number in effect) counts.
The demanded items themselves are not in the result.

Serial (or lot) effectivity: a demand may name the serial of the end item it is for. At each
level, a plant whose chain (its own and the every-plant one) has revisions with serial ranges
builds, for that serial, the latest revision whose serial range holds it (or that has no serial
range: it is for every serial) and whose own date window holds the need date. A revision for
other serials does not end one for these, so the dates read here are each release's own window,
not the one cut short by the next revision. A chain without serial ranges is resolved by date
as above. Serials compare as ``materials.serials`` says. Such demands are exploded one by one,
without the per-day reuse.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import F
from django.db.models.expressions import RawSQL

from materials.models import DATE_MAX, DATE_MIN, BomComponent, BomPlantRevision
from materials.serials import serial_in_range
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
    serial: str | None = None


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
    valid_to: dt.date = DATE_MAX
    serial_from: str = ""
    serial_to: str = ""

    @property
    def by_serial(self) -> bool:
        return bool(self.serial_from or self.serial_to)


class Structures:
    """The applied BOMs of one company and type reachable from some items, loaded in bulk.

    ``for_serials``: also load the revisions replaced before they took effect by date, since a
    revision for other serials does not replace one (needed to resolve demands with a serial).
    """

    def __init__(self, company_id: int, bom_type: str, plants: set[str], *, for_serials: bool = False) -> None:
        self.company_id, self.bom_type, self.plants = company_id, bom_type, sorted(plants | {""})
        self.for_serials = for_serials
        self._by_serial: dict[tuple[str, str, dt.date, str], list[Line]] = {}
        self.revisions: dict[str, list[Revision]] = {}
        self.lines: dict[int, list[Line]] = {}
        self.raw_lines: dict[int, list[tuple]] = {}
        self.parent_of: dict[int, str] = {}
        # Per parent: the dates on which its own structure may change (a revision or a line starts
        # or ends), sorted. Between two of them, what it is built from is the same.
        self.bounds: dict[str, list[dt.date]] = {}
        self._resolved: dict[tuple[str, str, int], list[Line]] = {}
        self._below: dict[tuple[str, str], list[tuple[dt.date, dt.date, list[tuple[str, Decimal, bool]]]]] = {}

    def load(self, parts: Iterable[str]) -> None:
        """Load the structures of ``parts`` and of everything below them: two queries whatever the depth."""
        tops = sorted({p for p in parts if p not in self.revisions})
        if not tops:
            return
        reachable = _reachable(self.company_id, self.bom_type, self.plants, tops, self.for_serials)
        for part in tops:
            self.revisions[part] = []
        in_effect = BomPlantRevision.objects.filter(
            company_id=self.company_id,
            bom_type=self.bom_type,
            plant_code__in=self.plants,
            parent_part_number__in=reachable,
        )
        if not self.for_serials:
            in_effect = in_effect.filter(effective_to__gte=F("valid_from"))  # replaced before it took effect
        fresh = set()
        for (
            parent,
            plant,
            sequence,
            valid_from,
            effective_to,
            release_id,
            revision,
            valid_to,
            serial_from,
            serial_to,
        ) in in_effect.values_list(
            "parent_part_number",
            "plant_code",
            "sequence",
            "valid_from",
            "effective_to",
            "release_id",
            "revision",
            "valid_to",
            "serial_from",
            "serial_to",
        ):
            self.revisions.setdefault(parent, []).append(
                Revision(
                    plant, sequence, valid_from, effective_to, release_id, revision, valid_to, serial_from, serial_to
                )
            )
            self._bound(parent, valid_from, effective_to)
            if release_id not in self.raw_lines:
                fresh.add(release_id)
                self.raw_lines[release_id] = []
                self.parent_of[release_id] = parent
        if fresh:
            for row in (
                BomComponent.objects.filter(release_id__in=in_effect.values("release_id"))
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
                    "item_id",
                    "item__base_uom",
                )
                .order_by("release_id", "id")
            ):
                if row[0] not in fresh:
                    continue
                self.raw_lines[row[0]].append(row[1:])
                self.revisions.setdefault(row[2], [])
                if row[9] or row[10]:
                    self._bound(self.parent_of[row[0]], row[9], row[10])
        for part, dates in self.bounds.items():
            self.bounds[part] = sorted(set(dates))
        self._convert()

    def _bound(self, part: str, valid_from: dt.date | None, valid_to: dt.date | None) -> None:
        """Note the first and the day after the last day of a window in the structure of ``part``."""
        dates = self.bounds.setdefault(part, [])
        if valid_from is not None and valid_from > DATE_MIN:
            dates.append(valid_from)
        if valid_to is not None and valid_to < DATE_MAX:
            dates.append(valid_to + dt.timedelta(days=1))

    def _convert(self) -> None:
        """Turn loaded lines into per-unit quantities in each component's base unit.

        An applied line is linked to its item, so its base unit came with it; only lines in another
        unit look their conversions up (the item's own, then its category's).
        """
        fresh = [(release_id, raws) for release_id, raws in self.raw_lines.items() if release_id not in self.lines]
        converting = sorted(
            {raw[1] for _, raws in fresh for raw in raws if raw[3] and raw[3] != raw[12] and raw[11] is not None}
        )
        units = {}
        for chunk in _chunks(converting):
            units.update(item_units(company_id=self.company_id, part_numbers=chunk))
        needs_category = [
            u.pk
            for _, raws in fresh
            for raw in raws
            if (u := units.get(raw[1])) is not None and raw[3] != u.base_uom and raw[3] not in u.factors
        ]
        by_category = category_factors(self.company_id, needs_category) if needs_category else {}
        for release_id, raws in fresh:
            lines = []
            for raw in raws:
                (
                    position,
                    part,
                    quantity_per,
                    uom,
                    scrap,
                    phantom,
                    group,
                    priority,
                    v_from,
                    v_to,
                    base,
                    item,
                    base_uom,
                ) = raw
                if item is None:
                    raise ExplosionError(f"item {part} is not known")
                if not uom or uom == base_uom:
                    factor = ONE
                elif part in units and uom in units[part].factors:
                    factor = units[part].factors[uom]
                elif uom in by_category.get(item, {}):
                    factor = by_category[item][uom]
                else:
                    raise ExplosionError(f"unit {uom} of {part} does not convert to {base_uom}")
                per_unit = quantity_per if base == ONE else quantity_per / base
                if factor != ONE:
                    per_unit *= factor
                if scrap:
                    per_unit *= ONE + scrap
                lines.append(Line(position, part, per_unit, phantom, group, priority, v_from, v_to))
            self.lines[release_id] = lines

    def resolved(self, part: str, plant: str, on: dt.date, window: list) -> list[Line]:
        """The lines ``part`` is built from at ``plant`` on ``on``; narrows ``window`` (first and last day, inclusive)
        to the dates around ``on`` on which they stay the same."""
        bounds = self.bounds.get(part, ())
        index = bisect.bisect_right(bounds, on)
        if index and bounds[index - 1] > window[0]:
            window[0] = bounds[index - 1]
        if index < len(bounds) and bounds[index] <= window[1]:
            window[1] = bounds[index] - dt.timedelta(days=1)
        key = (part, plant, index)
        lines = self._resolved.get(key)
        if lines is None:
            revision = self.in_effect(part, plant, on)
            lines = self.lines_in_effect(revision.release_id, on) if revision is not None else []
            self._resolved[key] = lines
        return lines

    def below(self, part: str, plant: str, on: dt.date, window: list) -> list[tuple[str, Decimal, bool]]:
        """(component, quantity per unit of ``part``, passes through as a phantom) of each line of ``part``
        at ``plant`` on ``on``; narrows ``window`` like ``resolved``."""
        known = next((k for k in self._below.get((part, plant), ()) if k[0] <= on <= k[1]), None)
        if known is not None:
            first, last, lines = known
        else:
            own = [DATE_MIN, DATE_MAX]
            resolved = self.resolved(part, plant, on, own)
            real_here = {line.part_number for line in resolved if not line.phantom}
            lines = [
                (
                    line.part_number,
                    line.per_unit,
                    # ERPNext's rule: on both a phantom and a real line of one parent, the item is real.
                    # A phantom with no structure in effect is required as it is.
                    line.phantom
                    and line.part_number not in real_here
                    and bool(self.resolved(line.part_number, plant, on, own)),
                )
                for line in resolved
            ]
            first, last = own
            self._below.setdefault((part, plant), []).append((first, last, lines))
        if first > window[0]:
            window[0] = first
        if last < window[1]:
            window[1] = last
        return lines

    def in_effect(self, part: str, plant: str, on: dt.date, serial: str | None = None) -> Revision | None:
        """The revision of ``part`` built at ``plant`` on ``on``: the plant's own chain before the every-plant one.

        With ``serial``, by serial effectivity where the chain has serial ranges (see the module's docstring).
        """
        revisions = self.revisions.get(part, ())
        if serial is not None and any(r.plant_code in (plant, "") and r.by_serial for r in revisions):
            return self._in_effect_for_serial(revisions, plant, on, serial)
        best: Revision | None = None
        for revision in revisions:
            if revision.plant_code not in (plant, "") or not revision.valid_from <= on <= revision.effective_to:
                continue
            if best is None or (revision.plant_code != "", revision.sequence) > (best.plant_code != "", best.sequence):
                best = revision
        return best

    def _in_effect_for_serial(
        self, revisions: Iterable[Revision], plant: str, on: dt.date, serial: str
    ) -> Revision | None:
        """Of a chain with serial ranges, the latest revision for ``serial`` (or for every serial) whose own
        date window holds ``on``, the plant's own chain first."""
        if not self.for_serials:
            raise ValueError("serial effectivity needs structures loaded for serials")
        best: Revision | None = None
        for revision in revisions:
            if revision.plant_code not in (plant, "") or not revision.valid_from <= on <= revision.valid_to:
                continue
            if revision.by_serial and not serial_in_range(serial, revision.serial_from, revision.serial_to):
                continue
            if best is None or (revision.plant_code != "", revision.sequence) > (best.plant_code != "", best.sequence):
                best = revision
        return best

    def below_for_serial(self, part: str, plant: str, on: dt.date, serial: str) -> list[tuple[str, Decimal, bool]]:
        """``below`` for the end item ``serial``: each line of ``part`` at ``plant`` on ``on``, no date reuse."""
        resolved = self._serial_lines(part, plant, on, serial)
        real_here = {line.part_number for line in resolved if not line.phantom}
        return [
            (
                line.part_number,
                line.per_unit,
                line.phantom
                and line.part_number not in real_here
                and bool(self._serial_lines(line.part_number, plant, on, serial)),
            )
            for line in resolved
        ]

    def _serial_lines(self, part: str, plant: str, on: dt.date, serial: str) -> list[Line]:
        key = (part, plant, on, serial)
        lines = self._by_serial.get(key)
        if lines is None:
            revision = self.in_effect(part, plant, on, serial)
            lines = self.lines_in_effect(revision.release_id, on) if revision is not None else []
            self._by_serial[key] = lines
        return lines

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
    serials: dict[tuple[str, dt.date, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for demand in demands:
        if demand.serial is None:
            grouped[(demand.plant_code, demand.need_date)][demand.part_number] += demand.quantity
        else:
            serials[(demand.plant_code, demand.need_date, demand.serial)][demand.part_number] += demand.quantity
    result: dict[tuple[str, str, dt.date], Decimal] = {}
    if serials:
        _explode_serials(company_id, bom_type, serials, result)
    if not grouped:
        return result
    structures = Structures(company_id, bom_type, {plant for plant, _ in grouped})
    structures.load({part for parts in grouped.values() for part in parts})
    # What one unit of an item needs, per (item, plant): each with the days on which the structure of
    # its whole subtree stays the same, so a demand on any of those days is one multiplication.
    flat: dict[tuple[str, str], list[tuple[dt.date, dt.date, dict[str, Decimal]]]] = {}
    for (plant, on), tops in grouped.items():
        first = not serials  # demands with a serial may have added to this day's keys already
        for top, quantity in tops.items():
            per_unit = _per_unit(structures, flat.setdefault((top, plant), []), top, plant, on)
            if first:  # straight into the result: no other item of the day has added to these keys yet
                result.update({(plant, part, on): quantity * each for part, each in per_unit.items()})
                first = False
                continue
            get = result.get
            for part, each in per_unit.items():
                key = (plant, part, on)
                before = get(key)
                result[key] = quantity * each if before is None else before + quantity * each
    return result


def _explode_serials(
    company_id: int,
    bom_type: str,
    serials: dict[tuple[str, dt.date, str], dict[str, Decimal]],
    result: dict[tuple[str, str, dt.date], Decimal],
) -> None:
    """Add into ``result`` what the demands with a serial need, each flattened for its own serial."""
    structures = Structures(company_id, bom_type, {plant for plant, _, _ in serials}, for_serials=True)
    structures.load({part for parts in serials.values() for part in parts})
    for (plant, on, serial), tops in serials.items():

        def lines_below(part: str, plant: str, on: dt.date, window: list, serial: str = serial) -> list:
            return structures.below_for_serial(part, plant, on, serial)

        for top, quantity in tops.items():
            per_unit = _flatten(structures, top, plant, on, [DATE_MIN, DATE_MAX], lines_below)
            for part, each in per_unit.items():
                key = (plant, part, on)
                result[key] = result.get(key, Decimal(0)) + quantity * each


def _per_unit(
    structures: Structures, known: list[tuple[dt.date, dt.date, dict[str, Decimal]]], top: str, plant: str, on: dt.date
) -> dict[str, Decimal]:
    """What one unit of ``top`` needs at ``plant`` on ``on``, from ``known`` when its days hold ``on``."""
    for first, last, per_unit in known:
        if first <= on <= last:
            return per_unit
    window = [DATE_MIN, DATE_MAX]
    per_unit = _flatten(structures, top, plant, on, window)
    known.append((window[0], window[1], per_unit))
    return per_unit


def _flatten(
    structures: Structures, top: str, plant: str, on: dt.date, window: list, lines_below: Callable | None = None
) -> dict[str, Decimal]:
    """What one unit of ``top`` needs of each component at every level, at ``plant`` on ``on``.

    Each part's quantity is passed down once all its parents have passed theirs (in topological
    order), so a part shared by many assemblies is expanded once. ``window`` is narrowed to the
    days on which every structure met stays the same. ``lines_below``: how a part's lines are read
    (default ``structures.below``).
    """
    if lines_below is None:
        lines_below = structures.below
    children: dict[str, list[tuple[str, Decimal, bool]]] = {}
    stack = [top]
    while stack:
        part = stack.pop()
        if part not in children:
            children[part] = lines = lines_below(part, plant, on, window)
            stack.extend(child for child, _, _ in lines if child not in children)
    parents = dict.fromkeys(children, 0)
    for lines in children.values():
        for child, _, _ in lines:
            parents[child] += 1
    total: dict[str, Decimal] = {top: ONE}
    real: dict[str, Decimal] = {}
    ready = [top] if not parents[top] else []
    done = 0
    while ready:
        part = ready.pop()
        done += 1
        quantity = total[part]
        for child, each, passes_through in children[part]:
            amount = quantity * each
            before = total.get(child)
            total[child] = amount if before is None else before + amount
            if not passes_through:
                before = real.get(child)
                real[child] = amount if before is None else before + amount
            parents[child] -= 1
            if not parents[child]:
                ready.append(child)
    if done < len(children):
        raise ExplosionError(f"the structure has a cycle: {' > '.join(_cycle(children, top, []))}")
    return real


def _cycle(children: dict[str, list[tuple[str, Decimal, bool]]], part: str, path: list[str]) -> list[str]:
    """The first cycle met going depth-first down from ``part``: its parts, the first one repeated at the end."""
    if part in path:
        return [*path[path.index(part) :], part]
    path.append(part)
    for child, _, _ in children[part]:
        if cycle := _cycle(children, child, path):
            return cycle
    path.pop()
    return []


def _reachable(
    company_id: int, bom_type: str, plants: list[str], tops: list[str], every_revision: bool = False
) -> RawSQL:
    """The part numbers of ``tops`` and of every component below them in any applied revision, as a
    subquery: the database follows the levels itself instead of a round trip per level.
    ``every_revision``: also through revisions replaced before they took effect by date."""
    revision, component = BomPlantRevision._meta.db_table, BomComponent._meta.db_table
    values = ", ".join(["(%s)"] * len(tops))
    plant_list = ", ".join(["%s"] * len(plants))
    # UNION (not UNION ALL) keeps each part once, so a cycle in the data ends the recursion too.
    # Only table names and placeholders are formatted in; every value is a parameter.
    sql = (
        f"WITH RECURSIVE reach(part) AS (VALUES {values} UNION "  # noqa: S608
        f"SELECT c.part_number FROM reach JOIN {revision} r ON r.parent_part_number = reach.part "
        f"AND r.company_id = %s AND r.bom_type = %s AND r.plant_code IN ({plant_list}) "
        f"{'' if every_revision else 'AND r.effective_to >= r.valid_from '}"
        f"JOIN {component} c ON c.release_id = r.release_id) SELECT part FROM reach"
    )
    return RawSQL(sql, (*tops, company_id, bom_type, *plants))  # noqa: S611


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
