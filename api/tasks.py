from celery import shared_task

from .idempotency import idempotency_records_purge as purge


@shared_task(name="api.tasks.idempotency_records_purge", ignore_result=True)
def idempotency_records_purge() -> int:
    """Forget Idempotency-Keys past their window."""
    return purge()
