"""Outbox delivery tasks: thin, they load by id and call one service."""

from celery import shared_task
from django.utils import timezone

from .models import OutboundMessage
from .services import outbox_digests_deliver, outbox_due_ids, outbox_message_deliver


# A lost delivery task loses nothing (the beat sweep finds the row again), so plain acks are fine here.
@shared_task(name="notifications.tasks.outbox_deliver", ignore_result=True)
def outbox_deliver(message_id: int) -> str:
    """Deliver one outbox message if it is due; safe to run twice (the claim is conditional).

    After a failed attempt the task schedules itself for the message's next attempt time, so
    retries follow the backoff without waiting for the sweep.
    """
    state = outbox_message_deliver(message_id=message_id)
    if state == OutboundMessage.State.PENDING:
        due = OutboundMessage.objects.filter(pk=message_id).values_list("next_attempt_at", flat=True).first()
        if due is not None:
            delay = max((due - timezone.now()).total_seconds(), 0)
            outbox_deliver.apply_async((message_id,), countdown=delay)
    return state


@shared_task(name="notifications.tasks.outbox_dispatch_due", ignore_result=True)
def outbox_dispatch_due() -> int:
    """Send the buyers' digests, then deliver every other message that is due now (new ones whose
    enqueue was lost, and retries)."""
    sent = outbox_digests_deliver()
    due = outbox_due_ids()
    for message_id in due:
        outbox_message_deliver(message_id=message_id)
    return sent + len(due)


# The tasks' names before the outbox had an app of its own: deliveries queued under them before an
# upgrade (a retry waits in the broker for its backoff) still run.
@shared_task(name="procurement.tasks.outbox_deliver", ignore_result=True)
def outbox_deliver_queued_before_upgrade(message_id: int) -> str:
    """``outbox_deliver`` under its former task name."""
    return outbox_deliver(message_id)


@shared_task(name="procurement.tasks.outbox_dispatch_due", ignore_result=True)
def outbox_dispatch_due_queued_before_upgrade() -> int:
    """``outbox_dispatch_due`` under its former task name."""
    return outbox_dispatch_due()
