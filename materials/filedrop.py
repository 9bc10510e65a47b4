"""The file drop for PLM and ERP exports: item masters and BOM releases dropped as files.

One folder per company and source system under ``GATEWAY_FILE_ROOT/materials/``:
``<company code>/<system>/inbox/`` (the system writes there), ``archive/YYYY/MM/DD/`` (what was
read, with an ``.outcome.json`` beside each file saying what became of every item and release in
it) and ``rejected/`` (what could not be read, with a ``.reason.txt``). Making the folder
``<company>/<system>/inbox/`` is what sets a system up; the folder's name is the source system
its releases are recorded under (``PLM``, ``ERP``).

Files are JSON Lines (``.jsonl``, ``.ndjson``) or CSV (``.csv``): see ``materials.fileformats``.
A file whose name starts with ``inventory`` is a stock export of a WMS, MES or ERP (see
``materials.inventory_formats``): streamed through the bulk ingest, its ``.outcome.json`` counting
each outcome and listing every line not applied.
A file whose name starts with ``demand`` holds demand of an ERP or MES (production orders, the
master schedule, independent demand; see ``materials.demand_formats``): applied through the same
service as the system API's demand batches (``demands_receive``, 10,000 demands at a time, each
batch re-planning its items by a net change), its ``.outcome.json`` listing every row's outcome.
A file still being written (a dot-file, ``*.tmp``, ``*.part``…, or one changed within
``GATEWAY_MATERIALS_SETTLE_SECONDS``) is left alone. A settled file is claimed by renaming it into
``inbox/.claimed/`` (one worker wins the rename), stored as received (``inbound_document_store``)
and only then read. Every item and release in it goes through the same services as the system
API's, each with its own outcome: a bad line is refused and recorded (a release's bytes are kept
as a refused release), and the lines around it are still taken. What can never be read — too
large, binary, not UTF-8, another format, a link, a directory — goes to ``rejected/`` with the
reason, and no entry of an inbox stops a scan.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from gateway import inbox, text_encoding
from gateway.actors import Actor
from gateway.correlation import correlation_scope, new_correlation_id
from materials import demand_formats, fileformats, inputs, services
from procurement.models import Company, InboundDocument, ProcurementException
from procurement.services import WriteSource
from procurement.services.inbound import inbound_document_settle, inbound_document_store
from procurement.services.raising import exception_draft, exception_raise

log = logging.getLogger(__name__)
CHANNEL = "file"
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".filepart", ".partial", ".crdownload")
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
CLAIMED = ".claimed"
NAME_MAX = 255
DOT_FILE_MAX_AGE_SECONDS = 24 * 3600
# A folder name is a company code or a source system's name, as the records keep them.
FOLDER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
# A file whose name starts with this holds stock events (``materials.inventory_formats``).
INVENTORY_PREFIX = "inventory"
# A file whose name starts with this holds demand (``materials.demand_formats``).
DEMAND_PREFIX = "demand"
# Items of one file go to items_upsert in batches of at most this many (as the API's batch bound).
ITEM_BATCH = 1000
# Demands of one file go to demands_receive in batches of at most this many (as the API's batch bound).
DEMAND_BATCH = 10_000


def materials_root() -> Path:
    return Path(settings.GATEWAY_FILE_ROOT).resolve() / "materials"


@dataclass(frozen=True)
class Folders:
    company_code: str
    system: str
    inbox: Path
    archive: Path
    rejected: Path

    @property
    def claimed(self) -> Path:
        return self.inbox / CLAIMED


def folders(company_code: str, system: str) -> Folders:
    """The system's folders, made if missing; names are checked so they stay under the materials root."""
    if not FOLDER_NAME.match(company_code) or not FOLDER_NAME.match(system):
        raise ValueError(f"{company_code!r}/{system!r} is not a company code and system name")
    root = materials_root() / company_code / system
    found = Folders(company_code, system, root / "inbox", root / "archive", root / "rejected")
    for path in (found.inbox, found.archive, found.rejected, found.claimed):
        path.mkdir(parents=True, exist_ok=True)
    return found


def sources() -> Iterator[tuple[Company, Folders]]:
    """Each ``<company>/<system>/`` folder that has an inbox and names a known company."""
    root = materials_root()
    if not root.is_dir():
        return
    companies = {company.code: company for company in Company.objects.all()}
    for company_dir in sorted(root.iterdir()):
        if company_dir.is_symlink() or not company_dir.is_dir():
            continue
        company = companies.get(company_dir.name)
        if company is None:
            log.warning("materials file drop: folder %s names no company; it is not read", company_dir.name)
            continue
        for system_dir in sorted(company_dir.iterdir()):
            inbox = system_dir / "inbox"
            if system_dir.is_symlink() or not inbox.is_dir() or inbox.is_symlink():
                continue
            try:
                yield company, folders(company.code, system_dir.name)
            except (OSError, ValueError) as error:
                log.error("materials file drop: cannot use %s: %s", system_dir, error)


@dataclass(frozen=True)
class Claimed:
    company_code: str
    system: str
    document_id: int
    path: str


def scan(*, now: float | None = None, limit: int | None = None) -> Iterator[Claimed]:
    """Claim and store the settled files of every system's inbox, yielding each as it is claimed.

    At most ``limit`` files (``GATEWAY_MATERIALS_SCAN_BATCH``); the next scan takes the rest.
    """
    now = time.time() if now is None else now
    limit = settings.GATEWAY_MATERIALS_SCAN_BATCH if limit is None else limit
    taken = 0
    for company, place in sources():
        for claimed in inbox.entries_take(
            place.inbox,
            limit=limit - taken,
            unusable=lambda entry: _unusable(entry, now),
            ready=lambda entry: _settled(entry, now),
            claim=functools.partial(_claim, company, place),
            refuse=functools.partial(unusable_reject, place),
            label=f"materials {place.inbox}",
        ):
            taken += 1
            yield claimed
        if taken >= limit:
            return


def _unusable(entry: os.DirEntry[str], now: float) -> str | None:
    """Why ``entry`` can never be read (None: it can, now or once it has settled)."""
    name = entry.name
    if name == CLAIMED:
        return None
    status = entry.stat(follow_symlinks=False)
    if name.startswith("."):
        if now - status.st_mtime > DOT_FILE_MAX_AGE_SECONDS:
            return "a dot-file left in the inbox for more than a day; files in progress are renamed when complete"
        return None
    if stat.S_ISLNK(status.st_mode):
        return "a symbolic link; links are never followed, drop the file itself"
    if stat.S_ISDIR(status.st_mode):
        return "a directory; only files are read from the inbox"
    if not stat.S_ISREG(status.st_mode):
        return "not a regular file (a pipe, device or socket); only files are read from the inbox"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not UTF-8; name files in UTF-8"
    if len(os.fsencode(name)) > 200:
        return f"the file name is {len(os.fsencode(name))} bytes; keep names under 200 bytes"
    if name.lower().endswith(IN_PROGRESS_SUFFIXES):
        return None
    if Path(name).suffix.lower() not in FORMATS:
        return "not a JSON Lines (.jsonl, .ndjson) or CSV (.csv) file; the file's extension says which it is"
    return None


def _settled(entry: os.DirEntry[str], now: float) -> bool:
    name = entry.name
    if name.startswith(".") or name.lower().endswith(IN_PROGRESS_SUFFIXES):
        return False
    return now - entry.stat(follow_symlinks=False).st_mtime >= settings.GATEWAY_MATERIALS_SETTLE_SECONDS


def _claim(company: Company, place: Folders, entry: os.DirEntry[str]) -> Claimed | None:
    correlation_id = new_correlation_id()
    target = place.claimed / f"{int(time.time() * 1000)}.{correlation_id}__{entry.name}"
    try:
        os.rename(entry.path, target)
    except FileNotFoundError:
        return None  # another worker claimed it first
    size = target.stat().st_size
    limit = settings.GATEWAY_MATERIALS_MAX_FILE_BYTES
    too_large = size > limit
    document = inbound_document_store(
        channel=CHANNEL,
        sender=place.system,
        content=b"",
        path=None if too_large else target,
        declared_size=size if too_large else None,
        max_bytes=limit,
        company=company,
        document_type=f"{_content_of(entry.name)}_{FORMATS[Path(entry.name).suffix.lower()]}",
        filename=entry.name,
        content_type="text/csv" if entry.name.lower().endswith(".csv") else "application/jsonl",
        correlation_id=correlation_id,
    )
    if document.state == InboundDocument.State.REJECTED:
        moved = reject(place, target, entry.name, document.error)
        buyers_told(place, inbox.name_shown(entry.name), document.error, f"document:{document.pk}", moved)
        return None
    return Claimed(company.code, place.system, document.pk, str(target))


def _content_of(name: str) -> str:
    """``inventory`` for a stock export (its name starts with "inventory"), ``demands`` for demand (its
    name starts with "demand"), ``materials`` otherwise."""
    lowered = name.lower()
    if lowered.startswith(INVENTORY_PREFIX):
        return "inventory"
    return "demands" if lowered.startswith(DEMAND_PREFIX) else "materials"


@dataclass
class Outcome:
    """What became of one item or release of a file."""

    where: str
    kind: str
    key: str
    outcome: str  # an item's created/updated/unchanged/refused, a release's state, or "refused"
    reason: str = ""
    waits_for: str = ""
    release: int | None = None


@dataclass
class FileOutcome:
    document: int
    file: str
    outcomes: list[Outcome] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # a stock export's events (a demand file's rows) per outcome
    runs: list[int] = field(default_factory=list)  # a demand file's net change runs
    code: str = ""  # the document's outcome code, when the file's kind sets its own

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome in ("refused", "conflict")]


def claimed_file_receive(*, document_id: int, claimed_path: str) -> FileOutcome | None:
    """Read a stored export, hand each item and release to the services, record every outcome, and
    move the file to ``archive/`` (with its ``.outcome.json``) or ``rejected/`` (with its reason).

    Idempotent: a document already settled is not read again, only its file is moved (once); and
    a file read again after a crash midway changes nothing it had applied (a release again is a
    ``duplicate``, an item again ``unchanged``).
    """
    document = InboundDocument.objects.select_related("company").get(pk=document_id)
    company = document.company
    assert company is not None, "a materials file is stored with its company"
    place = folders(company.code, document.sender)
    path = Path(claimed_path)
    if document.state not in (InboundDocument.State.RECEIVED, InboundDocument.State.FAILED):
        _finish(place, path, document, None)
        return None
    with correlation_scope(document.correlation_id):
        if document.document_type.startswith("demands"):
            result = _demands_receive(document, company, place.system)
            _finish(place, path, document, result)
            return result
        if document.document_type.startswith(INVENTORY_PREFIX):
            result = _inventory_apply(document, company, place.system)
            _settle(document, company, result)
            _finish(place, path, document, result)
            return result
        with document.open_payload() as payload:
            content = payload.read()
        text, reason = _text(content)
        if text is None:
            inbound_document_settle(
                document=document, state=InboundDocument.State.REJECTED, code="unreadable", error=reason
            )
            _finish(place, path, document, None)
            return None
        result = _apply(document, company, place.system, text)
        _settle(document, company, result)
    _finish(place, path, document, result)
    return result


def _settle(document: InboundDocument, company: Company, result: FileOutcome) -> None:
    refused = result.refused
    inbound_document_settle(
        document=document,
        state=InboundDocument.State.PROCESSED,
        code="partly_refused" if refused else "processed",
        error="\n".join(f"{o.where} ({o.kind} {o.key or '?'}): {o.reason}" for o in refused[:50]),
        company_id=company.pk,
    )


def _inventory_apply(document: InboundDocument, company: Company, system: str) -> FileOutcome:
    """A stock export streamed through the same ingest as the bulk API; only lines not applied are listed.

    Read as a stream, never whole (see ``inventory_formats`` for bytes that are not UTF-8).
    """
    actor = Actor.for_system(company_ids={company.pk}, label=f"file drop {company.code}/{system}")
    result = FileOutcome(document=document.pk, file=document.filename)
    with document.open_payload() as payload:
        if document.document_type.endswith("_csv"):  # merged in SQL on PostgreSQL too
            streamed = services.inventory_csv_ingest(
                actor=actor,
                company_code=company.code,
                source_system=system,
                stream=payload,
                document=document,
                correlation_id=document.correlation_id,
            )
        else:  # JSON Lines: merged in SQL on PostgreSQL (``services.inventory_bulk``)
            streamed = services.inventory_json_lines_ingest(
                actor=actor,
                company_code=company.code,
                source_system=system,
                stream=payload,
                document=document,
                correlation_id=document.correlation_id,
            )
    result.counts = streamed.counts
    for line in streamed.lines:
        result.outcomes.append(Outcome(f"line {line.line}", "event", line.source_event_id, line.outcome, line.reason))
    return result


def _demands_receive(document: InboundDocument, company: Company, system: str) -> FileOutcome | None:
    """A demand file applied row by row through ``demands_receive``; None when the file as a whole is
    refused (binary, not UTF-8, a CSV header that is not demand's), with the document settled so.

    Every row gets an outcome in the report, in the file's order. A source id a second time in the
    file is refused (as in one API batch). The same bytes as an earlier demand file of this system
    are applied again all the same (a re-sent file may undo a later change, and nothing is lost by
    reading it), and settled ``duplicate`` when nothing in it changed anything.
    """
    with document.open_payload() as payload:
        reason = demand_formats.unreadable(payload)
    if reason:
        inbound_document_settle(
            document=document, state=InboundDocument.State.REJECTED, code="unreadable", error=reason
        )
        return None
    actor = Actor.for_system(company_ids={company.pk}, label=f"file drop {company.code}/{system}")
    result = FileOutcome(document=document.pk, file=document.filename)
    pending: list[tuple[demand_formats.Row, str]] = []  # a row, and why it is refused ("": sent)
    seen: dict[str, int] = {}

    def flush() -> None:
        sent = [row.demand for row, refusal in pending if not refusal]
        received = None
        if sent:
            batch = inputs.DemandBatchInput(
                company_code=company.code,
                source_system=system,
                demands=tuple(d for d in sent if isinstance(d, inputs.DemandInput)),
            )
            received = services.demands_receive(
                actor=actor,
                batch=batch,
                document=document,
                correlation_id=document.correlation_id,
                reason=f"demand file {document.pk}",
            )
            if received.run is not None:
                result.runs.append(received.run.pk)
        answers = iter(received.outcomes if received is not None else [])
        for row, refusal in pending:
            if refusal:
                outcome = Outcome(f"line {row.line}", "demand", row.source_id, "refused", refusal)
            else:
                answer = next(answers)
                outcome = Outcome(f"line {row.line}", "demand", row.source_id, answer.outcome, answer.reason)
            result.outcomes.append(outcome)
        pending.clear()

    try:
        with document.open_payload() as payload:
            read = demand_formats.csv_rows if document.document_type == "demands_csv" else demand_formats.json_lines
            for row in read(payload):
                refusal = row.demand if isinstance(row.demand, str) else ""
                if not refusal and row.source_id in seen:
                    refusal = f"source id {row.source_id} is in the file twice (first on line {seen[row.source_id]})"
                elif not refusal:
                    seen[row.source_id] = row.line
                pending.append((row, refusal))
                if len(pending) >= DEMAND_BATCH:
                    flush()
            flush()
    except demand_formats.Malformed as malformed:
        inbound_document_settle(
            document=document, state=InboundDocument.State.REJECTED, code="malformed", error=str(malformed)
        )
        return None
    counted = [o.outcome for o in result.outcomes]
    result.counts = {name: counted.count(name) for name in ("created", "updated", "cancelled", "unchanged", "refused")}
    refused = result.refused
    earlier = (
        InboundDocument.objects.filter(
            channel=CHANNEL,
            company=company,
            sender=system,
            document_type=document.document_type,
            sha256=document.sha256,
            state=InboundDocument.State.PROCESSED,
        )
        .exclude(pk=document.pk)
        .order_by("pk")
        .first()
    )
    changed = result.counts["created"] + result.counts["updated"] + result.counts["cancelled"]
    if earlier is not None and not changed:
        result.code = "duplicate"
        error = f"the same file as document {earlier.pk} ({earlier.filename}): it changed nothing"
    else:
        result.code = "partly_refused" if refused else "processed"
        error = "\n".join(f"{o.where} ({o.kind} {o.key or '?'}): {o.reason}" for o in refused[:50])
    inbound_document_settle(document=document, state=InboundDocument.State.PROCESSED, code=result.code, error=error)
    return result


def _text(content: bytes) -> tuple[str | None, str]:
    """The file as text, or None and why it cannot be read."""
    if text_encoding.looks_utf16(content[:256]):
        return None, text_encoding.UTF16
    if b"\x00" in content:
        return None, "a binary file (it holds NUL bytes); exports are JSON Lines or CSV text in UTF-8"
    if problem := text_encoding.utf8_problem(content):
        return None, problem
    return content.decode("utf-8-sig"), ""


def _apply(document: InboundDocument, company: Company, system: str, text: str) -> FileOutcome:
    company_code = company.code
    actor = Actor.for_system(company_ids={company.pk}, label=f"file drop {company_code}/{system}")
    read = fileformats.csv_releases if document.document_type == "materials_csv" else fileformats.json_lines
    result = FileOutcome(document=document.pk, file=document.filename)
    pending: list[fileformats.Unit] = []

    def items_flush() -> None:
        if not pending:
            return
        batch = inputs.ItemBatchInput(
            company_code=company_code, source_system=system, items=tuple(u.item for u in pending if u.item)
        )
        outcomes = services.items_upsert(actor=actor, batch=batch, correlation_id=document.correlation_id)
        for unit, outcome in zip(pending, outcomes, strict=True):
            result.outcomes.append(Outcome(unit.where, "item", unit.key, outcome.outcome, outcome.reason))
        pending.clear()

    for unit in read(text, company_code=company_code, source_system=system):
        if unit.item is not None:
            pending.append(unit)
            if len(pending) >= ITEM_BATCH:
                items_flush()
            continue
        items_flush()  # items before a release are in place when it applies, as the file orders them
        if unit.release is not None:
            received = services.bom_release_receive(
                actor=actor, release=unit.release, raw=unit.raw, correlation_id=document.correlation_id
            )
            result.outcomes.append(
                Outcome(
                    unit.where,
                    "release",
                    unit.key,
                    received.state,
                    received.reason,
                    received.waits_for,
                    received.release_pk,
                )
            )
        elif unit.kind == "release":
            pk = services.bom_release_raw_refuse(
                actor=actor,
                company_code=company_code,
                source_system=system,
                raw=unit.raw,
                reason=f"{unit.where}: {unit.error}",
                correlation_id=document.correlation_id,
            )
            result.outcomes.append(Outcome(unit.where, "release", unit.key, "refused", unit.error, release=pk))
        else:
            result.outcomes.append(Outcome(unit.where, unit.kind, unit.key, "refused", unit.error))
    items_flush()
    return result


def _finish(place: Folders, path: Path, document: InboundDocument, result: FileOutcome | None) -> None:
    if not path.exists():
        found = next(place.claimed.glob(f"*.{document.correlation_id}__*"), None)
        if found is None:
            return
        path = found
    if document.state == InboundDocument.State.REJECTED:
        moved = reject(place, path, document.filename, document.error)
        buyers_told(place, inbox.name_shown(document.filename), document.error, f"document:{document.pk}", moved)
        return
    day = place.archive / timezone.now().strftime("%Y/%m/%d")
    day.mkdir(parents=True, exist_ok=True)
    target = day / f"{document.pk}__{document.filename}"
    if result is not None:
        report = {"document": result.document, "file": result.file, "outcomes": [asdict(o) for o in result.outcomes]}
        if result.counts:
            report["counts"] = result.counts
        if result.code:
            report["code"], report["runs"] = result.code, result.runs
            if document.outcome_code == "duplicate":
                report["note"] = document.error
        target.with_name(target.name + ".outcome.json").write_text(json.dumps(report, indent=1) + "\n")
    os.replace(path, target)


def reject(place: Folders, source: Path, name: str, reason: str) -> Path | None:
    """Move a file to ``rejected/`` under a name of its own, with the reason written beside it."""
    return inbox.reject(place.rejected, source, name, reason)


def unusable_reject(place: Folders, entry: os.DirEntry[str], reason: str) -> Path | None:
    """Move an entry that can never be read to ``rejected/`` under a safe name, its original name and
    the reason in the ``.reason.txt``, and tell the company's buyers with an exception. One that
    cannot be moved stays and is recorded once (the exception's key names the entry)."""
    shown = inbox.name_shown(entry.name)
    status = entry.stat(follow_symlinks=False)
    identity = os.fsencode(entry.name) + f":{status.st_ino}:{status.st_mtime_ns}".encode()
    key = f"entry:{hashlib.sha256(identity).hexdigest()[:40]}"
    target = place.rejected / inbox.stamped(inbox.safe_name(entry.name))
    reason_file = target.with_name(target.name + ".reason.txt")
    moved: Path | None = target
    try:
        reason_file.write_text(f"{shown}\n{reason}\n")
        os.rename(entry.path, target)
    except FileNotFoundError:
        reason_file.unlink(missing_ok=True)
        return None  # taken away meanwhile
    except OSError as error:
        reason_file.unlink(missing_ok=True)
        reason = f"{reason} (left in the inbox, it could not be moved: {error.strerror or error})"
        moved = None
    log.warning("materials file drop: rejected %s from %s: %s", shown, place.inbox, reason)
    buyers_told(place, shown, reason, key, moved)
    return moved


def buyers_told(place: Folders, shown: str, reason: str, key: str, rejected_as: Path | None) -> None:
    """Raise a data-quality exception for the company's buyers: a PLM or ERP export in the inbox was
    not read, and a planner has to have it sent again. Raised once per file (``key``): an entry left
    in the inbox because it cannot be moved is not raised again on every scan."""
    company = Company.objects.filter(code=place.company_code).first()
    if company is None:
        return
    dedup_key = f"materials_inbox_rejected:{company.pk}:{place.system}:{key}"
    if rejected_as is None and ProcurementException.objects.filter(dedup_key=dedup_key).exists():
        return  # recorded already: not again on every scan
    source = WriteSource(channel="system", label=f"materials file drop {place.company_code}/{place.system}")
    text = f"{place.system} file {shown} in the materials inbox was not read: {reason}"
    draft = exception_draft(
        company=company,
        kind=ProcurementException.Kind.INVALID_DOCUMENT,
        severity=ProcurementException.Severity.DATA_QUALITY,
        dedup_key=dedup_key,
        summary=text,
        evidence={
            "system": place.system,
            "file": shown,
            "reason": reason,
            "rejected_as": rejected_as.name if rejected_as else None,
        },
        source=source,
    )
    exception_raise(draft, source=source)


def claims_stale(*, now: float | None = None) -> Iterator[Claimed]:
    """Claims older than ``GATEWAY_MATERIALS_STALE_CLAIM_SECONDS``, left by a worker that died.

    One whose file was never stored goes back to the inbox; one that was stored is renamed to a
    fresh claim time (one sweeper wins the rename) and yielded, for its document to be read again.
    """
    now = time.time() if now is None else now
    for _company, place in sources():
        try:
            entries = list(os.scandir(place.claimed))
        except OSError:
            continue
        for entry in entries:
            head, _, original = entry.name.partition("__")
            stamp, _, correlation_id = head.partition(".")
            if (
                not re.fullmatch(r"[0-9]{1,15}", stamp)
                or now - int(stamp) / 1000 <= settings.GATEWAY_MATERIALS_STALE_CLAIM_SECONDS
            ):
                continue
            document = InboundDocument.objects.filter(channel=CHANNEL, correlation_id=correlation_id).first()
            target = (
                place.claimed / f"{int(now * 1000)}.{correlation_id}__{original}"
                if document
                else place.inbox / original
            )
            try:
                os.rename(entry.path, target)
            except OSError:
                continue
            if document is not None:
                yield Claimed(place.company_code, place.system, document.pk, str(target))
