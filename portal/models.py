from django.conf import settings
from django.db import models


class PurchaseOrderSeen(models.Model):
    """When a supplier's person last opened a PO's page, and at which revision.

    The inbox compares it with the PO: never opened is "new", changed since is "changed since I
    last looked". Per person, not per supplier: a colleague's look does not clear my badge.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    po = models.ForeignKey("procurement.PurchaseOrder", on_delete=models.CASCADE, related_name="+")
    revision = models.PositiveIntegerField()
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "po"], name="po_seen_unique")]

    def __str__(self) -> str:
        return f"{self.user} saw {self.po} at {self.seen_at:%Y-%m-%d %H:%M}"


class NotifiedEvent(models.Model):
    """An audit event the notification sweep has turned into inbox lines (or found concerns no one).

    The sweep reads a trailing window of the trail rather than "everything after the last id": a
    transaction that took an id before another but committed after it is still found, and this row
    says it was handled. Rows older than the window are pruned.
    """

    audit_event_id = models.BigIntegerField(primary_key=True)
    handled_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"audit event {self.audit_event_id} handled {self.handled_at:%Y-%m-%d %H:%M}"
