"""Receiving a stored X12 file: envelopes, duplicates, validation, the write path, and our answers.

The Django side of the EDI channel; ``edi/x12/`` reads and writes the syntax. One interchange is
one atomic unit: its record, its groups, its sets (each in a savepoint of its own), the
exceptions they raise, our 997/999/TA1 and their outbox rows commit together or not at all. A
file whose receipt failed midway is received again from the start: what committed before is
read back as this document's own work, the rest is applied, and nothing is done twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from edi import x12
from edi.filedrop import DEAD_LETTER
from edi.models import ACK_CODE_WORDS, EdiIdentity, FunctionalGroup, Interchange, TradingPartner
from edi.outbound import Reply, replies_write, reply_write
from edi.x12.errors import (
    AK304_CODES,
    AK403_CODES,
    AK502_CODES,
    AK905_CODES,
    IK304_CODES,
    IK403_CODES,
    IK502_CODES,
    KIND_GROUP,
    KIND_TA1,
    TA1_CODES,
    ak905_receiver_code,
    ak905_sender_code,
)
from edi.x12.mappers import CodeMaps
from edi.x12.mappers.functional import AK9_CODES, Context, ElementNote, FunctionalAck, map_functional_ack
from edi.x12.tokenizer import count_value
from gateway import text_encoding
from procurement.models import InboundDocument, ProcurementException, PurchaseOrder
from procurement.services import (
    DocumentRefused,
    ProcurementError,
    RecordResult,
    WriteSource,
    acknowledgement_record,
    compiled,
    invoice_record,
    shipment_record,
)
from procurement.services.bulk import rows_insert, rows_update
from procurement.services.inbound import (
    SETTLEABLE,
    SETTLED_FIELDS,
    inbound_document_settle,
    inbound_documents_settled_write,
)
from procurement.services.raising import exception_draft, exception_raise
from procurement.services.refusals import service_savepoints_left_to_caller
from suppliers.models import Supplier

log = logging.getLogger(__name__)
Kind = ProcurementException.Kind
Severity = ProcurementException.Severity

# The write-path call for each set a supplier sends, given the supplier, the mapped input and the source.
APPLIERS: dict[str, Callable[[Supplier, Any, WriteSource], RecordResult]] = {
    "855": lambda supplier, value, source: acknowledgement_record(supplier=supplier, ack=value, source=source),
    "856": lambda supplier, value, source: shipment_record(supplier=supplier, shipment=value, source=source),
    "810": lambda supplier, value, source: invoice_record(supplier=supplier, invoice=value, source=source),
    # An 865 answers a PO change (860) the way an 855 answers a PO: it is an acknowledgement.
    "865": lambda supplier, value, source: acknowledgement_record(supplier=supplier, ack=value, source=source),
}


@dataclass
class SetOutcome:
    st01: str
    st02: str
    syntax: str  # AK501: A, E or R
    outcome: str  # applied, duplicate, refused, rejected, matched, not_applicable
    detail: str = ""
    record: int | None = None
    # The set's segments the gateway did not use, as [position in the set (ST = 1), segment ID];
    # the reasons are the mapper's (``manage.py edi translate`` shows them).
    unused: list[list[int | str]] = field(default_factory=list)


# Set outcomes kept one by one in a file's outcome and in an interchange's receipt; past these, only
# counted. A huge interchange's refusals each have their exception anyway.
SET_OUTCOMES_KEPT = 1000


class SetOutcomes:
    """The outcomes of a file's sets: every one counted, the first ``SET_OUTCOMES_KEPT`` kept.

    A file of 100,000 sets is received in bounded memory: what is kept, and the receipt stored
    with each interchange, does not grow with it.
    """

    def __init__(self, kept: list[SetOutcome] | None = None, counts: dict[str, int] | None = None) -> None:
        self.kept: list[SetOutcome] = []
        self.counts: Counter[str] = Counter()
        for item in kept or []:
            self.append(item)
        if counts is not None:
            self.counts = Counter(counts)

    def append(self, item: SetOutcome) -> None:
        self.counts[item.outcome] += 1
        if len(self.kept) < SET_OUTCOMES_KEPT:
            self.kept.append(item)

    def extend(self, other: SetOutcomes) -> None:
        self.counts += other.counts
        self.kept += other.kept[: max(SET_OUTCOMES_KEPT - len(self.kept), 0)]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __iter__(self) -> Iterator[SetOutcome]:
        return iter(self.kept)

    def __len__(self) -> int:
        return len(self.kept)

    def __getitem__(self, index: int) -> SetOutcome:
        return self.kept[index]

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass
class FileOutcome:
    state: str
    code: str
    detail: str = ""
    sets: SetOutcomes = field(default_factory=SetOutcomes)
    acks_written: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        text = "; ".join(
            f"{s.st01} {s.st02}: {s.outcome}{' (' + s.detail + ')' if s.detail else ''}" for s in self.sets
        )
        more = self.sets.total - len(self.sets)
        if more > 0:
            text += f"; and {more} more ({', '.join(f'{n} {k}' for k, n in sorted(self.sets.counts.items()))} in all)"
        return text


# An ``x12.Issue`` as JSON: its fields, those left empty omitted.
IssueJson = dict[str, Any]


class UnusedJson(TypedDict):
    """A segment the canonical input leaves out: its position in the set (ST = 1), ID and why."""

    position: int
    segment_id: str
    reason: str


class TranslatedSet(TypedDict):
    st01: str
    st02: str
    ack_code: str
    issues: list[IssueJson]
    canonical: NotRequired[Any]  # for a set with a mapper: its canonical input as JSON (None: unreadable)
    unused: NotRequired[list[UnusedJson]]  # for a set with a mapper: the segments its canonical input leaves out
    reading: NotRequired[list[str]]  # for a 997/999: which of our groups and sets it answers, and how, in words


class TranslatedGroup(TypedDict):
    gs01: str
    gs06: str
    gs08: str
    ack_code: str
    issues: list[IssueJson]
    sets: list[TranslatedSet]


class TranslatedInterchange(TypedDict):
    isa06: str
    isa08: str
    isa13: str
    isa15: str
    issues: list[IssueJson]
    groups: list[TranslatedGroup]
    ta1: list[str]  # each TA1 in the interchange: which of our interchanges it answers, and how, in words


class Translation(TypedDict):
    """What ``translate`` reads in a file (``manage.py edi translate``)."""

    interchanges: list[TranslatedInterchange]
    issues: list[IssueJson]


def translate(content: bytes, code_maps: CodeMaps | None = None, identity: EdiIdentity | None = None) -> Translation:
    """The canonical reading of ``content`` and every issue with its position, touching no database.

    ``identity``: ours (the gateway's defaults when None). A 997/999 whose ISA05/ISA06 is one of its
    addresses is one we wrote, and is read from the partner's side ("the partner's group")."""
    from procurement.inputs import canonical_json

    ours = (identity or EdiIdentity()).isa_addresses()
    mappers = x12.mappers.MAPPERS
    document = x12.parse(content)
    reports = {id(r.group): r for r in x12.validate(document)}
    out: Translation = {"interchanges": [], "issues": [_issue(i) for i in document.errors]}
    for ic in document.interchanges:
        written_by_us = (ic.isa05.strip(), ic.isa06.strip()) in ours
        entry: TranslatedInterchange = {
            "isa06": ic.isa06,
            "isa08": ic.isa08,
            "isa13": ic.isa13,
            "isa15": ic.isa15,
            "issues": [_issue(i) for i in ic.errors],
            "groups": [],
            "ta1": [ta1_reading(els) for els in ic.ta1],
        }
        for group in ic.groups:
            report = reports.get(id(group))
            g: TranslatedGroup = {
                "gs01": group.gs01,
                "gs06": group.gs06,
                "gs08": group.gs08,
                "ack_code": report.code if report else "",
                "issues": [_issue(i) for i in (report.issues if report else group.errors)],
                "sets": [],
            }
            for set_report in report.sets if report else []:
                ts = set_report.transaction_set
                item: TranslatedSet = {
                    "st01": ts.st01,
                    "st02": ts.st02,
                    "ack_code": set_report.code,
                    "issues": [_issue(i) for i in set_report.issues],
                }
                if ts.st01 in mappers:
                    mapped = x12.map_transaction_set(ts, code_maps)
                    item["canonical"] = canonical_json(mapped.value) if mapped.value is not None else None
                    item["issues"] += [_issue(i) for i in mapped.errors]
                    item["unused"] = [
                        {"position": u.position, "segment_id": u.segment_id, "reason": u.reason} for u in mapped.unused
                    ]
                elif ts.st01 in ("997", "999"):
                    mapped_ack = x12.map_transaction_set(ts)
                    item["reading"] = (
                        functional_ack_reading(mapped_ack.value, ours=written_by_us) if mapped_ack.value else []
                    )
                    item["issues"] += [_issue(i) for i in mapped_ack.errors]
                g["sets"].append(item)
            entry["groups"].append(g)
        out["interchanges"].append(entry)
    return out


def _coded(code: str, table: dict[str, str]) -> str:
    return f"{code} {table[code]}" if code in table else f"{code or '(none)'} (not a known code)"


def _ack_tables(ack: FunctionalAck) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The set, segment and element error code meanings for a 997 or a 999."""
    if ack.kind == "999":
        return IK502_CODES, IK304_CODES, IK403_CODES
    return AK502_CODES, AK304_CODES, AK403_CODES


def _context_reading(context: Context) -> str:
    names = ", ".join(f"{name} {reference}".strip() for name, reference in context.names if name or reference)
    where = []
    if context.segment_id:
        where.append(f"segment {context.segment_id}")
    if context.position is not None:
        where.append(f"at position {context.position}")
    if context.loop_id:
        where.append(f"in loop {context.loop_id}")
    if context.element:
        where.append(f"element {context.element.replace(':', '-')}")
    if context.element_ref:
        where.append(f"(data element {context.element_ref})")
    return f"context {names or '(unnamed)'}" + (": " + " ".join(where) if where else "")


def functional_ack_reading(ack: FunctionalAck, *, ours: bool = False) -> list[str]:
    """A partner's 997/999 in words: which of our groups (AK1) and sets (AK2) it answers, and how.

    ``ours``: the 997/999 is one we wrote, answering the partner's groups and sets."""
    whose_group, whose_set = ("the partner's group", "their") if ours else ("our group", "our")
    set_codes, segment_codes, element_codes = _ack_tables(ack)
    counts = ", ".join(
        f"{n} {label}"
        for n, label in ((ack.included, "included"), (ack.received, "received"), (ack.accepted, "accepted"))
        if n is not None
    )
    version = f" version {ack.version}" if ack.version else ""
    lines = [
        f"{ack.kind} answers {whose_group} {ack.functional_id or '?'} {ack.group_control or '?'}{version}: "
        f"{ACK_CODE_WORDS.get(ack.code) or _coded(ack.code, {})}" + (f" ({counts} sets)" if counts else "")
    ]
    lines += [f"  group error {_coded(code, AK905_CODES)}" for code in ack.group_errors]
    for s in ack.sets:
        lines.append(f"  {whose_set} {s.st01} {s.st02}: {ACK_CODE_WORDS.get(s.code) or _coded(s.code, {})}")
        lines += [f"    set error {_coded(code, set_codes)}" for code in s.errors]
        for seg in s.segments:
            loop = f" in loop {seg.loop_id}" if seg.loop_id else ""
            lines.append(
                f"    segment {seg.segment_id} at position {seg.position}{loop}: {_coded(seg.code, segment_codes)}"
            )
            lines += [f"      {_context_reading(c)}" for c in seg.context]
            for el in seg.elements:
                ref = f" (data element {el.element_ref})" if el.element_ref else ""
                value = f", value {el.value!r}" if el.value else ""
                lines.append(f"      element {_element_place(el)}{ref}: {_coded(el.code, element_codes)}{value}")
                lines += [f"        {_context_reading(c)}" for c in el.context]
    return lines


def _element_place(el: ElementNote) -> str:
    place = str(el.position)
    if el.component is not None:
        place += f"-{el.component}"
    if el.repetition is not None:
        place += f" (repetition {el.repetition})"
    return place


def functional_ack_detail(ack: FunctionalAck) -> list[dict[str, Any]]:
    """Each set a partner's 997/999 answers, with its segment and element notes and their meanings."""
    set_codes, segment_codes, element_codes = _ack_tables(ack)

    def meaning(code: str, table: dict[str, str]) -> str:
        return table.get(code, "not a known code")

    return [
        {
            "st01": s.st01,
            "st02": s.st02,
            "code": s.code,
            "errors": list(s.errors),
            "error_meanings": [meaning(code, set_codes) for code in s.errors],
            "segments": [
                {
                    "segment_id": seg.segment_id,
                    "position": seg.position,
                    "loop_id": seg.loop_id,
                    "code": seg.code,
                    "meaning": meaning(seg.code, segment_codes),
                    "context": [_context_reading(c) for c in seg.context],
                    "elements": [
                        {
                            "position": el.position,
                            "component": el.component,
                            "repetition": el.repetition,
                            "element_ref": el.element_ref,
                            "code": el.code,
                            "meaning": meaning(el.code, element_codes),
                            "value": el.value,
                            "context": [_context_reading(c) for c in el.context],
                        }
                        for el in seg.elements
                    ],
                }
                for seg in s.segments
            ],
        }
        for s in ack.sets
    ]


def ta1_reading(els: list[str]) -> str:
    """A partner's TA1 in words: which of our interchanges (TA101) it answers, and how (TA104, TA105)."""
    f = [e.strip() for e in els[1:6]]
    f += [""] * (5 - len(f))
    status = {"A": "accepted", "E": "accepted, with errors noted", "R": "rejected"}
    how = status.get(f[3]) or _coded(f[3], {})
    note = _coded(f[4], TA1_CODES)
    return f"TA1 answers our interchange {f[0] or '?'} of {f[1] or '?'} {f[2] or '?'}: {how}, note {note}"


def _issue(issue: x12.Issue) -> IssueJson:
    return {k: v for k, v in zip(issue._fields, issue, strict=True) if v is not None and v != ""}


def interchange_file_receive(
    *,
    document: InboundDocument,
    partner: TradingPartner,
    replayed: bool = False,
    batch: BatchReads | None = None,
) -> FileOutcome:
    """Apply every transaction set of a stored file, answer each group with a 997 or 999, and settle it.

    Duplicates are judged at three levels, each with a recorded verdict: the same content as
    an earlier file (nothing is done again), the same sender and ISA13 within the window (the
    interchange is not processed again), and the same business key (the write path's own
    idempotency: a re-sent document has no second effect; another document under an old key is
    refused with an exception).

    Idempotent: each interchange commits whole or not at all, and one this document committed on
    an earlier attempt is read back, not judged a duplicate of itself nor done again. So a retry
    after a failure at any point ends with the record, the 997s and the outbox as if nothing had
    failed. The document's state is settled by ``inbound_document_settle`` (once: a document
    already settled stays as it is, except that a replay, ``replayed``, settles a file rejected
    when it came in with what it does now). A domain refusal of one set is recorded and its
    siblings still apply; any other error rolls back the interchange it happened in and is raised.

    ``batch``: what a batch of files read once for all of them (``BatchReads``), inside the
    caller's transaction.
    """
    outcome = _receive(document, partner, batch)
    # In a batch that holds the document locked, settled with the batch's answers: one UPDATE for all its files.
    pending = _answers_deferred.get() if batch is not None and document.pk in batch.locked else None
    before = DeferredSettle.of(document) if pending is not None else None
    held: list[InboundDocument] | None = [] if pending is not None else None
    inbound_document_settle(
        document=document,
        state=outcome.state,
        code=outcome.code,
        error=(outcome.detail or outcome.summary)[:10000],
        replayed=replayed,
        webhook_versions=batch.webhook_versions if batch else None,
        held=held,
    )
    if held and pending is not None and before is not None:
        pending.append(before)
    return outcome


# The sender (ISA05, ISA06) and control number (ISA13) of an interchange.
Sender = tuple[str, str, str]


@dataclass
class BatchReads:
    """What a batch of one partner's files reads once, in its transaction, rather than once per file.

    ``identity``: the buying company's (``EdiIdentity.of``). ``webhook_versions``: the company's
    ``webhooks_version``, so each file's ``document.processed`` subscriptions come from the cache
    kept for that version (``api.webhooks``): a subscription changed while the batch runs is seen
    from the next batch on, as one changed while a file is received is seen from the next file.
    ``locked``: the batch's documents, which the caller holds locked (``SELECT … FOR UPDATE``,
    taken for all of them in one statement) as it read them: each is settled in hand and written
    with the batch's answers (``answers_write``). ``unreceived``: those of them with no interchange
    recorded yet: no other run can have received any of theirs, so none is locked or looked for again.

    The two duplicate checks of each file, asked for the whole batch at once: ``same_content``, for
    each document whose content no other file of the batch has, the earliest earlier document
    settled with that content (None: none); ``senders``, for each document whose first
    interchange's sender and ISA13 (read from the head of its content) no other file of the batch
    has, the interchanges recorded under them within the duplicate window. A file of the batch
    cannot be a duplicate of such a document or interchange, so the batch's own receipts change
    neither answer; a file whose content or ISA13 another file of the batch shares, or whose
    interchange is not the one read from its head, is looked up on its own as before.
    """

    identity: EdiIdentity
    webhook_versions: dict[int, int]
    locked: set[int]
    unreceived: set[int]
    same_content: dict[int, InboundDocument | None] = field(default_factory=dict)
    senders: dict[int, Sender] = field(default_factory=dict)
    received_under: dict[Sender, list[Interchange]] = field(default_factory=dict)
    window: dt.datetime | None = None

    @classmethod
    def read(cls, partner: TradingPartner, locked: list[InboundDocument], *, alone: bool = True) -> BatchReads:
        """``partner`` as read in the caller's transaction, with its company; ``locked``: the
        documents of its files the caller has locked. ``alone``: the batch holds no other
        partner's files (else each file's duplicate checks are its own, as the other partners'
        files are received in between)."""
        ids = [document.pk for document in locked]
        hashes = Counter(document.sha256 for document in locked)
        contents = [d for d in locked if hashes[d.sha256] == 1] if alone else []
        heads = {document.pk: _sender_read(document) for document in locked} if alone else {}
        shared = Counter(heads.values())
        senders = {pk: head for pk, head in heads.items() if head is not None and shared[head] == 1}
        window = timezone.now() - dt.timedelta(days=settings.GATEWAY_EDI_DUPLICATE_WINDOW_DAYS)
        settled = [InboundDocument.State.PROCESSED, InboundDocument.State.DUPLICATE]
        received, earlier_content, earlier_interchanges = compiled.rows_together(
            Interchange.objects.filter(
                direction=Interchange.Direction.INBOUND, inbound_document_id__in=ids
            ).values_list("inbound_document_id", flat=True),
            InboundDocument.objects.filter(
                channel="edi", sha256__in={d.sha256 for d in contents}, state__in=settled
            ).only("pk", "sha256", "filename"),
            Interchange.objects.filter(
                direction=Interchange.Direction.INBOUND,
                isa13__in={isa13 for _, _, isa13 in senders.values()},
                created_at__gte=window,
                duplicate="",
                rejected=False,
            ),
        )
        first: dict[str, list[InboundDocument]] = {}
        for document in sorted(earlier_content, key=lambda d: d.pk):
            first.setdefault(document.sha256, []).append(document)
        same_content = {d.pk: next((e for e in first.get(d.sha256, []) if e.pk < d.pk), None) for d in contents}
        received_under: dict[Sender, list[Interchange]] = {}
        for record in sorted(earlier_interchanges, key=lambda r: r.pk):
            received_under.setdefault((record.sender_qualifier, record.sender_id, record.isa13), []).append(record)
        # The partner's company as the batch read it, in its transaction, with its webhooks_version.
        versions = {partner.company_id: partner.company.webhooks_version}
        return cls(
            EdiIdentity.of(partner.company_id),
            versions,
            set(ids),
            set(ids) - set(received),
            same_content,
            senders,
            received_under,
            window,
        )

    def received_before(
        self, document: InboundDocument, position: int, head: x12.Interchange, window: dt.datetime
    ) -> list[Interchange] | None:
        """The earliest interchange received before under ``head``'s sender and ISA13 within
        ``window`` (``[]``: none), when the batch read it; None when it did not."""
        sender = (head.isa05, head.isa06, head.isa13)
        if position != 0 or self.senders.get(document.pk) != sender or self.window is None or window < self.window:
            # Another interchange than the one read from its head: the rest of the batch looks up its own.
            self.senders.clear()
            return None
        found = (
            r
            for r in self.received_under.get(sender, [])
            if r.created_at >= window and not (r.inbound_document_id == document.pk and r.position == position)
        )
        return [record] if (record := next(found, None)) is not None else []


def _sender_read(document: InboundDocument) -> Sender | None:
    """ISA05, ISA06 and ISA13 from the head of a stored file, as the reader gives them; None when
    its head is not a plain ISA (stored apart, another encoding, too short)."""
    head = bytes(document.content[:_ISA_HEAD])
    if not head.startswith(b"ISA") or len(head) < 4:
        return None
    fields = head.decode("latin-1").split(head[3:4].decode("latin-1"), 14)
    if len(fields) < 15:
        return None
    blank = " \t\xa0\r\n"
    return fields[5].strip(blank), fields[6].strip(blank), fields[13].strip(blank)


_ISA_HEAD = 200  # bytes: an ISA is 106, and a partner's may pad a little


class SavepointsNeeded(Exception):
    """A file received with one savepoint (``interchange_file_receive_in_savepoint``) needs one
    more to roll back to: it is received again with all of its own."""


# Whether the file being received runs in one savepoint only (``interchange_file_receive_in_savepoint``).
_one_savepoint: ContextVar[bool] = ContextVar("edi_one_savepoint", default=False)


def interchange_file_receive_in_savepoint(
    *, document: InboundDocument, partner: TradingPartner, batch: BatchReads
) -> FileOutcome:
    """``interchange_file_receive`` in a savepoint of its own, inside a batch's transaction: an
    error rolls back this file only, the batch's other files stay received.

    Most files need no other savepoint: their interchange, its groups and their sets are received
    without the savepoints each takes to roll back alone (a statement pair each), and the file's
    savepoint stands for them all. When one of those rollbacks is needed after all (a set refused
    after its service wrote something, a group or an interchange refused at its trailer, a
    conflicting insert), the file is rolled back to its savepoint and received again with all of
    them, as alone: the same outcome, at the cost of receiving it twice. Its answers queued by the
    first try (``answers_deferred``) are dropped with it."""
    pending = _answers_deferred.get()
    queued = len(pending) if pending is not None else 0
    token = _one_savepoint.set(True)
    try:
        with transaction.atomic(), service_savepoints_left_to_caller():
            return interchange_file_receive(document=document, partner=partner, batch=batch)
    except SavepointsNeeded:
        if pending is not None:
            answers_drop(pending, queued)
    finally:
        _one_savepoint.reset(token)
    with transaction.atomic():
        return interchange_file_receive(document=document, partner=partner, batch=batch)


def interchange_file_fail(*, document: InboundDocument, error: BaseException, transient: bool) -> None:
    """Record on the document that receiving it failed: ``transient_error`` is tried again by the
    task's retries and the sweep; ``error`` waits for a person (``manage.py edi replay``)."""
    inbound_document_settle(
        document=document,
        state=InboundDocument.State.FAILED,
        code="transient_error" if transient else "error",
        error=f"{type(error).__name__}: {error}"[:10000],
    )


# Errors that pass: the database or the broker away for a moment, a file system that is full or
# busy. Anything else is a fault in the file or in the gateway that a retry would only repeat.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)

# A document the gateway gave up on (``DEAD_LETTER``): tried ``GATEWAY_EDI_MAX_ATTEMPTS`` times, or
# failed with an error a retry would only repeat. Only ``manage.py edi replay`` runs it again.


def interchange_file_attempt(*, document: InboundDocument, partner: TradingPartner) -> None:
    """Receive a stored file once more, within a bounded number of attempts.

    Each attempt is counted on the document before it starts, in a commit of its own, so that a
    worker killed midway (a file that exhausts its memory, a redelivered message, the sweep taking
    up a stale claim) has used one up as surely as an attempt that failed. A transient error is
    recorded and raised, for the caller to try again later; the last allowed attempt that fails,
    an attempt beyond the limit, or an error a retry would only repeat dead-letters the document
    instead: failed, ``dead_letter``, with the reason, and one exception for the buyers. A document
    already settled or dead-lettered is left as it is. The file's content is stored once whatever
    happens: every attempt receives the same document.
    """
    if document.state not in SETTLEABLE or document.outcome_code == DEAD_LETTER:
        return
    limit = settings.GATEWAY_EDI_MAX_ATTEMPTS
    attempt = _attempt_count(document)
    if attempt is None:
        document.refresh_from_db()  # settled by another run meanwhile
        return
    if attempt > limit:
        document.attempts = attempt - 2  # this run gives up without trying: not an attempt
        last = document.error or "the worker receiving it was lost midway"
        interchange_file_dead_letter(
            document=document, partner=partner, reason=f"gave up after {limit} attempts; the last: {last}"
        )
        return
    try:
        interchange_file_receive(document=document, partner=partner)
    except TRANSIENT_ERRORS as error:
        _attempt_failed(document, error, transient=True)
        if attempt < limit:
            raise
        document.attempts = attempt - 1  # this attempt is counted already
        interchange_file_dead_letter(
            document=document,
            partner=partner,
            reason=f"gave up after {limit} attempts; the last: {type(error).__name__}: {error}",
        )
        return
    except Exception as error:
        log.exception("EDI document %s could not be received", document.pk)
        interchange_file_dead_letter(
            document=document,
            partner=partner,
            reason=f"receiving failed with an error a retry would repeat: {type(error).__name__}: {error}",
        )
        return
    if document.state in SETTLEABLE:
        document.refresh_from_db()  # settled by another run meanwhile


def _attempt_count(document: InboundDocument) -> int | None:
    """Count one more attempt on the row (committed at once); the attempt's number, or ``None``
    when the document is settled already. ``document.attempts`` keeps the attempts before this
    one, so that settling it records this one, not one more."""
    with transaction.atomic():
        counted = (
            InboundDocument.objects.filter(pk=document.pk, state__in=SETTLEABLE)
            .exclude(outcome_code=DEAD_LETTER)
            .update(attempts=F("attempts") + 1)
        )
        if not counted:
            return None
        attempt = InboundDocument.objects.values_list("attempts", flat=True).get(pk=document.pk)
    document.attempts = attempt - 1
    return attempt


def _attempt_failed(document: InboundDocument, error: BaseException, *, transient: bool) -> None:
    try:
        interchange_file_fail(document=document, error=error, transient=transient)
    except Exception:  # the database may be what failed: the error itself is what matters
        log.exception("could not record the failure of EDI document %s", document.pk)


def interchange_file_dead_letter(*, document: InboundDocument, partner: TradingPartner, reason: str) -> None:
    """Give up on a stored file: the document is failed (``dead_letter``) with ``reason``, and the
    partner's buyers get one exception saying so. Its file is moved to ``rejected/`` by
    ``filedrop.claimed_file_finish``; ``manage.py edi replay`` runs it again by hand."""
    source = WriteSource(
        channel="edi",
        label=f"partner {partner.supplier.code}",
        correlation_id=document.correlation_id,
        document=document,
    )
    with transaction.atomic():
        if not inbound_document_settle(
            document=document, state=InboundDocument.State.FAILED, code=DEAD_LETTER, error=reason[:10000]
        ):
            return
        draft = exception_draft(
            company=partner.company,
            kind=Kind.INVALID_DOCUMENT,
            severity=Severity.DATA_QUALITY,
            dedup_key=f"edi_dead_letter:{document.pk}",
            summary=f"file {document.filename} could not be received and was set aside: {reason}",
            evidence={"file": document.filename, "document": document.pk, "reason": reason[:2000]},
            # The reason may name the gateway's own fault: the supplier hears only that the file waits.
            supplier_message=f"file {document.filename} could not be received; it waits for the buyer",
            source=source,
            supplier=partner.supplier,
        )
        exception_raise(draft, source=source)
    log.error("EDI document %s dead-lettered: %s", document.pk, reason)


# Why a file is no X12 at a glance, in the words ``edi translate`` and a refused drop share.
EMPTY_FILE, BINARY_FILE = "empty file", "binary content, not X12"
_CONTENT_GLANCE = 1 << 20  # how much of a file that is no interchange is looked at for those words


def file_content_problem(content: bytes) -> str:
    """``EMPTY_FILE`` when ``content`` is nothing but whitespace, ``BINARY_FILE`` when it holds a NUL
    byte and is not UTF-16 text (which the reader decodes after its byte order mark), else ""."""
    if not content.strip():
        return EMPTY_FILE
    if b"\x00" in content and not text_encoding.looks_utf16(content[:256]):
        return BINARY_FILE
    return ""


def _receive(document: InboundDocument, partner: TradingPartner, batch: BatchReads | None) -> FileOutcome:
    source = WriteSource(
        channel="edi",
        label=f"partner {partner.supplier.code}",
        correlation_id=document.correlation_id,
        document=document,
    )
    settled = [InboundDocument.State.PROCESSED, InboundDocument.State.DUPLICATE]
    if batch is not None and document.pk in batch.same_content:
        found = [earlier] if (earlier := batch.same_content[document.pk]) is not None else []
    else:
        # Compiled once (``compiled.fetch``): a one-set file's receipt is mostly such small lookups.
        found = compiled.fetch(
            "edi.same_content",
            lambda: InboundDocument.objects.filter(
                channel="edi",
                sha256=document.sha256,
                state__in=settled,
                pk__lt=document.pk,  # a replay of the first file is not a duplicate of the copies after it
            ).order_by("pk")[:1],
            ["edi", document.pk, document.sha256, *settled],
        )
        # The batch's files settled so far wait to be written with its answers: judged as if written.
        found = sorted([*found, *_settled_in_batch(document, settled)], key=lambda d: d.pk)[:1]
    earlier = found[0] if found else None
    if earlier is not None:
        return FileOutcome(
            InboundDocument.State.DUPLICATE,
            "duplicate_content",
            f"same content as document {earlier.pk} ({earlier.filename})",
        )
    outcome = FileOutcome(InboundDocument.State.PROCESSED, "processed")
    # Read as a stream, one set at a time: a file of any size is received in bounded memory. Each
    # interchange is applied in a transaction of its own while it is read (_interchange_once).
    with document.open_payload() as payload:
        reader = x12.stream(payload)
        try:
            for position, events in enumerate(_interchanges(reader)):
                _interchange_once(events, position, document, partner, source, outcome, batch)
        except _NoInterchange as error:
            payload.seek(0)
            problem = file_content_problem(payload.read(_CONTENT_GLANCE))
            # A whitespace-only head of a longer file is no empty file: the reader's words then.
            if problem == EMPTY_FILE and document.size > _CONTENT_GLANCE:
                problem = ""
            return _unreadable(document, partner, source, problem or f"not an X12 interchange: {error}")
    counts = outcome.sets.counts
    refused = counts["refused"] + counts["rejected"]
    whole = bool(outcome.sets) and outcome.sets.total == len(outcome.sets)
    if whole and all(s.st01 == "ISA" and s.outcome == "rejected" for s in outcome.sets):
        # Every interchange refused at its envelope: nothing was read past it (the file goes to rejected/).
        outcome.state, outcome.code = InboundDocument.State.REJECTED, "envelope_rejected"
        outcome.detail = "; ".join(f"interchange {s.st02} rejected, {s.detail}" for s in outcome.sets)
    elif whole and all(s.st01 == "ISA" and s.outcome == "duplicate" for s in outcome.sets):
        # Every interchange under a control number received before: nothing in the file was applied.
        outcome.state, outcome.code = InboundDocument.State.DUPLICATE, "duplicate_interchange"
    elif outcome.sets and refused == outcome.sets.total:
        outcome.code = "refused"
    elif refused:
        outcome.code = "partly_applied"
    return outcome


def _settled_in_batch(document: InboundDocument, states: Sequence[str]) -> list[InboundDocument]:
    """The earliest document of the batch before ``document`` settled in one of ``states`` with its
    content and not written yet (``DeferredSettle``), as a list of at most one."""
    found = [
        item.document
        for item in _answers_deferred.get() or ()
        if isinstance(item, DeferredSettle)
        and item.document.sha256 == document.sha256
        and item.document.state in states
        and item.document.pk < document.pk
        and item.document.channel == "edi"
    ]
    return sorted(found, key=lambda d: d.pk)[:1]


Event = x12.TransactionSet | x12.Group | x12.Interchange


class _InterchangeEvents:
    """One interchange of a stream: its sets and groups as they are read, then the interchange.

    ``head`` is the interchange from its first event on: its ISA fields are known at once, its
    trailer (IEA) and issues only once the events are exhausted (``interchange``).
    """

    def __init__(self, first: Event, rest: Iterator[Event], reader: x12.StreamReader) -> None:
        self.first: Event | None = first
        self.rest = rest
        self.reader = reader
        self.interchange: x12.Interchange | None = first if isinstance(first, x12.Interchange) else None
        if isinstance(first, x12.TransactionSet):
            self.head = first.group.interchange
        elif isinstance(first, x12.Group):
            self.head = first.interchange
        else:
            self.head = first

    def __iter__(self) -> Iterator[x12.TransactionSet | x12.Group]:
        while self.interchange is None or self.first is not None:
            item = self.first if self.first is not None else next(self.rest)
            self.first = None
            if isinstance(item, x12.Interchange):
                self.interchange = item
                return
            yield item

    def finish(self) -> x12.Interchange:
        """Read to the end of the interchange (skipping what was not read) and return it whole."""
        for _ in self:
            pass
        assert self.interchange is not None
        return self.interchange


class _NoInterchange(Exception):
    """The input holds no interchange that can be read."""


def _interchanges(reader: x12.StreamReader) -> Iterator[_InterchangeEvents]:
    items = iter(reader)
    try:
        first = next(items)
    except StopIteration:
        return
    except x12.X12Error as error:
        raise _NoInterchange("; ".join(i.message for i in reader.issues if i.is_error) or str(error)) from error
    while True:
        events = _InterchangeEvents(first, items, reader)
        yield events
        events.finish()
        try:
            first = next(items)
        except StopIteration:
            return


class EnvelopeRejected(Exception):
    """The interchange's trailer refused it once its sets were applied: they are rolled back."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems[0][1])
        self.problems = problems


def interchange_envelope_verdict(
    ic: x12.Interchange, partner: TradingPartner, identity: EdiIdentity | None = None
) -> list[tuple[str, str]]:
    """Why the interchange's envelope refuses it as a whole, as (TA1 note code, words); [] when it does not.

    The one place that decides it. Envelope errors are the interchange's own (TA1 TA105 codes):
    its ISA fields, IEA01 (021) and IEA02 (001), content outside groups (024), a missing IEA
    (023), delimiters, a GS04/GS05 that is not a date or time (024); a sender that is not the
    partner (005/006); a receiver that is not the partner's buying company (007/008, see
    ``_addressing_problems``); a test indicator the partner is not set up for (020).

    Receiving asks twice: at the ISA (``ic`` then holds the header only), so an interchange
    refused by its header applies nothing; and after the IEA, when the trailer and every envelope
    issue are known, so a refusal found there rolls back what the interchange applied (one
    transaction per interchange) and records the refusal alone: nothing in it applied, a TA1 R
    with the first problem's code whether or not one was asked for, no 997/999 (it would claim
    groups were read), and an exception for the buyer. ``identity`` is the buying company's
    (``EdiIdentity.of``), when the caller has it already.
    """
    errors = [(i.code, i.message) for i in ic.errors if i.kind == KIND_TA1 and i.is_error and i.code]
    return errors + _addressing_problems(ic, partner, identity or EdiIdentity.of(partner.company_id))


def _interchange_once(
    events: _InterchangeEvents,
    position: int,
    document: InboundDocument,
    partner: TradingPartner,
    source: WriteSource,
    outcome: FileOutcome,
    batch: BatchReads | None = None,
) -> None:
    """Receive the interchange at ``position`` in the file in one transaction, or read back what an
    earlier attempt at this document committed for it."""
    one_savepoint = _one_savepoint.get()
    pending = _answers_deferred.get()
    queued = len(pending) if pending is not None else 0
    try:
        # Within a file received in one savepoint, none of its own: the file's rolls it back.
        with transaction.atomic(savepoint=not one_savepoint):
            if batch is None or document.pk not in batch.unreceived:
                # Two runs of one document (a redelivered task beside a swept one) take turns here.
                InboundDocument.objects.select_for_update().only("pk").get(pk=document.pk)
                done = _received_before(document, position)
                if done is not None:
                    return _read_back(done, outcome)
            part = FileOutcome(InboundDocument.State.PROCESSED, "processed")
            record = _interchange(events, position, document, partner, source, part, batch)
            _keep_receipt(record, part, outcome)
    except IntegrityError as error:
        if one_savepoint:
            raise SavepointsNeeded from error
        if pending is not None:
            answers_drop(pending, queued)  # rolled back with the interchange's savepoint
        # The other run committed this interchange first (the unique position decided).
        done = _received_before(document, position)
        if done is None:
            raise
        return _read_back(done, outcome)
    except EnvelopeRejected as rejected:
        if one_savepoint:
            raise SavepointsNeeded from rejected
        if pending is not None:
            answers_drop(pending, queued)  # its groups' records, rolled back with the rest
        # Everything the interchange applied is rolled back; its refusal is recorded alone.
        with transaction.atomic():
            InboundDocument.objects.select_for_update().only("pk").get(pk=document.pk)
            part = FileOutcome(InboundDocument.State.PROCESSED, "processed")
            ic = events.finish()
            record = _interchange_record(ic, position, document, partner, None, rejected.problems)
            _interchange_refuse(ic, record, rejected.problems, partner, source, part)
            _keep_receipt(record, part, outcome)


def _keep_receipt(record: Interchange, part: FileOutcome, outcome: FileOutcome) -> None:
    # Kept with the interchange, so a retry of the file reads back what this one did.
    record.receipt = {
        "sets": [s.__dict__ for s in part.sets],
        "counts": dict(part.sets.counts),
        "acks": part.acks_written,
    }
    if record.pk is not None and not getattr(record, "answers_deferred", False):
        # Else saved with its deferred answer, or inserted with it at the batch's end (``_record_deferred``).
        record.save(update_fields=["receipt", "envelope_errors", "digest"])
    outcome.acks_written += part.acks_written
    outcome.sets.extend(part.sets)


def _received_before(document: InboundDocument, position: int) -> Interchange | None:
    return Interchange.objects.filter(
        direction=Interchange.Direction.INBOUND, inbound_document=document, position=position
    ).first()


def _read_back(record: Interchange, outcome: FileOutcome) -> None:
    outcome.acks_written += record.receipt.get("acks", [])
    sets = [SetOutcome(**s) for s in record.receipt.get("sets", [])]
    outcome.sets.extend(SetOutcomes(sets, record.receipt.get("counts")))


def _interchange_record(
    ic: x12.Interchange,
    position: int,
    document: InboundDocument,
    partner: TradingPartner,
    previous: Interchange | None,
    problems: list[tuple[str, str]],
    rejected: bool | None = None,
    *,
    deferred: bool = False,
) -> Interchange:
    """``rejected``: refused at its envelope; by default when it has ``problems`` and is no duplicate.
    ``deferred``: inserted with the batch's answers (``_record_deferred``) rather than now."""
    if rejected is None:
        rejected = previous is None and bool(problems)
    record = Interchange(
        direction=Interchange.Direction.INBOUND,
        partner=partner,
        sender_qualifier=ic.isa05[:2],
        sender_id=ic.isa06[:15],
        receiver_id=ic.isa08[:15],
        isa13=ic.isa13[:9],
        isa15=ic.isa15[:1],
        version=ic.isa12[:12],
        inbound_document=document,
        position=position,
        envelope_errors=_envelope_errors(ic, problems),
        duplicate=Interchange.Duplicate.CONTROL_NUMBER if previous else "",
        duplicate_of=previous,
        rejected=rejected,
        digest=ic.digest,
        created_at=timezone.now(),
    )
    if deferred:
        _record_deferred(record)
    else:
        rows_insert([record])  # a prepared insert
    return record


def _record_deferred(record: Interchange) -> None:
    """Queue a received interchange's record with the batch's answers (``answers_deferred``), to be
    inserted with the batch's others at its end: one statement for the batch rather than one per
    file. Only for a document the batch holds locked with no interchange recorded (``BatchReads.
    unreceived``), so no other run can record one of its interchanges meanwhile. Until then it has
    no key: whatever needs one (``_recorded``) inserts it at once."""
    pending = _answers_deferred.get()
    assert pending is not None, "only within answers_deferred"
    pending.append(record)


def _recorded(record: Interchange) -> Interchange:
    """``record``, inserted now if it waits to be inserted at the batch's end (``_record_deferred``)."""
    if record.pk is None:
        rows_insert([record])
        pending = _answers_deferred.get()
        if pending is not None:
            pending.append(InsertedEarly(record))  # for ``answers_drop``, should this insert be rolled back
    return record


def _recorded_in_batch(head: x12.Interchange, window: dt.datetime) -> Interchange | None:
    """The first interchange this batch received under ``head``'s sender and ISA13 whose record
    waits to be inserted (``_record_deferred``): an earlier one than any later file of the batch."""
    sender = (head.isa05, head.isa06, head.isa13)
    for item in _answers_deferred.get() or ():
        if (
            isinstance(item, Interchange)
            and item.pk is None
            and (item.sender_qualifier, item.sender_id, item.isa13) == sender
            and item.created_at >= window
        ):
            return item
    return None


def _envelope_errors(ic: x12.Interchange, problems: list[tuple[str, str]]) -> list[IssueJson]:
    """The interchange's own errors, then the problems of the verdict not among them (addressing, usage)."""
    errors = [_issue(i) for i in ic.errors if i.is_error]
    known = {(i.code, i.message) for i in ic.errors if i.is_error}
    return errors + [{"code": code, "message": text} for code, text in problems if (code, text) not in known]


def _interchange_refuse(
    ic: x12.Interchange,
    record: Interchange,
    problems: list[tuple[str, str]],
    partner: TradingPartner,
    source: WriteSource,
    outcome: FileOutcome,
) -> None:
    code, message = problems[0]
    # The note's code with its words: a partner's people read these, not only its translator.
    note = f"TA1 {code} ({TA1_CODES[code]})" if code in TA1_CODES else f"TA1 {code}"
    identity = EdiIdentity.of(partner.company_id)
    _answer(record, outcome, _ta1(ic, record, partner, identity, source, rejected_for=code))
    _raise(
        partner,
        source,
        Kind.EDI_SYNTAX,
        f"interchange {ic.isa13} rejected, {note}: {message}",
        f"edi_envelope:{record.pk}",
        {"isa13": ic.isa13, "problems": [{"code": c, "message": m} for c, m in problems]},
    )
    outcome.sets.append(SetOutcome("ISA", ic.isa13, "R", "rejected", f"{note}: {message}"))


def _control_number_reused(
    ic: x12.Interchange,
    position: int,
    document: InboundDocument,
    partner: TradingPartner,
    previous: Interchange,
    identity: EdiIdentity,
    source: WriteSource,
    outcome: FileOutcome,
) -> Interchange:
    """Refuse ``ic``: other content under the control number of ``previous`` (the same content again
    is a quiet duplicate). Nothing of it is applied; the partner is told with a TA1 R 025 whether it
    asked for TA1s or not, and the buyer with an exception naming both files."""
    first = previous.inbound_document
    used_by = (
        f"document {first.pk} ({first.filename}, received {first.received_at:%Y-%m-%d})"
        if first is not None
        else f"interchange {previous.pk}"
    )
    message = f"control number {ic.isa13} from {ic.isa06} was used by {used_by} for other content"
    record = _interchange_record(ic, position, document, partner, previous, [("025", message)], rejected=True)
    _answer(record, outcome, _ta1(ic, record, partner, identity, source, rejected_for="025"))
    _raise(
        partner,
        source,
        Kind.DUPLICATE_DOCUMENT,
        f"interchange {ic.isa13} in file {document.filename} refused (TA1 025): {message}",
        f"edi_control_number:{record.pk}",
        {
            "sender": f"{ic.isa05}/{ic.isa06}",
            "isa13": ic.isa13,
            "first_document": first.pk if first is not None else None,
            "first_filename": first.filename if first is not None else "",
            "first_received_at": first.received_at.isoformat() if first is not None else "",
            "file": document.filename,
        },
    )
    outcome.sets.append(SetOutcome("ISA", ic.isa13, "R", "rejected", f"TA1 025 ({TA1_CODES['025']}): {message}"))
    return record


def _interchange(
    events: _InterchangeEvents,
    position: int,
    document: InboundDocument,
    partner: TradingPartner,
    source: WriteSource,
    outcome: FileOutcome,
    batch: BatchReads | None = None,
) -> Interchange:
    """Receive one interchange as it is read: each set applied as it ends, each group recorded at
    its GE, and the envelope judged again at the IEA (``interchange_envelope_verdict``).
    ``batch``: what the caller's batch read for all its files (``BatchReads``)."""
    now = timezone.now()
    head = events.head
    identity = batch.identity if batch is not None else EdiIdentity.of(partner.company_id)
    problems = interchange_envelope_verdict(head, partner, identity)
    window = now - dt.timedelta(days=settings.GATEWAY_EDI_DUPLICATE_WINDOW_DAYS)
    found = batch.received_before(document, position, head, window) if batch is not None else None
    if found is None:
        found = compiled.fetch(
            "edi.interchange_before",
            lambda: (
                Interchange.objects.filter(
                    direction="in",
                    sender_qualifier=head.isa05,
                    sender_id=head.isa06,
                    isa13=head.isa13,
                    created_at__gte=window,
                    duplicate="",
                    rejected=False,  # one refused at its envelope may come again, corrected, under its number
                )
                # Never a duplicate of itself; an earlier interchange of the same file counts like any other.
                .exclude(inbound_document=document, position=position)
                .order_by("pk")[:1]
            ),
            [window, "in", "", head.isa13, head.isa06, head.isa05, document.pk, position],
        )
        if not found and (waiting := _recorded_in_batch(head, window)) is not None:
            found = [waiting]  # received earlier in this batch, its record not inserted yet
    previous = found[0] if found else None
    if previous is not None:
        _recorded(previous)  # the duplicate's record refers to it
    if previous is not None or problems:
        ic = events.finish()  # nothing of it is applied: read to its end for its envelope
        earlier = _digest_of(previous) if previous is not None else ""
        if previous is not None and earlier and earlier != ic.digest:
            return _control_number_reused(ic, position, document, partner, previous, identity, source, outcome)
        record = _interchange_record(ic, position, document, partner, previous, problems)
        fault_point("interchange_recorded")
        if previous is not None:
            outcome.sets.append(
                SetOutcome(
                    "ISA", ic.isa13, "", "duplicate", f"interchange {ic.isa13} from {ic.isa06} was received before"
                )
            )
            if partner.ta1_requested or ic.isa14 == "1":
                _answer(record, outcome, _ta1(ic, record, partner, identity, source))
        else:
            _interchange_refuse(ic, record, problems, partner, source, outcome)
        return record
    deferred = batch is not None and document.pk in batch.unreceived and _answers_deferred.get() is not None
    record = _interchange_record(head, position, document, partner, None, [], deferred=deferred)
    fault_point("interchange_recorded")
    answered: list[x12.GroupReport] = []
    reports = x12.SetReports()
    acks: list[x12.TransactionSet] = []
    # A group's sets are applied as they are read, after a savepoint taken at its first set: a
    # group its trailer (GE) refuses whole is rolled back to it, so nothing of it stays applied.
    # Within a file received in one savepoint (``_one_savepoint``), none is taken: a group refused
    # after its sets applied has the file received again with them.
    one_savepoint = _one_savepoint.get()
    group_savepoint: str | None = None
    group_sets = SetOutcomes()
    for item in events:
        if isinstance(item, x12.TransactionSet):
            if item.group.gs01 == "FA":
                acks.append(item)  # a partner's 997/999: read at its GE, with the others of its group
                continue
            report = x12.validate_set(item)
            reports.append(report)  # kept compactly, without its segments, for the 997 at the IEA
            if report.code == "R":
                events.reader.set_rejected(item)  # past a group's 1,000th, the rest of it is not read
            if item.group.gs03 not in identity.gs_addresses() or item.group.gs02 not in partner.gs_addresses():
                continue  # to someone else, or from an application not the partner's: refused at its GE
            if group_savepoint is None:
                group_savepoint = "" if one_savepoint else transaction.savepoint()
            group_sets.append(_apply_set(report, partner, source))
            continue
        group = item
        group_report = x12.GroupReport(group, reports, list(group.errors))
        reports = x12.SetReports()
        refusal = _group_refusal(group, group_report, partner, identity)
        if refusal is not None:
            if group_savepoint == "":
                raise SavepointsNeeded(refusal)
            if group_savepoint is not None:
                transaction.savepoint_rollback(group_savepoint)
            for refused in _group_refused(group, group_report, refusal, _recorded(record), partner, source):
                outcome.sets.append(refused)
        else:
            if group_savepoint:
                transaction.savepoint_commit(group_savepoint)
            outcome.sets.extend(group_sets)
            if group.gs01 == "FA":
                group.sets[:] = acks
                _functional_ack(group, partner, _recorded(record), source, outcome)
                group.sets.clear()
        group_savepoint, group_sets, acks = None, SetOutcomes(), []
        if group.gs01 == "FA":
            continue  # a 997/999 is not answered with one
        answered.append(group_report)
        _group_record(
            FunctionalGroup(
                interchange=record,
                gs01=group.gs01[:2],
                gs06=group.gs06[:9],
                gs08=group.gs08[:12],
                set_ids=_set_ids(group_report),
                ack_state=FunctionalGroup.AckState.NOT_EXPECTED,
                ack_code=group_report.code,
                ack_detail=_ack_detail(group_report),
            )
        )
    ic = events.finish()
    problems = interchange_envelope_verdict(ic, partner, identity)
    if problems:
        raise EnvelopeRejected(problems)
    record.envelope_errors = _envelope_errors(ic, [])  # saved with its receipt (_keep_receipt)
    record.digest = ic.digest  # known at the IEA only; saved with its receipt too
    # Our answers take their control numbers last: the counter rows stay locked until the commit,
    # and taking them after the sets keeps one partner's files from queueing behind each other's
    # PO locks (and two workers from taking counter and PO locks in opposite orders).
    if partner.ta1_requested or ic.isa14 == "1":
        _answer(record, outcome, _ta1(ic, record, partner, identity, source))
    if answered:
        _answer(record, outcome, _functional_reply(ic, answered, record, partner, identity, source))
    return record


def _set_ids(report: x12.GroupReport) -> list[list[str]]:
    """The group's sets as ``[ST01, ST02]``, or ``[ST01, first ST02, last ST02]`` for a run of them
    numbered one after another: a group of 500,000 sets numbered in order is one entry. At most
    ``SET_OUTCOMES_KEPT`` entries; ``_ack_detail`` counts the sets left out."""
    out: list[list[str]] = []
    last = ""
    for s in report.sets:
        st01, st02 = s.transaction_set.st01, s.transaction_set.st02
        if out and out[-1][0] == st01 and _follows(st02, last):
            out[-1][2:] = [st02]
        elif len(out) < SET_OUTCOMES_KEPT:
            out.append([st01, st02])
        else:
            break
        last = st02
    return out


def _follows(st02: str, previous: str) -> bool:
    """``st02`` is the control number after ``previous``, written as wide (0009 → 0010)."""
    number = count_value(previous)
    return number is not None and st02 == f"{number + 1:0{len(previous)}d}"


def _ack_detail(report: x12.GroupReport) -> list[dict[str, Any]]:
    """What we answered for each set not accepted without a note (AK5 E or R), the first
    ``SET_OUTCOMES_KEPT`` of them, then a count of every set by its AK5 code: the accepted sets of a
    huge group are counted, not listed (the 997/999 itself lists every set)."""
    detail: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for s in report.sets:
        counts[s.code] += 1
        if s.code != "A" and len(detail) < SET_OUTCOMES_KEPT:
            detail.append({"st02": s.transaction_set.st02, "code": s.code})
    return [*detail, {"sets": dict(sorted(counts.items())), "listed": len(detail)}]


def _addressing_problems(ic: x12.Interchange, partner: TradingPartner, identity: EdiIdentity) -> list[tuple[str, str]]:
    """Who the interchange says it is from and to, against the partner and its buying company.

    TA105 codes: 005/006 the sender (ISA05/ISA06) is not the partner; 007 the receiver id is one
    of ours under another qualifier; 008 the receiver (ISA07/ISA08) is not one of the company's
    ids or aliases: the file is someone else's and is neither applied nor answered in their name;
    020 ISA15 is not the partner's usage (test or production).
    """
    problems = []
    if ic.isa06 != partner.isa_id:
        problems.append(("006", f"ISA06 {ic.isa06!r} is not partner {partner.isa_qualifier}:{partner.isa_id}"))
    elif ic.isa05 != partner.isa_qualifier:
        problems.append(("005", f"ISA05 {ic.isa05!r} is not partner {partner.isa_qualifier}:{partner.isa_id}"))
    ours = identity.isa_addresses()
    if (ic.isa07, ic.isa08) not in ours:
        known = ", ".join(f"{q}:{i}" for q, i in ours)
        if any(ic.isa08 == isa_id for _, isa_id in ours):
            problems.append(("007", f"ISA07 {ic.isa07!r} is not the qualifier of {ic.isa08!r} ({known})"))
        else:
            problems.append(("008", f"ISA08 {ic.isa07}:{ic.isa08} is not {partner.company}'s ({known})"))
    if ic.isa15 != partner.usage:
        problems.append(("020", f"ISA15 is {ic.isa15!r} but the partner is set up for {partner.get_usage_display()}"))
    return problems


def _group_refusal(
    group: x12.Group, report: x12.GroupReport, partner: TradingPartner, identity: EdiIdentity
) -> str | None:
    """Why the group is refused whole, or None: its own envelope is in error (GE missing, GE01 set
    count, GE02 ≠ GS06, GS06 syntax or repeated, no GS08: AK905 3, 5, 4, 6, 19, 2), its GS02 is not
    the partner's GS id or one of its aliases (AK905 ``ak905_sender_code``: 7 from release 006050,
    1 before), or its GS03 is not one of the company's GS ids (``ak905_receiver_code``: 8 from
    006050, 1 before, whose code lists have neither code). Either is added to the report, so the
    997/999 says it."""
    if group.gs02 not in partner.gs_addresses():
        report.issues.append(
            x12.Issue(
                KIND_GROUP,
                ak905_sender_code(group.gs08),
                f"GS02 {group.gs02!r} is not partner {partner.supplier.code}'s ({', '.join(partner.gs_addresses())})",
                group_control=group.gs06,
            )
        )
    if group.gs03 not in identity.gs_addresses():
        report.issues.append(
            x12.Issue(
                KIND_GROUP,
                ak905_receiver_code(group.gs08),
                f"GS03 {group.gs03!r} is not one of ours ({', '.join(identity.gs_addresses())})",
                group_control=group.gs06,
            )
        )
    if not report.rejected_whole:
        return None
    return next(i.message for i in report.issues if i.is_error)


def _group_refused(
    group: x12.Group,
    report: x12.GroupReport,
    reason: str,
    record: Interchange,
    partner: TradingPartner,
    source: WriteSource,
) -> list[SetOutcome]:
    """Nothing of a group refused whole is applied; the buyer hears of it once. A group refused past
    its ``MAX_REJECTED_SETS``-th rejected set has no AK905 code (the list has none for it)."""
    codes = f" (AK905 {', '.join(report.group_codes)})" if report.group_codes else ""
    _raise(
        partner,
        source,
        Kind.EDI_SYNTAX,
        f"group {group.gs01} {group.gs06} of interchange {record.isa13} rejected{codes}: {reason}",
        f"edi_group:{record.pk}:{group.index}",
        {"gs06": group.gs06, "ak905": report.group_codes, "sets": [[s.st01, s.st02] for s in group.sets]},
    )
    return [
        SetOutcome(s.transaction_set.st01, s.transaction_set.st02, s.code, "rejected", f"group rejected: {reason}")
        for s in report.sets
    ]


# Receiving a batch of files in one transaction: our answers, written once every file is received.
@dataclass
class DeferredAnswer:
    """One of our answers to a received interchange, queued to be written with the batch's others."""

    record: Interchange
    reply: Reply


@dataclass
class InsertedEarly:
    """An interchange's record queued for the batch's end (``_record_deferred``) but inserted before
    it, as something needed its key (``_recorded``)."""

    record: Interchange


@dataclass
class DeferredSettle:
    """A document of the batch settled in hand (``inbound_document_settle(held=…)``), to be written
    with the batch's answers; with what it held before, put back should its file be rolled back."""

    document: InboundDocument
    before: tuple[Any, ...]

    @classmethod
    def of(cls, document: InboundDocument) -> DeferredSettle:
        return cls(document, tuple(getattr(document, name) for name in SETTLED_FIELDS))

    def undo(self) -> None:
        for name, value in zip(SETTLED_FIELDS, self.before, strict=True):
            setattr(self.document, name, value)


# What a batch writes at its end: our answers, the records of the interchanges and groups received,
# and the documents settled.
Deferred = DeferredAnswer | FunctionalGroup | Interchange | InsertedEarly | DeferredSettle
_answers_deferred: ContextVar[list[Deferred] | None] = ContextVar("answers_deferred", default=None)


@contextmanager
def answers_deferred() -> Iterator[list[Deferred]]:
    """Within this block, our 997/999/TA1 answers are not written as each interchange is received
    but queued in the list it gives, for the caller to write (``answers_write``, in the same
    transaction) once the batch is received: their control numbers are taken together at the end,
    so the partner's counter rows are locked only from there to the commit, not for the whole
    batch. The received groups' records wait with them, to be inserted together. A caller that
    rolls back part of its batch drops what that part queued."""
    pending: list[Deferred] = []
    token = _answers_deferred.set(pending)
    try:
        yield pending
    finally:
        _answers_deferred.reset(token)


def answers_drop(pending: list[Deferred], queued: int) -> None:
    """Forget what the part of a batch rolled back to its savepoint queued after the first
    ``queued`` items; an interchange's record it inserted early (``InsertedEarly``) is rolled back
    with it and waits again, without its key, to be inserted at the batch's end."""
    for item in pending[queued:]:
        if isinstance(item, InsertedEarly):
            item.record.pk = None
            item.record._state.adding = True
        elif isinstance(item, DeferredSettle):
            item.undo()  # its settling was rolled back with the savepoint: the document as it was
    del pending[queued:]


def answers_write(pending: list[Deferred]) -> None:
    """Write what ``answers_deferred`` queued: the received interchanges' records waiting to be
    inserted (``_record_deferred``) in one statement, the groups' records in another, then the
    answers, in order, together (``replies_write``), each answered interchange's receipt saved
    with them: a few statements for a batch, not six per file."""
    received: list[Interchange] = [item for item in pending if isinstance(item, Interchange)]
    rows_insert([record for record in received if record.pk is None])
    groups = [item for item in pending if isinstance(item, FunctionalGroup)]
    for group in groups:
        group.interchange_id = group.interchange.pk  # its interchange may have been inserted since
    answers = [item for item in pending if isinstance(item, DeferredAnswer)]
    written = replies_write([answer.reply for answer in answers], alongside=groups)
    records: dict[int, Interchange] = {}
    for answer, interchange in zip(answers, written, strict=True):
        record = answer.record
        acks = [*record.receipt.get("acks", []), f"{answer.reply.kind} {interchange.isa13}"]
        record.receipt = {**record.receipt, "acks": acks}
        records[record.pk] = record
    # The receipts (``_keep_receipt``) are saved once, with the answers: one statement for them all.
    rows_update(list(records.values()), ["receipt", "envelope_errors", "digest"])
    inbound_documents_settled_write([item.document for item in pending if isinstance(item, DeferredSettle)])


def _digest_of(previous: Interchange) -> str:
    """``previous``'s digest: as stored, or, for an interchange of this batch whose receipt waits to be
    saved with its answer (``answers_deferred``), as that record holds it."""
    if previous.digest:
        return previous.digest
    for item in _answers_deferred.get() or ():
        if isinstance(item, DeferredAnswer) and item.record.pk == previous.pk:
            return item.record.digest
    return ""


def _group_record(group: FunctionalGroup) -> None:
    """Insert a received group's record now, or queue it with the answers (``answers_deferred``)."""
    pending = _answers_deferred.get()
    if pending is None:
        group.save(force_insert=True)
    else:
        pending.append(group)


def _answer(record: Interchange, outcome: FileOutcome, reply: Reply) -> None:
    """Write one of our answers to ``record`` now, or queue it (``answers_deferred``)."""
    pending = _answers_deferred.get()
    if pending is None:
        written = reply_write(reply)
        outcome.acks_written.append(f"{reply.kind} {written.isa13}")
        return
    record.answers_deferred = True  # type: ignore[attr-defined]
    pending.append(DeferredAnswer(record, reply))


class InjectedFault(OperationalError):
    """A failure a test asked for at a named point (``GATEWAY_EDI_FAULTS``), as a database error would."""


_fault_hits: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """Fail the n-th time this process reaches ``name`` if ``settings.GATEWAY_EDI_FAULTS`` says
    ``{name: n}``; off (empty) outside tests."""
    at = settings.GATEWAY_EDI_FAULTS.get(name)
    if at:
        _fault_hits[name] += 1
        if _fault_hits[name] == at:
            raise InjectedFault(f"fault injected at {name}")


def _apply_set(set_report: x12.SetReport, partner: TradingPartner, source: WriteSource) -> SetOutcome:
    ts = set_report.transaction_set
    document = source.document
    assert document is not None, "_receive gives the source the document it receives"
    result = SetOutcome(ts.st01, ts.st02, set_report.code, "rejected")
    if set_report.code == "R":
        first = set_report.errors[0] if set_report.errors else None
        result.detail = first.message if first else "rejected"
        _raise(
            partner,
            source,
            Kind.EDI_SYNTAX,
            f"{ts.st01} {ts.st02} rejected: {result.detail}",
            f"edi_set:{document.pk}:{ts.group.gs06}:{ts.st02}",
            {"set": ts.st01, "st02": ts.st02, "errors": [_issue(i) for i in set_report.errors[:20]]},
        )
        return result
    applier = APPLIERS.get(ts.st01)
    if applier is None:
        result.outcome, result.detail = "not_applicable", f"{ts.st01} is not a document suppliers send"
        _raise(
            partner,
            source,
            Kind.INVALID_DOCUMENT,
            f"{ts.st01} {ts.st02}: {result.detail}",
            f"edi_unexpected:{document.pk}:{ts.group.gs06}:{ts.st02}",
            {"set": ts.st01, "st02": ts.st02},
        )
        return result
    mapped = x12.map_transaction_set(ts, partner.code_maps or None)
    result.unused = [[u.position, u.segment_id] for u in mapped.unused]
    blocking = [i for i in mapped.errors if i.is_error]
    if mapped.value is None or blocking:
        result.detail = "; ".join(i.message for i in blocking) or "could not be read"
        _raise(
            partner,
            source,
            Kind.INVALID_DOCUMENT,
            f"{ts.st01} {ts.st02} could not be applied: {result.detail}",
            f"edi_mapping:{document.pk}:{ts.group.gs06}:{ts.st02}",
            {"set": ts.st01, "st02": ts.st02, "errors": [_issue(i) for i in blocking[:20]]},
        )
        return result
    try:
        # Each write-path service runs in a transaction of its own, here a savepoint: a set refused
        # after it wrote something takes back only its own writes, and its refusal is recorded after
        # that rollback (records_refusals), still inside the interchange's transaction. In a file
        # received in one savepoint, the service takes none: such a refusal has the file received again.
        applied = applier(partner.supplier, mapped.value, source)
    except ProcurementError as error:
        if transaction.get_connection().needs_rollback:
            # Refused after it wrote something, with no savepoint of its own to roll back to.
            raise SavepointsNeeded(error.message) from error
        result.outcome, result.detail = "refused", f"{error.code}: {error.message}"
        if isinstance(error, DocumentRefused):
            return result
        _raise(
            partner,
            source,
            Kind.INVALID_DOCUMENT,
            f"{ts.st01} {ts.st02} refused: {error.message}",
            f"edi_refused:{document.pk}:{ts.group.gs06}:{ts.st02}",
            {"code": error.code},
        )
        return result
    result.outcome, result.record = applied.outcome, applied.record.pk
    return result


def _functional_reply(
    ic: x12.Interchange,
    reports: list[x12.GroupReport],
    record: Interchange,
    partner: TradingPartner,
    identity: EdiIdentity,
    source: WriteSource,
) -> Reply:
    kind = partner.ack_kind if partner.ack_kind != TradingPartner.AckKind.AUTO else None
    kind = kind or x12.ack_kind(reports[0].group.gs08)

    def content(isa: int, gs: int, st: int) -> bytes:
        envelope = x12.reply_envelope(ic, reports[0].group, interchange_control=isa, group_control=gs)
        envelope = _answered_as(envelope, ic, reports[0].group, partner, identity)
        return x12.write_ack(reports, envelope, st, kind=kind)

    # One 997/999 group per inbound group: as many group and set numbers as there are groups.
    return Reply(
        partner=partner,
        kind=kind,
        content_for=content,
        source=source,
        answering=record,
        sender=_our_isa(ic, identity),
        groups=len(reports),
    )


def _ta1(
    ic: x12.Interchange,
    record: Interchange,
    partner: TradingPartner,
    identity: EdiIdentity,
    source: WriteSource,
    rejected_for: str = "",
) -> Reply:
    def content(isa: int, gs: int, st: int) -> bytes:
        envelope = x12.reply_envelope(ic, None, interchange_control=isa, group_control=gs)
        return x12.write_ta1(ic, _answered_as(envelope, ic, None, partner, identity), rejected_for)

    return Reply(
        partner=partner, kind="TA1", source=source, answering=record, content_for=content, sender=_our_isa(ic, identity)
    )


def _our_isa(ic: x12.Interchange, identity: EdiIdentity) -> tuple[str, str]:
    """The ISA qualifier and id we answer ``ic`` under: the ones it was addressed to when they are
    ours (an alias is answered under that alias, as partners' translators expect: they file an
    answer under the id they sent to), else the company's own. Never an id that is not ours."""
    addressed = (ic.isa07, ic.isa08)
    return addressed if addressed in identity.isa_addresses() else identity.isa_address


def _answered_as(
    envelope: x12.Envelope,
    ic: x12.Interchange,
    group: x12.Group | None,
    partner: TradingPartner,
    identity: EdiIdentity,
) -> x12.Envelope:
    """``envelope`` (the inbound one, turned round) sent by us and to the partner as set up: our
    ISA id (``_our_isa``) and GS id (GS03 as addressed when it is ours, else the company's own)."""
    qualifier, isa_id = _our_isa(ic, identity)
    gs_id = group.gs03 if group is not None and group.gs03 in identity.gs_addresses() else identity.gs_address
    return dataclasses.replace(
        envelope,
        sender_qualifier=qualifier,
        sender_id=isa_id,
        application_sender=gs_id,
        receiver_qualifier=partner.isa_qualifier,
        receiver_id=partner.isa_id,
    )


def _functional_ack(
    group: x12.Group, partner: TradingPartner, record: Interchange, source: WriteSource, outcome: FileOutcome
) -> None:
    """A partner's 997/999 answering a group we sent: match it by GS06 and record the verdict."""
    document = source.document
    assert document is not None, "_receive gives the source the document it receives"
    for ts in group.sets:
        try:
            mapped = map_functional_ack(ts)
        except x12.X12Error as error:
            outcome.sets.append(SetOutcome(ts.st01, ts.st02, "R", "rejected", str(error)))
            continue
        answer = mapped.value
        unreadable = [i.message for i in mapped.errors if i.is_error]
        if unreadable or not answer.group_control or answer.code not in AK9_CODES:
            # A verdict read from a broken 997 (no AK9, an AK9 code that is none, an AK2 loop
            # without its AK5, counts that do not add up) would mark our group rejected, or
            # accepted, on a guess: the group keeps waiting for a readable one.
            why = "; ".join(unreadable) or "AK102 names no group"
            outcome.sets.append(SetOutcome(ts.st01, ts.st02, "R", "rejected", why))
            _raise(
                partner,
                source,
                Kind.INVALID_DOCUMENT,
                f"{ts.st01} {ts.st02} could not be read: {why}",
                f"edi_fa_unreadable:{document.pk}:{ts.st02}",
                {"set": ts.st01, "st02": ts.st02, "errors": [_issue(i) for i in mapped.errors][:20]},
            )
            continue
        answered_gs06 = answer.group_control.lstrip("0") or "0"
        verdict = answer.code
        detail = functional_ack_detail(answer)
        sent = (
            FunctionalGroup.objects.select_related("interchange")
            .filter(interchange__direction="out", interchange__partner=partner, gs06=answered_gs06)
            .order_by("-pk")
            .first()
        )
        if sent is None:
            outcome.sets.append(
                SetOutcome(
                    ts.st01,
                    ts.st02,
                    "A",
                    "rejected",
                    f"answers group {answered_gs06}, which was never sent to this partner",
                )
            )
            _raise(
                partner,
                source,
                Kind.INVALID_DOCUMENT,
                f"{ts.st01} {ts.st02} answers group {answered_gs06}, which was never sent to this partner",
                f"edi_fa_unmatched:{document.pk}:{ts.st02}",
                {"gs06": answered_gs06},
            )
            continue
        state = {"A": "accepted", "E": "accepted_with_errors", "P": "partially_accepted", "R": "rejected"}.get(
            verdict, "rejected"
        )
        FunctionalGroup.objects.filter(pk=sent.pk).update(
            ack_state=state, ack_code=verdict[:1], ack_interchange=record, ack_detail=detail
        )
        outcome.sets.append(SetOutcome(ts.st01, ts.st02, "A", "matched", f"group {answered_gs06}: {verdict}"))
        if state in ("rejected", "partially_accepted"):
            _raise(
                partner,
                source,
                Kind.FA_REJECTED,
                f"partner {'rejected' if state == 'rejected' else 'partly rejected'} interchange "
                f"{sent.interchange.isa13} (group {answered_gs06})",
                f"edi_fa_rejected:{sent.pk}",
                {"gs06": answered_gs06, "ak9": verdict, "sets": detail, "reading": functional_ack_reading(answer)},
                po=sent.interchange.po,
            )


def _unreadable(document: InboundDocument, partner: TradingPartner, source: WriteSource, reason: str) -> FileOutcome:
    _raise(
        partner,
        source,
        Kind.EDI_SYNTAX,
        f"file {document.filename} could not be read: {reason}",
        f"edi_unreadable:{document.pk}",
        {"file": document.filename, "reason": reason},
    )
    return FileOutcome(InboundDocument.State.REJECTED, "unreadable", reason)


def _raise(
    partner: TradingPartner,
    source: WriteSource,
    kind: str,
    text: str,
    key: str,
    evidence: dict[str, Any],
    po: PurchaseOrder | None = None,
) -> None:
    draft = exception_draft(
        company=partner.company,
        kind=kind,
        severity=Severity.DATA_QUALITY,
        dedup_key=key,
        summary=text,
        evidence=evidence,
        supplier_message=text,
        source=source,
        supplier=partner.supplier,
        po=po,
    )
    exception_raise(draft, source=source)


def translation_lines(reading: Translation) -> list[str]:
    """The reading of ``translate`` as lines to read, set by set and segment by segment: what
    ``manage.py edi translate`` prints and the workbench's exception page shows."""
    lines: list[str] = []
    for issue in reading["issues"]:
        lines.append(f"file: [{issue.get('code', '')}] {issue['message']}")
    for ic in reading["interchanges"]:
        lines.append(f"interchange {ic['isa13']} {ic['isa06']} → {ic['isa08']} (ISA15 {ic['isa15']})")
        for issue in ic["issues"]:
            lines.append(f"  ! [{issue.get('code', '')}] {issue['message']}")
        for line in ic["ta1"]:
            lines.append(f"  {line}")
        for group in ic["groups"]:
            lines.append(f"  group {group['gs01']} {group['gs06']} {group['gs08']}: {group['ack_code']}")
            for issue in group["issues"]:
                lines.append(f"    ! [{issue.get('code', '')}] {issue['message']}")
            for s in group["sets"]:
                lines.append(f"    {s['st01']} {s['st02']}: {s['ack_code']}")
                for issue in s["issues"]:
                    where = ", ".join(
                        f"{k} {issue[k]}" for k in ("segment_id", "segment_position", "element_position") if k in issue
                    )
                    lines.append(f"      ! [{issue.get('code', '')}] {issue['message']} ({where})")
                for line in s.get("reading", []):
                    lines.append(f"      {line}")
                if s.get("canonical") is not None:
                    lines.append("      " + json.dumps(s["canonical"], default=str))
                if s.get("unused"):
                    lines.append("      segments not used by the gateway:")
                    for u in s["unused"]:
                        lines.append(f"        {u['position']} {u['segment_id']}: {u['reason']}")
    return lines
