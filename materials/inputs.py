"""Canonical inputs of the materials write path.

The channels (the system API, the PLM/ERP file drop, the workbench) translate what they receive
into these frozen dataclasses, then call a service in ``materials.services``. Like
``procurement.inputs`` they carry no Django imports. Quantities are ``Decimal``; dates are
``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from procurement.inputs import OMIT_WHEN_DEFAULT

MAKE = "make"
BUY = "buy"
MAKE_OR_BUY = (MAKE, BUY)

BOM_ENGINEERING = "engineering"
BOM_MANUFACTURING = "manufacturing"
BOM_TYPES = (BOM_ENGINEERING, BOM_MANUFACTURING)

STATUS_ENGINEERING_RELEASED = "engineering_released"
STATUS_APPROVED_FOR_PRODUCTION = "approved_for_production"
RELEASE_STATUSES = (STATUS_ENGINEERING_RELEASED, STATUS_APPROVED_FOR_PRODUCTION)


@dataclass(frozen=True)
class UomConversionInput:
    """``1 uom = factor × the item's base unit``."""

    uom: str
    factor: Decimal


@dataclass(frozen=True)
class ItemPlantInput:
    """Planning parameters of one item at one plant; ``None`` means "the item's own value"."""

    plant_code: str
    lead_time_days: int | None = None
    safety_stock: Decimal | None = None
    moq: Decimal | None = None
    order_multiple: Decimal | None = None
    max_lot: Decimal | None = None
    # Days stock stays in quality inspection at this plant (its own lab, its own queue); left out of
    # the stored version when None.
    inspection_days: int | None = field(default=None, metadata=OMIT_WHEN_DEFAULT)


@dataclass(frozen=True)
class ApprovedSupplierInput:
    """A supplier approved for the item, with its part number; priority 1 is asked first."""

    supplier_code: str
    supplier_part_number: str = ""
    priority: int = 1
    lead_time_days: int | None = None
    moq: Decimal | None = None


@dataclass(frozen=True)
class ItemInput:
    """One item of the ERP's item master, whole: what it omits (conversions, plants, suppliers) it no longer has."""

    part_number: str
    description: str = ""
    base_uom: str = "EA"
    category: str = ""
    make_or_buy: str = BUY
    lead_time_days: int = 0
    moq: Decimal = Decimal(1)
    order_multiple: Decimal = Decimal(1)
    safety_stock: Decimal = Decimal(0)
    max_lot: Decimal | None = None  # the most one planned order may be; None: no maximum
    conversions: tuple[UomConversionInput, ...] = ()
    plants: tuple[ItemPlantInput, ...] = ()
    approved_suppliers: tuple[ApprovedSupplierInput, ...] = ()
    # Days stock stays in quality inspection before planning may use it (left out of the stored version at 0).
    inspection_days: int = field(default=0, metadata=OMIT_WHEN_DEFAULT)


@dataclass(frozen=True)
class ItemBatchInput:
    company_code: str
    source_system: str
    items: tuple[ItemInput, ...]


@dataclass(frozen=True)
class EffectivityInput:
    """Where and when a release is in effect: one plant, a date range and/or a serial range.

    Both dates are inclusive: a release valid from 2027-03-01 to 2027-03-31 is in effect on
    both of those days. ``None`` leaves that end open.
    """

    plant_code: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    serial_from: str | None = None
    serial_to: str | None = None


@dataclass(frozen=True)
class BomComponentInput:
    """One line of a BOM release.

    ``alternate_group`` empty is a plain line; lines sharing a group are alternates or
    substitutes of one another, the lowest ``alternate_priority`` first (0 = primary).
    ``quantity_per`` is per ``base_quantity`` of the parent, in ``uom`` (empty: the component's
    base unit). ``valid_from``/``valid_to`` (inclusive) narrow the line within the release.
    """

    position: str
    part_number: str
    quantity_per: Decimal
    uom: str = ""
    scrap_factor: Decimal = Decimal(0)
    phantom: bool = False
    alternate_group: str = ""
    alternate_priority: int = 0
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


@dataclass(frozen=True)
class BomReleaseInput:
    """One immutable version (``revision``) of one parent item's structure, from PLM or ERP.

    ``previous_revision`` is the revision it follows (``None`` for the first one): releases are
    applied in that order whatever order they arrive in. No ``effectivity`` means every plant, always.
    """

    company_code: str
    source_system: str
    bom_type: str
    release_id: str
    parent_part_number: str
    revision: str
    previous_revision: str | None
    status: str
    base_quantity: Decimal = Decimal(1)
    effectivity: tuple[EffectivityInput, ...] = ()
    components: tuple[BomComponentInput, ...] = ()


INVENTORY_KINDS = ("receipt", "issue", "transfer", "adjustment", "scrap", "status_change", "count", "reservation")
STOCK_STATUSES = ("usable", "quarantine", "blocked")
POSTINGS = ("physical", "posted")


@dataclass(frozen=True)
class InventoryEventInput:
    """One stock movement as a source system (ERP, WMS, MES) reports it.

    ``quantity`` is in ``uom`` (empty: the item's base unit), with the sign convention of
    ``materials.models.InventoryEvent``: positive except for an adjustment and a reservation
    (signed) and a count (absolute). ``source_sequence`` orders the source's events of one plant and item.
    """

    plant_code: str
    part_number: str
    kind: str
    quantity: Decimal
    source_event_id: str
    source_sequence: int
    occurred_at: dt.datetime
    uom: str = ""
    location: str = ""
    to_location: str = ""
    lot: str = ""
    serial: str = ""
    stock_status: str = "usable"
    to_status: str = ""
    posting: str = "physical"


@dataclass(frozen=True)
class InventorySnapshotLineInput:
    """One absolute balance of a snapshot: what the system holds at (plant, item, location, lot, status)."""

    plant_code: str
    part_number: str
    quantity: Decimal
    uom: str = ""
    location: str = ""
    lot: str = ""
    stock_status: str = "usable"


SNAPSHOT_SCOPES = ("full", "partial")


@dataclass(frozen=True)
class InventorySnapshotInput:
    """Balances from a system that only exports balances, taken at ``taken_at``; ``sequence`` orders it
    among the system's events (a snapshot is a set of counts).

    ``scope``: ``full`` — the snapshot is everything the system holds on its ``posting`` side at the
    plants it covers (``plants``, and those its lines name), narrowed to ``locations`` when given:
    a position there it does not list is counted as zero. ``partial`` — only the listed positions
    are counted; the others keep their balances.
    """

    snapshot_id: str
    sequence: int
    taken_at: dt.datetime
    posting: str
    lines: tuple[InventorySnapshotLineInput, ...]
    scope: str = "partial"
    plants: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()


DEMAND_KINDS = ("production_order", "master_schedule", "independent")


@dataclass(frozen=True)
class DemandInput:
    """One demand as the ERP/MES sends it, idempotent on ``source_id``; ``cancelled`` withdraws it."""

    source_id: str
    kind: str
    part_number: str
    plant_code: str
    quantity: Decimal
    need_date: dt.date
    reference: str = ""
    cancelled: bool = False


@dataclass(frozen=True)
class DemandBatchInput:
    company_code: str
    source_system: str
    demands: tuple[DemandInput, ...]
