"""BOM releases: stored first, then applied in revision order, held, or refused with a reason."""

from __future__ import annotations

from gateway.actors import Actor
from materials.inputs import BomReleaseInput

from .results import ReleaseOutcome


def bom_release_receive(
    *, actor: Actor, release: BomReleaseInput, raw: bytes, correlation_id: str = ""
) -> ReleaseOutcome:
    """Store ``raw`` and apply ``release`` as far as its predecessors and items allow."""
    raise NotImplementedError


def bom_release_force(*, actor: Actor, release_pk: int) -> ReleaseOutcome:
    """A planner applies a release held for a missing predecessor, without waiting for it."""
    raise NotImplementedError


def bom_release_raw_refuse(
    *, actor: Actor, company_code: str, source_system: str, raw: bytes, reason: str, correlation_id: str = ""
) -> int:
    """Record a payload that could not even be read as a refused release; returns its pk."""
    raise NotImplementedError
