"""ERP's manufacturing BOM against PLM's released revision, plant by plant."""

from __future__ import annotations

from materials.diffs import structure_diff
from materials.inputs import BOM_ENGINEERING, BOM_MANUFACTURING
from materials.models import BomComponent, BomPlantRevision, BomRelease
from procurement.models import ProcurementException
from procurement.services import WriteSource, exceptions_clear
from procurement.services.raising import exception_draft, exception_raise

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity


def mismatches_check(
    release: BomRelease,
    plants: list[str],
    *,
    source: WriteSource,
    other_heads: dict[str, BomPlantRevision] | None = None,
) -> list[ProcurementException]:
    """After ``release`` applied at ``plants``: raise ``bom_revision_mismatch`` where the other BOM type differs.

    At each plant the latest applied revision of the manufacturing BOM is compared with the
    latest of the engineering BOM (a chain for every plant stands in for a plant without its own).
    A different revision, or the same revision with different lines, is a mismatch; its
    evidence holds both revisions and the line diff from engineering to manufacturing. The same
    mismatch is raised once while it is open; once both agree again (same revision, same lines),
    the open mismatches of that parent and plant are resolved as ``auto_cleared``; when they
    disagree otherwise than before, the older mismatch is resolved as ``superseded`` by the new
    one. ``other_heads``:
    the other type's ``chain_heads`` when the caller has read them already (applying a release
    does not change them).
    """
    from .sequencing import chain_heads

    other = BOM_ENGINEERING if release.bom_type == BOM_MANUFACTURING else BOM_MANUFACTURING
    theirs = (
        other_heads
        if other_heads is not None
        else chain_heads(release.company_id, release.parent_part_number, other, None)
    )
    if not theirs:
        return []
    if "" in plants:
        plants = sorted(set(theirs) | {""})
    mine = chain_heads(release.company_id, release.parent_part_number, release.bom_type, plants)
    raised = []
    for plant in plants:
        ours, their = mine.get(plant) or mine.get(""), theirs.get(plant) or theirs.get("")
        if ours is None or their is None:
            continue
        by_type = {release.bom_type: ours, other: their}
        engineering, manufacturing = by_type[BOM_ENGINEERING], by_type[BOM_MANUFACTURING]
        diff = structure_diff(
            BomComponent.objects.filter(release_id=engineering.release_id),
            BomComponent.objects.filter(release_id=manufacturing.release_id),
        )
        if engineering.revision == manufacturing.revision and diff.empty:
            exceptions_clear(
                company_id=release.company_id,
                kind=Kind.BOM_REVISION_MISMATCH,
                dedup_key_prefix=f"bom_revision_mismatch:{release.company_id}:{release.parent_part_number}:{plant}:",
                evidence={"parent_part_number": release.parent_part_number, "plant": plant},
                reason=(
                    f"manufacturing and engineering BOM agree again on revision {engineering.revision}"
                    f"{f' at plant {plant}' if plant else ''}"
                ),
                source=source,
            )
            continue
        summary = (
            f"{release.parent_part_number}{f' at plant {plant}' if plant else ''}: manufacturing BOM revision "
            f"{manufacturing.revision} against engineering revision {engineering.revision}"
            + (" with different components" if engineering.revision == manufacturing.revision else "")
        )
        prefix = f"bom_revision_mismatch:{release.company_id}:{release.parent_part_number}:{plant}:"
        dedup_key = f"{prefix}{manufacturing.release_id}:{engineering.release_id}"
        draft = exception_draft(
            company=release.company,
            kind=Kind.BOM_REVISION_MISMATCH,
            severity=Severity.PROCUREMENT_DELAY,
            dedup_key=dedup_key,
            summary=summary,
            evidence={
                "parent_part_number": release.parent_part_number,
                "plant": plant,
                "manufacturing": {"revision": manufacturing.revision, "release": manufacturing.release_id},
                "engineering": {"revision": engineering.revision, "release": engineering.release_id},
                "diff": diff.as_evidence(),
            },
            source=source,
        )
        exception = exception_raise(draft, source=source, action="bom_revision_mismatch.raised")
        raised.append(exception)
        # The parent and plant still disagree, now between other revisions: the buyer works the
        # current mismatch, and the one it replaces says which.
        exceptions_clear(
            company_id=release.company_id,
            kind=Kind.BOM_REVISION_MISMATCH,
            dedup_key_prefix=prefix,
            evidence={"parent_part_number": release.parent_part_number, "plant": plant},
            reason=f"superseded by exception {exception.pk}: {summary}",
            source=source,
            keep_dedup_key=dedup_key,
        )
    return raised
