"""Background work: thin tasks that load by id and call one service."""

from celery import shared_task
from django.utils import timezone

from procurement import services
from procurement.models import OutboundMessage
from procurement.services import WriteSource
from procurement.services.outbox import outbox_digests_deliver


# A lost delivery task loses nothing (the beat sweep finds the row again), so plain acks are fine here.
@shared_task(name="procurement.tasks.outbox_deliver", ignore_result=True)
def outbox_deliver(message_id: int) -> str:
    """Deliver one outbox message if it is due; safe to run twice (the claim is conditional).

    After a failed attempt the task schedules itself for the message's next attempt time, so
    retries follow the backoff without waiting for the sweep.
    """
    state = services.outbox_message_deliver(message_id=message_id)
    if state == OutboundMessage.State.PENDING:
        due = OutboundMessage.objects.filter(pk=message_id).values_list("next_attempt_at", flat=True).first()
        if due is not None:
            delay = max((due - timezone.now()).total_seconds(), 0)
            outbox_deliver.apply_async((message_id,), countdown=delay)
    return state


@shared_task(name="procurement.tasks.outbox_dispatch_due", ignore_result=True)
def outbox_dispatch_due() -> int:
    """Send the buyers' digests, then deliver every other message that is due now (new ones whose
    enqueue was lost, and retries)."""
    sent = outbox_digests_deliver()
    due = services.outbox_due_ids()
    for message_id in due:
        services.outbox_message_deliver(message_id=message_id)
    return sent + len(due)


@shared_task(name="procurement.tasks.acknowledgements_overdue_check", ignore_result=True)
def acknowledgements_overdue_check() -> int:
    """Raise an exception for each PO revision whose acknowledgement is overdue."""
    source = WriteSource(channel="system", label="scheduler")
    return len(services.acknowledgements_overdue_raise(source=source))
