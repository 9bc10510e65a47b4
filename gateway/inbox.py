"""What every inbox folder (EDI partners', PLM and ERP exports') does with a file it cannot take: the
file's name made safe to store and show, and the move to ``rejected/`` with the reason beside it."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from django.utils import timezone


def name_shown(name: str) -> str:
    """A file name as a person can read and store it: bytes that are not UTF-8 as ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def safe_name(name: str) -> str:
    """``name`` cut to what any file system takes: ASCII letters, digits, ``._-``, at most 100."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name_shown(name)).lstrip(".")[:100] or "unnamed"


def stamped(name: str) -> str:
    """``name`` made unique by the time and a random tag in front of it."""
    return f"{timezone.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}-{name}"


def unique_rejected(rejected: Path, name: str) -> Path:
    """A name in ``rejected`` for a file to be moved there: ``name``, or a stamped one if it is taken."""
    target = rejected / name
    return rejected / stamped(name) if target.exists() else target


def reject(rejected: Path, source: Path, name: str, reason: str) -> Path | None:
    """Move a file to the ``rejected`` folder under a name of its own, with the reason written beside it."""
    if not source.exists():
        return None
    target = unique_rejected(rejected, name)
    # The reason first: a worker that dies between the two leaves the file claimed, to be moved again.
    target.with_name(target.name + ".reason.txt").write_text(reason.rstrip() + "\n")
    os.replace(source, target)
    return target
