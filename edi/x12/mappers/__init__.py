"""Mappers from parsed transaction sets to the canonical ``procurement.inputs``.

Each returns ``Mapped``: the canonical input, the mapping problems (``Issue`` records of
kind ``mapping``) and an account of the set's segments: those the input carries (``used``)
and the others (``unused``), each with its position and why it is left out. They raise only ``MappingError`` (wrong set
type). Code maps are data (``DEFAULT_CODE_MAPS``) and a partner's overrides are
passed as ``code_maps``.
"""

from __future__ import annotations

from typing import Any, Protocol

from edi.x12.envelope import TransactionSet
from edi.x12.errors import MappingError
from edi.x12.mappers.ack import map_855, map_865
from edi.x12.mappers.asn import map_856
from edi.x12.mappers.common import DEFAULT_CODE_MAPS, NOT_USED, CodeMaps, Mapped, Unused, merge_code_maps
from edi.x12.mappers.functional import Context, ElementNote, FunctionalAck, SegmentNote, SetAck, map_functional_ack
from edi.x12.mappers.invoice import map_810
from edi.x12.mappers.order import map_850


class SetMapper(Protocol):
    """What every mapper in ``MAPPERS`` takes and gives (some take more, with defaults)."""

    def __call__(self, ts: TransactionSet, code_maps: CodeMaps | None = None) -> Mapped[Any]: ...


MAPPERS: dict[str, SetMapper] = {"850": map_850, "855": map_855, "856": map_856, "810": map_810, "865": map_865}


def map_transaction_set(ts: TransactionSet, code_maps: CodeMaps | None = None) -> Mapped[Any]:
    """Map ``ts`` with the mapper for its ST01 (997/999 → ``FunctionalAck``); ``MappingError``
    if there is none."""
    if ts.st01 in ("997", "999"):
        return map_functional_ack(ts)
    mapper = MAPPERS.get(ts.st01)
    if mapper is None:
        raise MappingError(f"no mapper for transaction set {ts.st01!r}")
    return mapper(ts, code_maps)


__all__ = [
    "DEFAULT_CODE_MAPS",
    "MAPPERS",
    "NOT_USED",
    "CodeMaps",
    "Context",
    "ElementNote",
    "FunctionalAck",
    "Mapped",
    "SegmentNote",
    "SetAck",
    "Unused",
    "map_810",
    "map_850",
    "map_855",
    "map_856",
    "map_865",
    "map_functional_ack",
    "map_transaction_set",
    "merge_code_maps",
]
