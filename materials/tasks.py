"""Materials background work, on the ``materials`` queue: exports dropped by PLM and ERP are read here.
Inventory work of one plant goes to that plant's queue, ``materials.<plant code>``."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction

from materials import filedrop
from materials.models import InventoryBalance
from materials.services import reconciliation, runs

SCAN_LOCK = "materials:filedrop-scan"
# The database away for a moment, or the file system: retried with backoff. Anything else is a
# fault in the file or in the gateway: the document keeps it (failed) and the file stays claimed.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError)
# The options of every materials task that is idempotent (running it twice is harmless): acknowledged
# once it has run, so a worker that dies midway leaves the message for another (workers take one
# message at a time, prefetch 1), and retried with backoff on a transient error.
IDEMPOTENT: dict = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="materials.tasks.materials_filedrop_scan", ignore_result=True)
def materials_filedrop_scan() -> int:
    """Claim and store settled exports from every system's inbox and queue each to be read.

    One scan at a time (a lock in the shared cache), as the EDI scan. Claims left behind by a
    worker that died (older than ``GATEWAY_MATERIALS_STALE_CLAIM_SECONDS``) are taken up again
    here: reading a file twice is harmless (see ``materials_file_receive``).
    """
    if not cache.add(SCAN_LOCK, 1, timeout=settings.GATEWAY_MATERIALS_STALE_CLAIM_SECONDS):
        return 0
    try:
        claimed = [*filedrop.claims_stale(), *filedrop.scan()]
    finally:
        cache.delete(SCAN_LOCK)
    for item in claimed:
        materials_file_receive.delay(item.document_id, item.path)
    return len(claimed)


# A file read again applies nothing twice (releases are idempotent on their id and content, items on
# their values).
@shared_task(name="materials.tasks.materials_file_receive", ignore_result=True, **IDEMPOTENT)
def materials_file_receive(document_id: int, claimed_path: str) -> str:
    """Read one stored export (``filedrop.claimed_file_receive``): each item and release applied
    through the materials services with its own outcome, the file archived or rejected. Returns
    the document's outcome code."""
    result = filedrop.claimed_file_receive(document_id=document_id, claimed_path=claimed_path)
    if result is None:
        return "settled"
    if result.code:
        return result.code
    return "partly_refused" if result.refused else "processed"


def plant_queue(plant_code: str) -> str:
    """The queue of a plant's inventory work: ``materials.<plant code>``.

    Work is partitioned by plant so workers on several hosts scale out while one plant's events
    apply in order (a worker per plant group, ``-Q materials.DET,materials.MTY --concurrency=1``).
    Celery creates the queue on first use (``task_create_missing_queues``).
    """
    return f"materials.{plant_code}"


# A re-projection from the events gives the same rows however often it runs.
@shared_task(name="materials.tasks.inventory_reproject", ignore_result=True, **IDEMPOTENT)
def inventory_reproject(company_id: int, plant_id: int, item_id: int, source_system: str) -> int:
    """Rebuild one (plant, item, source)'s balances from its events (``balances_reproject``), under the
    plant's lock; queued on the plant's queue when a late event hits a history too long to redo inline."""
    from materials.services import balances_reproject
    from materials.services.inventory import plants_lock

    with transaction.atomic():
        plants_lock([plant_id])
        return balances_reproject(
            company_id=company_id, plant_id=plant_id, item_id=item_id, source_system=source_system
        )


def inventory_reproject_enqueue(
    *, company_id: int, plant_id: int, plant_code: str, item_id: int, source_system: str
) -> None:
    """Queue ``inventory_reproject`` on the plant's queue once the transaction that made it necessary commits."""
    transaction.on_commit(
        lambda: inventory_reproject.apply_async(
            args=(company_id, plant_id, item_id, source_system), queue=plant_queue(plant_code)
        )
    )


@shared_task(name="materials.tasks.inventory_reconciliations_schedule", ignore_result=True)
def inventory_reconciliations_schedule() -> int:
    """Queue a reconciliation for every company with inventory balances (beat, hourly by default).

    A company whose run is still queued or running gets no second one. Returns how many were queued.
    """
    queued = 0
    for company_id in InventoryBalance.objects.values_list("company_id", flat=True).distinct().order_by():
        run, created = reconciliation.inventory_reconciliation_request(company_id=company_id, requested_by="scheduler")
        if created:
            inventory_reconciliation_run.delay(run.pk)
            queued += 1
    return queued


# The run's conditional claim (queued → running) makes a second delivery a no-op.
@shared_task(name="materials.tasks.inventory_reconciliation_run", ignore_result=True, **IDEMPOTENT)
def inventory_reconciliation_run(run_id: int) -> str:
    """Run one queued reconciliation (``inventory_reconciliation_execute``); returns its state."""
    return reconciliation.inventory_reconciliation_execute(run_id=run_id).state


@shared_task(name="materials.tasks.requirements_runs_schedule", ignore_result=True)
def requirements_runs_schedule() -> int:
    """Queue a full regeneration for every company with demand (beat, nightly by default,
    ``GATEWAY_REQUIREMENTS_NIGHTLY_HOUR``); a company whose run is queued or running gets no second
    one. Returns how many were queued."""
    queued = runs.requirements_runs_schedule()
    for run in queued:
        requirements_run.delay(run.pk)
    return len(queued)


@shared_task(
    name="materials.tasks.requirements_run",
    ignore_result=True,
    # Acknowledged once it has run: a run lost with its worker is delivered again, and the run's
    # conditional claim (queued → running) makes a second delivery of a claimed run a no-op; one
    # claimed by a worker that died is marked failed once stale, when the next run is asked for.
    # An error while planning is kept on the run (``requirements_run_execute`` records it, nothing
    # is raised); the retry is for the database going away around the claim or that record, which
    # would otherwise leave the run queued until it is stale. Retrying is harmless: the claim is
    # conditional.
    **IDEMPOTENT,
)
def requirements_run(run_id: int) -> str:
    """Run one queued full regeneration (``requirements_run_execute``); returns its state."""
    return runs.requirements_run_execute(run_id=run_id).state


def requirements_run_enqueue(run_id: int) -> None:
    """Queue ``requirements_run`` once the transaction that queued the run commits."""
    transaction.on_commit(lambda: requirements_run.delay(run_id))


# Re-assessing from the stored projection sets the same severity however often it runs.
@shared_task(name="materials.tasks.deviations_reassess", ignore_result=True, **IDEMPOTENT)
def deviations_reassess(company_id: int, exception_ids: list[int]) -> int:
    """Re-assess the open supplier deviations ``exception_ids`` of the company against the stored
    projection, waiting for their locks: those a net change skipped because another transaction held
    them (``materials.severity.deviations_reassess``). Returns how many changed severity."""
    from materials.severity import deviations_reassess as reassess
    from procurement.models import Company

    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return 0
    with transaction.atomic():
        return reassess(company=company, keys=None, ids=exception_ids, wait=True)


def deviations_reassess_enqueue(*, company_id: int, exception_ids: list[int]) -> None:
    """Queue ``deviations_reassess`` once the transaction that skipped these exceptions commits."""
    # robust: the change that skipped them has committed; a broker away must not turn it into an error
    # (the deviations keep their severity until the next change of their items re-assesses them).
    transaction.on_commit(lambda: deviations_reassess.delay(company_id, exception_ids), robust=True)
