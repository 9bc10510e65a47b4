"""BOM releases: stored first, then applied in revision order, held, or refused with a reason."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from gateway.actors import Actor
from materials.inputs import BOM_TYPES, RELEASE_STATUSES, BomReleaseInput
from materials.models import BomComponent, BomRelease, BomReleaseEffectivity
from materials.serials import serial_before
from procurement.inputs import fingerprint
from procurement.models import Company, Plant
from procurement.services import WriteSource
from procurement.services.audit import audit_event, audit_write

from .access import company_bom_lock, company_for, write_source
from .errors import InvalidAction, NotFound
from .results import ReleaseOutcome
from .sequencing import Loaded, release_items, release_refused_raise, release_settle

State = BomRelease.State
QUANTITY_LIMIT = Decimal(10) ** 12
# A scrap factor is a fraction of the quantity (0.05 = 5 %); ten times the quantity is no longer scrap.
SCRAP_LIMIT = Decimal(10)


def bom_release_receive(
    *, actor: Actor, release: BomReleaseInput, raw: bytes, correlation_id: str = ""
) -> ReleaseOutcome:
    """Store ``raw`` and ``release``, then settle it: applied, held, stale, duplicate or refused.

    The release row (raw bytes, sha256, source system, correlation id) and its lines are
    committed first, in a transaction of their own when the caller has none, so a failure while
    applying loses nothing. A release that breaks the input's rules (unknown BOM type, plant or
    status, a quantity that is not positive …) is stored ``refused`` with the reason. Refusals
    raise a ``bom_release_refused`` exception for the buyers' queue. When the release applies,
    held releases that waited for it apply too.

    Idempotent: the same release again is a ``duplicate`` with no effect. Raises ``NotFound``
    (code ``unknown_company``) when the actor does not act for ``release.company_code``.
    """
    company = company_for(actor, release.company_code)
    source = write_source(actor, correlation_id)
    failure: Exception | None = None
    with transaction.atomic():
        row, loaded = _store(company, release, raw, source)
        if row.state == State.REFUSED:
            release_refused_raise(row, row.state_reason, source=source)
            return ReleaseOutcome(row.pk, row.state, row.state_reason)
        try:
            # Stored first: if applying fails, only the savepoint rolls back and the release stays
            # ``received`` with its payload, to be settled again.
            with transaction.atomic():
                company_bom_lock(company)
                return release_settle(row, source=source, loaded=loaded)
        except Exception as error:  # re-raised below, once the stored release is committed
            failure = error
    raise failure


def bom_release_force(*, actor: Actor, release_pk: int) -> ReleaseOutcome:
    """A planner applies a release held for a missing predecessor, without waiting for it.

    The predecessor, should it arrive later, is ``stale``. A release that also waits for items
    stays held until they arrive, then applies without its predecessor. Raises ``NotFound`` for
    a release the actor may not see, ``InvalidAction`` (code ``not_waiting``) for one that does
    not wait for a predecessor.
    """
    with transaction.atomic():
        release = (
            BomRelease.objects.select_related("company")
            .filter(pk=release_pk, company_id__in=sorted(actor.company_ids) if actor.is_buyer_side else [])
            .first()
        )
        if release is None:
            raise NotFound(f"BOM release {release_pk} is not known", code="unknown_release")
        company_bom_lock(release.company)
        release = BomRelease.objects.select_related("company").select_for_update().get(pk=release.pk)
        if release.state != State.HELD or not release.waits_for:
            raise InvalidAction(
                f"BOM release {release_pk} does not wait for a predecessor (it is {release.state})", code="not_waiting"
            )
        source = write_source(actor, release.correlation_id)
        release.forced_by = actor.label[:120]
        release.save(update_fields=["forced_by"])
        audit_write(
            [
                audit_event(
                    source=source,
                    action="bom_release.forced",
                    obj=release,
                    company=release.company,
                    document_key=f"{release.parent_part_number}/{release.bom_type}/{release.revision}",
                    before={"waits_for": release.waits_for},
                )
            ]
        )
        return release_settle(release, source=source)


def bom_release_settle(*, release_pk: int) -> ReleaseOutcome:
    """Settle a stored release that a failure while applying left ``received`` (a task retries it by id).

    Idempotent: a release already settled is returned as it stands. Raises ``NotFound`` for an
    unknown pk.
    """
    with transaction.atomic():
        release = BomRelease.objects.select_related("company").filter(pk=release_pk).first()
        if release is None:
            raise NotFound(f"BOM release {release_pk} is not known", code="unknown_release")
        company_bom_lock(release.company)
        release = BomRelease.objects.select_related("company").select_for_update().get(pk=release_pk)
        if release.state != State.RECEIVED:
            return ReleaseOutcome(release.pk, release.state, release.state_reason, release.waits_for)
        source = WriteSource(
            channel="system", label=f"system {release.source_system}", correlation_id=release.correlation_id
        )
        return release_settle(release, source=source)


def bom_release_raw_refuse(
    *, actor: Actor, company_code: str, source_system: str, raw: bytes, reason: str, correlation_id: str = ""
) -> int:
    """Record a payload that could not even be read as a refused release; returns its pk.

    The raw bytes are kept as received; a ``bom_release_refused`` exception says why.
    Raises ``NotFound`` when the actor does not act for ``company_code``.
    """
    company = company_for(actor, company_code)
    source = write_source(actor, correlation_id)
    now = timezone.now()
    with transaction.atomic():
        row = BomRelease.objects.create(
            company=company,
            source_system=source_system[:40],
            state=State.REFUSED,
            state_reason=reason,
            raw=raw,
            sha256=hashlib.sha256(raw).hexdigest(),
            correlation_id=source.correlation_id,
            received_at=now,
            settled_at=now,
        )
        release_refused_raise(row, reason, source=source)
    return row.pk


def content_hashes(release: BomReleaseInput) -> tuple[str, str]:
    """(content hash, structure hash) of a release: its normalised content, with and without effectivity.

    Field order, line order and trailing zeros do not count; the release id, sender and status
    do not either (a re-export of the same revision is the same release).
    """
    structure = {
        "parent": release.parent_part_number,
        "bom_type": release.bom_type,
        "revision": release.revision,
        "previous_revision": release.previous_revision or "",
        "base_quantity": release.base_quantity,
        "components": sorted(
            (fingerprint(component) for component in release.components),
        ),
    }
    effectivity = sorted(fingerprint(e) for e in release.effectivity)
    return fingerprint(structure | {"effectivity": effectivity}), fingerprint(structure)


def _store(company: Company, release: BomReleaseInput, raw: bytes, source: WriteSource) -> tuple[BomRelease, Loaded]:
    """The release row, its effectivity and its lines (linked to the items known already).

    ``refused`` with the reason when the input breaks a rule; then nothing but the row is kept.
    """
    now = timezone.now()
    plants = {p.code: p for p in Plant.objects.filter(company=company)} if release.effectivity else {}
    problem = _problem(release, plants)
    content_hash, structure_hash = ("", "") if problem else content_hashes(release)
    row = BomRelease.objects.create(
        company=company,
        parent_part_number=release.parent_part_number[:64],
        bom_type=release.bom_type[:16],
        source_system=release.source_system[:40],
        release_id=release.release_id[:120],
        revision=release.revision[:40],
        previous_revision=(release.previous_revision or "")[:40],
        status=release.status[:32],
        base_quantity=release.base_quantity if not problem else Decimal(1),
        state=State.REFUSED if problem else State.RECEIVED,
        state_reason=problem,
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        content_hash=content_hash,
        structure_hash=structure_hash,
        correlation_id=source.correlation_id,
        received_at=now,
        settled_at=now if problem else None,
    )
    if problem:
        return row, Loaded([], [])
    items = release_items(company.pk, release.parent_part_number, release.components)
    effectivity = BomReleaseEffectivity.objects.bulk_create(
        BomReleaseEffectivity(
            release=row,
            plant_code=e.plant_code,
            valid_from=e.valid_from,
            valid_to=e.valid_to,
            serial_from=e.serial_from or "",
            serial_to=e.serial_to or "",
        )
        for e in release.effectivity
    )
    components = BomComponent.objects.bulk_create(
        BomComponent(
            release=row,
            position=c.position,
            part_number=c.part_number,
            item_id=items[c.part_number].pk if c.part_number in items else None,
            quantity_per=c.quantity_per,
            uom=c.uom,
            scrap_factor=c.scrap_factor,
            phantom=c.phantom,
            alternate_group=c.alternate_group,
            alternate_priority=c.alternate_priority,
            valid_from=c.valid_from,
            valid_to=c.valid_to,
        )
        for c in release.components
    )
    return row, Loaded(components, effectivity, items)


def _problem(release: BomReleaseInput, plants: dict[str, Plant]) -> str:
    """Why the release cannot be taken as given, or empty."""
    texts = (
        ("source system", release.source_system, 40),
        ("release id", release.release_id, 120),
        ("parent part number", release.parent_part_number, 64),
        ("revision", release.revision, 40),
    )
    for name, value, limit in texts:
        if not value.strip() or len(value) > limit:
            return f"the {name} must have 1 to {limit} characters"
    if release.previous_revision is not None and not 0 < len(release.previous_revision) <= 40:
        return "the previous revision must have 1 to 40 characters, or be absent for a first revision"
    if release.previous_revision == release.revision:
        return f"revision {release.revision} cannot follow itself"
    if release.bom_type not in BOM_TYPES:
        return f"the BOM type must be one of {', '.join(BOM_TYPES)}, not {release.bom_type!r}"
    if release.status not in RELEASE_STATUSES:
        return f"the status must be one of {', '.join(RELEASE_STATUSES)}, not {release.status!r}"
    if not Decimal(0) < release.base_quantity < QUANTITY_LIMIT:
        return "the base quantity must be positive"
    seen: set[str] = set()
    for window in release.effectivity:
        if window.plant_code not in plants:
            return f"plant {window.plant_code!r} is not known"
        if window.plant_code in seen:
            return f"plant {window.plant_code} is named twice"
        seen.add(window.plant_code)
        if window.valid_from and window.valid_to and window.valid_from > window.valid_to:
            return f"at plant {window.plant_code} the effectivity ends before it starts"
        if len(window.serial_from or "") > 64 or len(window.serial_to or "") > 64:
            return f"at plant {window.plant_code} a serial number is longer than 64 characters"
        if window.serial_from and window.serial_to and serial_before(window.serial_to, window.serial_from):
            return f"at plant {window.plant_code} the serial range ends before it starts"
    for c in release.components:
        line = f"line {c.position!r} ({c.part_number})"
        if not c.position.strip() or len(c.position) > 32:
            return f"{line}: the position must have 1 to 32 characters"
        if not c.part_number.strip() or len(c.part_number) > 64:
            return f"{line}: the part number must have 1 to 64 characters"
        if not Decimal(0) < c.quantity_per < QUANTITY_LIMIT:
            return f"{line}: the quantity per must be positive"
        if len(c.uom) > 8:
            return f"{line}: the unit must have at most 8 characters"
        if not Decimal(0) <= c.scrap_factor < SCRAP_LIMIT:
            return f"{line}: the scrap factor must be at least 0 and below {SCRAP_LIMIT}"
        if len(c.alternate_group) > 32 or c.alternate_priority < 0:
            return f"{line}: the alternate group must have at most 32 characters and its priority be 0 or more"
        if c.valid_from and c.valid_to and c.valid_from > c.valid_to:
            return f"{line}: its validity ends before it starts"
    return ""
