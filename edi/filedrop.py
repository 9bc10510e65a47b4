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

Each entry of an inbox is handled on its own, so no entry stops a scan. One that can never be
received — a name not UTF-8 or too long to claim, a link, pipe, directory, device or socket, a
dot-file left for more than a day — is moved to ``rejected/`` under a safe name, with its original
name and the reason in the ``.reason.txt``, and an exception for the partner's buyers; one that
cannot be moved is left where it is and recorded once.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from edi.models import TradingPartner
from gateway import inbox
from gateway.correlation import new_correlation_id
from gateway.inbox import name_shown
from procurement.models import InboundDocument, ProcurementException
from procurement.services import WriteSource
from procurement.services.inbound import inbound_document_build, inbound_documents_insert
from procurement.services.raising import exception_draft, exception_raise

log = logging.getLogger(__name__)
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".filepart", ".partial", ".crdownload")
CLAIMED = ".claimed"
NAME_MAX = 255  # bytes in one file name (ext4, XFS, tmpfs)
# The outcome code of a document given up on (``edi.services.interchange_file_attempt``): its
# file is moved to ``rejected/`` with the reason.
DEAD_LETTER = "dead_letter"
# A dot-file still there after this long is not being written: it is left over, and rejected.
DOT_FILE_MAX_AGE_SECONDS = 24 * 3600


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
    size: int = 0  # bytes: small files are received several to a task


def _active_partners() -> Iterator[tuple[TradingPartner, Folders]]:
    """Each active partner with its folders; a partner whose folders cannot be used is logged and passed over."""
    for partner in TradingPartner.objects.filter(active=True).select_related("supplier", "company"):
        try:
            place = folders(partner)
        except (OSError, ValueError) as error:
            log.error("cannot use the folders of partner %s: %s", partner, error)
            continue
        yield partner, place


def scan(
    *, now: float | None = None, limit: int | None = None, settling: list[float] | None = None
) -> Iterator[Claimed]:
    """Claim and store settled files from every active partner's inbox, yielding each as it is claimed.

    At most ``limit`` files per scan (``GATEWAY_EDI_SCAN_BATCH``): the next scan takes the rest,
    and the first files are already being processed meanwhile. A file too fresh to take adds to
    ``settling`` the seconds until it will have settled, so the caller can look again just then;
    so does a file still being written to (``*.part``, a dot-file) within the settling time: once
    renamed into place it keeps its time, so it may be taken then. One left unwritten for longer
    adds nothing, and waits for the scheduled scans.
    """
    now = time.time() if now is None else now
    limit = settings.GATEWAY_EDI_SCAN_BATCH if limit is None else limit
    taken = 0

    def ready(entry: os.DirEntry[str]) -> bool:
        wait = _wait(entry, now)
        if settling is not None:
            soon = _in_progress_wait(entry, now) if wait is None else wait
            if soon is not None and soon > 0:
                settling.append(soon)
        return wait == 0

    for partner, place in _active_partners():
        taking = inbox.entries_take(
            place.inbox,
            limit=limit - taken,
            unusable=lambda entry: _unusable(entry, now),
            ready=ready,
            claim=functools.partial(_claim, partner, place),
            refuse=functools.partial(unusable_reject, partner, place),
            label=f"partner {partner}",
        )
        # Claimed a batch's worth at a time and stored together, in one commit rather than one per file.
        while renamed := list(itertools.islice(taking, max(settings.GATEWAY_EDI_RECEIVE_BATCH, 1))):
            for claimed in _store(partner, place, renamed):
                taken += 1
                yield claimed
        if taken >= limit:
            return


def _claim_name_fits(name: str) -> bool:
    longest = claim_name(name, "0" * 32, 9999999999.999)
    return len(os.fsencode(longest)) <= NAME_MAX


def _unusable(entry: os.DirEntry[str], now: float) -> str | None:
    """Why ``entry`` can never be received (None: it may be, now or once it has settled)."""
    name = entry.name
    if name == CLAIMED:
        return None
    if name.startswith("."):
        mtime = entry.stat(follow_symlinks=False).st_mtime
        if now - mtime > DOT_FILE_MAX_AGE_SECONDS:
            return "a dot-file left in the inbox for more than a day; files in progress are renamed when complete"
        return None
    mode = entry.stat(follow_symlinks=False).st_mode
    if stat.S_ISLNK(mode):
        return "a symbolic link; links are never followed, drop the file itself"
    if stat.S_ISDIR(mode):
        return "a directory; only files are read from the inbox"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO); only regular files are read from the inbox"
    if not stat.S_ISREG(mode):
        return "a device or socket; only regular files are read from the inbox"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not UTF-8; name files in UTF-8"
    if not _claim_name_fits(name):
        return (
            f"the file name is {len(os.fsencode(name))} bytes, too long to be claimed; "
            f"keep names to {CLAIMABLE_NAME_BYTES} bytes at most"
        )
    return None


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


def _in_progress_wait(entry: os.DirEntry[str], now: float) -> float | None:
    """For a plain file still being written (``_wait`` gives None), the seconds until it has settled
    by its time; None for anything else."""
    name = entry.name
    if name == CLAIMED or not (name.startswith(".") or name.lower().endswith(IN_PROGRESS_SUFFIXES)):
        return None
    if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
        return None
    return max(0.0, settings.GATEWAY_EDI_SETTLE_SECONDS - (now - entry.stat(follow_symlinks=False).st_mtime))


def claim_name(name: str, correlation_id: str, claimed_at: float) -> str:
    """``<claim time, ms>.<correlation id>__<name as dropped>``."""
    return f"{int(claimed_at * 1000)}.{correlation_id}__{name}"


SHOWN_NAME_CHARACTERS = 64

# The longest name a partner's file may have: its claimed name (with the claim's tag and time) must
# still fit the file system's NAME_MAX.
CLAIMABLE_NAME_BYTES = max(n for n in range(1, NAME_MAX + 1) if _claim_name_fits("a" * n))


def claim_parse(claimed: str) -> tuple[float | None, str, str]:
    """The claim time (seconds), correlation id and original name in a claimed file's name.

    A claim made before claims carried their time (``<token>__<name>``) gives no time and no id.
    """
    head, _, original = claimed.partition("__")
    stamp, dot, correlation_id = head.partition(".")
    if not dot or not stamp.isdigit():
        return None, "", original or claimed
    return int(stamp) / 1000, correlation_id, original


@dataclass(frozen=True)
class _Renamed:
    """A file claimed (renamed into ``.claimed/``), not stored yet."""

    name: str  # as dropped
    path: Path
    correlation_id: str


def _claim(partner: TradingPartner, place: Folders, entry: os.DirEntry[str]) -> _Renamed | None:
    correlation_id = new_correlation_id()
    target = place.claimed / claim_name(entry.name, correlation_id, time.time())
    try:
        os.rename(entry.path, target)
    except FileNotFoundError:
        return None  # another worker claimed it first
    return _Renamed(entry.name, target, correlation_id)


def _store(partner: TradingPartner, place: Folders, renamed: list[_Renamed]) -> list[Claimed]:
    """Store the claimed files in one transaction, then move those refused as stored (too large) to
    ``rejected/``. Should that transaction fail, each is stored in one of its own, so a file that
    cannot be stored holds back no other; it stays claimed, and the sweep puts it back in the inbox
    once its claim is stale (``claims_recover``), as for a worker that died between a claim and
    its store."""
    try:
        with transaction.atomic():
            stored = [(item, _document_build(partner, item)) for item in renamed]
            inbound_documents_insert([document for _, (document, _) in stored])  # one statement for them all
    except Exception:
        stored = []
        for item in renamed:
            try:
                with transaction.atomic():
                    stored.append((item, _document_store(partner, item)))
            except Exception:
                log.exception("could not store %s claimed from the inbox of partner %s", name_shown(item.name), partner)
    claimed = []
    for item, (document, size) in stored:
        if document.state == InboundDocument.State.REJECTED:
            reject(place, item.path, item.name, document.error)
        else:
            claimed.append(Claimed(partner.pk, document.pk, str(item.path), size))
    return claimed


def _document_store(partner: TradingPartner, item: _Renamed) -> tuple[InboundDocument, int]:
    document, size = _document_build(partner, item)
    inbound_documents_insert([document])
    return document, size


def _document_build(partner: TradingPartner, item: _Renamed) -> tuple[InboundDocument, int]:
    size = item.path.stat().st_size
    limit = settings.GATEWAY_EDI_MAX_FILE_BYTES
    too_large = size > limit
    # Stored under the name as dropped; a name that could not be stored was rejected before the claim.
    document = inbound_document_build(
        channel="edi",
        sender=partner.supplier.code,
        content=b"",
        path=None if too_large else item.path,
        declared_size=size if too_large else None,
        max_bytes=limit,
        supplier=partner.supplier,
        company=partner.company,
        document_type="x12",
        filename=item.name,
        content_type="application/edi-x12",
        correlation_id=item.correlation_id,
    )
    return document, size


def claimed_file_finish(
    partner: TradingPartner, claimed_path: str, document: InboundDocument, place: Folders | None = None
) -> Path | None:
    """Move a claimed file out of the inbox once its document is settled: rejected and dead-lettered
    files to ``rejected/`` with the reason, the rest to ``archive/``; a file whose document is still
    to be tried again stays claimed. A file already moved is left alone, so this runs any number of
    times for one file and moves it once. ``place``: the partner's folders, when the caller has them
    already (a batch makes them once for all its files)."""
    given_up = document.state == InboundDocument.State.FAILED and document.outcome_code == DEAD_LETTER
    if document.state in (InboundDocument.State.RECEIVED, InboundDocument.State.FAILED) and not given_up:
        return None
    place = folders(partner) if place is None else place
    path = Path(claimed_path) if claimed_path else None
    if (path is None or not path.exists()) and document.correlation_id:
        # Claimed again since this task was queued (the sweep renames a stale claim to a fresh
        # claim time): the same file, found by its document's correlation id.
        path = next(place.claimed.glob(f"*.{document.correlation_id}__*"), None)
    if path is None:
        return None
    if document.state == InboundDocument.State.REJECTED or given_up:
        return reject(place, path, document.filename, document.error)
    return archive(place, str(path), document)


def archive(place: Folders, claimed_path: str, document: InboundDocument) -> Path | None:
    """Move a processed file to ``archive/YYYY/MM/DD/<document id>__<name>``."""
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
    return inbox.reject(place.rejected, source, name, reason)


def unusable_reject(partner: TradingPartner, place: Folders, entry: os.DirEntry[str], reason: str) -> Path | None:
    """Move an entry that can never be received to ``rejected/`` under a safe name, with its reason,
    and tell the partner's buyers with an exception. One that cannot be moved stays and is recorded
    once (the exception's key names the entry; no scan raises it again)."""
    shown = name_shown(entry.name)
    status = entry.stat(follow_symlinks=False)
    identity = os.fsencode(entry.name) + f":{status.st_ino}:{status.st_mtime_ns}".encode()
    key = f"edi_inbox_unusable:{partner.pk}:{hashlib.sha256(identity).hexdigest()[:40]}"
    target = place.rejected / inbox.stamped(inbox.safe_name(entry.name))
    moved: Path | None = target
    try:
        target.with_name(target.name + ".reason.txt").write_text(f"{shown}\n{reason}\n")
        os.rename(entry.path, target)
    except FileNotFoundError:
        target.with_name(target.name + ".reason.txt").unlink(missing_ok=True)
        return None  # taken away meanwhile
    except OSError as error:
        target.with_name(target.name + ".reason.txt").unlink(missing_ok=True)
        reason = f"{reason} (left in the inbox, it could not be moved: {error.strerror or error})"
        moved = None
    if moved is None and ProcurementException.objects.filter(dedup_key=key).exists():
        return None  # recorded already: not again on every scan
    log.warning("rejected %s from the inbox of partner %s: %s", shown, partner, reason)
    source = WriteSource(channel="edi", label=f"file drop {partner.folder}")
    # The summary names the file as a queue row can show it; the evidence keeps the whole name.
    short = shown if len(shown) <= SHOWN_NAME_CHARACTERS else f"{shown[:40]}…{shown[-20:]}"
    text = f"file {short} in the inbox cannot be received: {reason}"
    draft = exception_draft(
        company=partner.company,
        kind=ProcurementException.Kind.INVALID_DOCUMENT,
        severity=ProcurementException.Severity.DATA_QUALITY,
        dedup_key=key,
        summary=text,
        evidence={"file": shown, "reason": reason, "rejected_as": moved.name if moved else None},
        supplier_message=text,
        source=source,
        supplier=partner.supplier,
    )
    exception_raise(draft, source=source)
    return moved


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
    for partner, place in _active_partners():
        try:
            entries = list(os.scandir(place.claimed))
        except OSError as error:
            log.error("cannot read the claims of partner %s: %s", partner, error)
            continue
        for entry in entries:
            # Each claim on its own: one that cannot be recovered does not stop the others.
            try:
                found = _claim_recover(partner, place, entry, now, seen)
            except Exception:
                log.exception("could not recover the claim %s", name_shown(entry.path))
                continue
            if found is not None:
                stale.append(found)
    return stale, seen


def _claim_recover(
    partner: TradingPartner, place: Folders, entry: os.DirEntry[str], now: float, seen: set[str]
) -> StaleClaim | None:
    if not entry.is_file(follow_symlinks=False):
        return None
    claimed_at, correlation_id, original = claim_parse(entry.name)
    if correlation_id:
        seen.add(correlation_id)
    if claimed_at is None:
        claimed_at = entry.stat(follow_symlinks=False).st_mtime  # a claim from before claims were timed
    if now - claimed_at <= settings.GATEWAY_EDI_STALE_CLAIM_SECONDS:
        return None
    stored = correlation_id and InboundDocument.objects.filter(channel="edi", correlation_id=correlation_id).exists()
    target = place.claimed / claim_name(original, correlation_id, now) if stored else place.inbox / original
    if not stored and target.exists():
        return None  # the partner has dropped a file of that name again: wait until it is taken
    try:
        os.rename(entry.path, target)
    except FileNotFoundError:
        return None  # finished or taken over meanwhile
    except OSError as error:
        log.warning("could not recover stale claim %s: %s", name_shown(entry.path), error)
        return None
    return StaleClaim(partner.pk, str(target), correlation_id) if stored else None
