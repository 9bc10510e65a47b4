"""Full regenerations asked for (the system API, the nightly schedule): queued, then run by a worker.

A request makes a ``queued`` full run, or answers with the company's full run already queued or
running (one at a time per company: a partial unique constraint on the run's state, so two requests
at once cannot both queue one). A worker claims the run (queued → running, a conditional UPDATE, so
a run delivered twice runs once), plans, and records the run ``done`` with its counts or ``failed``
with its error. Net changes are not queued: they run inside the transaction of what caused them.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from materials.models import Demand, RequirementRun
from procurement.models import Company

from .errors import NotFound
from .requirements import requirements_regenerate

log = logging.getLogger(__name__)
State = RequirementRun.State
ACTIVE = (State.QUEUED, State.RUNNING)


def requirements_run_request(*, company: Company, requested_by: str) -> tuple[RequirementRun, bool]:
    """A queued full run of ``company``, or the full run already queued or running (``created`` False).

    A run left queued or running longer than ``GATEWAY_REQUIREMENTS_RUN_STALE_SECONDS`` belongs to a
    worker that died (or a message lost): it is marked failed, so the company is not blocked for
    good — unless a worker still holds its row (planning a large company for long), which is not
    waited for: the request is answered with that run. The caller queues
    ``materials.tasks.requirements_run`` after commit for a created run.
    """
    now = timezone.now()
    _abandoned_fail(company, now)
    try:
        with transaction.atomic():
            run = RequirementRun.objects.create(
                company=company,
                mode=RequirementRun.Mode.FULL,
                state=State.QUEUED,
                reason=requested_by[:200],
                horizon_start=timezone.localdate(),
                requested_at=now,
            )
        return run, True
    except IntegrityError:
        active = RequirementRun.objects.filter(company=company, mode=RequirementRun.Mode.FULL, state__in=ACTIVE).first()
        if active is None:  # finished between the insert and this read: ask again
            return requirements_run_request(company=company, requested_by=requested_by)
        return active, False


def _abandoned_fail(company: Company, now: dt.datetime) -> int:
    """Mark failed the company's full runs queued or running past the stale limit; returns how many.

    A worker planning a run keeps the run's row locked to its commit, so a locked row is a run still
    being planned, however long it takes: it is skipped (SKIP LOCKED), never waited for, and the
    request is answered with it. Only a run no transaction holds is abandoned.
    """
    stale = now - dt.timedelta(seconds=settings.GATEWAY_REQUIREMENTS_RUN_STALE_SECONDS)
    with transaction.atomic():
        ids = list(
            RequirementRun.objects.filter(
                company=company, mode=RequirementRun.Mode.FULL, state__in=ACTIVE, requested_at__lt=stale
            )
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        return RequirementRun.objects.filter(pk__in=ids).update(
            state=State.FAILED, finished_at=now, error="abandoned: no worker finished it in time"
        )


def requirements_run_execute(*, run_id: int, today: dt.date | None = None) -> RequirementRun:
    """Run a queued full regeneration: claimed with a conditional UPDATE (queued → running, committed at
    once so a poller sees it running), then planned in one transaction. A failure rolls the planning
    back (the earlier results stay) and is kept on the run: state ``failed``, the error's type and text.
    A run that is not queued (taken by another delivery, finished, abandoned) is returned untouched.
    ``today``: the first day planned (default: the local date).
    """
    claimed = RequirementRun.objects.filter(pk=run_id, state=State.QUEUED, mode=RequirementRun.Mode.FULL).update(
        state=State.RUNNING, started_at=timezone.now()
    )
    run = RequirementRun.objects.select_related("company").filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"no requirement run {run_id}")
    if not claimed:
        return run
    try:
        return requirements_regenerate(company=run.company, run=run, today=today)
    except Exception as error:  # recorded on the run; the next request or the schedule tries again
        log.exception("requirement run %s failed", run.pk)
        RequirementRun.objects.filter(pk=run.pk).update(
            state=State.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"[:2000]
        )
        run.refresh_from_db()
        return run


def requirements_runs_schedule(*, requested_by: str = "nightly schedule") -> list[RequirementRun]:
    """Queue a full run for every company with demand or planned before (the schedule's pass).

    A company whose full run is already queued or running gets none. Returns the runs created; the
    caller queues each after commit.
    """
    planned = set(RequirementRun.objects.filter(mode=RequirementRun.Mode.FULL).values_list("company_id", flat=True))
    demanded = set(Demand.objects.values_list("company_id", flat=True).distinct().order_by())
    created = []
    for company in Company.objects.filter(pk__in=planned | demanded).order_by("pk"):
        run, new = requirements_run_request(company=company, requested_by=requested_by)
        if new:
            created.append(run)
    return created
