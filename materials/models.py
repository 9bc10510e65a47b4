"""Materials: planning data beside procurement's items, and BOM releases as immutable versions.

``procurement.Item`` stays THE item (a PO line's item is the same item); this app adds what
planning needs beside it. A BOM release is stored as it arrived (raw bytes, hash, sender,
correlation id) and never changes afterwards; what a plant builds on a date is read from
``BomPlantRevision``, the applied revision chain per (parent item, BOM type, plant).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models

from materials import inputs

# A window's open ends, stored as dates so "in effect on D" is one indexed range condition.
DATE_MIN = dt.date(1, 1, 1)
DATE_MAX = dt.date(9999, 12, 31)


def quantity(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=4, **kwargs)


def factor(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=6, **kwargs)


class ItemPlanning(models.Model):
    """The planning data of one item: category, make or buy, lead time and lot sizing."""

    class MakeOrBuy(models.TextChoices):
        MAKE = inputs.MAKE, "Make"
        BUY = inputs.BUY, "Buy"

    item = models.OneToOneField("procurement.Item", on_delete=models.CASCADE, related_name="planning")
    category = models.CharField(max_length=64, blank=True)
    make_or_buy = models.CharField(max_length=8, choices=MakeOrBuy.choices, default=MakeOrBuy.BUY)
    lead_time_days = models.PositiveIntegerField(default=0)
    moq = quantity(default=Decimal(1))
    order_multiple = quantity(default=Decimal(1))
    safety_stock = quantity(default=Decimal(0))
    max_lot = quantity(null=True, blank=True, help_text="The most one planned order may be; empty: no maximum.")
    inspection_days = models.PositiveIntegerField(
        default=0, help_text="Days stock stays in quality inspection (quarantine) before planning may use it."
    )
    version = models.PositiveIntegerField(default=1, help_text="The item's latest ItemVersion.")
    source_system = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"planning of item #{self.item_id}"


class ItemPlantPlanning(models.Model):
    """One item's parameters at one plant; empty values fall back to the item's own."""

    item = models.ForeignKey("procurement.Item", on_delete=models.CASCADE, related_name="plant_planning")
    plant = models.ForeignKey("procurement.Plant", on_delete=models.CASCADE, related_name="+")
    lead_time_days = models.PositiveIntegerField(null=True, blank=True)
    safety_stock = quantity(null=True, blank=True)
    moq = quantity(null=True, blank=True)
    order_multiple = quantity(null=True, blank=True)
    max_lot = quantity(null=True, blank=True)
    inspection_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days stock stays in quality inspection at this plant; empty: the item's."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "plant"], name="item_plant_planning_unique")]


class ApprovedSupplier(models.Model):
    """A supplier approved for an item, ranked: the ``SupplierItem`` (its part number, lead time, MOQ)
    with the priority the ERP gives it (1 is asked first)."""

    supplier_item = models.OneToOneField("procurement.SupplierItem", on_delete=models.CASCADE, related_name="approval")
    item = models.ForeignKey("procurement.Item", on_delete=models.CASCADE, related_name="approved_suppliers")
    priority = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["item", "priority"])]


class ItemVersion(models.Model):
    """Each change of an item's master data, as a numbered snapshot: who sent it and what it was."""

    item = models.ForeignKey("procurement.Item", on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    source_system = models.CharField(max_length=40)
    correlation_id = models.CharField(max_length=64, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "version"]
        constraints = [models.UniqueConstraint(fields=["item", "version"], name="item_version_unique")]


class CategoryUomConversion(models.Model):
    """``1 uom = factor × base_uom`` for every item of ``category`` whose base unit is ``base_uom``.

    An item's own conversion (``procurement.UomConversion``) wins over its category's.
    """

    company = models.ForeignKey("procurement.Company", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=64)
    uom = models.CharField(max_length=8)
    base_uom = models.CharField(max_length=8)
    factor = factor()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "category", "uom", "base_uom"], name="category_uom_conversion_unique"
            )
        ]


class BomRelease(models.Model):
    """One BOM release exactly as received, and what became of it. Never edited after it settles.

    ``content_hash`` is the sha256 of the normalised content (structure, effectivity, revision
    chain), so the same release re-exported with other whitespace or field order is recognised.
    """

    class State(models.TextChoices):
        RECEIVED = "received", "Received, not yet settled"
        APPLIED = "applied", "Applied"
        HELD = "held", "Held"
        SUPERSEDED = "superseded", "Superseded by a later revision"
        STALE = "stale", "Older than the revision in effect: recorded, not applied"
        DUPLICATE = "duplicate", "Same release again: no effect"
        REFUSED = "refused", "Refused"

    class BomType(models.TextChoices):
        ENGINEERING = inputs.BOM_ENGINEERING, "Engineering (PLM)"
        MANUFACTURING = inputs.BOM_MANUFACTURING, "Manufacturing (ERP)"

    class Status(models.TextChoices):
        ENGINEERING_RELEASED = inputs.STATUS_ENGINEERING_RELEASED, "Engineering released"
        APPROVED_FOR_PRODUCTION = inputs.STATUS_APPROVED_FOR_PRODUCTION, "Approved for production"

    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="+")
    parent_item = models.ForeignKey(
        "procurement.Item", null=True, blank=True, on_delete=models.PROTECT, related_name="bom_releases"
    )
    parent_part_number = models.CharField(max_length=64, blank=True)
    bom_type = models.CharField(max_length=16, blank=True)
    source_system = models.CharField(max_length=40)
    release_id = models.CharField(max_length=120, blank=True)
    revision = models.CharField(max_length=40, blank=True)
    previous_revision = models.CharField(max_length=40, blank=True, help_text="Empty for a first revision.")
    status = models.CharField(max_length=32, blank=True)
    base_quantity = quantity(default=Decimal(1))
    state = models.CharField(max_length=16, choices=State.choices, default=State.RECEIVED)
    state_reason = models.TextField(blank=True)
    waits_for = models.CharField(max_length=40, blank=True, help_text="The revision a held release waits for.")
    waits_for_items = models.JSONField(
        default=list, blank=True, help_text="Part numbers whose item or unit conversion a held release waits for."
    )
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    forced_by = models.CharField(max_length=120, blank=True, help_text="Who released it past a missing predecessor.")
    raw = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64, blank=True)
    structure_hash = models.CharField(
        max_length=64, blank=True, help_text="The content's hash without its effectivity: what is built, not where."
    )
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    received_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["company", "parent_part_number", "bom_type", "revision"], name="bom_release_revision"),
            models.Index(fields=["company", "source_system", "release_id"], name="bom_release_key"),
            models.Index(fields=["company", "state"], name="bom_release_state"),
        ]

    def __str__(self) -> str:
        return f"{self.parent_part_number} rev {self.revision} ({self.bom_type}, {self.state})"

    def plant_codes(self) -> list[str]:
        """The plants the release names, or ``[""]`` (every plant) when it names none."""
        return sorted({e.plant_code for e in self.effectivity.all()}) or [""]


class BomReleaseEffectivity(models.Model):
    """Where and when a release is in effect. ``plant_code`` empty: every plant. Dates inclusive."""

    release = models.ForeignKey(BomRelease, on_delete=models.CASCADE, related_name="effectivity")
    plant_code = models.CharField(max_length=32, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    serial_from = models.CharField(max_length=64, blank=True)
    serial_to = models.CharField(max_length=64, blank=True)


class BomComponent(models.Model):
    """One line of a release: ``quantity_per`` per ``base_quantity`` of the parent, in ``uom``."""

    release = models.ForeignKey(BomRelease, on_delete=models.CASCADE, related_name="components")
    position = models.CharField(max_length=32)
    part_number = models.CharField(max_length=64)
    item = models.ForeignKey("procurement.Item", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity_per = quantity()
    uom = models.CharField(max_length=8, blank=True, help_text="Empty: the component's base unit.")
    scrap_factor = factor(default=Decimal(0))
    phantom = models.BooleanField(default=False)
    alternate_group = models.CharField(max_length=32, blank=True)
    alternate_priority = models.PositiveIntegerField(default=0)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["release", "id"]
        indexes = [models.Index(fields=["part_number"], name="bom_component_part")]


class BomPlantRevision(models.Model):
    """One applied revision in the chain of (parent item, BOM type, plant): what is built when.

    ``plant_code`` empty is the chain of a release without plants (every plant). ``sequence``
    orders a chain. ``valid_from``..``effective_to`` (inclusive) is when this revision is in
    effect: its own window, cut short the day before the next revision in the chain takes effect.
    "What does plant P build on D" is one indexed query: the row of P (or of every plant) whose
    window holds D, latest sequence first.
    """

    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="+")
    parent_part_number = models.CharField(max_length=64)
    bom_type = models.CharField(max_length=16)
    plant_code = models.CharField(max_length=32, blank=True)
    sequence = models.PositiveIntegerField()
    release = models.ForeignKey(BomRelease, on_delete=models.PROTECT, related_name="plant_revisions")
    revision = models.CharField(max_length=40)
    valid_from = models.DateField(default=DATE_MIN)
    valid_to = models.DateField(default=DATE_MAX, help_text="The release's own end, inclusive.")
    effective_to = models.DateField(default=DATE_MAX, help_text="The end, inclusive, once the next revision is known.")
    serial_from = models.CharField(max_length=64, blank=True)
    serial_to = models.CharField(max_length=64, blank=True)
    applied_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "parent_part_number", "bom_type", "plant_code", "sequence"],
                name="bom_plant_revision_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["company", "bom_type", "parent_part_number", "plant_code", "valid_from"], name="bom_in_effect"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent_part_number}@{self.plant_code or '*'} #{self.sequence} rev {self.revision}"


# --- Inventory ---------------------------------------------------------------------------------
#
# Stock positions arrive from several systems (ERP, WMS, MES) that disagree on purpose. Every
# movement they report is kept as an immutable ``InventoryEvent``; balances are projections of
# those events, per sending system, with physical and financially posted quantities side by side.


class InventoryEvent(models.Model):
    """One stock movement as a source system reported it. Append-only: never updated or deleted.

    ``base_quantity`` is ``quantity`` converted to the item's base unit, with this sign convention:

    - ``receipt``: positive, the quantity added;
    - ``issue`` and ``scrap``: positive, the magnitude removed;
    - ``transfer``: positive, the magnitude moved from ``location`` to ``to_location``;
    - ``status_change``: positive, the magnitude moved from ``stock_status`` to ``to_status``;
    - ``adjustment``: signed (a negative adjustment removes stock);
    - ``count``: absolute, what was counted at (location, lot, status); later events of the same
      source apply relative to it, earlier ones no longer matter for that position;
    - ``reservation``: signed, stock set aside at (location, lot, status) for an order (an ERP
      reservation, a WMS allocation, an MES staging): positive reserves, negative releases. It moves
      no goods and no books: only the position's ``reserved`` (``posting`` does not matter), which
      a count leaves alone.

    ``posting`` says which side the event moves: ``physical`` (the goods, e.g. a WMS putaway) or
    ``posted`` (the financial posting, e.g. the ERP's goods receipt after inspection).
    Idempotency: (company, source_system, source_event_id) is unique; a replay has no effect and
    a different event under a used id is refused and kept as an ``InventoryEventConflict``.
    Ordering: per (plant, item, source_system) by ``source_sequence``, never by arrival.
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        ISSUE = "issue", "Issue / consumption"
        TRANSFER = "transfer", "Transfer"
        ADJUSTMENT = "adjustment", "Adjustment"
        SCRAP = "scrap", "Scrap"
        STATUS_CHANGE = "status_change", "Status change"
        COUNT = "count", "Cycle count (absolute)"
        RESERVATION = "reservation", "Reservation (+ reserves, − releases)"

    class StockStatus(models.TextChoices):
        USABLE = "usable", "Usable"
        QUARANTINE = "quarantine", "Quarantine"
        BLOCKED = "blocked", "Blocked"

    class Posting(models.TextChoices):
        PHYSICAL = "physical", "Physical"
        POSTED = "posted", "Financially posted"

    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="+")
    plant = models.ForeignKey("procurement.Plant", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("procurement.Item", on_delete=models.PROTECT, related_name="inventory_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    location = models.CharField(max_length=64, blank=True)
    to_location = models.CharField(max_length=64, blank=True, help_text="A transfer's destination.")
    lot = models.CharField(max_length=64, blank=True)
    serial = models.CharField(max_length=64, blank=True)
    # Spelled out: the field name shadows the ``quantity()`` helper inside this class body.
    quantity = models.DecimalField(max_digits=18, decimal_places=4, help_text="As sent, in ``uom``.")
    uom = models.CharField(max_length=8, blank=True)
    base_quantity = models.DecimalField(
        max_digits=18, decimal_places=4, help_text="In the item's base unit; sign convention in the class docstring."
    )
    stock_status = models.CharField(max_length=16, choices=StockStatus.choices, default=StockStatus.USABLE)
    to_status = models.CharField(max_length=16, choices=StockStatus.choices, blank=True)
    posting = models.CharField(max_length=8, choices=Posting.choices, default=Posting.PHYSICAL)
    source_system = models.CharField(max_length=40)
    source_event_id = models.CharField(max_length=128)
    source_sequence = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)
    document = models.ForeignKey(
        "procurement.InboundDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    correlation_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "source_system", "source_event_id"], name="inventory_event_idempotency"
            )
        ]
        indexes = [
            models.Index(fields=["plant", "item", "source_system", "source_sequence"], name="inventory_event_order"),
        ]

    def __str__(self) -> str:
        return f"{self.source_system}:{self.source_event_id} {self.kind} {self.base_quantity}"


class InventoryEventConflict(models.Model):
    """A different event that arrived under an already used (source_system, source_event_id): refused, kept."""

    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="+")
    source_system = models.CharField(max_length=40)
    source_event_id = models.CharField(max_length=128)
    content_hash = models.CharField(max_length=64)
    payload = models.JSONField()
    document = models.ForeignKey(
        "procurement.InboundDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["company", "source_system", "source_event_id"], name="inventory_conflict_key")]


class InventoryBalance(models.Model):
    """The projection of one source's events on one stock position: physical and posted side by side.

    Rebuilt from ``InventoryEvent`` at any time; ``last_sequence`` is the highest source sequence
    folded in, so an event with a lower sequence is late and triggers a re-projection. ``reserved``
    is what the source's reservation events set aside at the position (physical and posted
    quantities still include it: reserved stock is on hand, only promised).
    """

    company = models.ForeignKey("procurement.Company", on_delete=models.CASCADE, related_name="+")
    plant = models.ForeignKey("procurement.Plant", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("procurement.Item", on_delete=models.CASCADE, related_name="inventory_balances")
    location = models.CharField(max_length=64, blank=True)
    lot = models.CharField(max_length=64, blank=True)
    stock_status = models.CharField(
        max_length=16, choices=InventoryEvent.StockStatus.choices, default=InventoryEvent.StockStatus.USABLE
    )
    source_system = models.CharField(max_length=40)
    physical = quantity(default=Decimal(0))
    posted = quantity(default=Decimal(0))
    reserved = quantity(default=Decimal(0), db_default=Decimal(0))  # also for rows written in raw SQL
    last_sequence = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plant", "item", "location", "lot", "stock_status", "source_system"],
                name="inventory_balance_position",
            )
        ]
        indexes = [models.Index(fields=["company", "item"], name="inventory_balance_item")]

    def __str__(self) -> str:
        return f"{self.source_system} {self.item_id}@{self.plant_id}/{self.location}/{self.lot} {self.stock_status}"


class InventoryPolicy(models.Model):
    """A company's rule for "available for planning" (see ``materials.inventory.available_for_planning``).

    ``planning_source``: the one system whose balances planning reads (e.g. ``WMS``); empty means
    per (plant, item, location, lot, status) the largest of all sources' quantities — the
    optimistic view, suitable where each system sees a different part of the stock.
    ``basis``: physical or posted quantities. Usable stock always counts; quarantine only when
    ``include_quarantine``; blocked never. A position below zero counts as zero. With
    ``subtract_reserved``, what the sources reserve of the counted stock is taken off the item's
    total (e.g. "physical usable minus reserved"), never below zero.
    A company without a policy gets the default: all sources, physical, usable only, nothing subtracted.
    """

    company = models.OneToOneField("procurement.Company", on_delete=models.CASCADE, related_name="inventory_policy")
    planning_source = models.CharField(max_length=40, blank=True)
    basis = models.CharField(
        max_length=8, choices=InventoryEvent.Posting.choices, default=InventoryEvent.Posting.PHYSICAL
    )
    include_quarantine = models.BooleanField(default=False)
    subtract_reserved = models.BooleanField(
        default=False, help_text="Take reserved quantities (reservation events) off what planning may count."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"inventory policy of company #{self.company_id}"


# --- Reconciliation ----------------------------------------------------------------------------
#
# The systems' balances compared with each other, per (plant, item, lot, status), and physical
# against posted. A difference beyond the company's tolerance is an ``inventory_variance`` exception.


class InventoryTolerance(models.Model):
    """How far the systems' quantities of one position may differ before it is a variance.

    Per company, optionally narrowed to an item category (``ItemPlanning.category``); an item's
    category rule wins over the company's rule (``category`` empty). A difference must stay within
    every limit that is set: ``amount`` (in the item's base unit) and ``percent`` (of the larger
    of the two quantities compared). An empty limit does not constrain; zero allows no difference.
    With no rule at all, any difference is a variance (as tolerance rules do for POs).
    """

    company = models.ForeignKey("procurement.Company", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=64, blank=True, help_text="Empty: every item without a rule of its own.")
    percent = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    amount = quantity(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "category"], name="inventory_tolerance_unique"),
        ]

    def __str__(self) -> str:
        return f"inventory tolerance of company #{self.company_id} for {self.category or 'every category'}"


class InventoryReconciliation(models.Model):
    """One run of the reconciliation for one company: who asked, when, and what it found.

    At most one run of a company is ``running`` at a time (a partial unique constraint): a second
    request while one runs is answered with the running one.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    company = models.ForeignKey("procurement.Company", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    requested_by = models.CharField(max_length=120)
    correlation_id = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    positions = models.PositiveIntegerField(default=0, help_text="(plant, item, lot, status) positions compared.")
    differing = models.PositiveIntegerField(default=0, help_text="Positions where the systems differ at all.")
    variances = models.PositiveIntegerField(default=0, help_text="Differences beyond tolerance.")
    raised = models.PositiveIntegerField(default=0, help_text="Exceptions raised by this run (new ones).")
    cleared = models.PositiveIntegerField(default=0, help_text="Open exceptions closed: their variance is gone.")
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(state__in=["queued", "running"]),
                name="inventory_reconciliation_one_active",
            )
        ]
        indexes = [models.Index(fields=["company", "requested_at"], name="inventory_recon_recent")]

    def __str__(self) -> str:
        return f"reconciliation #{self.pk} of company #{self.company_id} ({self.state})"


# --- Requirements -------------------------------------------------------------------------------

# A field named ``quantity`` would hide the helper inside a class body.
amount = quantity


class Demand(models.Model):
    """What a plant needs, as the ERP/MES sent it: a production order, a master-schedule entry or an
    independent demand (spares, samples), each a quantity of an item on a need date.

    A production order's item is what it builds: its components are needed on the need date (the
    order's start); the item itself is not netted. A master-schedule or independent demand is for
    the item itself: netted against its stock, a make item's shortfall exploding further down.
    Kept once per (company, source system, source id); a later version replaces the values, a
    cancellation keeps the row with ``cancelled`` set so pegs and history still name it.
    """

    class Kind(models.TextChoices):
        PRODUCTION_ORDER = "production_order", "Production order"
        MASTER_SCHEDULE = "master_schedule", "Master schedule"
        INDEPENDENT = "independent", "Independent demand"

    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="+")
    plant = models.ForeignKey("procurement.Plant", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("procurement.Item", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source_system = models.CharField(max_length=40)
    source_id = models.CharField(max_length=128)
    reference = models.CharField(max_length=80, blank=True, help_text="The order number people know it by.")
    quantity = amount()
    need_date = models.DateField()
    cancelled = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64)
    document = models.ForeignKey(
        "procurement.InboundDocument", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    correlation_id = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "source_system", "source_id"], name="demand_source_unique")
        ]
        indexes = [models.Index(fields=["company", "plant", "item", "need_date"], name="demand_item_date")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference or self.source_id}"

    @property
    def label(self) -> str:
        return self.reference or self.source_id


class RequirementRun(models.Model):
    """One planning run of a company: a full regeneration, or a net change re-planning some items.

    A full run's results replace every earlier result of the company; a net change replaces the
    results of the items it re-planned (``items``) and keeps the others. A full run asked for (the
    API, the nightly schedule) is ``queued`` until a worker takes it; at most one full run of a
    company is queued or running at a time (a partial unique constraint), so a second request is
    answered with that one.
    """

    class Mode(models.TextChoices):
        FULL = "full", "Full regeneration"
        NET_CHANGE = "net_change", "Net change"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(max_length=12, choices=Mode.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    reason = models.CharField(max_length=200, blank=True, help_text="What asked for it.")
    horizon_start = models.DateField()
    items = models.JSONField(default=list, blank=True, help_text="Net change: the item ids re-planned.")
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField(null=True, blank=True, help_text="When a queued run was asked for.")
    started_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the run is queued.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(mode="full", state__in=["queued", "running"]),
                name="requirement_run_one_full_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.mode} run #{self.pk} ({self.state})"


def result_key(to: str | type[models.Model], *, on_delete=models.CASCADE, **kwargs) -> models.ForeignKey:
    """A key of a run's results: unchecked by the database (see below) and not followed back."""
    return models.ForeignKey(to, on_delete=on_delete, related_name="+", db_constraint=False, **kwargs)


# The keys of a run's results (projection rows, planned purchases, shortages, pegs) have no database
# constraint, and no index of their own unless something reads by them: a run writes hundreds of
# thousands of rows, and each checked key cost a deferred check at commit and each index a write per
# row, more than planning them. Results are read by (company, plant, item), never by the run that wrote
# them, the demand a peg names, or a planned purchase's supplier or PO. A run writes only ids it has
# just read, the next run replaces its rows, and deletes through the ORM still cascade to them (reading
# the table: runs, demands, suppliers and POs are not deleted in the course of business).
class ProjectionRow(models.Model):
    """One (plant, item, date) of the projected availability, each term its own column so a planner
    can explain the number: ``projected = previous projected + receipts + in_transit +
    quality_inspection − demand − for_primaries + by_alternates`` (on the first row, ``opening −
    allocated`` is where it starts: the stock available for planning). ``planned`` is shown beside
    it, never in it."""

    run = result_key(RequirementRun, db_index=False)
    company = result_key("procurement.Company", db_index=False)
    plant = result_key("procurement.Plant", db_index=False)
    item = result_key("procurement.Item", db_index=False)
    date = models.DateField()
    opening = amount(default=Decimal(0), help_text="First row only: the stock planning counts, before allocations.")
    allocated = amount(
        default=Decimal(0), help_text="First row only: what the sources reserve of it (when the policy subtracts it)."
    )
    receipts = amount(default=Decimal(0), help_text="Open PO lines and schedule lines at their promised dates.")
    in_transit = amount(default=Decimal(0), help_text="Shipped, not received: at the ship notice's arrival.")
    quality_inspection = amount(
        default=Decimal(0), help_text="Stock in quality inspection (quarantine), at its release date."
    )
    demand = amount(default=Decimal(0), help_text="Independent and dependent demand due on the date.")
    for_primaries = amount(
        default=Decimal(0), help_text="Taken as an alternate, in place of a primary component short on the date."
    )
    by_alternates = amount(
        default=Decimal(0), help_text="Of this (primary) component's demand, what its alternates cover."
    )
    planned = amount(default=Decimal(0), help_text="Planned receipts (purchases or make orders) due on the date.")
    safety_stock = amount(default=Decimal(0))
    projected = amount(help_text="Available after the date, planned receipts excluded.")
    pegs = models.JSONField(default=list, help_text="The demands due on the date: [{demand, reference, quantity}].")
    substitutions = models.JSONField(
        default=list,
        help_text="Alternates taken on the date: [{primary, alternate, quantity (of the primary), "
        "alternate_quantity, demand, reference}].",
    )

    class Meta:
        indexes = [models.Index(fields=["company", "plant", "item", "date"], name="projection_item_date")]


class PlannedPurchase(models.Model):
    """A purchase (or, for a make item, an order to build) the run proposes: a quantity due on
    ``need_date``, to be released on ``release_date`` (need date less the lead time). ``pegs`` name
    the demands it serves: ``[{"demand": id, "reference": ..., "quantity": ...}]``."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ORDERED = "ordered", "Turned into a PO"

    run = result_key(RequirementRun, db_index=False)
    company = result_key("procurement.Company", db_index=False)
    plant = result_key("procurement.Plant", db_index=False)
    item = result_key("procurement.Item", db_index=False)
    make = models.BooleanField(default=False)
    supplier = result_key("suppliers.Supplier", null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    quantity = amount()
    net_quantity = amount(help_text="What the demand lacks, before MOQ and multiples.")
    need_date = models.DateField()
    release_date = models.DateField()
    late = models.BooleanField(default=False, help_text="Its release date is already past when planned.")
    pegs = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    po = result_key("procurement.PurchaseOrder", null=True, blank=True, on_delete=models.SET_NULL, db_index=False)

    class Meta:
        indexes = [
            models.Index(fields=["company", "plant", "item", "need_date"], name="planned_item_date"),
            # The planned purchases page reads a company's first few hundred by release date.
            models.Index(fields=["company", "release_date"], name="planned_release_date"),
        ]


class Shortage(models.Model):
    """A date on which a demand takes projected stock below zero (``short``: the item lacks
    ``quantity`` at the plant) or, staying at zero or above, below safety stock (``below_safety``:
    ``quantity`` is how far below). ``pegs`` name the demands due that date; ``po_lines`` the open
    PO lines that arrive after it: empty when nothing is ordered at all."""

    class Kind(models.TextChoices):
        SHORT = "short", "Short"
        BELOW_SAFETY = "below_safety", "Below safety stock"

    run = result_key(RequirementRun, db_index=False)
    company = result_key("procurement.Company", db_index=False)
    plant = result_key("procurement.Plant", db_index=False)
    item = result_key("procurement.Item", db_index=False)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.SHORT, db_default=Kind.SHORT)
    date = models.DateField()
    quantity = amount()
    pegs = models.JSONField(default=list)
    po_lines = models.JSONField(default=list)
    planned_purchase = result_key(PlannedPurchase, null=True, blank=True, on_delete=models.SET_NULL, db_index=False)

    class Meta:
        indexes = [
            models.Index(fields=["company", "plant", "date"], name="shortage_plant_date"),
            models.Index(fields=["company", "plant", "item", "date"], name="shortage_item_date"),
        ]


class SupplyPeg(models.Model):
    """What an open PO line (or stock) covers: ``quantity`` of ``demand`` at the line's plant and item."""

    run = result_key(RequirementRun, db_index=False)
    company = result_key("procurement.Company", db_index=False)
    plant = result_key("procurement.Plant", db_index=False)
    item = result_key("procurement.Item", db_index=False)
    po_line = result_key("procurement.POLine", null=True, blank=True, db_index=False)
    demand = result_key(Demand, db_index=False)
    quantity = amount()

    class Meta:
        indexes = [
            models.Index(fields=["po_line"], name="supply_peg_line"),
            models.Index(fields=["company", "plant", "item"], name="supply_peg_item"),
        ]
