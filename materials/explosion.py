"""Gross requirements of every component at every level, from demands for parent items.

The structure reachable from the demanded items is loaded in two queries (the database follows
the levels), never one query per node or per level; for explosion only what quantities need is
read (``Structures(as_stated=False)``). Each demand is resolved at its **need date**: a revision is
in effect at a plant on D when ``valid_from <= D <= effective_to`` (both ends inclusive), the
latest of the plant's chain (or of the every-plant chain) winning; a line is in effect when
``valid_from <= D <= valid_to`` (inclusive, open when empty).

How the work is shared: what one unit of an item needs of every part below it (its *vector*) is
built bottom-up, from its lines and its components' vectors, and kept per (item, plant) with the
days on which nothing in its subtree changes (between the start and end dates of the revisions
and lines met). A part under many assemblies, or under many demanded items, is expanded once.
The demands of one (plant, day) are summed per item; the day's answer is then each demanded
item's vector times its quantity, summed, done inside ``map`` over columns prepared once for each
set of items demanded together. The answer (``GrossRequirements``) keeps those columns: a part
number column shared by every day with the same items, and a quantity column per day.

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
import gc
import threading
from collections import defaultdict
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, ValuesView
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, count, repeat
from operator import add, itemgetter, or_
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import F
from django.db.models.expressions import RawSQL

from materials.models import DATE_MAX, DATE_MIN, BomComponent, BomPlantRevision, BomRelease
from materials.serials import serial_in_range
from materials.units import category_factors
from procurement.models import Item
from procurement.selectors import item_units

ONE = Decimal(1)
CHUNK = 5000
# Up to this many parts, their structures are read part by part by index (``_reach``): a net change.
FEW_TOPS = 64
# A BOM line's columns as stated, in ``raw_lines``' order (the release's base quantity goes in after them).
STATED_COLUMNS = (
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
    "item_id",
)


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


@dataclass
class Reached:
    """What a net change's ``Structures(reached=True)`` reads with a few parts' structures, in the same
    round trip (PostgreSQL): the item of every part reached so far (part number → id, None for a part
    that is no item), and, of the last
    ``load`` only, the parents whose revisions (any plant, any date) use each part it reached; None when
    that load did not read them."""

    items: dict[str, int | None] = field(default_factory=dict)
    parents: dict[str, set[str]] | None = None


class Structures:
    """The applied BOMs of one company and type reachable from some items, loaded in bulk.

    ``for_serials``: also load the revisions replaced before they took effect by date, since a
    revision for other serials does not replace one (needed to resolve demands with a serial).
    ``as_stated=False`` (explosion): on PostgreSQL, read only what quantities need, so ``raw_lines``
    stays empty, lines have no position, and quantities carry no trailing zeros (the same values).
    """

    def __init__(
        self,
        company_id: int,
        bom_type: str,
        plants: set[str],
        *,
        for_serials: bool = False,
        as_stated: bool = True,
        reached: bool = False,
    ) -> None:
        self.company_id, self.bom_type, self.plants = company_id, bom_type, sorted(plants | {""})
        self.for_serials = for_serials
        self.as_stated = as_stated
        self.reached = Reached() if reached else None
        self._plain: set[int] = set()  # releases without line windows or alternates: every line, every day
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
        self._lines_read: list[tuple] | None = None  # lines read with the revisions (``_revision_rows``)

    def load(self, parts: Iterable[str]) -> None:
        """Load the structures of ``parts`` and of everything below them: two queries whatever the depth
        (one more per 5,000 releases)."""
        if self.reached is not None:
            self.reached.parents = None
        tops = sorted({p for p in parts if p not in self.revisions})
        if not tops:
            return
        known = set(self.revisions)  # loaded before, with every revision they have
        self._lines_read = None
        for part in tops:
            self.revisions[part] = []
        fresh: dict[int, Decimal] = {}  # release → its base quantity
        revisions, parent_of, bound = self.revisions, self.parent_of, self._bound
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
            base,
        ) in self._revision_rows(tops):
            if parent in known:
                continue
            revisions.setdefault(parent, []).append(
                Revision(
                    plant, sequence, valid_from, effective_to, release_id, revision, valid_to, serial_from, serial_to
                )
            )
            bound(parent, valid_from, effective_to)
            if release_id not in self.lines and release_id not in fresh:
                fresh[release_id] = base
                parent_of[release_id] = parent
        if fresh:
            if self.as_stated or connection.vendor != "postgresql":
                self._load_stated(fresh)
            else:
                self._load_quantities(fresh)
        self._lines_read = None
        for part, dates in self.bounds.items():
            self.bounds[part] = sorted(set(dates))

    def _revision_rows(self, tops: list[str]) -> Iterable[tuple]:
        """The revisions of ``tops`` and of every part below them, with their release's base quantity.

        On PostgreSQL, one statement that joins the revisions to the parts reached (each once: the
        recursion keeps distinct parts) instead of testing every revision against them, which costs
        the database a hash of every part reached on each explosion.
        """
        if connection.vendor != "postgresql":
            reachable = _reachable(self.company_id, self.bom_type, self.plants, tops, self.for_serials)
            in_effect = BomPlantRevision.objects.filter(
                company_id=self.company_id,
                bom_type=self.bom_type,
                plant_code__in=self.plants,
                parent_part_number__in=reachable,
            )
            if not self.for_serials:
                in_effect = in_effect.filter(effective_to__gte=F("valid_from"))  # replaced before it took effect
            return in_effect.values_list(
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
                "release__base_quantity",
            )
        revision, release = BomPlantRevision._meta.db_table, BomRelease._meta.db_table
        few = len(tops) <= FEW_TOPS
        reach_sql, reach_params = _reach(
            self.company_id, self.bom_type, self.plants, tops, self.for_serials, by_index=few
        )
        plant_list = ", ".join(["%s"] * len(self.plants))
        revision_in_effect = (
            f"r.company_id = %s AND r.bom_type = %s AND r.parent_part_number = reach.part "
            f"AND r.plant_code IN ({plant_list}) {'' if self.for_serials else 'AND r.effective_to >= r.valid_from'}"
        )
        columns = (
            "r.parent_part_number, r.plant_code, r.sequence, r.valid_from, r.effective_to, r.release_id, "
            "r.revision, r.valid_to, r.serial_from, r.serial_to"
        )
        # Only table names and placeholders are formatted in; every value is a parameter.
        params = [*reach_params, self.company_id, self.bom_type, *self.plants]
        if few:
            # The revisions (and releases) of the parts reached, each looked up by its index (``_reach``).
            sql = (
                f"{reach_sql} SELECT r.*, (SELECT b.base_quantity FROM {release} b WHERE b.id = r.release_id) "  # noqa: S608
                f"FROM reach CROSS JOIN LATERAL (SELECT {columns} FROM {revision} r "
                f"WHERE {revision_in_effect} OFFSET 0) r"
            )
        else:
            sql = (
                f"{reach_sql} SELECT {columns}, b.base_quantity FROM reach "  # noqa: S608
                f"JOIN {revision} r ON {revision_in_effect} JOIN {release} b ON b.id = r.release_id"
            )
        if not (few and self.as_stated):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        # As stated, a few parts: their releases' lines too, in the same round trip (``_load_stated``).
        component, item = BomComponent._meta.db_table, Item._meta.db_table
        lines_sql = (
            f"{reach_sql} SELECT c.release_id, {', '.join('c.' + c for c in STATED_COLUMNS)}, i.base_uom "  # noqa: S608
            f"FROM {component} c LEFT JOIN {item} i ON i.id = c.item_id WHERE c.release_id = ANY(ARRAY("
            f"SELECT r.release_id FROM reach CROSS JOIN LATERAL (SELECT r.release_id FROM {revision} r "
            f"WHERE {revision_in_effect} OFFSET 0) r)) ORDER BY c.release_id, c.id"
        )
        from procurement.services.compiled import statements_then_rows

        statements = [(sql, params), (lines_sql, params)]
        if self.reached is not None:
            # What a net change asks next of the parts reached: their items, and the parents using them.
            in_reach = "= ANY(ARRAY(SELECT part FROM reach))"
            statements += [
                (
                    f"{reach_sql} SELECT reach.part, i.id FROM reach LEFT JOIN LATERAL (SELECT i.id FROM {item} i "  # noqa: S608
                    "WHERE i.company_id = %s AND i.part_number = reach.part OFFSET 0) i ON true",
                    [*reach_params, self.company_id],
                ),
                (
                    f"{reach_sql} SELECT c.part_number, r.parent_part_number FROM {component} c "  # noqa: S608
                    f"JOIN {revision} r ON r.release_id = c.release_id "
                    f"WHERE r.company_id = %s AND r.bom_type = %s AND c.part_number {in_reach}",
                    [*reach_params, self.company_id, self.bom_type],
                ),
            ]
        answers, _ = statements_then_rows(statements)
        rows, self._lines_read = answers[:2]
        if self.reached is not None:
            self.reached.items.update(answers[2])
            self.reached.parents = defaultdict(set)
            for part, parent in answers[3]:
                self.reached.parents[part].add(parent)
        return rows

    def _load_stated(self, fresh: dict[int, Decimal]) -> None:
        """The lines of the ``fresh`` releases as stated (``raw_lines``), then converted (``lines``)."""
        raw_lines, revisions, parent_of, bound = self.raw_lines, self.revisions, self.parent_of, self._bound
        for release_id in fresh:
            raw_lines[release_id] = []
        read, self._lines_read = self._lines_read, None
        for chunk in [fresh] if read is not None else chunks(sorted(fresh)):
            found = (
                read
                if read is not None
                else BomComponent.objects.filter(release_id__in=chunk)
                .values_list("release_id", *STATED_COLUMNS, "item__base_uom")
                .order_by("release_id", "id")
            )
            for release_id, *raw in found:
                if release_id not in fresh:
                    continue  # read with the revisions: a release loaded before
                raw.insert(10, fresh[release_id])  # after the line's own fields, the release's base quantity
                raw_lines[release_id].append(tuple(raw))
                revisions.setdefault(raw[1], [])
                if raw[8] or raw[9]:
                    bound(parent_of[release_id], raw[8], raw[9])
        self._convert()

    def _load_quantities(self, fresh: dict[int, Decimal]) -> None:
        """The lines of the ``fresh`` releases with only what explosion needs, in one query on PostgreSQL.

        The database drops trailing zeros and names a unit only when it is not the item's base unit;
        equal quantities are worked out once. The arithmetic is ``_convert``'s, in its order.
        """
        lines: dict[int, list[Line]] = {release_id: [] for release_id in fresh}
        revisions, parent_of, bound = self.revisions, self.parent_of, self._bound
        component, item = BomComponent._meta.db_table, Item._meta.db_table
        sql = (
            "SELECT c.release_id, c.part_number, trim_scale(c.quantity_per)::text, "  # noqa: S608
            "CASE WHEN c.scrap_factor = 0 THEN NULL ELSE trim_scale(c.scrap_factor)::text END, "
            "c.phantom, c.alternate_group, c.alternate_priority, "
            "c.valid_from, c.valid_to, c.item_id, CASE WHEN c.uom = '' OR c.uom = i.base_uom THEN NULL ELSE c.uom END, "
            f"i.base_uom FROM {component} c LEFT JOIN {item} i ON i.id = c.item_id "
            "WHERE c.release_id = ANY(%s) ORDER BY c.id"  # each release's lines in their order
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [sorted(fresh)])
            rows = cursor.fetchall()
        known: dict[tuple[str, str | None], Decimal] = {}
        converting: list[tuple] = []
        whole = {release_id for release_id, base in fresh.items() if base == ONE}
        dated: set[int] = set()  # releases with line windows or alternates
        new = tuple.__new__  # a NamedTuple without its Python-level constructor: thousands of lines
        for release_id, part, stated, scrap, phantom, group, priority, v_from, v_to, item_id, uom, base_uom in rows:
            if item_id is None:
                raise ExplosionError(f"item {part} is not known")
            if uom is not None:
                converting.append((release_id, len(lines[release_id]), item_id, uom, base_uom, stated, scrap))
                per_unit = ONE  # worked out below, with the unit's factor
            elif release_id in whole:
                per_unit = known.get((stated, scrap))  # type: ignore[assignment]
                if per_unit is None:
                    known[(stated, scrap)] = per_unit = _per_unit(Decimal(stated), ONE, ONE, scrap)
            else:
                per_unit = _per_unit(Decimal(stated), fresh[release_id], ONE, scrap)
            lines[release_id].append(new(Line, ("", part, per_unit, phantom, group, priority, v_from, v_to)))
            if part not in revisions:
                revisions[part] = []
            if group or v_from or v_to:
                dated.add(release_id)
                if v_from or v_to:
                    bound(parent_of[release_id], v_from, v_to)
        if converting:
            factors = self._factors({lines[r][place].part_number: i for r, place, i, *_ in converting})
            for release_id, place, item_id, uom, base_uom, stated, scrap in converting:
                line = lines[release_id][place]
                factor = factors.get(item_id, {}).get(uom)
                if factor is None:
                    raise ExplosionError(f"unit {uom} of {line.part_number} does not convert to {base_uom}")
                per_unit = _per_unit(Decimal(stated), fresh[release_id], factor, scrap)
                lines[release_id][place] = line._replace(per_unit=per_unit)
        self.lines.update(lines)
        self._plain.update(release_id for release_id in lines if release_id not in dated)

    def _factors(self, items: dict[str, int]) -> dict[int, dict[str, Decimal]]:
        """Item → unit → factor to its base unit: the item's own conversions over its category's."""
        factors: dict[int, dict[str, Decimal]] = {}
        for chunk in chunks(sorted(items)):
            for units in item_units(company_id=self.company_id, part_numbers=chunk).values():
                factors[units.pk] = dict(units.factors)
        for item_id, by_unit in category_factors(self.company_id, sorted(set(items.values()))).items():
            factors[item_id] = {**by_unit, **factors.get(item_id, {})}
        return factors

    def _keep(self, release_id: int, lines: list[Line]) -> None:
        self.lines[release_id] = lines
        if not any(line.alternate_group or line.valid_from or line.valid_to for line in lines):
            self._plain.add(release_id)

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
        for chunk in chunks(converting):
            units.update(item_units(company_id=self.company_id, part_numbers=chunk))
        needs_category = [
            u.pk
            for _, raws in fresh
            for raw in raws
            if (u := units.get(raw[1])) is not None and raw[3] != u.base_uom and raw[3] not in u.factors
        ]
        by_category = category_factors(self.company_id, needs_category) if needs_category else {}
        new = tuple.__new__  # a NamedTuple without its Python-level constructor: thousands of lines
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
                lines.append(new(Line, (position, part, per_unit, phantom, group, priority, v_from, v_to)))
            self._keep(release_id, lines)

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
        found = None
        for span in self._below.get((part, plant), ()):
            if span[0] <= on <= span[1]:
                found = span
                break
        if found is not None:
            first, last, lines = found
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

    def alternates(self, part: str, plant: str, on: dt.date) -> dict[str, list[tuple[str, Decimal]]]:
        """Of the lines ``part`` is built from at ``plant`` on ``on``: each primary of a group of
        alternates → its alternates in priority order (then part number), each with how much of it
        stands in for one unit of the primary. Phantoms on either side take no part."""
        revision = self.in_effect(part, plant, on)
        if revision is None or revision.release_id in self._plain:
            return {}
        groups: dict[str, list[Line]] = defaultdict(list)
        for line in self.lines[revision.release_id]:
            if line.alternate_group and line.in_effect(on):
                groups[line.alternate_group].append(line)
        found: dict[str, list[tuple[str, Decimal]]] = {}
        for lines in groups.values():
            lines.sort(key=lambda line: (line.alternate_priority, line.part_number))
            primary, others = lines[0], lines[1:]
            if (
                primary.phantom
                or not primary.per_unit
                or (others[:1] and others[0].alternate_priority == primary.alternate_priority)
            ):
                continue  # two primaries of one group are both required (``lines_in_effect``): none stands in
            chosen = [(o.part_number, o.per_unit / primary.per_unit) for o in others if not o.phantom]
            chosen = [c for c in chosen if c[0] != primary.part_number]
            if chosen:
                found[primary.part_number] = chosen
        return found

    def lines_in_effect(self, release_id: int, on: dt.date) -> list[Line]:
        """The lines of a release in effect on ``on``, alternates reduced to their primary (not to be changed:
        for most releases, the release's own list)."""
        if release_id in self._plain:
            return self.lines[release_id]
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


class Parts:
    """The part numbers of one column of a result, in order; shared by every day whose column has them."""

    __slots__ = ("_index", "numbers")

    def __init__(self, numbers: tuple[str, ...]) -> None:
        self.numbers = numbers
        self._index: dict[str, int] | None = None

    @property
    def index(self) -> dict[str, int]:
        """Part number → its place in ``numbers`` (made on first use: a bulk write never needs it)."""
        if self._index is None:
            self._index = {number: place for place, number in enumerate(self.numbers)}
        return self._index


class GrossRequirements(Mapping[tuple[str, str, dt.date], Decimal]):
    """What ``explode`` answers: (plant code, part number, need date) → gross quantity, read-only.

    Kept as columns, one pair per (plant, need date): the part numbers (one ``Parts``, shared by
    every day on which the same items are demanded) and their quantities in the same order. Every
    quantity is computed by the time ``explode`` returns; only the (plant, part, date) keys are made
    as they are read. ``days()`` gives the columns as they are (for a bulk write), ``rows()`` a row
    at a time; equal to any mapping with the same keys and quantities (``dict(result)`` makes one).
    """

    __slots__ = ("_days", "_size")

    def __init__(self) -> None:
        self._days: dict[tuple[str, dt.date], tuple[Parts, list[Decimal]]] = {}
        self._size = 0

    def _put(self, plant: str, on: dt.date, parts: Parts, quantities: list[Decimal]) -> None:
        before = self._days.get((plant, on))
        if before is not None:
            self._size -= len(before[1])
        self._days[(plant, on)] = (parts, quantities)
        self._size += len(quantities)

    def __getitem__(self, key: tuple[str, str, dt.date]) -> Decimal:
        if type(key) is tuple and len(key) == 3:
            plant, part, on = key
            day = self._days.get((plant, on))
            if day is not None:
                place = day[0].index.get(part)
                if place is not None:
                    return day[1][place]
        raise KeyError(key)

    def __iter__(self) -> Iterator[tuple[str, str, dt.date]]:
        for (plant, on), (parts, _) in self._days.items():
            yield from zip(repeat(plant), parts.numbers, repeat(on))

    def __len__(self) -> int:
        return self._size

    def items(self) -> _Items:
        return _Items(self)

    def values(self) -> _Values:
        return _Values(self)

    def days(self) -> Iterator[tuple[str, dt.date, tuple[str, ...], list[Decimal]]]:
        """(plant, need date, part numbers, quantities) per day: the columns themselves."""
        for (plant, on), (parts, quantities) in self._days.items():
            yield plant, on, parts.numbers, quantities

    def rows(self) -> Iterator[tuple[str, str, dt.date, Decimal]]:
        """(plant, part number, need date, quantity), day after day."""
        for (plant, on), (parts, quantities) in self._days.items():
            yield from zip(repeat(plant), parts.numbers, repeat(on), quantities)

    def __repr__(self) -> str:
        return f"GrossRequirements({dict(self.items())!r})"


class _Items(ItemsView):
    def __iter__(self) -> Iterator[tuple[tuple[str, str, dt.date], Decimal]]:
        for (plant, on), (parts, quantities) in self._mapping._days.items():  # type: ignore[attr-defined]
            yield from zip(zip(repeat(plant), parts.numbers, repeat(on)), quantities, strict=True)


class _Values(ValuesView):
    def __iter__(self) -> Iterator[Decimal]:
        for _, quantities in self._mapping._days.values():  # type: ignore[attr-defined]
            yield from quantities


class _Vector:
    """What one unit of an item needs of each part below it (phantoms passed through), in its base unit:
    decimals, or counts of a power of ten on the scaled path."""

    __slots__ = ("made", "needs", "parts", "quantities")

    def __init__(self, needs: dict[str, Any]) -> None:
        self.made = next(_MADE)  # orders vectors the same way in every run
        self.needs = needs
        self.parts = Parts(tuple(needs))
        self.quantities = list(needs.values())


_MADE = count()
_NOTHING = _Vector({})


class _Combination:
    """The column of the days on which the same items (their same vectors) are demanded: the parts
    any of them needs, in groups of parts needed by the same items, each group with the per-unit
    quantities of each of those items. A day is then a few multiplications and additions per part,
    all inside ``map``."""

    __slots__ = ("groups", "parts")

    def __init__(self, vectors: tuple[_Vector, ...]) -> None:
        needed_by: dict[str, int] = {}
        get = needed_by.get
        for place, vector in enumerate(vectors):
            own = vector.parts.numbers
            needed_by.update(zip(own, map(or_, map(get, own, repeat(0)), repeat(1 << place)), strict=True))
        members: dict[int, list[str]] = {}
        for number, mask in needed_by.items():
            members.setdefault(mask, []).append(number)
        numbers: list[str] = []
        self.groups: list[list[tuple[int, list[Any]]]] = []
        for mask, group in members.items():
            numbers += group
            self.groups.append(
                [
                    (place, list(map(vector.needs.__getitem__, group)))
                    for place, vector in enumerate(vectors)
                    if mask >> place & 1
                ]
            )
        self.parts = Parts(tuple(numbers))

    def quantities(self, demanded: list[Any]) -> list[Any]:
        """Each part's quantity for the items' ``demanded`` quantities, summed in the items' order."""
        result: list[Any] = []
        for columns in self.groups:
            place, each = columns[0]
            summed: Iterator[Any] = map(demanded[place].__mul__, each)
            for place, each in columns[1:]:
                summed = map(add, summed, map(demanded[place].__mul__, each))
            result += summed
        return result


class _Vectors:
    """Per (item, plant): its vector on each span of days on which nothing in its subtree changes.

    Built bottom-up and kept: an assembly's vector is its lines plus its components' vectors,
    scaled, so a part shared by many assemblies (or many demanded items) is expanded once.
    """

    def __init__(self, structures: Structures) -> None:
        self.structures = structures
        self.spans: dict[tuple[str, str], list[tuple[dt.date, dt.date, _Vector]]] = {}

    def known(self, part: str, plant: str, on: dt.date) -> tuple[dt.date, dt.date, _Vector] | None:
        for span in self.spans.get((part, plant), ()):
            if span[0] <= on <= span[1]:
                return span
        return None

    def of(self, top: str, plant: str, on: dt.date) -> _Vector:
        """The vector of ``top`` at ``plant`` on ``on``. Raises ``ExplosionError`` naming a cycle met."""
        found = self.known(top, plant, on)
        if found is not None:
            return found[2]
        below, known, spans = self.structures.below, self.known, self.spans
        revisions = self.structures.revisions
        # Depth-first without recursion (a structure may be deep): each frame is
        # [part, window, lines, next line, needs so far].
        window = [DATE_MIN, DATE_MAX]
        frames: list[list[Any]] = [[top, window, below(top, plant, on, window), 0, {}]]
        path = [top]
        while True:
            frame = frames[-1]
            part, window, lines, place, needs = frame
            if place < len(lines):
                child, each, passes_through = lines[place]
                span = known(child, plant, on)
                if span is None and not revisions.get(child):  # bought, or built from nothing here: no needs
                    span = (DATE_MIN, DATE_MAX, _NOTHING)
                    spans[(child, plant)] = [span]
                if span is None:
                    if child in path:
                        cycle = [*path[path.index(child) :], child]
                        raise ExplosionError(f"the structure has a cycle: {' > '.join(cycle)}")
                    inner = [DATE_MIN, DATE_MAX]
                    frames.append([child, inner, below(child, plant, on, inner), 0, {}])
                    path.append(child)
                    continue
                frame[3] = place + 1
                first, last, vector = span
                if first > window[0]:
                    window[0] = first
                if last < window[1]:
                    window[1] = last
                if vector.quantities:
                    scaled = map(each.__mul__, vector.quantities)
                    if needs and len(needs) >= len(vector.quantities):
                        get = needs.get
                        for number, amount in zip(vector.parts.numbers, scaled, strict=True):
                            before = get(number)
                            needs[number] = amount if before is None else before + amount
                    elif needs:  # the longer list is copied whole, the shorter one added into it
                        larger = dict(zip(vector.parts.numbers, scaled, strict=True))
                        get = larger.get
                        for number, amount in needs.items():
                            before = get(number)
                            larger[number] = amount if before is None else before + amount
                        frame[4] = needs = larger
                    else:
                        frame[4] = needs = dict(zip(vector.parts.numbers, scaled, strict=True))
                if not passes_through:
                    before = needs.get(child)
                    needs[child] = each if before is None else before + each
                continue
            made = (window[0], window[1], _Vector(needs))
            spans.setdefault((part, plant), []).append(made)
            frames.pop()
            path.pop()
            if not frames:
                return made[2]


def explode(*, company_id: int, demands: Iterable[Demand], bom_type: str = "manufacturing") -> GrossRequirements:
    """(plant code, part number, need date) → gross quantity of each component the demands need.

    Quantities are in each component's base unit; see the module's docstring for the rules.
    Raises ``ExplosionError`` naming the path of a cycle or the unit that does not convert.
    """
    grouped: dict[tuple[str, dt.date], dict[str, Decimal]] = {}
    serials: dict[tuple[str, dt.date, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for demand in demands:
        if demand.serial is None:
            tops = grouped.get((demand.plant_code, demand.need_date))
            if tops is None:
                grouped[(demand.plant_code, demand.need_date)] = tops = {}
            before = tops.get(demand.part_number)
            tops[demand.part_number] = demand.quantity if before is None else before + demand.quantity
        else:
            serials[(demand.plant_code, demand.need_date, demand.serial)][demand.part_number] += demand.quantity
    result = GrossRequirements()
    with no_cycle_collection():
        if grouped:
            structures = Structures(company_id, bom_type, {plant for plant, _ in grouped}, as_stated=False)
            structures.load({part for parts in grouped.values() for part in parts})
            if not _explode_scaled(structures, grouped, result):
                _explode_decimal(structures, grouped, result)
        if serials:
            _explode_serials(company_id, bom_type, serials, result)
    return result


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused: an explosion makes tens of thousands of short-lived tuples,
    lists and dicts (rows, lines, per-item totals) and no reference cycles, so every one is freed as soon as
    it is dropped; the collector's passes, set off by the count of those objects, would only walk them and
    the whole process's heap (in a worker, a full pass took tens of milliseconds) and find nothing to free.
    The collector is resumed as it was found (also on an error) once the last explosion running in the
    process ends: explosions on several threads (a web worker's) count themselves in and out under a lock,
    so one ending never turns the collector on under another, nor leaves it off for good."""
    global _paused_by, _enabled_before
    with _pause_lock:
        if _paused_by == 0:
            _enabled_before = gc.isenabled()
            gc.disable()
        _paused_by += 1
    try:
        yield
    finally:
        with _pause_lock:
            _paused_by -= 1
            if _paused_by == 0 and _enabled_before:
                gc.enable()


_pause_lock = threading.Lock()
_paused_by = 0  # explosions running with the collector paused
_enabled_before = True


# The scaled path: taken only when it answers exactly what decimals would.
SCALE_LIMIT = 9  # at most this many decimal places in a per-unit or demanded quantity
_BOUND = 10**26  # every decimal the decimal path would make keeps fewer digits than its context's 28


def _explode_scaled(
    structures: Structures, grouped: dict[tuple[str, dt.date], dict[str, Decimal]], result: GrossRequirements
) -> bool:
    """The dated demands in integers, when every quantity is exact in whole units of 10^-k.

    Each per-unit quantity of a line is a count of 10^-s (s: the most decimal places of any line) and
    each demanded quantity a count of 10^-d. A demanded item's needs per unit are then built top-down
    in integers in one pass over its structure in topological order (a part shared by many assemblies
    is passed down once); over a chain of L lines they count 10^-(s·L). Integers add and multiply
    exactly, so the answer is the exact one, which is also what the decimal path gives as long as none
    of its decimals would need more than 28 digits: that is checked (with room to spare) before
    anything is written, and otherwise (or for a cycle, a quantity with more than ``SCALE_LIMIT``
    places, a per-unit quantity that is not positive) nothing is written and False is answered, for
    ``_explode_decimal`` to do it. Each item's vector then becomes decimals once, and the days are
    summed in decimals as on the decimal path.
    """
    per_units = set(map(itemgetter(2), chain.from_iterable(structures.lines.values())))  # each line's per_unit
    s = _places(per_units)
    if s is None or any(value <= 0 for value in per_units):
        return False
    counts = _counts(per_units, s)
    demanded = {quantity for tops in grouped.values() for quantity in tops.values()}
    d = _places(demanded)
    if d is None:
        return False
    demanded_counts = _counts(demanded, d)
    vectors = _ScaledVectors(structures, counts, s)
    tops_of: dict[str, set[str]] = {}  # plant → every item demanded there
    for plant, on in grouped:
        tops_of.setdefault(plant, set()).update(grouped[(plant, on)])
    days = []
    for (plant, on), tops in grouped.items():
        chosen = []
        for top, quantity in tops.items():
            made = vectors.known(top, plant, on)
            if made is None:
                # Every item demanded at the plant at once: where nothing changes, this is their only walk.
                if not vectors.build(sorted(tops_of[plant]), plant, on):
                    return False  # a cycle: the decimal path names it
                made = vectors.known(top, plant, on)
                assert made is not None
            if made[0].quantities:
                chosen.append((made, demanded_counts[quantity], quantity))
        days.append((plant, on, chosen))
    # One scale for the whole answer: each vector brought to the deepest one's.
    deepest = max((levels for _, _, chosen in days for (_, levels), _, _ in chosen), default=0)
    rescaled: dict[int, _Vector] = {}
    largest = 0
    for _, _, chosen in days:
        for (vector, levels), _, _ in chosen:
            if vector.made not in rescaled:
                same = vector
                if levels < deepest:
                    factor = 10 ** (s * (deepest - levels))
                    same = _Vector({part: count * factor for part, count in vector.needs.items()})
                rescaled[vector.made] = same
                largest = max(largest, *same.quantities)
    day_sums = (sum(abs(count) for _, count, _ in chosen) for _, _, chosen in days)
    if largest * max(day_sums, default=0) >= _BOUND:
        return False
    smallest = counts[min(per_units)] if per_units else 1
    if smallest < 10**s and largest * 10 ** (s * deepest) >= _BOUND * smallest**deepest:
        return False  # below a quantity per under 1, an assembly's own needs may be larger than the top's
    # Each vector as decimals once (exact: the counts are within the bound); the days are then summed
    # in decimals, as on the decimal path, so the answer is complete when ``explode`` returns.
    # Items share most of their parts' quantities: each distinct count becomes a decimal once.
    decimal_of: dict[int, Decimal] = {}
    as_decimals = {}
    for order, vector in rescaled.items():
        new = set(vector.quantities).difference(decimal_of)
        if new:
            decimal_of.update(zip(new, _decimals(list(new), s * deepest), strict=True))
        quantities = map(decimal_of.__getitem__, vector.quantities)
        as_decimals[order] = _Vector(dict(zip(vector.parts.numbers, quantities, strict=True)))
    combinations: dict[tuple[_Vector, ...], _Combination] = {}
    for plant, on, chosen in days:
        day = [(as_decimals[vector.made], quantity) for (vector, _), _, quantity in chosen]
        if not day:
            continue
        if len(day) == 1:
            vector, quantity = day[0]
            result._put(plant, on, vector.parts, list(map(quantity.__mul__, vector.quantities)))
            continue
        day.sort(key=lambda chosen: chosen[0].made)  # one combination for the same items in any order
        key = tuple(vector for vector, _ in day)
        combination = combinations.get(key)
        if combination is None:
            combinations[key] = combination = _Combination(key)
        result._put(plant, on, combination.parts, combination.quantities([quantity for _, quantity in day]))
    return True


def _places(values: Iterable[Decimal]) -> int | None:
    """The most decimal places of ``values`` (trailing zeros aside); None if one is not finite or has more
    than ``SCALE_LIMIT``."""
    most = 0
    for value in values:
        if not value.is_finite():
            return None
        exponent = value.normalize().as_tuple().exponent
        if -exponent > most:  # type: ignore[operator]
            most = -exponent  # type: ignore[operator]
    return most if most <= SCALE_LIMIT else None


def _counts(values: Iterable[Decimal], places: int) -> dict[Decimal, int]:
    """Each value as a whole number of 10^-places (exact: none has more places)."""
    counts = {}
    for value in values:
        sign, digits, exponent = value.normalize().as_tuple()
        count = int("".join(map(str, digits))) * 10 ** (exponent + places)  # type: ignore[operator]
        counts[value] = -count if sign else count
    return counts


def _decimals(counts: list[int], scale: int) -> list[Decimal]:
    """``count / 10^scale`` of each count as a decimal: exact (counts stay below ``_BOUND``), no trailing zeros."""
    if not scale:
        return list(map(Decimal, counts))
    return list(map(Decimal(10**scale).__rtruediv__, map(Decimal, counts)))


class _ScaledVectors:
    """Per (item, plant): what one unit of it needs of each part below it (phantoms passed through), as
    whole numbers of 10^-(s·levels), on each span of days on which nothing in its structure changes.

    Built for many items at once: one depth-first walk of everything below them (each part's lines
    read once, its *height* — the longest chain of lines below it — worked out), then per item one
    pass down the parts in topological order. A part of height h is counted in 10^-(s·(H - h)) for an
    item of height H; each line's count is multiplied beforehand by the power of ten its two ends'
    heights call for, so the pass is one multiplication and one addition per line (two through a
    phantom, whose pass-through amounts are taken off its needs at the end), never a division.
    """

    def __init__(self, structures: Structures, counts: dict[Decimal, int], places: int) -> None:
        self.structures, self.counts, self.places = structures, counts, places
        self.spans: dict[tuple[str, str], list[tuple[dt.date, dt.date, _Vector, int]]] = {}

    def known(self, top: str, plant: str, on: dt.date) -> tuple[_Vector, int] | None:
        """The vector of ``top`` at ``plant`` on ``on`` and its levels (its counts are of 10^-(s·levels))."""
        for first, last, vector, levels in self.spans.get((top, plant), ()):
            if first <= on <= last:
                return vector, levels
        return None

    def build(self, tops: Iterable[str], plant: str, on: dt.date) -> bool:
        """Make the vectors of ``tops`` at ``plant`` on ``on``; False (nothing kept) if a cycle is met."""
        revisions, counts, places = self.structures.revisions, self.counts, self.places
        lines_of: dict[str, list[Line]] = {}
        windows: dict[str, list[dt.date]] = {}
        passing: dict[str, set[str]] = {}  # part → its components that pass through a phantom
        # Per part: the days around ``on`` on which nothing in its structure, at any level, changes.
        within: dict[str, tuple[dt.date, dt.date]] = {}
        height: dict[str, int] = {}
        order: list[str] = []  # children before parents
        # Each line counted in its child's unit: 10^(s·(h - 1 - h')) more for a child of height h' under h,
        # worked out as each part is left (its children's heights are known by then).
        # A line passing through a phantom is kept apart: what reaches a part through it is not required.
        down: dict[str, list[tuple[str, int]]] = {}
        through_lines: dict[str, list[tuple[str, int]]] = {}
        read = self._lines
        for top in tops:
            if top in height or top in lines_of:
                continue
            lines = read(top, plant, on, lines_of, windows, passing)
            stack: list[tuple[str, list[Line], Iterator[Line]]] = [(top, lines, iter(lines))]
            while stack:
                part, lines, rest = stack[-1]
                for line in rest:  # resumed where it was left when a child was entered
                    child = line[1]
                    if child in height:
                        continue
                    if child in lines_of:  # on the path being walked
                        return False
                    if revisions.get(child):
                        below = read(child, plant, on, lines_of, windows, passing)
                        stack.append((child, below, iter(below)))
                        break
                    height[child] = 0  # bought, or built from nothing here
                else:
                    stack.pop()
                    highest = 0
                    first, last = windows[part]
                    for line in lines:
                        if height[line[1]] >= highest:
                            highest = height[line[1]] + 1
                        below_window = within.get(line[1])
                        if below_window is not None:
                            if below_window[0] > first:
                                first = below_window[0]
                            if below_window[1] < last:
                                last = below_window[1]
                    height[part] = highest
                    within[part] = (first, last)
                    order.append(part)
                    here = highest - 1
                    down[part] = own = []
                    through = passing.get(part, ())
                    for line in lines:
                        child = line[1]
                        count = counts[line[2]]
                        if here != height[child]:
                            count *= 10 ** (places * (here - height[child]))
                        if child in through:
                            through_lines.setdefault(part, []).append((child, count))
                        else:
                            own.append((child, count))
        order.reverse()  # parents before children
        phantoms = bool(through_lines)
        scale = [10 ** (places * h) for h in range(max(height.values(), default=0) + 1)]
        # Without phantoms, each part's total is final when the walk reaches it, so it is brought to the
        # item's unit there; parts of height 0 (most: the bought ones, which the walk never reaches) are in it.
        scaled = [] if phantoms or not places else [(part, scale[height[part]]) for part in order if height[part]]
        scale_of = dict(scaled)
        for top in tops:
            if self.known(top, plant, on) is not None:
                continue
            levels = height.get(top, 0)
            # Everything that reaches each part, then less what reached it only to pass through a phantom:
            # one addition per line (the amounts are positive, so a part is required iff something is left).
            total = {top: 1}
            passed: dict[str, int] = {}
            first, last = within.get(top, (DATE_MIN, DATE_MAX))
            get_total = total.get
            for part in order:
                quantity = get_total(part)
                if quantity is None:
                    continue
                for child, count in down[part]:
                    total[child] = get_total(child, 0) + quantity * count
                if part in scale_of:
                    total[part] = quantity * scale_of[part]
                if phantoms and part in through_lines:
                    for child, count in through_lines[part]:
                        amount = quantity * count
                        total[child] = get_total(child, 0) + amount
                        passed[child] = passed.get(child, 0) + amount
            del total[top]
            real = total
            for part, amount in passed.items():
                left = real[part] - amount
                if left:
                    real[part] = left
                else:
                    del real[part]
            if places and phantoms:  # every part in 10^-(s·levels)
                for part, count in real.items():
                    h = height[part]
                    if h:
                        real[part] = count * scale[h]
            self.spans.setdefault((top, plant), []).append((first, last, _Vector(real), levels))
        return True

    def _lines(
        self,
        part: str,
        plant: str,
        on: dt.date,
        lines_of: dict[str, list[Line]],
        windows: dict[str, list[dt.date]],
        passing: dict[str, set[str]],
    ) -> list[Line]:
        """The lines of ``part`` at ``plant`` on ``on`` as ``Structures.below`` reads them, without a new tuple
        per line: the components passing through a phantom (``below``'s third field) go in ``passing``."""
        window = [DATE_MIN, DATE_MAX]
        structures = self.structures
        lines_of[part] = lines = structures.resolved(part, plant, on, window) if structures.revisions.get(part) else []
        for line in lines:
            if line.phantom:
                # ERPNext's rule (see ``below``): on both a phantom and a real line the item is real, and a
                # phantom with no structure in effect is required as it is.
                real_here = {line.part_number for line in lines if not line.phantom}
                through = {
                    line.part_number
                    for line in lines
                    if line.phantom
                    and line.part_number not in real_here
                    and structures.resolved(line.part_number, plant, on, window)
                }
                if through:
                    passing[part] = through
                break
        windows[part] = window
        return lines


def _explode_decimal(
    structures: Structures, grouped: dict[tuple[str, dt.date], dict[str, Decimal]], result: GrossRequirements
) -> None:
    """The dated demands in decimals: per-item vectors bottom-up, days summed in columns (see ``_explode_scaled``
    for when this path is taken)."""
    vectors = _Vectors(structures)
    combinations: dict[tuple[_Vector, ...], _Combination] = {}
    for (plant, on), tops in grouped.items():
        chosen, demanded = [], []
        for top, quantity in tops.items():
            vector = vectors.of(top, plant, on)
            if vector.quantities:
                chosen.append(vector)
                demanded.append(quantity)
        if len(chosen) == 1:
            result._put(plant, on, chosen[0].parts, list(map(demanded[0].__mul__, chosen[0].quantities)))
        elif chosen:
            # One combination for the same items in any order (sums of exact decimals do not depend on it).
            order = sorted(range(len(chosen)), key=lambda place: chosen[place].made)
            key = tuple(chosen[place] for place in order)
            combination = combinations.get(key)
            if combination is None:
                combinations[key] = combination = _Combination(key)
            quantities = combination.quantities([demanded[place] for place in order])
            result._put(plant, on, combination.parts, quantities)


def _explode_serials(
    company_id: int,
    bom_type: str,
    serials: dict[tuple[str, dt.date, str], dict[str, Decimal]],
    result: GrossRequirements,
) -> None:
    """Add into ``result`` what the demands with a serial need, each flattened for its own serial."""
    structures = Structures(company_id, bom_type, {plant for plant, _, _ in serials}, for_serials=True)
    structures.load({part for parts in serials.values() for part in parts})
    days: dict[tuple[str, dt.date], dict[str, Decimal]] = {}
    for (plant, on, serial), tops in serials.items():

        def lines_below(part: str, plant: str, on: dt.date, window: list, serial: str = serial) -> list:
            return structures.below_for_serial(part, plant, on, serial)

        needs = days.setdefault((plant, on), {})
        for top, quantity in tops.items():
            per_unit = _flatten(structures, top, plant, on, [DATE_MIN, DATE_MAX], lines_below)
            for part, each in per_unit.items():
                needs[part] = needs.get(part, Decimal(0)) + quantity * each
    for (plant, on), needs in days.items():
        if not needs:
            continue
        before = result._days.get((plant, on))
        if before is not None:
            for part, quantity in zip(before[0].numbers, before[1], strict=True):
                needs[part] = needs[part] + quantity if part in needs else quantity
        result._put(plant, on, Parts(tuple(needs)), list(needs.values()))


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
    sql, params = _reach(company_id, bom_type, plants, tops, every_revision)
    return RawSQL(f"{sql} SELECT part FROM reach", params)  # noqa: S608, S611


def _reach(
    company_id: int, bom_type: str, plants: list[str], tops: list[str], every_revision: bool, *, by_index: bool = False
) -> tuple[str, tuple]:
    """``WITH RECURSIVE reach(part) AS (…)``: the common table of ``_reachable``'s part numbers, and its parameters.

    ``by_index`` (PostgreSQL, a few tops: a net change): each part reached looks up its revisions by the
    ``bom_in_effect`` index. The planner cannot tell how many parts the recursion reaches and guesses
    many, so it hashed every revision of the company at each level (and every release for the revisions
    read after): a net change of one item cost more the more items the company had.
    """
    revision, component = BomPlantRevision._meta.db_table, BomComponent._meta.db_table
    values = ", ".join(["(%s)"] * len(tops))
    plant_list = ", ".join(["%s"] * len(plants))
    in_effect = (
        "r.parent_part_number = reach.part AND r.company_id = %s AND r.bom_type = %s "
        f"AND r.plant_code IN ({plant_list}) "
        f"{'' if every_revision else 'AND r.effective_to >= r.valid_from '}"
    )
    # UNION (not UNION ALL) keeps each part once, so a cycle in the data ends the recursion too.
    # Only table names and placeholders are formatted in; every value is a parameter.
    if by_index:  # OFFSET 0: the subquery is not merged into a join the planner may hash
        revisions = f"CROSS JOIN LATERAL (SELECT r.release_id FROM {revision} r WHERE {in_effect}OFFSET 0) r"  # noqa: S608
    else:
        revisions = f"JOIN {revision} r ON {in_effect}"
    sql = (
        f"WITH RECURSIVE reach(part) AS (VALUES {values} UNION "  # noqa: S608
        f"SELECT c.part_number FROM reach {revisions} JOIN {component} c ON c.release_id = r.release_id)"
    )
    return sql, (*tops, company_id, bom_type, *plants)


def _per_unit(quantity_per: Decimal, base: Decimal, factor: Decimal, scrap: str | None) -> Decimal:
    """``quantity_per / base × factor × (1 + scrap)``, in ``Structures._convert``'s order."""
    per_unit = quantity_per if base == ONE else quantity_per / base
    if factor != ONE:
        per_unit *= factor
    if scrap:
        per_unit *= ONE + Decimal(scrap)
    return per_unit


def chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    """``values`` in consecutive slices of at most ``size``: the ids one statement looks up at a time."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
