import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")

app = Celery("gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _broker_folders(sender: Celery, **kwargs) -> None:
    """The embedded broker keeps its queue in folders that must exist before a worker polls them."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@task_prerun.connect
@task_postrun.connect
def _database_connections(task=None, **kwargs) -> None:
    """Keep a worker's database connection between tasks, as the web process keeps one between requests.

    Celery's Django fix-up would close it after every task (CELERY_DB_REUSE_MAX turns that down), so
    each task paid for a new PostgreSQL session; here the connection is dropped only when it is too
    old, broken, or left in a transaction (CONN_MAX_AGE and CONN_HEALTH_CHECKS apply as for requests).
    """
    if task is not None and task.request.is_eager:
        return  # inside the caller's own transaction
    close_old_connections()
