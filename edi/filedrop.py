"""The file-drop channel: partners drop X12 files in their inbox; the worker picks them up.

Per partner, under ``GATEWAY_FILE_ROOT/edi/<folder>/``: ``inbox/`` (theirs to write), ``outbox/``
(ours), ``archive/`` (what was read, by day) and ``rejected/`` (what could not be read, each with
a ``.reason.txt`` beside it). A file still being written — a dot-file, ``*.tmp``, ``*.part``,
``*.filepart``, or one changed within the last ``GATEWAY_EDI_SETTLE_SECONDS`` — is left alone.
A file is claimed by renaming it into ``inbox/.claimed/`` under a name that records the claim's
own time and the correlation id its stored document gets: the rename succeeds for exactly one
worker, so two workers never process the same file, and a claim left behind by a dead worker is
judged by when it was claimed (a partner's file may arrive with any mtime, and a rename keeps it)
and found again by its document, so it is never stored twice.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from edi.models import TradingPartner
from gateway.correlation import new_correlation_id
from procurement.models import InboundDocument
from procurement.services import inbound_document_store

log = logging.getLogger(__name__)
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".filepart", ".partial", ".crdownload")
CLAIMED = ".claimed"


@dataclass(frozen=True)
class Folders:
    root: Path
    inbox: Path
    outbox: Path
    archive: Path
    rejected: Path

    @property
    def claimed(self) -> Path:
        return self.inbox / CLAIMED


def edi_root() -> Path:
    return Path(settings.GATEWAY_FILE_ROOT).resolve() / "edi"


def folders(partner: TradingPartner) -> Folders:
    """The partner's folders, made if missing; the folder name is checked to stay under the EDI root."""
    root = (edi_root() / partner.folder).resolve()
    if not root.is_relative_to(edi_root()) or root == edi_root():
        raise ValueError(f"partner folder {partner.folder!r} leaves the EDI root")
    found = Folders(root, root / "inbox", root / "outbox", root / "archive", root / "rejected")
    for path in (found.inbox, found.outbox, found.archive, found.rejected, found.claimed):
        path.mkdir(parents=True, exist_ok=True)
    return found


@dataclass(frozen=True)
class Claimed:
    partner_id: int
    document_id: int
    path: str  # the claimed file, to archive or reject once processed


def scan(
    *, now: float | None = None, limit: int | None = None, settling: list[float] | None = None
) -> Iterator[Claimed]:
    """Claim and store settled files from every active partner's inbox, yielding each as it is claimed.

    At most ``limit`` files per scan (``GATEWAY_EDI_SCAN_BATCH``): the next scan takes the rest,
    and the first files are already being processed meanwhile. A file too fresh to take adds to
    ``settling`` the seconds until it will have settled, so the caller can look again just then.
    """
    now = time.time() if now is None else now
    limit = settings.GATEWAY_EDI_SCAN_BATCH if limit is None else limit
    taken = 0
    for partner in TradingPartner.objects.filter(active=True).select_related("supplier", "company"):
        try:
            place = folders(partner)
        except (OSError, ValueError) as error:
            log.error("cannot use the folders of partner %s: %s", partner, error)
            continue
        for entry in sorted(os.scandir(place.inbox), key=lambda e: e.name):
            if taken >= limit:
                return
            wait = _wait(entry, now)
            if wait is None:
                continue
            if wait > 0:
                if settling is not None:
                    settling.append(wait)
                continue
            result = _claim(partner, place, entry)
            if result is not None:
                taken += 1
                yield result


def _wait(entry: os.DirEntry[str], now: float) -> float | None:
    """Seconds until ``entry`` may be taken (0: now), or None when it is never to be taken from here."""
    name = entry.name
    if name.startswith(".") or name.lower().endswith(IN_PROGRESS_SUFFIXES):
        return None
    # Only plain files that live in the inbox itself: no links out of the partner's folder.
    if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
        return None
    stat = entry.stat(follow_symlinks=False)
    return max(0.0, settings.GATEWAY_EDI_SETTLE_SECONDS - (now - stat.st_mtime))


def claim_name(name: str, correlation_id: str, claimed_at: float) -> str:
    """``<claim time, ms>.<correlation id>__<name as dropped>``."""
    return f"{int(claimed_at * 1000)}.{correlation_id}__{name}"


def claim_parse(claimed: str) -> tuple[float | None, str, str]:
    """The claim time (seconds), correlation id and original name in a claimed file's name.

    A claim made before claims carried their time (``<token>__<name>``) gives no time and no id.
    """
    head, _, original = claimed.partition("__")
    stamp, dot, correlation_id = head.partition(".")
    if not dot or not stamp.isdigit():
        return None, "", original or claimed
    return int(stamp) / 1000, correlation_id, original


def _claim(partner: TradingPartner, place: Folders, entry: os.DirEntry[str]) -> Claimed | None:
    correlation_id = new_correlation_id()
    target = place.claimed / claim_name(entry.name, correlation_id, time.time())
    try:
        os.rename(entry.path, target)
    except FileNotFoundError:
        return None  # another worker claimed it first
    size = target.stat().st_size
    limit = settings.GATEWAY_EDI_MAX_FILE_BYTES
    too_large = size > limit
    content = b"" if too_large else target.read_bytes()
    document = inbound_document_store(
        channel="edi",
        sender=partner.supplier.code,
        content=content,
        declared_size=size if too_large else None,
        max_bytes=limit,
        supplier=partner.supplier,
        company=partner.company,
        document_type="x12",
        filename=entry.name,
        content_type="application/edi-x12",
        correlation_id=correlation_id,
    )
    if document.state == InboundDocument.State.REJECTED:
        reject(place, target, entry.name, document.error)
        return None
    return Claimed(partner.pk, document.pk, str(target))


def claimed_file_finish(partner: TradingPartner, claimed_path: str, document: InboundDocument) -> Path | None:
    """Move a claimed file out of the inbox once its document is settled: rejected files to
    ``rejected/`` with the reason, the rest to ``archive/``. A file already moved is left alone, so
    this runs any number of times for one file and moves it once."""
    place = folders(partner)
    path = Path(claimed_path) if claimed_path else None
    if (path is None or not path.exists()) and document.correlation_id:
        # Claimed again since this task was queued (the sweep renames a stale claim to a fresh
        # claim time): the same file, found by its document's correlation id.
        path = next(place.claimed.glob(f"*.{document.correlation_id}__*"), None)
    if path is None:
        return None
    if document.state == InboundDocument.State.REJECTED:
        return reject(place, path, document.filename, document.error)
    return archive(partner, str(path), document)


def archive(partner: TradingPartner, claimed_path: str, document: InboundDocument) -> Path | None:
    """Move a processed file to ``archive/YYYY/MM/DD/<document id>__<name>``."""
    place = folders(partner)
    source = Path(claimed_path)
    if not source.exists():
        return None
    day = place.archive / timezone.now().strftime("%Y/%m/%d")
    day.mkdir(parents=True, exist_ok=True)
    target = day / f"{document.pk}__{document.filename}"
    os.replace(source, target)
    return target


def reject(place: Folders, source: Path, name: str, reason: str) -> Path | None:
    """Move a file to ``rejected/`` under a name of its own, with the reason written beside it."""
    if not source.exists():
        return None
    target = place.rejected / name
    if target.exists():
        target = place.rejected / f"{timezone.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}-{name}"
    # The reason first: a worker that dies between the two leaves the file claimed, to be moved again.
    target.with_name(target.name + ".reason.txt").write_text(reason.rstrip() + "\n")
    os.replace(source, target)
    return target


@dataclass(frozen=True)
class StaleClaim:
    partner_id: int
    path: str
    correlation_id: str


def claims_recover(*, now: float | None = None) -> tuple[list[StaleClaim], set[str]]:
    """Deal with claims older than ``GATEWAY_EDI_STALE_CLAIM_SECONDS`` (by the claim's own time).

    A stale claim whose file was never stored goes back to the inbox, to be claimed and stored
    once. One whose file was stored is claimed again where it lies (renamed to a fresh claim time,
    which only one sweeper can do) and returned, for the caller to queue its document. Also
    returns the correlation ids of every claim seen, stale or not: their documents have a file.
    """
    now = time.time() if now is None else now
    stale: list[StaleClaim] = []
    seen: set[str] = set()
    for partner in TradingPartner.objects.filter(active=True).select_related("supplier", "company"):
        try:
            place = folders(partner)
        except (OSError, ValueError) as error:
            log.error("cannot use the folders of partner %s: %s", partner, error)
            continue
        for entry in os.scandir(place.claimed):
            if not entry.is_file(follow_symlinks=False):
                continue
            claimed_at, correlation_id, original = claim_parse(entry.name)
            if correlation_id:
                seen.add(correlation_id)
            if claimed_at is None:
                claimed_at = entry.stat(follow_symlinks=False).st_mtime  # a claim from before claims were timed
            if now - claimed_at <= settings.GATEWAY_EDI_STALE_CLAIM_SECONDS:
                continue
            stored = (
                correlation_id and InboundDocument.objects.filter(channel="edi", correlation_id=correlation_id).exists()
            )
            target = place.claimed / claim_name(original, correlation_id, now) if stored else place.inbox / original
            if not stored and target.exists():
                continue  # the partner has dropped a file of that name again: wait until it is taken
            try:
                os.rename(entry.path, target)
            except FileNotFoundError:
                continue  # finished or taken over meanwhile
            except OSError as error:
                log.warning("could not recover stale claim %s: %s", entry.path, error)
                continue
            if stored:
                stale.append(StaleClaim(partner.pk, str(target), correlation_id))
    return stale, seen
