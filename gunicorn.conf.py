"""gunicorn's settings for the web service (read from the working directory: compose, the image,
``make bench``): its own lines in the gateway's log format, and Prometheus' multiprocess files
kept right."""

import gc
import os

from gunicorn import glogging

from gateway import logs, metrics

LOG_FORMAT = logs.environment_log_format(os.environ)


class GatewayLogger(glogging.Logger):
    """gunicorn's error and access lines in the gateway's format (JSON in production). The access
    log is written only where the command line asks for it (compose: ``--access-logfile -``)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logs.formatter(LOG_FORMAT))
                handler.addFilter(logs.LogContextFilter())


logger_class = GatewayLogger


def on_starting(server):
    """Before any worker forks: the files of this host's earlier web processes are not counted again."""
    metrics.process_files_clear("web")


def child_exit(server, worker):
    """A worker process ended (restarted, killed): its live gauges stop counting."""
    metrics.process_dead(worker.pid, role="web")


def post_worker_init(worker):
    """A worker has loaded the application: import the URLconf and every view it names now, then
    freeze what is loaded so the garbage collector stops scanning it.

    Otherwise each full collection walks the ~200,000 objects of Django, DRF and our modules; it
    came every few hundred requests and stalled the request that triggered it by 50-160 ms, which
    was the acknowledgement POST's p99 at 100 requests/s. Frozen objects are never freed, which is
    what modules and the URLconf are anyway.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imported here rather than on the first request
    gc.collect()
    gc.freeze()
