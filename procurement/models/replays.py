from django.conf import settings
from django.db import models


class DocumentReplayRequest(models.Model):
    """A buyer's request to replay a stored inbound document that would change financial state.

    An invoice replayed could put money on the record twice over if the replay is wrong, so one
    person asks and another of the same company approves; only then is the document replayed.
    At most one request per document waits at a time.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", "Awaiting a second person's approval"
        REPLAYED = "replayed", "Approved and replayed"

    document = models.ForeignKey(
        "procurement.InboundDocument", on_delete=models.PROTECT, related_name="replay_requests"
    )
    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True, help_text="What the replay did, as the replayer said.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document"], condition=models.Q(state="requested"), name="replay_request_one_waiting"
            ),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True) | ~models.Q(approved_by=models.F("requested_by")),
                name="replay_request_four_eyes",
            ),
        ]
