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
