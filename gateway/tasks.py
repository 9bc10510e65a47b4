"""The workers' heartbeat: the scheduler sends one to each queue every minute."""

from celery import shared_task

from .readiness import heartbeat_record


# A lost heartbeat is only a late one: the next comes a minute later.
@shared_task(name="gateway.tasks.heartbeat", ignore_result=True)
def heartbeat(component: str) -> None:
    """Record that a worker consuming ``component``'s queue ran just now; safe to run twice."""
    heartbeat_record(component=component)
