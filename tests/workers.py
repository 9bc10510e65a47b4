"""A real Celery worker for the cross-app tests and the chaos run: how it is started and awaited.

Standard library only, so ``python -m tests.chaos`` can use it before Django is set up.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def worker_command(hostname: str, *, beat_schedule: Path | None = None) -> list[str]:
    """One solo worker on every queue, with the scheduler inside it when ``beat_schedule`` is given.

    The file-based scheduler keeps the database free of beat's own tables' state.
    """
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "gateway",
        "worker",
        "-Q",
        "default,edi,outbox,materials",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname={hostname}",
    ]
    if beat_schedule is not None:
        command += ["--beat", "--scheduler=celery.beat:PersistentScheduler", f"--schedule={beat_schedule}"]
    return command


def worker_wait_ready(process: subprocess.Popen, log: Path, *, timeout: float = 60, interval: float = 0.1) -> None:
    """Return once the worker's log says it is ready; raise ``RuntimeError`` with the log if it dies or times out."""
    deadline = time.monotonic() + timeout
    while b"ready." not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start:\n{log.read_text(errors='replace')}")
        time.sleep(interval)
