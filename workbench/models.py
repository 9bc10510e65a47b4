from django.conf import settings
from django.db import models


class SavedView(models.Model):
    """A person's named set of queue filters, kept as the query string the queue page reads."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_name_unique")]

    def __str__(self) -> str:
        return self.name
