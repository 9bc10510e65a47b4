"""EDI background work. The worker, never the web process, reads partners' files."""

import logging
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from edi import filedrop, inbound
from edi.models import FunctionalGroup, TradingPartner
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
    if not cache.add(SCAN_LOCK, 1, timeout=300):
        return 0
    settling: list[float] = []
    try:
        count = 0
        for item in filedrop.scan(settling=settling):
            file_process.delay(item.partner_id, item.document_id, item.path)
            count += 1
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
    if cache.add(FOLLOW_UP, 1, timeout=countdown + 60):  # expires by itself should the follow-up be lost
        filedrop_scan.apply_async(kwargs={"follow_up": True}, countdown=countdown)
    return count


# A file's processing writes the record and queues the 997; if the worker dies midway the task is
# delivered again (late ack), and everything it does is idempotent, so nothing is lost or doubled.
@shared_task(name="edi.tasks.file_process", ignore_result=True, acks_late=True)
def file_process(partner_id: int, document_id: int, claimed_path: str = "") -> str:
    """Process one stored X12 file, record its outcome, and archive or reject the file."""
    partner = TradingPartner.objects.select_related("supplier", "company").get(pk=partner_id)
    document = InboundDocument.objects.get(pk=document_id)
    if document.state != InboundDocument.State.RECEIVED and document.state != InboundDocument.State.FAILED:
        if claimed_path:
            filedrop.archive(partner, claimed_path, document)
        return document.state
    try:
        outcome = inbound.file_process(document=document, partner=partner)
    except Exception as error:
        InboundDocument.objects.filter(pk=document.pk).update(
            state=InboundDocument.State.FAILED, outcome_code="error", error=f"{type(error).__name__}: {error}"
        )
        raise
    inbound.document_finish(document, outcome)
    if claimed_path:
        if outcome.state == InboundDocument.State.REJECTED:
            filedrop.reject(filedrop.folders(partner), Path(claimed_path), document.filename, outcome.detail)
        else:
            filedrop.archive(partner, claimed_path, document)
    return outcome.code


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
            company = order.company if order else group.interchange.partner.company
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
                supplier=group.interchange.partner.supplier,
                po=order,
            )
            exception_raise(draft, source=source)
            count += 1
    return count
