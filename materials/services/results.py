"""What the materials services did with what they were given."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemOutcome:
    """One item of a batch: ``created``, ``updated``, ``unchanged`` or ``refused`` (``reason`` says why)."""

    part_number: str
    outcome: str
    reason: str = ""


@dataclass(frozen=True)
class ReleaseOutcome:
    """What became of a BOM release: its row, its state (``BomRelease.State``) and why.

    ``waits_for`` is the revision a held release waits for (empty when it waits for items).
    """

    release_pk: int | None
    state: str
    reason: str = ""
    waits_for: str = ""


@dataclass(frozen=True)
class EventOutcome:
    """One inventory event of a batch: ``applied``, ``duplicate`` (the same event again: no effect),
    ``conflict`` (other content under a used id: refused and recorded) or ``refused`` (``reason``)."""

    source_event_id: str
    outcome: str
    reason: str = ""
