import io
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import models


class InboundDocument(models.Model):
    """A payload exactly as it arrived, stored before anything parses it.

    A crash after this row is written loses nothing: processing can start again from the
    payload. ``state`` and ``error`` record the outcome of the last attempt. A small payload is
    kept in the row (``content``); a large one in the content-addressed file store under
    ``GATEWAY_FILE_ROOT`` (``store_path``), read-only once written. Read it with ``open_payload()``.
    """

    class State(models.TextChoices):
        RECEIVED = "received", "Received, not yet processed"
        PROCESSED = "processed", "Applied"
        DUPLICATE = "duplicate", "Duplicate: no further effect"
        REFUSED = "refused", "Refused by the procurement record"
        REJECTED = "rejected", "Unreadable: rejected"
        FAILED = "failed", "Failed: will be retried"

    channel = models.CharField(max_length=16)
    sender = models.CharField(max_length=80, help_text="Supplier code, partner id or system key name.")
    supplier = models.ForeignKey(
        "suppliers.Supplier", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(
        "procurement.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The buying company the payload concerns: the sending system's or EDI partner's, "
        "or, once applied, the company of the record it made. Empty for a payload nobody could place.",
    )
    document_type = models.CharField(max_length=32, blank=True)
    document_key = models.CharField(max_length=120, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField()
    store_path = models.CharField(
        max_length=100,
        blank=True,
        help_text="Where a payload too large for the row is kept, under GATEWAY_FILE_ROOT "
        "(store/<sha256[:2]>/<sha256>); empty: the payload is in content.",
    )
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    correlation_id = models.CharField(max_length=64, db_index=True)
    received_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.RECEIVED)
    outcome_code = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "sender", "document_key"])]

    def __str__(self) -> str:
        return f"{self.channel}:{self.sender}:{self.document_type or '?'} #{self.pk}"

    def open_payload(self) -> BinaryIO:
        """The payload as it arrived, as a binary file to read from the start (and close)."""
        if self.store_path:
            return (Path(settings.GATEWAY_FILE_ROOT) / self.store_path).open("rb")
        return io.BytesIO(bytes(self.content))
