from django.conf import settings
from django.db import models


class EscalationRule(models.Model):
    """Who hears about an exception left overdue: a named supervisor, per plant or for the whole company.

    A plant's rule wins over its company's. ``overdue_margin_hours`` is how long past its due time an
    open exception may sit before the supervisor is told.
    """

    company = models.ForeignKey("procurement.Company", on_delete=models.CASCADE, related_name="+")
    plant = models.ForeignKey(
        "procurement.Plant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: every plant of the company without a rule of its own.",
    )
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    overdue_margin_hours = models.PositiveIntegerField(default=24)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "plant"], name="escalation_rule_plant_unique"),
            models.UniqueConstraint(
                fields=["company"], condition=models.Q(plant__isnull=True), name="escalation_rule_company_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id}/{self.plant_id or '*'} → {self.supervisor_id}"


class ExceptionNote(models.Model):
    """A buyer's internal note on an exception, or the record of its escalation. Never shown to a supplier."""

    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        ESCALATION = "escalation", "Escalation"

    exception = models.ForeignKey("procurement.ProcurementException", on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=120)
    body = models.TextField()
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # The sweep escalates an exception once: a second run finds the row and does nothing.
            models.UniqueConstraint(
                fields=["exception"], condition=models.Q(kind="escalation"), name="exception_escalated_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.exception_id}"
