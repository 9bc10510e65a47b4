"""Scheduled work of the portal: thin, each calls one service."""

from celery import shared_task

from .notices import digests_send, notifications_sweep


@shared_task(name="portal.tasks.notifications_sweep", ignore_result=True)
def notifications_sweep_task() -> int:
    """People's inbox lines and immediate e-mails from what the audit trail recorded since the last sweep."""
    return notifications_sweep()


@shared_task(name="portal.tasks.notification_digests_send", ignore_result=True)
def notification_digests_send() -> int:
    """Each person's daily digest of the events they chose to hear of once a day."""
    return digests_send()
