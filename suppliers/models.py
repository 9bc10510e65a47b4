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
    """A person who acts for a supplier in the portal. A person may act for several suppliers (a
    contract manufacturer's planner answering for two of its sites, say): one membership each.

    ``role`` says what they may do there; an inactive membership is kept for the record (who acted
    when) but gives no access.
    """

    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        MEMBER = "member", "Member"
        READ_ONLY = "read_only", "Read only"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supplier_memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["supplier", "user"], name="supplier_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.supplier.code}"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def may_write(self) -> bool:
        """Whether this person may answer for the supplier (acknowledge, ship, invoice): not read-only."""
        return self.role in (self.Role.ADMIN, self.Role.MEMBER)


class SupplierInvitation(models.Model):
    """An invitation for one e-mail address to join a supplier with a role.

    Only a hash of the token is kept: the link in the e-mail is the one place the token exists. An
    invitation is pending until accepted, revoked or past ``expires_at``; accepting creates the
    account (or uses the signed-in one) and the membership.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=SupplierMembership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} → {self.supplier.code} ({self.state})"

    def is_open(self, now) -> bool:
        return self.state == self.State.PENDING and now < self.expires_at

    def shown_state(self, now) -> str:
        """The state a person sees: a pending invitation past its expiry reads "expired"."""
        if self.state == self.State.PENDING and now >= self.expires_at:
            return "expired"
        return self.state
