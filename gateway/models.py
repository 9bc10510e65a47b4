from django.db import models


class Heartbeat(models.Model):
    """When a background component last showed it is alive: a worker of each queue, the scheduler.

    One row per component, overwritten in place; /readyz reads their ages.
    """

    component = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.component} at {self.at:%Y-%m-%d %H:%M:%S}"
