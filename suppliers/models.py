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


class TradingPartner(models.Model):
    """How a supplier trades by X12: its identifiers, version, delimiters, acknowledgements and folders."""

    class AckKind(models.TextChoices):
        AUTO = "auto", "997 for 004010, 999 for 005010 and later"
        FA997 = "997", "Always 997"
        FA999 = "999", "Always 999"

    class Usage(models.TextChoices):
        PRODUCTION = "P", "Production"
        TEST = "T", "Test"

    supplier = models.OneToOneField(Supplier, on_delete=models.CASCADE, related_name="trading_partner")
    isa_qualifier = models.CharField("ISA qualifier", max_length=2, default="ZZ")
    isa_id = models.CharField("ISA id", max_length=15, help_text="ISA06 on what the partner sends, ISA08 on ours.")
    gs_id = models.CharField("GS id", max_length=15, help_text="GS02 on what the partner sends.")
    version = models.CharField(max_length=12, default="004010", help_text="GS08 of what we send: 004010, 005010, …")
    element_separator = models.CharField(max_length=1, default="*")
    component_separator = models.CharField(max_length=1, default=">")
    segment_terminator = models.CharField(max_length=1, default="~")
    repetition_separator = models.CharField(max_length=1, default="^")
    line_break = models.BooleanField(default=True, help_text="A line break after each segment we send.")
    ack_kind = models.CharField(max_length=4, choices=AckKind.choices, default=AckKind.AUTO)
    ta1_requested = models.BooleanField(default=False, help_text="Answer every interchange with a TA1.")
    expects_997 = models.BooleanField(default=True, help_text="The partner answers what we send with a 997/999.")
    fa_due_hours = models.PositiveIntegerField(default=24, help_text="Hours within which the partner's 997 is due.")
    usage = models.CharField(
        max_length=1,
        choices=Usage.choices,
        default=Usage.PRODUCTION,
        help_text="Checked against ISA15 of every interchange.",
    )
    code_maps = models.JSONField(
        default=dict,
        blank=True,
        help_text='The partner\'s own code habits, e.g. {"BAK02": {"AP": "ACCEPTED"}, "ACK01": {"IW": "HOLD"}}.',
    )
    folder = models.SlugField(max_length=40, unique=True, help_text="Folder name under the EDI root.")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["isa_qualifier", "isa_id"], name="partner_isa_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier.code} ({self.isa_qualifier}:{self.isa_id})"
