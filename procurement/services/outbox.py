"""Staff acting on the outbox, recorded on the procurement record.

Delivery itself lives in ``notifications``; sending a message again is a person's decision, so it
is audited here, in the same transaction as the requeue.
"""

from __future__ import annotations

from django.db import transaction

from notifications.models import OutboundMessage
from notifications.services import MessageNotFound, MessageNotRequeueable, outbox_message_requeue
from procurement.models import AuditEvent

from .audit import audit_event
from .errors import InvalidAction, NotFound
from .sources import WriteSource


@transaction.atomic
def outbox_message_retry(*, message_id: int, source: WriteSource, redeliver: bool = False) -> OutboundMessage:
    """Put a dead-lettered message back in the queue with a fresh set of attempts. Audited.

    With ``redeliver``, a message already delivered is sent again too (a receiver asked for it;
    it carries the same idempotency key, so a careful receiver applies it once). Raises
    ``NotFound`` or ``InvalidAction``; the delivery is queued once the transaction commits.
    """
    try:
        message = outbox_message_requeue(message_id=message_id, redeliver=redeliver)
    except MessageNotFound as error:
        raise NotFound(str(error)) from error
    except MessageNotRequeueable as error:
        raise InvalidAction(str(error)) from error
    AuditEvent.objects.bulk_create(
        [
            audit_event(
                source=source,
                action="outbox.retried",
                obj=message,
                po=message.po,
                now=message.next_attempt_at,
                after={"attempts": message.attempts, "max_attempts": message.max_attempts},
            )
        ]
    )
    return message
