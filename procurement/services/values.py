"""How the write path writes values: into JSON columns (``jsonable``) and into messages (``num``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


def num(value: Decimal) -> str:
    """A quantity or price as people write it: no trailing zeros from the column's scale."""
    return format(value.normalize(), "f")


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        # 60 stays "60" (normalize alone would give "6E+1"); 10.50 keeps its scale as sent.
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
