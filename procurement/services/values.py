"""How the write path writes values: into JSON columns (``jsonable``) and into messages (``num``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from procurement import inputs


def num(value: Decimal) -> str:
    """A quantity or price as people write it: no trailing zeros from the column's scale."""
    return format(value.normalize(), "f")


def jsonable(value: Any) -> Any:
    """``inputs.canonical_json``: the one normaliser for audit rows, evidence, diffs and payloads."""
    return inputs.canonical_json(value)
