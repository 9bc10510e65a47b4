"""EDI background work. The worker, never the web process, reads partners' files."""

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from edi import filedrop, services
from edi.models import FunctionalGroup, TradingPartner
from gateway.logs import log_context
from notifications.services import outbox_deliveries_together
from procurement.models import InboundDocument, ProcurementException
from procurement.services import WriteSource
from procurement.services.raising import exception_draft, exception_raise

log = logging.getLogger(__name__)


SCAN_LOCK = "edi:filedrop-scan"
FOLLOW_UP = "edi:filedrop-scan-follow-up"


@shared_task(name="edi.tasks.filedrop_scan", ignore_result=True)
def filedrop_scan(follow_up: bool = False) -> int:
    """Claim and store settled files from every partner inbox, queueing each for processing at once.

    One scan at a time (a lock in the shared cache): the scheduler fires every few seconds and a
    long scan must not be joined by the next one listing the same inbox again. A scan that stopped
    at its batch limit is followed by another at once, and one that saw files still settling by
    another when the first of them has settled, rather than at the scheduler's next turn; at most
    one such follow-up waits at a time. (The lock and that limit hold across workers with a shared
    cache, Redis in production; the embedded default's cache is per process.)
    """
    if follow_up:
        cache.delete(FOLLOW_UP)
    # A scan that held the lock as long as a claim takes to go stale has died with its worker.
    if not cache.add(SCAN_LOCK, 1, timeout=settings.GATEWAY_EDI_STALE_CLAIM_SECONDS):
        return 0
    settling: list[float] = []
    batch = _Batch()
    try:
        count = 0
        for item in filedrop.scan(settling=settling):
            batch.add(item)
            count += 1
    finally:
        try:
            batch.queue()
        finally:
            cache.delete(SCAN_LOCK)
    if filedrop_scan.request.is_eager:
        return count  # run in the caller's process: no queue to come back through
    if count >= settings.GATEWAY_EDI_SCAN_BATCH:
        countdown = 0.0
    elif settling and min(settling) < settings.GATEWAY_EDI_SCAN_SECONDS:
        countdown = min(settling) + 0.01
    else:
        return count
    # Expires by itself should the follow-up be lost (its worker stopped before it ran): by the time the
    # scheduler's next scan would have looked anyway, so a lost one never holds back the next follow-ups.
    if cache.add(FOLLOW_UP, 1, timeout=countdown + settings.GATEWAY_EDI_SCAN_SECONDS):
        filedrop_scan.apply_async(kwargs={"follow_up": True}, countdown=countdown)
    return count


class _Batch:
    """Claimed files queued as the scan takes them: a small file waits for up to
    ``GATEWAY_EDI_RECEIVE_BATCH - 1`` more of the same partner and goes with them in one task
    (``edi_files_receive``); a large file, or a batch of one, goes alone (``edi_file_receive``)."""

    def __init__(self) -> None:
        self.items: list[filedrop.Claimed] = []

    def add(self, item: filedrop.Claimed) -> None:
        if self.items and self.items[0].partner_id != item.partner_id:
            self.queue()  # one partner per batch: its files take its control numbers in turn
        if settings.GATEWAY_EDI_RECEIVE_BATCH <= 1 or item.size > settings.GATEWAY_EDI_RECEIVE_BATCH_FILE_BYTES:
            edi_file_receive.delay(item.partner_id, item.document_id, item.path)
            return
        self.items.append(item)
        if len(self.items) >= settings.GATEWAY_EDI_RECEIVE_BATCH:
            self.queue()

    def queue(self) -> None:
        items, self.items = self.items, []
        if len(items) == 1:
            edi_file_receive.delay(items[0].partner_id, items[0].document_id, items[0].path)
        elif items:
            edi_files_receive.delay([[i.partner_id, i.document_id, i.path] for i in items])


# Errors that pass (the database, the broker or the file system away for a moment): retried.
TRANSIENT_ERRORS = services.TRANSIENT_ERRORS

RECEIVE_TASK = {
    "ignore_result": True,
    # Acknowledged only once it has run (late ack), so a worker that dies midway does not take the
    # file's receipt with it: Redis delivers the message again after its visibility timeout (the
    # embedded on-disk broker cannot; the EDI sweep takes the file up sooner either way), and a
    # second run is harmless because receiving is idempotent. Workers take one message at a time
    # (CELERY_WORKER_PREFETCH_MULTIPLIER = 1), so a dead worker strands only this task, not others
    # it had reserved. A worker process lost mid-task (OOM, killed) puts its message back in the
    # queue (CELERY_TASK_REJECT_ON_WORKER_LOST): each run counts an attempt on the document before
    # it starts, so a file that kills its worker every time is dead-lettered after
    # GATEWAY_EDI_MAX_ATTEMPTS runs instead of looping.
    "acks_late": True,
    # Stopped past this (the worker process is killed, the attempt counted): one file cannot hold a
    # worker forever, and the broker's visibility timeout is sized above it.
    "time_limit": settings.GATEWAY_EDI_TASK_SECONDS,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,  # seconds, doubling, with jitter
    "retry_backoff_max": 300,
    "retry_jitter": True,
    # More than GATEWAY_EDI_MAX_ATTEMPTS: the attempts counted on the document end the retries first.
    "max_retries": 8,
}


@shared_task(name="edi.tasks.edi_file_receive", **RECEIVE_TASK)
def edi_file_receive(partner_id: int, document_id: int, claimed_path: str = "") -> str:
    """Receive one stored X12 file (``services.interchange_file_receive``), then archive or reject it.

    Idempotent: a document already settled is not received again, only its file is moved (once).
    A transient error is recorded on the document (failed, ``transient_error``) and retried with
    backoff, up to ``GATEWAY_EDI_MAX_ATTEMPTS`` attempts in all (counting the sweep's and a lost
    worker's); then, or at once for any other error, the document is dead-lettered (failed,
    ``dead_letter``) and its file moved to ``rejected/``: ``edi replay`` runs it again once its
    cause is fixed.
    """
    return _receive(partner_id, document_id, claimed_path)


# The task's name before edi_file_receive: messages queued under it before an upgrade still run.
@shared_task(name="edi.tasks.file_process", **RECEIVE_TASK)
def edi_file_receive_queued_before_upgrade(partner_id: int, document_id: int, claimed_path: str = "") -> str:
    """``edi_file_receive`` under its former task name."""
    return _receive(partner_id, document_id, claimed_path)


def _receive(partner_id: int, document_id: int, claimed_path: str) -> str:
    partner = TradingPartner.objects.select_related("supplier", "company").get(pk=partner_id)
    document = InboundDocument.objects.get(pk=document_id)
    with log_context(correlation_id=document.correlation_id, document_id=document.pk, partner=document.sender):
        services.interchange_file_attempt(document=document, partner=partner)  # a transient error: retried
        filedrop.claimed_file_finish(partner, claimed_path, document)
    return document.outcome_code


@shared_task(name="edi.tasks.edi_files_receive", **RECEIVE_TASK)
def edi_files_receive(items: list[list[Any]]) -> list[str]:
    """Receive several small stored files (``[partner id, document id, claimed path]`` each) in one
    transaction, then archive or reject each: a commit per batch rather than per file.

    Each file is received in a savepoint of its own and keeps its own outcome, document state and
    997 (the batch's answers are written at its end: ``services.answers_deferred``, and delivered
    together once it commits: ``outbox_deliveries_together``). A batch takes
    only files never tried before, and counts that first attempt on all of them in one statement
    before it starts. A file that was tried already (a batch redelivered after its worker died,
    a file sent back by an earlier batch), and a file whose receipt fails here, transient or not,
    goes alone to ``edi_file_receive``, whose counted, bounded attempts retry it or dead-letter it.
    So a file that kills its worker costs its batch one redelivery, then runs alone. An error that
    leaves the transaction unusable (the connection lost), or at the commit, rolls the whole batch
    back and retries it.
    """
    ids = [document_id for _, document_id, _ in items]
    fresh = InboundDocument.objects.filter(pk__in=ids, attempts=0, state=InboundDocument.State.RECEIVED)
    tried = set(ids) - set(fresh.values_list("pk", flat=True))
    for partner_id, document_id, claimed_path in items:
        if document_id in tried:
            edi_file_receive.delay(partner_id, document_id, claimed_path)
    batch = [item for item in items if item[1] not in tried]
    # This batch's attempt, counted before it starts (a commit of its own), as edi_file_receive counts.
    InboundDocument.objects.filter(pk__in=[i[1] for i in batch], attempts=0).update(attempts=1)
    partners: dict[int, tuple[TradingPartner, services.BatchReads]] = {}
    finished: list[tuple[TradingPartner, str, InboundDocument]] = []
    # The batch's 997s and TA1s are delivered together once it commits, before its files are moved.
    with outbox_deliveries_together(), transaction.atomic():
        # Its documents locked for the whole batch at once, in id order (a second run of one of
        # them, the sweep's, waits for its commit), rather than each in its turn.
        documents = {
            document.pk: document
            for document in InboundDocument.objects.select_related("supplier")
            .select_for_update(of=("self",))
            .filter(pk__in=[i[1] for i in batch])
            .order_by("pk")
        }
        with services.answers_deferred() as answers:
            for partner_id, document_id, claimed_path in batch:
                if partner_id not in partners:
                    partner = TradingPartner.objects.select_related("supplier", "company").get(pk=partner_id)
                    mine = [documents[i[1]] for i in batch if i[0] == partner_id]
                    alone = all(i[0] == partner_id for i in batch)
                    partners[partner_id] = partner, services.BatchReads.read(partner, mine, alone=alone)
                partner, reads = partners[partner_id]
                document = documents[document_id]
                document.attempts -= 1  # settling records the attempt counted above, not one more
                queued = len(answers)
                if _batch_receive_one(partner, document, claimed_path, reads):
                    finished.append((partner, claimed_path, document))
                else:
                    services.answers_drop(answers, queued)  # its savepoint rolled back: so do its answers
        # The files' 997s and TA1s last, in order: the partner's control numbers stay locked only
        # from here to the commit, so two workers' batches of one partner overlap.
        services.answers_write(answers)
    # Each partner's folders made once for the batch's files, rather than once per file.
    places: dict[int, filedrop.Folders] = {}
    return [_finish(partner, claimed_path, document, places) for partner, claimed_path, document in finished]


def _batch_receive_one(
    partner: TradingPartner, document: InboundDocument, claimed_path: str, reads: services.BatchReads
) -> bool:
    """Receive one file of a batch in a savepoint; whether its claimed file is to be moved now
    (else it has been sent alone to ``edi_file_receive``, once the batch commits)."""
    if document.state not in (InboundDocument.State.RECEIVED, InboundDocument.State.FAILED):
        return True
    attempts = document.attempts
    try:
        with log_context(correlation_id=document.correlation_id, document_id=document.pk, partner=document.sender):
            # In a savepoint of its own (the only one it takes, unless it needs more).
            services.interchange_file_receive_in_savepoint(document=document, partner=partner, batch=reads)
    except Exception:
        if transaction.get_connection().needs_rollback:
            raise  # the savepoint could not be rolled back: the batch is retried whole
        document.attempts = attempts
        log.warning("EDI document %s failed in a batch; received again alone", document.pk, exc_info=True)
        transaction.on_commit(lambda: edi_file_receive.delay(partner.pk, document.pk, claimed_path))
        return False
    return True


def _finish(
    partner: TradingPartner, claimed_path: str, document: InboundDocument, places: dict[int, filedrop.Folders]
) -> str:
    if document.state in (InboundDocument.State.RECEIVED, InboundDocument.State.FAILED):
        document.refresh_from_db()  # settled by another run meanwhile
    if partner.pk not in places:
        places[partner.pk] = filedrop.folders(partner)
    filedrop.claimed_file_finish(partner, claimed_path, document, places[partner.pk])
    return document.outcome_code


@shared_task(name="edi.tasks.edi_receive_sweep", ignore_result=True)
def edi_receive_sweep(limit: int = 200) -> int:
    """Queue again the files whose receipt was interrupted: a worker killed midway, a lost message,
    retries that ran out. Returns how many it queued.

    Claims older than ``GATEWAY_EDI_STALE_CLAIM_SECONDS`` (by their claim time): never stored, the
    file goes back to the inbox; stored, its document is queued with the file. Documents left
    ``received``, or ``failed`` with a transient error, for as long and without a claimed file are
    queued without one. Idempotent: a document queued twice is received once, its file moved once;
    a document that failed for good waits for ``edi replay``.
    """
    stale, claimed = filedrop.claims_recover()
    documents = {
        correlation_id: (pk, state, code)
        for correlation_id, pk, state, code in InboundDocument.objects.filter(
            channel="edi", correlation_id__in=[c.correlation_id for c in stale]
        ).values_list("correlation_id", "pk", "state", "outcome_code")
    }
    count = 0
    for claim in stale[:limit]:
        document_id, state, code = documents[claim.correlation_id]
        if state == InboundDocument.State.FAILED and code == "error":
            continue  # failed for good: its file stays claimed until a replay settles it
        edi_file_receive.delay(claim.partner_id, document_id, claim.path)
        count += 1
    bound = timezone.now() - dt.timedelta(seconds=settings.GATEWAY_EDI_STALE_CLAIM_SECONDS)
    left = (
        InboundDocument.objects.filter(channel="edi")
        .filter(
            Q(state=InboundDocument.State.RECEIVED, received_at__lt=bound)
            | Q(state=InboundDocument.State.FAILED, outcome_code="transient_error", processed_at__lt=bound)
        )
        .exclude(correlation_id__in=claimed)
        .order_by("pk")
        .values_list("pk", "supplier_id")[: max(limit - count, 0)]
    )
    partners = dict(TradingPartner.objects.values_list("supplier_id", "pk"))
    for document_id, supplier_id in left:
        if supplier_id in partners:
            edi_file_receive.delay(partners[supplier_id], document_id, "")
            count += 1
    return count


@shared_task(name="edi.tasks.functional_acks_overdue_check", ignore_result=True)
def functional_acks_overdue_check() -> int:
    """Raise an exception for each group we sent whose 997/999 did not come in time."""
    now = timezone.now()
    overdue = FunctionalGroup.objects.select_related(
        "interchange__partner__supplier", "interchange__partner__company", "interchange__po__company"
    ).filter(interchange__direction="out", ack_state=FunctionalGroup.AckState.AWAITED, ack_due_at__lt=now)
    source = WriteSource(channel="system", label="scheduler")
    count = 0
    for group in overdue:
        with transaction.atomic():
            if not FunctionalGroup.objects.filter(pk=group.pk, ack_state="awaited").update(ack_state="overdue"):
                continue
            order = group.interchange.po
            partner = group.interchange.partner
            assert partner is not None, "an interchange we send is recorded with its partner"
            company = order.company if order else partner.company
            text = (
                f"no 997/999 for interchange {group.interchange.isa13} (group {group.gs06}) "
                f"due {group.ack_due_at:%Y-%m-%d %H:%M} UTC"
            )
            draft = exception_draft(
                company=company,
                kind=ProcurementException.Kind.FA_OVERDUE,
                severity=ProcurementException.Severity.PROCUREMENT_DELAY,
                dedup_key=f"fa_overdue:{group.pk}",
                summary=text,
                evidence={"isa13": group.interchange.isa13, "gs06": group.gs06, "due_at": group.ack_due_at},
                supplier_message=text,
                source=source,
                supplier=partner.supplier,
                po=order,
            )
            exception_raise(draft, source=source)
            count += 1
    return count
