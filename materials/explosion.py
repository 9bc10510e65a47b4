"""Gross requirements of every component at every level, from demands for parent items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Demand:
    part_number: str
    plant_code: str
    quantity: Decimal
    need_date: dt.date


def explode(
    *, company_id: int, demands: Iterable[Demand], bom_type: str = "manufacturing"
) -> dict[tuple[str, str, dt.date], Decimal]:
    """(plant code, part number, need date) → gross quantity of each component the demands need."""
    raise NotImplementedError
