"""Reads of materials scoped to who is asking (``gateway.actors.Actor``).

A buyer or planner, or one of a company's systems, sees the companies it acts for; a supplier
and anyone else see nothing: another company's BOM is "not found", exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Q, QuerySet, Sum
from django.utils import timezone

from gateway.actors import Actor
from materials.diffs import ComponentChange, structure_diff
from materials.explosion import Line, Structures
from materials.models import (
    BomComponent,
    BomPlantRevision,
    BomRelease,
    InventoryBalance,
    InventoryEvent,
    InventoryReconciliation,
    PlannedPurchase,
    ProjectionRow,
    RequirementRun,
    Shortage,
)
from materials.services.errors import NotFound
from procurement.models import Company, Item, ProcurementException
from procurement.selectors import company_get_for, item_units


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
    """``parent_part_number`` (at ``revision``, ``plant_code``) uses ``quantity_per`` of
    ``component_part_number``: at level 1 the part asked about, higher up the assembly it goes into."""

    parent_part_number: str
    revision: str
    plant_code: str
    quantity_per: Decimal
    level: int
    component_part_number: str


@dataclass(frozen=True)
class ReleaseDiff:
    """Component lines added, removed and changed from ``against`` to ``release``."""

    release_pk: int
    against_pk: int | None
    against_revision: str
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[ComponentChange] = field(default_factory=list)


def _companies(actor: Actor) -> list[int]:
    return sorted(actor.company_ids) if actor.is_buyer_side else []


def bom_as_of(
    *,
    actor: Actor,
    company_code: str,
    part_number: str,
    plant_code: str,
    on: dt.date,
    bom_type: str = "manufacturing",
    serial: str | None = None,
) -> BomTree | None:
    """The indented BOM of ``part_number`` built at ``plant_code`` on ``on``; None when none is in effect.

    Effectivity is resolved at ``on`` (revision windows and line windows, both ends inclusive),
    level by level: each sub-assembly shows the revision in effect at the plant that day. Rows
    are depth-first; a group's alternates follow its primary (``is_alternate``), and are not
    expanded further. ``extended_quantity`` is per one unit of the root, in the line's unit.
    With ``serial`` (of the root's unit), a chain with serial ranges is resolved by it, as
    explosion does (``materials.explosion``). None for an actor that does not act for the company.
    """
    company = company_get_for(actor=actor, code=company_code)
    if company is None:
        return None
    structures = Structures(company.pk, bom_type, {plant_code}, for_serials=serial is not None)
    structures.load([part_number])
    root = structures.in_effect(part_number, plant_code, on, serial)
    if root is None:
        return None
    raw = structures.raw_lines
    descriptions = {
        part: units.description
        for part, units in item_units(
            company_id=company.pk, part_numbers={r[1] for rs in raw.values() for r in rs}
        ).items()
    }
    rows: list[BomRow] = []
    _indent(structures, raw, descriptions, part_number, plant_code, on, serial, 1, Decimal(1), rows, [part_number])
    return BomTree(root=part_number, revision=root.revision, rows=rows)


def _indent(
    structures: Structures,
    raw: dict[int, list[tuple]],
    descriptions: dict[str, str],
    part: str,
    plant: str,
    on: dt.date,
    serial: str | None,
    level: int,
    quantity: Decimal,
    rows: list[BomRow],
    path: list[str],
) -> None:
    revision = structures.in_effect(part, plant, on, serial)
    if revision is None:
        return
    stated = {
        id(line): stated
        for line, stated in zip(structures.lines[revision.release_id], raw[revision.release_id], strict=True)
    }
    lines = [line for line in structures.lines[revision.release_id] if line.in_effect(on)]
    primaries = {id(line) for line in structures.lines_in_effect(revision.release_id, on)}
    groups: dict[str, list[Line]] = {}
    for line in lines:
        if line.alternate_group:
            groups.setdefault(line.alternate_group, []).append(line)
    for line in lines:
        if line.alternate_group and id(line) not in primaries:
            continue
        ordered = [line]
        if line.alternate_group:
            alternates = [a for a in groups[line.alternate_group] if id(a) not in primaries]
            ordered += sorted(alternates, key=lambda a: (a.alternate_priority, a.position))
        for shown in ordered:
            position, part_number, quantity_per, uom, scrap, phantom, group, priority, _, _, base, *_ = stated[
                id(shown)
            ]
            is_alternate = id(shown) not in primaries
            rows.append(
                BomRow(
                    level=level,
                    position=position,
                    part_number=part_number,
                    description=descriptions.get(part_number, ""),
                    quantity_per=quantity_per,
                    uom=uom,
                    extended_quantity=quantity * quantity_per / base,
                    scrap_factor=scrap,
                    phantom=phantom,
                    alternate_group=group,
                    alternate_priority=priority,
                    is_alternate=is_alternate,
                    revision=revision.revision,
                )
            )
            if not is_alternate and part_number not in path:
                below = quantity * shown.per_unit / (1 + scrap)
                _indent(
                    structures,
                    raw,
                    descriptions,
                    part_number,
                    plant,
                    on,
                    serial,
                    level + 1,
                    below,
                    rows,
                    [*path, part_number],
                )


def where_used(
    *,
    actor: Actor,
    company_code: str,
    part_number: str,
    plant_code: str | None = None,
    on: dt.date | None = None,
) -> list[WhereUsedRow]:
    """Every parent that uses ``part_number``, at every level up (level 1 uses it directly).

    With ``on``, only revisions in effect that day (the latest of each chain); without, every
    applied revision still in effect today or later. With ``plant_code``, that plant's chains
    and the every-plant ones. A parent is climbed from once, at the first level it is reached;
    it has a row for each component it is reached through, with that component's quantity per
    in that revision (summed when the component sits at several positions). Empty for an actor
    that does not act for the company.
    """
    company = company_get_for(actor=actor, code=company_code)
    if company is None:
        return []
    found: list[WhereUsedRow] = []
    seen = {part_number}
    frontier, level = {part_number}, 1
    while frontier:
        lines = BomComponent.objects.filter(release__company=company, part_number__in=sorted(frontier)).values_list(
            "release_id", "part_number", "quantity_per"
        )
        quantities: dict[int, dict[str, Decimal]] = {}
        for release_id, component, quantity_per in lines:
            per_component = quantities.setdefault(release_id, {})
            per_component[component] = per_component.get(component, Decimal(0)) + quantity_per
        revisions = BomPlantRevision.objects.filter(company=company, release_id__in=sorted(quantities))
        if plant_code is not None:
            revisions = revisions.filter(plant_code__in=[plant_code, ""])
        if on is not None:
            revisions = revisions.filter(valid_from__lte=on, effective_to__gte=on)
        else:
            revisions = revisions.filter(effective_to__gte=timezone.localdate())
        chosen = list(
            revisions.order_by("parent_part_number", "plant_code", "-sequence").values_list(
                "parent_part_number", "plant_code", "sequence", "revision", "release_id", "valid_from", "effective_to"
            )
        )
        if on is not None:
            chosen = _latest_in_effect(company, chosen, on)
        next_frontier: set[str] = set()
        for parent, plant, _, revision, release_id, valid_from, effective_to in chosen:
            if effective_to < valid_from:
                continue
            for component, quantity_per in sorted(quantities[release_id].items()):
                found.append(WhereUsedRow(parent, revision, plant, quantity_per, level, component))
            if parent not in seen:
                next_frontier.add(parent)
        seen |= next_frontier
        frontier, level = next_frontier, level + 1
    return found


def part_known(*, actor: Actor, company_code: str, part_number: str) -> bool:
    """Whether the company knows ``part_number``: an item of its master, a component or a BOM's parent.

    False for an actor that does not act for the company, exactly like for a part nobody sent.
    """
    company = company_get_for(actor=actor, code=company_code)
    if company is None:
        return False
    return (
        Item.objects.filter(company=company, part_number=part_number).exists()
        or BomComponent.objects.filter(release__company=company, part_number=part_number).exists()
        or BomRelease.objects.filter(company=company, parent_part_number=part_number).exists()
    )


def _latest_in_effect(company: Company, chosen: list[tuple], on: dt.date) -> list[tuple]:
    """Of the rows found, those that are the latest revision in effect on ``on`` in their chain."""
    if not chosen:
        return []
    parents = sorted({row[0] for row in chosen})
    tops = {
        (row["parent_part_number"], row["plant_code"], row["bom_type"]): row["top"]
        for row in BomPlantRevision.objects.filter(
            company=company, parent_part_number__in=parents, valid_from__lte=on, effective_to__gte=on
        )
        .values("parent_part_number", "plant_code", "bom_type")
        .annotate(top=Max("sequence"))
    }
    kept = []
    for row in chosen:
        if any(tops.get((row[0], row[1], t)) == row[2] for t in ("manufacturing", "engineering")):
            kept.append(row)
    return kept


def bom_releases_for(
    *, actor: Actor, company_code: str | None = None, part_number: str | None = None, state: str | None = None
) -> QuerySet[BomRelease]:
    """The releases the actor may see, newest first, narrowed by company, parent part number and state."""
    releases = BomRelease.objects.filter(company_id__in=_companies(actor)).select_related("company")
    if company_code is not None:
        releases = releases.filter(company__code=company_code)
    if part_number is not None:
        releases = releases.filter(parent_part_number=part_number)
    if state is not None:
        releases = releases.filter(state=state)
    return releases.order_by("-received_at", "-pk")


def bom_release_diff(*, actor: Actor, release_pk: int, against_pk: int | None = None) -> ReleaseDiff:
    """The component changes of a release against another (by default the revision it follows).

    The default is the applied (or superseded) release of the same parent and BOM type under the
    release's previous revision; a first revision is compared with nothing (every line added).
    Raises ``NotFound`` for a release, or an ``against`` release, the actor may not see.
    """
    visible = BomRelease.objects.filter(company_id__in=_companies(actor))
    release = visible.filter(pk=release_pk).first()
    if release is None:
        raise NotFound(f"BOM release {release_pk} is not known", code="unknown_release")
    if against_pk is not None:
        against = visible.filter(pk=against_pk, company_id=release.company_id).first()
        if against is None:
            raise NotFound(f"BOM release {against_pk} is not known", code="unknown_release")
    elif release.previous_revision:
        against = (
            visible.filter(
                company_id=release.company_id,
                parent_part_number=release.parent_part_number,
                bom_type=release.bom_type,
                revision=release.previous_revision,
            )
            .filter(Q(state__in=[BomRelease.State.APPLIED, BomRelease.State.SUPERSEDED]))
            .order_by("-pk")
            .first()
        )
    else:
        against = None
    diff = structure_diff(
        BomComponent.objects.filter(release=against) if against is not None else [],
        BomComponent.objects.filter(release=release),
    )
    return ReleaseDiff(
        release_pk=release.pk,
        against_pk=against.pk if against is not None else None,
        against_revision=against.revision if against is not None else "",
        added=diff.added,
        removed=diff.removed,
        changed=diff.changed,
    )


def held_releases_for(*, actor: Actor, company_code: str | None = None) -> QuerySet[BomRelease]:
    """Held releases the actor may see, oldest first, each with ``waits_for`` / ``waits_for_items`` and its reason."""
    releases = BomRelease.objects.filter(company_id__in=_companies(actor), state=BomRelease.State.HELD)
    if company_code is not None:
        releases = releases.filter(company__code=company_code)
    return releases.select_related("company").order_by("received_at", "pk")


# --- Inventory: balances by item, an item's events, variances, reconciliation runs ---------------


@dataclass(frozen=True)
class InventoryRow:
    """One item at one plant: physical and posted summed over its positions, and each source's own sums.

    ``physical`` and ``posted`` are the largest of the sources' sums (each source sees the same
    stock, so adding them would count it twice); ``sources`` maps a source to (physical, posted).
    """

    plant_code: str
    part_number: str
    description: str
    uom: str
    physical: Decimal
    posted: Decimal
    sources: dict[str, tuple[Decimal, Decimal]]
    variance: bool
    reserved: Decimal = Decimal(0)


def inventory_items_for(*, actor: Actor, company_code: str, plant_code: str = "", part_number: str = "") -> QuerySet:
    """The (plant, item) pairs with balances the actor may see, by plant and part number: a page's worth
    is turned into rows by ``inventory_rows``. Empty for an actor that does not act for the company."""
    company = company_get_for(actor=actor, code=company_code)
    if company is None:
        return InventoryBalance.objects.none().values("plant_id", "item_id")
    balances = InventoryBalance.objects.filter(company_id=company.pk)
    if plant_code:
        balances = balances.filter(plant__code=plant_code)
    if part_number:
        balances = balances.filter(item__part_number=part_number)
    return (
        balances.values("plant_id", "item_id", "plant__code", "item__part_number")
        .distinct()
        .order_by("plant__code", "item__part_number")
    )


def inventory_rows(*, actor: Actor, pairs: list[dict]) -> tuple[list[str], list[InventoryRow]]:
    """The sources seen and one row per (plant, item) pair from ``inventory_items_for``.

    ``variance`` marks a pair with an open inventory variance exception.
    """
    companies = _companies(actor)
    item_ids = sorted({p["item_id"] for p in pairs})
    wanted = {(p["plant_id"], p["item_id"]) for p in pairs}
    sums = (
        InventoryBalance.objects.filter(company_id__in=companies, item_id__in=item_ids)
        .values("plant_id", "item_id", "source_system")
        .annotate(physical=Sum("physical"), posted=Sum("posted"), reserved=Sum("reserved"))
        .order_by()
    )
    per_pair: dict[tuple[int, int], dict[str, tuple[Decimal, Decimal]]] = {}
    reserved: dict[tuple[int, int], Decimal] = {}
    for row in sums:
        pair = (row["plant_id"], row["item_id"])
        if pair in wanted:
            per_pair.setdefault(pair, {})[row["source_system"]] = (row["physical"], row["posted"])
            reserved[pair] = max(reserved.get(pair, Decimal(0)), row["reserved"])
    items = {i.pk: i for i in Item.objects.filter(pk__in=item_ids, company_id__in=companies)}
    flagged = {
        (e.get("plant_id"), e.get("item_id"))
        for e in ProcurementException.objects.open()
        .filter(company_id__in=companies, kind=ProcurementException.Kind.INVENTORY_VARIANCE)
        .values_list("evidence", flat=True)
    }
    sources = sorted({source for by_source in per_pair.values() for source in by_source})
    rows = []
    for wanted_pair in pairs:
        key = (wanted_pair["plant_id"], wanted_pair["item_id"])
        by_source = per_pair.get(key, {})
        item = items[wanted_pair["item_id"]]
        rows.append(
            InventoryRow(
                plant_code=wanted_pair["plant__code"],
                part_number=item.part_number,
                description=item.description,
                uom=item.base_uom,
                physical=max((p for p, _ in by_source.values()), default=Decimal(0)),
                posted=max((q for _, q in by_source.values()), default=Decimal(0)),
                sources=by_source,
                variance=key in flagged,
                reserved=reserved.get(key, Decimal(0)),
            )
        )
    return sources, rows


def inventory_item_for(*, actor: Actor, company_code: str, part_number: str) -> Item | None:
    """The company's item with this part number, if the actor acts for the company; else None."""
    company = company_get_for(actor=actor, code=company_code)
    if company is None:
        return None
    return Item.objects.filter(company_id=company.pk, part_number=part_number).first()


def inventory_events_for(*, actor: Actor, item: Item, plant_code: str = "") -> QuerySet[InventoryEvent]:
    """An item's ledger, newest first (by when it happened, then by arrival); none for another company's item."""
    events = InventoryEvent.objects.filter(company_id__in=_companies(actor), item_id=item.pk).select_related("plant")
    if plant_code:
        events = events.filter(plant__code=plant_code)
    return events.order_by("-occurred_at", "-id")


def inventory_balances_for(*, actor: Actor, item: Item, plant_code: str = "") -> QuerySet[InventoryBalance]:
    """An item's balances by plant, location, lot, status and source; none for another company's item."""
    balances = InventoryBalance.objects.filter(company_id__in=_companies(actor), item_id=item.pk).select_related(
        "plant"
    )
    if plant_code:
        balances = balances.filter(plant__code=plant_code)
    return balances.order_by("plant__code", "location", "lot", "stock_status", "source_system")


def inventory_variances_for(*, actor: Actor, open_only: bool = True) -> QuerySet[ProcurementException]:
    """Inventory variance exceptions of the actor's companies, most at risk first; none for anyone else."""
    variances = ProcurementException.objects.filter(
        company_id__in=_companies(actor), kind=ProcurementException.Kind.INVENTORY_VARIANCE
    ).select_related("company")
    if open_only:
        variances = variances.open()
    return variances.order_by("severity_rank", "-raised_at", "id")


def inventory_reconciliations_for(*, actor: Actor) -> QuerySet[InventoryReconciliation]:
    """Reconciliation runs of the actor's companies, newest first; none for anyone else."""
    return InventoryReconciliation.objects.filter(company_id__in=_companies(actor)).order_by("-requested_at", "-id")


# Requirements ----------------------------------------------------------------------------------


def requirement_runs_for(*, actor: Actor, company_code: str) -> QuerySet[RequirementRun]:
    """The requirement runs of ``company_code`` if ``actor`` acts for it; none otherwise."""
    company = company_get_for(actor=actor, code=company_code)
    return RequirementRun.objects.filter(company=company) if company is not None else RequirementRun.objects.none()


def shortages_for(*, actor: Actor, company_code: str) -> QuerySet[Shortage]:
    """The current shortages of the company ``actor`` acts for, by plant and date; none for anyone else."""
    company = company_get_for(actor=actor, code=company_code)
    if company is None:
        return Shortage.objects.none()
    return Shortage.objects.filter(company=company).select_related("plant", "item", "planned_purchase__supplier")


def planned_purchases_for(*, actor: Actor, company_code: str) -> QuerySet[PlannedPurchase]:
    """The current planned purchases (and make orders) of the company ``actor`` acts for; none otherwise."""
    company = company_get_for(actor=actor, code=company_code)
    if company is None:
        return PlannedPurchase.objects.none()
    return PlannedPurchase.objects.filter(company=company).select_related("plant", "item", "supplier", "po")


def projection_for(*, actor: Actor, company_code: str, part_number: str, plant_code: str) -> list[ProjectionRow]:
    """One item's projected availability at one plant, by date; empty for an unknown or foreign item."""
    company = company_get_for(actor=actor, code=company_code)
    if company is None:
        return []
    return list(
        ProjectionRow.objects.filter(company=company, item__part_number=part_number, plant__code=plant_code).order_by(
            "date"
        )
    )
