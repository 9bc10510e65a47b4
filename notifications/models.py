"""Outbound messages and their delivery log.

The tables keep the names they had when these models lived in ``procurement`` (``db_table``), so
the move lost no rows. ``po`` and ``supplier`` name the rows a message is about by lazy reference;
nothing here imports the apps that own them.
"""

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
