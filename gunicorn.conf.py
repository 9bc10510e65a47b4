"""gunicorn's settings for the web service (read from the working directory: compose, the image,
``make bench``): logs in the gateway's format, and Prometheus' multiprocess files kept right."""

import os

from gateway import logs, metrics

# gunicorn's own lines (errors, the access log) in the same format as the app's: JSON in production.
logconfig_dict = logs.logging_config(
    log_format=logs.environment_log_format(os.environ), level=os.environ.get("GATEWAY_LOG_LEVEL", "INFO")
)


def on_starting(server):
    """Before any worker forks: the files of this host's earlier web processes are not counted again."""
    metrics.process_files_clear("web")


def child_exit(server, worker):
    """A worker process ended (restarted, killed): its live gauges stop counting."""
    metrics.process_dead(worker.pid, role="web")
