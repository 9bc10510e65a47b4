"""Settling a stored BOM release: duplicate, refused, stale, held or applied, and what follows from it.

Each (parent item, BOM type, plant) has a chain of applied revisions (``BomPlantRevision``).
A release follows the revision named by its ``previous_revision``:

- it applies at a plant when that plant's chain ends with its predecessor (or, for a plant that
  has no chain yet, when it is a first revision or its predecessor is applied at another plant);
- it waits (``held``, ``waits_for``) while its predecessor is nowhere applied, and applies as
  soon as the predecessor does, which may let further releases apply in turn;
- it is ``stale`` where the chain has already passed it, ``duplicate`` when the same content was
  received before, and ``refused`` under a used revision with other components, or when it would
  close a cycle.

A release applies whole or not at all: one whose items (or units) are unknown is held until
``items_upsert`` brings them.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from materials.inputs import BOM_ENGINEERING, BOM_MANUFACTURING, BomComponentInput
from materials.models import DATE_MAX, DATE_MIN, BomComponent, BomPlantRevision, BomRelease, BomReleaseEffectivity
from materials.units import category_factors
from procurement.models import ProcurementException
from procurement.selectors import ItemUnits, item_units
from procurement.services import WriteSource
from procurement.services.audit import audit_event, audit_write
from procurement.services.raising import exception_draft, exception_raise

from .mismatch import mismatches_check
from .results import ReleaseOutcome

State = BomRelease.State
Kind = ProcurementException.Kind
Severity = ProcurementException.Severity

# Releases that keep their release id and revision taken: a later release under either is a
# duplicate (same content) or a conflict (other content). Refused and duplicate ones take nothing.
LIVE_STATES = (State.APPLIED, State.SUPERSEDED, State.HELD, State.STALE)


@dataclass
class Verdict:
    """Where a release stands at each of its plants, before completeness and cycles are checked."""

    ready: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    stale: dict[str, str] = field(default_factory=dict)  # plant → the revision in effect there
    already: list[str] = field(default_factory=list)
    forks: dict[str, str] = field(default_factory=dict)  # plant → the revision that followed the predecessor
    heads: dict[str, BomPlantRevision | None] = field(default_factory=dict)
    tops: dict[str, BomPlantRevision] = field(default_factory=dict)  # the latest row of each chain involved
    # The latest row of each chain of the other BOM type, read with ``tops`` for the mismatch check.
    other_tops: dict[str, BomPlantRevision] = field(default_factory=dict)


@dataclass
class Loaded:
    """What settling reads of a release, when its caller has it at hand already (it just stored it)."""

    components: list[BomComponent]
    effectivity: list[BomReleaseEffectivity]
    items: dict[str, ItemUnits] | None = None

    @classmethod
    def of(cls, release: BomRelease) -> Loaded:
        return cls(list(release.components.all()), list(release.effectivity.all()))

    @property
    def plant_codes(self) -> list[str]:
        return sorted({e.plant_code for e in self.effectivity}) or [""]


def release_settle(release: BomRelease, *, source: WriteSource, loaded: Loaded | None = None) -> ReleaseOutcome:
    """Settle ``release`` (stored, ``received`` or ``held``), then every held release it unblocks.

    Call inside a transaction holding the company's BOM lock.
    """
    outcome = _settle_one(release, source=source, loaded=loaded)
    if release.state == State.APPLIED:
        _cascade(release, source=source)
    return outcome


def _cascade(applied: BomRelease, *, source: WriteSource) -> None:
    """Apply held releases waiting for what just applied, and for what those apply, in turn.

    A queue, not recursion: a long chain that closes at once costs no stack depth.
    """
    queue = deque([applied])
    while queue:
        done = queue.popleft()
        waiting = BomRelease.objects.filter(
            company_id=done.company_id,
            parent_part_number=done.parent_part_number,
            bom_type=done.bom_type,
            state=State.HELD,
            waits_for=done.revision,
        ).order_by("received_at", "pk")
        for release in waiting:
            _settle_one(release, source=source)
            if release.state == State.APPLIED:
                queue.append(release)


def _settle_one(release: BomRelease, *, source: WriteSource, loaded: Loaded | None = None) -> ReleaseOutcome:
    earlier = _earlier_twin(release, source=source)
    if earlier is not None:
        return earlier
    loaded = loaded or Loaded.of(release)
    verdict = _verdict(release, loaded.plant_codes)
    if verdict.forks:
        plant, follower = next(iter(verdict.forks.items()))
        return _refuse(
            release,
            f"revision {release.revision} follows {release.previous_revision}, but {follower} already follows "
            f"{release.previous_revision}{_at(plant)}",
            source=source,
        )
    if not verdict.ready and not verdict.waiting:
        if verdict.stale:
            plant, current = next(iter(verdict.stale.items()))
            return _finish(
                release, State.STALE, f"older than revision {current} in effect{_at(plant)}: recorded, not applied"
            )
        return _finish(
            release, State.DUPLICATE, f"revision {release.revision} is already applied at every plant it names"
        )
    waits_for = release.previous_revision if verdict.waiting and not release.forced_by else ""
    components = loaded.components
    items = loaded.items
    if items is None:
        items = release_items(release.company_id, release.parent_part_number, components)
    missing = _incomplete(release, components, items)
    if waits_for or missing:
        return _hold(release, waits_for=waits_for, missing=missing)
    cycle = _cycle(release, components)
    if cycle:
        return _refuse(release, f"it would make a cycle: {' > '.join(cycle)}", source=source, evidence={"cycle": cycle})
    plants = verdict.ready + (verdict.waiting if release.forced_by else [])
    _apply(release, loaded, items, plants, verdict, source=source)
    return ReleaseOutcome(release.pk, release.state, release.state_reason)


def _at(plant: str) -> str:
    return f" at plant {plant}" if plant else ""


def _earlier_twin(release: BomRelease, *, source: WriteSource) -> ReleaseOutcome | None:
    """The outcome when an earlier release has the same key or revision: duplicate, or refused if it differs."""
    others = (
        BomRelease.objects.filter(company_id=release.company_id, state__in=LIVE_STATES)
        .filter(
            Q(source_system=release.source_system, release_id=release.release_id)
            | Q(parent_part_number=release.parent_part_number, bom_type=release.bom_type, revision=release.revision)
        )
        .exclude(pk=release.pk)
        .order_by("pk")
        .only("pk", "source_system", "release_id", "revision", "content_hash", "structure_hash", "parent_part_number")
    )
    for other in others:
        same_key = (other.source_system, other.release_id) == (release.source_system, release.release_id)
        if other.content_hash == release.content_hash:
            release.duplicate_of = other
            return _finish(release, State.DUPLICATE, f"the same release as #{other.pk}: no effect")
        if same_key:
            return _refuse(
                release,
                f"release {release.release_id} from {release.source_system} was received before (#{other.pk}) "
                "with other content",
                source=source,
                other=other,
            )
        if other.structure_hash != release.structure_hash:
            return _refuse(
                release,
                f"revision {release.revision} of {release.parent_part_number} is already used by release "
                f"#{other.pk} with other components",
                source=source,
                other=other,
            )
    return None


def _ancestors(revision: str, graph: dict[str, str]) -> list[str]:
    """``revision`` and the revisions before it, newest first, as far as applied releases tell."""
    found, seen = [revision], {revision}
    while found[-1] in graph and graph[found[-1]] and graph[found[-1]] not in seen:
        found.append(graph[found[-1]])
        seen.add(found[-1])
    return found


def _revision_graph(release: BomRelease) -> dict[str, str]:
    """Revision → the revision it follows, for the applied (and superseded) releases of the parent and type."""
    return dict(
        BomRelease.objects.filter(
            company_id=release.company_id,
            parent_part_number=release.parent_part_number,
            bom_type=release.bom_type,
            state__in=(State.APPLIED, State.SUPERSEDED),
        )
        .order_by("pk")
        .values_list("revision", "previous_revision")
    )


def _verdict(release: BomRelease, plants: list[str]) -> Verdict:
    verdict = Verdict()
    heads, verdict.other_tops = _both_chain_heads(release, plants)
    verdict.tops = heads
    previous = release.previous_revision
    known: dict[str, str] | None = None
    for plant in plants:
        head = heads.get(plant) or heads.get("")
        verdict.heads[plant] = head
        if head is None and previous == "":
            verdict.ready.append(plant)
            continue
        if head is not None and head.revision in (release.revision, previous):
            (verdict.already if head.revision == release.revision else verdict.ready).append(plant)
            continue
        graph = known = known if known is not None else _revision_graph(release)
        if head is None:
            (verdict.ready if previous in graph else verdict.waiting).append(plant)
        elif release.revision in _ancestors(head.revision, graph) or previous == "":
            verdict.stale[plant] = head.revision
        elif previous in graph:
            if head.revision in _ancestors(previous, graph):
                verdict.ready.append(plant)  # the predecessor is applied at another plant, after this one's head
            else:
                follower = next((r for r, p in graph.items() if p == previous), head.revision)
                verdict.forks[plant] = follower
        else:
            verdict.waiting.append(plant)
    return verdict


def chain_heads(company_id: int, parent: str, bom_type: str, plants: list[str] | None) -> dict[str, BomPlantRevision]:
    """The latest applied revision of each chain among ``plants`` and of the every-plant chain (one query).

    ``plants`` None: of every chain of the parent and type.
    """
    latest = (
        BomPlantRevision.objects.filter(
            company_id=OuterRef("company_id"),
            parent_part_number=OuterRef("parent_part_number"),
            bom_type=OuterRef("bom_type"),
            plant_code=OuterRef("plant_code"),
        )
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    rows = BomPlantRevision.objects.filter(
        company_id=company_id, parent_part_number=parent, bom_type=bom_type, sequence=Subquery(latest)
    )
    if plants is not None:
        rows = rows.filter(plant_code__in=sorted(set(plants) | {""}))
    return {row.plant_code: row for row in rows}


def _both_chain_heads(
    release: BomRelease, plants: list[str]
) -> tuple[dict[str, BomPlantRevision], dict[str, BomPlantRevision]]:
    """``chain_heads`` of the release's BOM type at ``plants``, and of every chain of the other type, in one query."""
    other = BOM_ENGINEERING if release.bom_type == BOM_MANUFACTURING else BOM_MANUFACTURING
    latest = (
        BomPlantRevision.objects.filter(
            company_id=OuterRef("company_id"),
            parent_part_number=OuterRef("parent_part_number"),
            bom_type=OuterRef("bom_type"),
            plant_code=OuterRef("plant_code"),
        )
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    rows = BomPlantRevision.objects.filter(
        Q(bom_type=release.bom_type, plant_code__in=sorted(set(plants) | {""})) | Q(bom_type=other),
        company_id=release.company_id,
        parent_part_number=release.parent_part_number,
        sequence=Subquery(latest),
    )
    mine: dict[str, BomPlantRevision] = {}
    theirs: dict[str, BomPlantRevision] = {}
    for row in rows:
        (mine if row.bom_type == release.bom_type else theirs)[row.plant_code] = row
    return mine, theirs


def release_items(
    company_id: int, parent: str, components: Sequence[BomComponent | BomComponentInput]
) -> dict[str, ItemUnits]:
    """The parent's and components' items by part number: one query, and one more for their unit
    conversions only when a line is in another unit than its item's base unit."""
    items = item_units(
        company_id=company_id, part_numbers={parent} | {c.part_number for c in components}, factors=False
    )
    converting = {
        c.part_number
        for c in components
        if c.uom and (item := items.get(c.part_number)) is not None and c.uom != item.base_uom
    }
    if converting:
        items.update(item_units(company_id=company_id, part_numbers=converting))
    return items


def _incomplete(release: BomRelease, components: list[BomComponent], items: dict[str, ItemUnits]) -> dict[str, str]:
    """Part number → why it stops the release: an unknown item, or a unit that does not convert."""
    missing: dict[str, str] = {}
    if release.parent_part_number not in items:
        missing[release.parent_part_number] = f"item {release.parent_part_number} is not known"
    unconverted: list[tuple[BomComponent, ItemUnits]] = []
    for component in components:
        item = items.get(component.part_number)
        if item is None:
            missing.setdefault(component.part_number, f"item {component.part_number} is not known")
        elif component.uom and component.uom != item.base_uom and component.uom not in item.factors:
            unconverted.append((component, item))
    if unconverted:
        by_category = category_factors(release.company_id, [item.pk for _, item in unconverted])
        for component, item in unconverted:
            if component.uom not in by_category.get(item.pk, {}):
                missing.setdefault(
                    component.part_number,
                    f"unit {component.uom} of {component.part_number} does not convert to {item.base_uom}",
                )
    return missing


def _cycle(release: BomRelease, components: list[BomComponent]) -> list[str]:
    """The path ``parent > … > parent`` this release would close through structures in effect, or []."""
    parent = release.parent_part_number
    came_from: dict[str, str] = {}
    frontier = []
    for component in components:
        if component.part_number == parent:
            return [parent, parent]
        if component.part_number not in came_from:
            came_from[component.part_number] = parent
            frontier.append(component.part_number)
    today = timezone.localdate()
    while frontier:
        # Most components are bought parts without a BOM: find the releases in effect first (an
        # index range), and read lines only when there are some.
        in_effect = dict(
            BomPlantRevision.objects.filter(
                company_id=release.company_id,
                bom_type=release.bom_type,
                parent_part_number__in=frontier,
                effective_to__gte=today,
            ).values_list("release_id", "parent_part_number")
        )
        frontier = []
        if not in_effect:
            break
        edges = {
            (in_effect[release_id], part)
            for release_id, part in BomComponent.objects.filter(release_id__in=list(in_effect)).values_list(
                "release_id", "part_number"
            )
        }
        for above, below in sorted(edges):
            if below == parent:
                path = [parent, above]
                while path[-1] != parent:
                    path.append(came_from[path[-1]])
                return list(reversed(path))
            if below not in came_from:
                came_from[below] = above
                frontier.append(below)
    return []


def _apply(
    release: BomRelease,
    loaded: Loaded,
    items: dict[str, ItemUnits],
    plants: list[str],
    verdict: Verdict,
    *,
    source: WriteSource,
) -> None:
    now = timezone.now()
    windows = {e.plant_code: e for e in loaded.effectivity}
    previous_releases: set[int] = set()
    chain_tops = verdict.tops
    new_rows, cut_rows = [], []
    for plant in plants:
        head = verdict.heads.get(plant)
        window = windows.get(plant)
        valid_from = (window.valid_from if window else None) or DATE_MIN
        own = chain_tops.get(plant)
        if own is not None:
            own.effective_to = (
                min(own.effective_to, valid_from - dt.timedelta(days=1)) if valid_from > DATE_MIN else DATE_MIN
            )
            cut_rows.append(own)
            previous_releases.add(own.release_id)
        sequence = (
            max(
                [r.sequence for r in chain_tops.values() if r.plant_code in (plant, "")]
                + [head.sequence if head else 0]
            )
            + 1
        )
        new_rows.append(
            BomPlantRevision(
                company_id=release.company_id,
                parent_part_number=release.parent_part_number,
                bom_type=release.bom_type,
                plant_code=plant,
                sequence=sequence,
                release=release,
                revision=release.revision,
                valid_from=valid_from,
                valid_to=(window.valid_to if window else None) or DATE_MAX,
                effective_to=(window.valid_to if window else None) or DATE_MAX,
                serial_from=window.serial_from if window else "",
                serial_to=window.serial_to if window else "",
                applied_at=now,
            )
        )
    if cut_rows:
        BomPlantRevision.objects.bulk_update(cut_rows, ["effective_to"])
    BomPlantRevision.objects.bulk_create(new_rows)
    unlinked = [c for c in loaded.components if c.item_id is None]
    for component in unlinked:
        component.item_id = items[component.part_number].pk
    if unlinked:
        BomComponent.objects.bulk_update(unlinked, ["item_id"])
    notes = []
    if verdict.stale:
        notes.append(
            "stale at " + ", ".join(f"{p or 'every plant'} (in effect: {r})" for p, r in verdict.stale.items())
        )
    if release.forced_by:
        notes.append(f"released by {release.forced_by} without revision {release.previous_revision}")
    release.parent_item_id = items[release.parent_part_number].pk
    release.waits_for, release.waits_for_items = "", []
    release.applied_at = now
    _finish(release, State.APPLIED, "; ".join(notes), extra=["parent_item", "applied_at"])
    if previous_releases - {release.pk}:
        _supersede(previous_releases - {release.pk})
    audit_write(
        [
            audit_event(
                source=source,
                action="bom_release.applied",
                obj=release,
                company=release.company,
                document_key=f"{release.parent_part_number}/{release.bom_type}/{release.revision}",
                after={"plants": plants, "revision": release.revision, "previous_revision": release.previous_revision},
                now=now,
            )
        ]
    )
    mismatches_check(release, plants, source=source, other_heads=verdict.other_tops)
    if release.bom_type == BOM_MANUFACTURING:
        # Deferred import: requirements read structures through materials.explosion, which reads these rows.
        from materials.services.requirements import structure_replan

        structure_replan(release.company_id, release.parent_item_id, plants)


def _supersede(release_ids: set[int]) -> None:
    """Mark ``superseded`` the releases that no longer end any chain (one UPDATE)."""
    later = BomPlantRevision.objects.filter(
        company_id=OuterRef("company_id"),
        parent_part_number=OuterRef("parent_part_number"),
        bom_type=OuterRef("bom_type"),
        plant_code=OuterRef("plant_code"),
        sequence__gt=OuterRef("sequence"),
    )
    chain_ends = BomPlantRevision.objects.filter(release_id=OuterRef("pk")).exclude(Exists(later))
    BomRelease.objects.filter(pk__in=sorted(release_ids), state=State.APPLIED).exclude(Exists(chain_ends)).update(
        state=State.SUPERSEDED
    )


def _hold(release: BomRelease, *, waits_for: str, missing: dict[str, str]) -> ReleaseOutcome:
    reasons = []
    if waits_for:
        reasons.append(f"waits for revision {waits_for} of {release.parent_part_number}")
    reasons += [missing[part] for part in sorted(missing)]
    release.waits_for, release.waits_for_items = waits_for, sorted(missing)
    return _finish(release, State.HELD, "; ".join(reasons))


def _finish(release: BomRelease, state: str, reason: str, *, extra: list[str] | None = None) -> ReleaseOutcome:
    release.state, release.state_reason, release.settled_at = state, reason, timezone.now()
    if state != State.HELD:
        release.waits_for, release.waits_for_items = "", []
    release.save(
        update_fields=["state", "state_reason", "settled_at", "waits_for", "waits_for_items", "duplicate_of"]
        + (extra or [])
    )
    return ReleaseOutcome(release.pk, state, reason, release.waits_for)


def _refuse(
    release: BomRelease,
    reason: str,
    *,
    source: WriteSource | None,
    evidence: dict | None = None,
    other: BomRelease | None = None,
) -> ReleaseOutcome:
    """Refuse ``release`` with ``reason``; the buyers' queue gets a ``bom_release_refused`` exception."""
    outcome = _finish(release, State.REFUSED, reason)
    release_refused_raise(
        release, reason, source=source, evidence=(evidence or {}) | ({"conflicts_with": other.pk} if other else {})
    )
    return outcome


def release_refused_raise(
    release: BomRelease, reason: str, *, source: WriteSource | None, evidence: dict | None = None
) -> ProcurementException:
    source = source or WriteSource(channel="system", label=release.source_system, correlation_id=release.correlation_id)
    summary = (
        f"BOM release {release.release_id or f'#{release.pk}'} of {release.parent_part_number or '?'} refused: {reason}"
    )
    draft = exception_draft(
        company=release.company,
        kind=Kind.BOM_RELEASE_REFUSED,
        severity=Severity.DATA_QUALITY,
        dedup_key=f"bom_release_refused:{release.pk}",
        summary=summary,
        evidence={
            "release": release.pk,
            "source_system": release.source_system,
            "release_id": release.release_id,
            "parent_part_number": release.parent_part_number,
            "revision": release.revision,
            "reason": reason,
        }
        | (evidence or {}),
        source=source,
    )
    return exception_raise(draft, source=source, action="bom_release.refused")
