"""Transaction-set schemas as data, and how a set finds its schema.

``get_schema("850", "004010VICS")`` returns the 004010 850; a version without its own
schema falls back to the nearest one (the highest schema version not above it, else
the lowest), so 003010 and 004060 sets are read with the 004010 tables.
"""

from __future__ import annotations

from functools import cache, lru_cache

from edi.x12.errors import SchemaNotFoundError
from edi.x12.schemas import dictionary, segments
from edi.x12.schemas.model import (
    CompositeDef,
    ElementDef,
    ElementUse,
    LoopDef,
    SegmentDef,
    SegmentUse,
    SetSchema,
    SyntaxNote,
    parse_table,
    segment_ids,
)
from edi.x12.schemas.sets import SETS
from edi.x12.tokenizer import is_digits

__all__ = [
    "CompositeDef",
    "ElementDef",
    "ElementUse",
    "LoopDef",
    "SegmentDef",
    "SegmentUse",
    "SetSchema",
    "SyntaxNote",
    "base_version",
    "get_schema",
    "known_segments",
    "schema_versions",
]


def base_version(version: str) -> str:
    """The six-digit release in a GS08 value: ``"004010VICS"`` → ``"004010"``."""
    head = version.strip()[:6]
    return head if len(head) == 6 and is_digits(head) else ""


def schema_versions(set_id: str) -> list[str]:
    return sorted(v for s, v in SETS if s == set_id)


@cache
def _segments(version: str) -> dict[str, SegmentDef]:
    elements, composites = dictionary.build(version)
    return segments.build(version, elements, composites)


def known_segments(version: str = "004010") -> dict[str, SegmentDef]:
    """Every segment definition the library knows, for ``version``'s dictionary."""
    return _segments("005010" if version >= "005010" else "004010")


@cache
def _build(set_id: str, version: str) -> SetSchema:
    functional_id, name, table, hierarchical = SETS[(set_id, version)]
    root = parse_table(table, _segments(version), name=set_id)
    return SetSchema(set_id, version, functional_id, name, root, hierarchical, segment_ids(root))


def get_schema(set_id: str, version: str) -> SetSchema:
    """The schema for ST01 ``set_id`` under GS08 ``version`` (nearest version if needed).

    Raises ``SchemaNotFoundError`` when the set is not described in any version.
    """
    chosen = _nearest_version(set_id, base_version(version))
    if chosen is None:
        raise SchemaNotFoundError(f"no schema for transaction set {set_id!r}")
    return _build(set_id, chosen)


@lru_cache(maxsize=1024)
def _nearest_version(set_id: str, base: str) -> str | None:
    """The version of ``set_id``'s schema that answers release ``base`` (asked once per set read:
    a file of thousands of tiny sets asks it thousands of times)."""
    available = schema_versions(set_id)
    if not available:
        return None
    base = base or available[0]
    lower = [v for v in available if v <= base]
    return lower[-1] if lower else available[0]
