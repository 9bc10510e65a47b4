from django.conf import settings
from django.db import models


class Supplier(models.Model):
    """A supplier organisation, and how it prefers to trade with the buyer."""

    class Tier(models.TextChoices):
        STRATEGIC = "strategic", "Strategic"
        STANDARD = "standard", "Standard"
        LONG_TAIL = "long_tail", "Long tail"

    class Channel(models.TextChoices):
        PORTAL = "portal", "Web portal"
        API = "api", "REST API"
        EDI = "edi", "X12 EDI"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    channel = models.CharField(
        max_length=16,
        choices=Channel.choices,
        default=Channel.PORTAL,
        help_text="Where purchase orders and notices are sent.",
    )
    notify_email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierMembership(models.Model):
    """A person who acts for a supplier in the portal."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        MEMBER = "member", "Member"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supplier_membership")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    def __str__(self) -> str:
        return f"{self.user} @ {self.supplier.code}"
