from decimal import Decimal

from django.conf import settings
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
    # Bumped whenever a webhook subscription changes, so cached subscription lists are never stale.
    webhooks_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.code


class CompanyMembership(models.Model):
    """A person who buys or plans for a company: what they may read and act on is that company's."""

    class Role(models.TextChoices):
        BUYER = "buyer", "Buyer"
        PLANNER = "planner", "Planner"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="company_memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.BUYER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "user"], name="company_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company.code} ({self.role})"


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

    def convert(self, quantity: Decimal, from_uom: str, to_uom: str, factors: dict[str, Decimal]) -> Decimal:
        """``quantity`` in ``from_uom`` expressed in ``to_uom``, through the base unit.

        ``factors`` maps each of this item's units to base units (its ``UomConversion`` rows).
        Raises ``LookupError`` when either unit has no conversion.
        """
        if from_uom == to_uom:
            return quantity
        # Unit codes in any case are the same unit: a partner's translator that writes "ea" means EA.
        from_uom, to_uom = from_uom.upper(), to_uom.upper()
        if from_uom == to_uom:
            return quantity
        factors = {uom.upper(): factor for uom, factor in factors.items()} | {self.base_uom.upper(): Decimal("1")}
        missing = [uom for uom in (from_uom, to_uom) if uom not in factors]
        if missing:
            raise LookupError(f"item {self.part_number} has no conversion from {missing[0]} to {self.base_uom}")
        return quantity * factors[from_uom] / factors[to_uom]


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
