"""What every inbox folder (EDI partners', PLM and ERP exports') does with what is dropped in it:
the scan that takes each entry on its own, the file's name made safe to store and show, and the
move to ``rejected/`` with the reason beside it."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from django.utils import timezone

log = logging.getLogger(__name__)

T = TypeVar("T")


def entries_take(
    inbox: Path,
    *,
    limit: int,
    unusable: Callable[[os.DirEntry[str]], str | None],
    ready: Callable[[os.DirEntry[str]], bool],
    claim: Callable[[os.DirEntry[str]], T | None],
    refuse: Callable[[os.DirEntry[str], str], object],
    label: str,
) -> Iterator[T]:
    """Claim up to ``limit`` entries of ``inbox`` in name order, yielding each claim as it is made.

    Each entry on its own: one that can never be taken (``unusable`` gives the reason) is
    ``refuse``d; one not ``ready`` yet (still settling, in progress) is left for a later scan;
    ``claim`` takes the rest (None: another worker was first, or it was refused while stored).
    Whatever one entry does, even an unexpected error, the scan goes on with the next, and that
    entry is refused with the error. ``label`` names the inbox in the log.
    """
    if limit <= 0:
        return
    try:
        entries = sorted(os.scandir(inbox), key=lambda e: e.name)
    except OSError as error:
        log.error("cannot read the inbox of %s: %s", label, error)
        return
    taken = 0
    for entry in entries:
        try:
            reason = unusable(entry)
            if reason is not None:
                refuse(entry, reason)
                continue
            if not ready(entry):
                continue
            claimed = claim(entry)
        except FileNotFoundError:
            continue  # gone since the inbox was read: taken by another worker, or by its sender
        except Exception as error:  # one entry must never stop the scan
            log.exception("could not take %s from the inbox of %s", name_shown(entry.name), label)
            try:
                refuse(entry, f"could not be taken: {error}")
            except Exception:
                log.exception("could not reject %s", name_shown(entry.name))
            continue
        if claimed is not None:
            yield claimed
            taken += 1
            if taken >= limit:
                return


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
