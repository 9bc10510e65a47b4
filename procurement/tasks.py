"""Background work: thin tasks that load by id and call one service.

Outbox delivery runs in ``notifications.tasks``.
"""

from celery import shared_task

from procurement import services
from procurement.services import WriteSource


@shared_task(name="procurement.tasks.acknowledgements_overdue_check", ignore_result=True)
def acknowledgements_overdue_check() -> int:
    """Raise an exception for each PO revision whose acknowledgement is overdue."""
    source = WriteSource(channel="system", label="scheduler")
    return len(services.acknowledgements_overdue_raise(source=source))


@shared_task(name="procurement.tasks.exceptions_overdue_escalate", ignore_result=True)
def exceptions_overdue_escalate() -> int:
    """Tell each plant's or company's supervisor about exceptions overdue past the rule's margin."""
    source = WriteSource(channel="system", label="scheduler")
    return len(services.exceptions_overdue_escalate(source=source))
