"""How the write path writes values into JSON columns (``jsonable``); messages word numbers with
``gateway.formatting`` (``plain_number``, ``price_text``), as pages do."""

from __future__ import annotations

from typing import Any

from procurement import inputs


def jsonable(value: Any) -> Any:
    """``inputs.canonical_json``: the one normaliser for audit rows, evidence, diffs and payloads."""
    return inputs.canonical_json(value)
