import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models

from procurement import inputs

from .fields import price_field, quantity_field

ZERO = Decimal("0")


class PurchaseOrderQuerySet(models.QuerySet):
    def for_supplier(self, supplier) -> "PurchaseOrderQuerySet":
        return self.filter(supplier=supplier)


class PurchaseOrder(models.Model):
    """The buyer's order; its revision is the buyer's latest published picture.

    Header status is never stored: it is aggregated from the lines' status dimensions.
    """

    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="orders")
    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.PROTECT, related_name="orders")
    ship_to = models.ForeignKey("procurement.Plant", on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    number = models.CharField(max_length=40)
    revision = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3)
    order_date = models.DateField()
    notes = models.TextField(blank=True)
    published_at = models.DateTimeField()
    first_ack_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(db_index=True)

    objects = PurchaseOrderQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="po_number_unique")]
        indexes = [
            models.Index(fields=["supplier", "number"]),
            # A supplier's sync, ``updated_since`` pages in (updated_at, id) order, is a range read of this
            # index; without it PostgreSQL walks updated_at across every supplier's POs.
            models.Index(fields=["supplier", "updated_at", "id"], name="po_supplier_sync"),
        ]

    def __str__(self) -> str:
        return f"{self.number} rev {self.revision}"

    # Why a PO in one of these statuses is finished, in the supplier's words: nothing on it is left to
    # acknowledge, change, ship or invoice, and the write path refuses an acknowledgement of it.
    FINISHED = {
        "closed": "every line is received and invoiced in full",
        "cancelled": "the customer cancelled every line",
    }

    @staticmethod
    def status_for(lines: list["POLine"]) -> str:
        """The header status, aggregated from ``lines`` (pass them to avoid a query)."""
        live = [line for line in lines if not line.cancelled]
        if not live:
            return "cancelled"
        ack = {line.ack_status for line in live}
        if ack == {"rejected"}:
            return "rejected"
        if "changes_proposed" in ack or "rejected" in ack:
            return "changes_proposed"
        if ack & {"awaiting", "acknowledged", "on_hold"}:
            return "awaiting_acknowledgement"
        receipt = {line.receipt_status for line in live}
        if any(line.match_state == POLine.MatchState.EXCEPTION for line in live):
            return "invoice_on_hold"
        if receipt <= {"full", "over"}:
            invoice = {line.invoice_status for line in live}
            return "closed" if invoice <= {"invoiced", "over_invoiced"} else "to_invoice"
        ship = {line.ship_status for line in live}
        if ship <= {"not_shipped"}:
            return "confirmed"
        if ship <= {"shipped", "over_shipped"}:
            return "in_transit" if receipt == {"nothing"} else "partially_received"
        return "partially_shipped"

    @property
    def status(self) -> str:
        return self.status_for(list(self.lines.all()))


class PORevision(models.Model):
    """One published revision of a PO: a snapshot and the from/to diff against the previous one."""

    class Source(models.TextChoices):
        BUYER = "buyer", "Buyer"
        SUPPLIER_PROPOSAL = "supplier_proposal", "Accepted supplier proposal"
        POLICY = "policy", "Auto-accepted within tolerance"

    po = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    source = models.CharField(max_length=24, choices=Source.choices, default=Source.BUYER)
    channel = models.CharField(max_length=16)
    fingerprint = models.CharField(max_length=64)
    snapshot = models.JSONField()
    diff = models.JSONField(default=list, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["po", "revision"]
        constraints = [models.UniqueConstraint(fields=["po", "revision"], name="po_revision_unique")]


class POLine(models.Model):
    """A PO line with the quantity buckets its status dimensions are derived from.

    The buyer's terms (``quantity``, ``unit_price``, ``need_by``) change only through a new PO
    revision. What the supplier answered lives beside them (``confirmed_*``, ``proposal``).
    """

    class ChangeState(models.TextChoices):
        NONE = "none", "None"
        PROPOSED = "proposed", "Supplier proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    class MatchState(models.TextChoices):
        NOT_INVOICED = "not_invoiced", "Not invoiced"
        MATCHED = "matched", "Matched"
        WITHIN_TOLERANCE = "within_tolerance", "Within tolerance"
        EXCEPTION = "exception", "Exception"
        OVERRIDDEN = "overridden", "Overridden"

    po = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    line_no = models.CharField(max_length=16)
    item = models.ForeignKey("procurement.Item", on_delete=models.PROTECT, related_name="+")
    supplier_part_number = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=300, blank=True)
    quantity = quantity_field()
    uom = models.CharField(max_length=8)
    unit_price = price_field()
    need_by = models.DateField()
    cancelled = models.BooleanField(default=False)
    revision = models.PositiveIntegerField(default=0, help_text="PO revision that last changed this line.")

    # What the supplier answered (latest acknowledgement).
    ack_response = models.CharField(max_length=24, blank=True)
    ack_raw_code = models.CharField(max_length=8, blank=True)
    confirmed_quantity = quantity_field(null=True, blank=True)
    confirmed_price = price_field(null=True, blank=True)
    promised_date = models.DateField(null=True, blank=True)
    backordered_quantity = quantity_field(default=ZERO)
    change_state = models.CharField(max_length=16, choices=ChangeState.choices, default=ChangeState.NONE)
    proposal = models.JSONField(default=dict, blank=True, help_text="The pending supplier proposal.")

    # Quantity buckets fed by ship notices, receipts and invoices.
    shipped_quantity = quantity_field(default=ZERO)
    received_quantity = quantity_field(default=ZERO)
    rejected_quantity = quantity_field(default=ZERO)
    invoiced_quantity = quantity_field(default=ZERO)
    match_state = models.CharField(max_length=20, choices=MatchState.choices, default=MatchState.NOT_INVOICED)

    class Meta:
        ordering = ["po", "id"]
        constraints = [models.UniqueConstraint(fields=["po", "line_no"], name="po_line_unique")]

    def __str__(self) -> str:
        return f"{self.po.number}/{self.line_no}"

    @classmethod
    def from_row(cls, row: dict) -> "POLine":
        """A read-only line from a ``values()`` row, for its derived statuses on read paths; never saved.

        The status properties read plain fields only, so a page of lines needs no model initialisation.
        """
        line = cls.__new__(cls)
        line.__dict__.update(row)
        return line

    @property
    def open_quantity(self) -> Decimal:
        """What the supplier is still expected to ship: the confirmed quantity, else the ordered one."""
        target = self.confirmed_quantity if self.confirmed_quantity is not None else self.quantity
        return max(target - self.shipped_quantity, ZERO)

    def next_promised_date(self, schedule: list[tuple[Decimal, dt.date]]) -> dt.date | None:
        """When the next delivery still to ship is promised, given the line's ``(quantity, date)`` schedule.

        What has shipped fills the schedule lines in date order. Without a schedule it is the
        promised date while anything is left to ship; with nothing left to ship it is None.
        """
        if not schedule:
            return self.promised_date if self.open_quantity > ZERO else None
        shipped = self.shipped_quantity
        for quantity, date in sorted(schedule, key=lambda delivery: delivery[1]):
            if shipped < quantity:
                return date
            shipped -= quantity
        return None

    @property
    def ack_status(self) -> str:
        response = self.ack_response
        if not response:
            return "awaiting"
        if response == "ACKNOWLEDGED":
            return "acknowledged"
        if response == inputs.LINE_REJECT:
            return "rejected" if self.change_state != self.ChangeState.DECLINED else "awaiting"
        if response == inputs.LINE_HOLD:
            return "on_hold"
        # An acceptance proposes too when its schedule lines fall off the need-by date, so the
        # proposal decides for it as for the change responses (and as ``LINE_STATUS_CONDITIONS`` do).
        by_change: dict[str, str] = {
            self.ChangeState.PROPOSED: "changes_proposed",
            self.ChangeState.DECLINED: "awaiting",
        }
        return by_change.get(self.change_state, "accepted")

    @property
    def change_status(self) -> str:
        return self.change_state

    @property
    def ship_status(self) -> str:
        target = self.confirmed_quantity if self.confirmed_quantity is not None else self.quantity
        if self.shipped_quantity <= ZERO:
            return "not_shipped"
        if self.shipped_quantity < target:
            return "partially_shipped"
        return "shipped" if self.shipped_quantity == target else "over_shipped"

    @property
    def accepted_quantity(self) -> Decimal:
        """Goods received and not rejected: what fulfils the line."""
        return self.received_quantity - self.rejected_quantity

    @property
    def receipt_status(self) -> str:
        accepted = self.accepted_quantity
        if accepted <= ZERO:
            return "nothing"
        if accepted < self.quantity:
            return "partial"
        return "full" if accepted == self.quantity else "over"

    @property
    def received_in_full(self) -> bool:
        """Goods accepted for the whole ordered quantity: the line can no longer be rejected or changed."""
        return self.receipt_status in ("full", "over")

    @property
    def invoice_status(self) -> str:
        if self.invoiced_quantity <= ZERO:
            return "not_invoiced"
        if self.invoiced_quantity < self.quantity:
            return "partially_invoiced"
        return "invoiced" if self.invoiced_quantity == self.quantity else "over_invoiced"

    @property
    def match_status(self) -> str:
        return self.match_state

    def statuses(self) -> dict[str, str]:
        return {
            "ack": self.ack_status,
            "change": self.change_status,
            "ship": self.ship_status,
            "receipt": self.receipt_status,
            "invoice": self.invoice_status,
            "match": self.match_status,
        }


class ScheduleLine(models.Model):
    """A delivery the supplier confirmed on a PO line: a quantity on a date.

    A line has as many as the supplier's latest answer split it into, in the order sent; a newer
    answer replaces them all, and a line that needs a new answer (the buyer changed it, or
    declined the proposal) has none. A line answered without a schedule has none either: its
    ``confirmed_quantity`` and ``promised_date`` say it all.
    """

    po_line = models.ForeignKey(POLine, on_delete=models.CASCADE, related_name="schedule_lines")
    position = models.PositiveIntegerField(help_text="1, 2, … in the order the supplier sent them.")
    quantity = quantity_field()
    date = models.DateField()

    class Meta:
        ordering = ["po_line", "position"]
        constraints = [models.UniqueConstraint(fields=["po_line", "position"], name="schedule_line_position_unique")]

    def __str__(self) -> str:
        return f"delivery {self.position}: {self.quantity.normalize():f} on {self.date}"
