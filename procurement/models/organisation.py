from decimal import Decimal

from django.db import models

from .fields import price_field, quantity_field


class Company(models.Model):
    """A buying legal entity. Holds the procurement policy its plants and buyers work under."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="USD")
    ack_due_hours = models.PositiveIntegerField(
        default=48, help_text="An acknowledgement not received this long after publication is overdue."
    )
    require_ack_before_asn = models.BooleanField(
        default=True, help_text="Raise an exception when a ship notice arrives for an unacknowledged line."
    )
    three_way_match = models.BooleanField(default=True, help_text="Match invoices against receipts as well as the PO.")
    sla_hours = models.JSONField(
        default=dict, blank=True, help_text="Per exception kind, hours until an exception is due."
    )
    # Bumped whenever a tolerance rule changes, so cached rule sets are never stale.
    policy_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.code


class Plant(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="plants")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="plant_code_unique")]

    def __str__(self) -> str:
        return f"{self.company.code}/{self.code}"


class Item(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="items")
    part_number = models.CharField(max_length=64)
    description = models.CharField(max_length=300, blank=True)
    base_uom = models.CharField(max_length=8, default="EA")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "part_number"], name="item_part_unique")]

    def __str__(self) -> str:
        return self.part_number

    def to_base(self, quantity: Decimal, uom: str, conversions: dict[str, Decimal] | None = None) -> Decimal:
        """``quantity`` in ``uom`` expressed in the item's base unit."""
        if uom == self.base_uom or not uom:
            return quantity
        if conversions is None:
            conversions = {c.uom: c.factor for c in self.conversions.all()}
        if uom not in conversions:
            raise ValueError(f"no conversion from {uom} to {self.base_uom} for item {self.part_number}")
        return quantity * conversions[uom]


class UomConversion(models.Model):
    """``1 uom = factor × base_uom`` for one item (a case of 12, a kilogram in grams)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="conversions")
    uom = models.CharField(max_length=8)
    factor = models.DecimalField(max_digits=18, decimal_places=6)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "uom"], name="uom_conversion_unique")]


class SupplierItem(models.Model):
    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="supplier_items")
    supplier_part_number = models.CharField(max_length=64, blank=True)
    unit_price = price_field()
    currency = models.CharField(max_length=3, default="USD")
    lead_time_days = models.PositiveIntegerField(default=14)
    moq = quantity_field(default=Decimal("1"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["supplier", "item"], name="supplier_item_unique")]
