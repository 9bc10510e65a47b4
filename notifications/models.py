"""Outbound messages and their delivery log.

The tables keep the names they had when these models lived in ``procurement`` (``db_table``), so
the move lost no rows. ``po`` and ``supplier`` name the rows a message is about by lazy reference;
nothing here imports the apps that own them.
"""

from django.conf import settings
from django.db import models


class OutboundMessage(models.Model):
    """An effect outside the database, written in the same transaction as the change behind it.

    A worker delivers it (file, HTTP or e-mail), retrying with backoff; after the last attempt
    it rests in the dead-letter state until staff retry it.
    """

    class Kind(models.TextChoices):
        FILE = "file", "File"
        HTTP = "http", "HTTP"
        EMAIL = "email", "E-mail"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        DEAD = "dead", "Dead letter"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    event = models.CharField(max_length=40, help_text="po.published, po.changed, exception.raised, …")
    destination = models.CharField(max_length=500)
    payload = models.JSONField()
    idempotency_key = models.CharField(max_length=120, unique=True)
    supplier = models.ForeignKey(
        "suppliers.Supplier", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    po = models.ForeignKey(
        "procurement.PurchaseOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="outbound"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField()
    next_attempt_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    subscription_ref = models.PositiveBigIntegerField(
        null=True, blank=True, db_index=True, help_text="The webhook subscription a delivery belongs to."
    )
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "procurement_outboundmessage"
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="procurement_state_a10f99_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.kind}:{self.destination} ({self.state})"


class DeliveryAttempt(models.Model):
    """One try at delivering an outbound message: the delivery log."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    succeeded = models.BooleanField()
    detail = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "procurement_deliveryattempt"
        ordering = ["message", "number"]


class Notification(models.Model):
    """One line of a person's in-portal inbox: something that happened to a supplier they act for.

    ``key`` names what it is about (an audit event, or an invoice for its hold and release) so the
    same happening is never listed twice for one person. ``email`` is how the person chose to hear
    of it when it was written: a message of its own (``immediate``, queued in the outbox with the
    row), the next daily digest (``digest``, until ``digested_at``) or no e-mail (``off``).
    """

    class Email(models.TextChoices):
        IMMEDIATE = "immediate", "Immediately"
        DIGEST = "digest", "In the daily digest"
        OFF = "off", "No e-mail"

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    link = models.CharField(max_length=300, help_text="The page it is about, as a path on this site.")
    email = models.CharField(max_length=10, choices=Email.choices)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="notification_once_per_person")]
        indexes = [
            models.Index(fields=["person", "supplier", "-created_at"], name="notification_inbox_idx"),
            models.Index(fields=["email", "digested_at"], name="notification_digest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.event} · {self.title}"


class NotificationPreference(models.Model):
    """How a person wants to hear of one kind of event by e-mail; without a row, immediately."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40)
    email = models.CharField(max_length=10, choices=Notification.Email.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "event"], name="notification_preference_unique")]

    def __str__(self) -> str:
        return f"{self.person} · {self.event}: {self.email}"
