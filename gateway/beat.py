"""The scheduler, with a heartbeat of its own for /readyz."""

import logging
import time

from django_celery_beat.schedulers import DatabaseScheduler

from .readiness import SCHEDULER, heartbeat_record

log = logging.getLogger(__name__)
# Beat ticks every few seconds; the heartbeat is written at most this often.
WRITE_EVERY_SECONDS = 15.0


class Scheduler(DatabaseScheduler):
    """django-celery-beat's database scheduler, recording its last tick in the database."""

    _heartbeat_written = float("-inf")

    def tick(self, *args, **kwargs) -> float:
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._heartbeat_written >= WRITE_EVERY_SECONDS:
            try:
                heartbeat_record(component=SCHEDULER)
                self._heartbeat_written = now
            except Exception:  # the database is down: readiness says so; the schedule goes on
                log.warning("scheduler: could not record its heartbeat", exc_info=True)
        return interval
