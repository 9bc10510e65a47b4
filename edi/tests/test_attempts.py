"""A file that makes receiving fail is tried a bounded number of times, then set aside, stored once."""
# ruff: noqa: F811 (the fixtures imported from test_filedrop are named as the tests take them)

import datetime as dt
import os
import time

import pytest
from django.utils import timezone

from edi import filedrop, services
from edi.services import InjectedFault
from edi.tasks import edi_file_receive, edi_receive_sweep
from edi.tests.test_filedrop import drop, partner, partner_855, queued  # noqa: F401 (fixtures)
from procurement import inputs
from procurement.models import Acknowledgement, InboundDocument, ProcurementException

ACCEPT_LINE_1 = (inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),)


def make_claims_stale(place: filedrop.Folders) -> None:
    """As if the worker holding each claim had died long ago."""
    long_ago = time.time() - 3600
    for path in place.claimed.iterdir():
        _, correlation_id, original = filedrop.claim_parse(path.name)
        os.rename(path, place.claimed / filedrop.claim_name(original, correlation_id, long_ago))
    InboundDocument.objects.update(received_at=timezone.now() - dt.timedelta(hours=1))


def run_queued(queued: list[tuple]) -> list[str]:
    """Run what the sweep queued, as a worker would; the outcome of each (or the error's name)."""
    results = []
    for args in queued:
        try:
            results.append(edi_file_receive(*args))
        except InjectedFault:
            results.append("InjectedFault")
    queued.clear()
    return results


@pytest.fixture
def always_failing(monkeypatch):
    """Receiving fails every time at the same point, with an error that looks transient."""
    calls = []

    def fail(name: str) -> None:
        calls.append(name)
        if name == "interchange_recorded":
            raise InjectedFault("fault injected at interchange_recorded")

    monkeypatch.setattr(services, "fault_point", fail)
    return calls


def test_a_file_failing_every_time_is_tried_a_bounded_number_of_times_then_set_aside_stored_once(
    partner, settings, queued, always_failing
):
    settings.GATEWAY_EDI_MAX_ATTEMPTS = 3
    place = filedrop.folders(partner)
    drop(partner, "poison.edi", partner_855(ACCEPT_LINE_1))
    (claimed,) = filedrop.scan()

    # The task's first run and its retry fail: the error is recorded, raised for the next retry.
    for attempt in (1, 2):
        with pytest.raises(InjectedFault):
            edi_file_receive(claimed.partner_id, claimed.document_id, claimed.path)
        document = InboundDocument.objects.get()
        assert (document.state, document.outcome_code, document.attempts) == ("failed", "transient_error", attempt)

    # Retries ran out; the worker's claim goes stale and the sweep takes the file up: the last attempt.
    make_claims_stale(place)
    assert edi_receive_sweep() == 1
    assert run_queued(queued) == ["dead_letter"]

    reason = "gave up after 3 attempts; the last: InjectedFault: fault injected at interchange_recorded"
    document = InboundDocument.objects.get()  # one row: the file was never stored again
    assert (document.state, document.outcome_code, document.error, document.attempts) == (
        "failed",
        "dead_letter",
        reason,
        3,
    )
    assert list(place.claimed.iterdir()) == []
    assert [p.name for p in place.inbox.iterdir() if p.is_file()] == []
    assert sorted(p.name for p in place.rejected.iterdir()) == ["poison.edi", "poison.edi.reason.txt"]
    assert (place.rejected / "poison.edi.reason.txt").read_text() == reason + "\n"
    (dead,) = ProcurementException.objects.all()
    assert (dead.kind, dead.dedup_key, dead.supplier_id) == (
        "invalid_document",
        f"edi_dead_letter:{document.pk}",
        partner.supplier_id,
    )
    assert dead.summary == f"file poison.edi could not be received and was set aside: {reason}"
    assert always_failing.count("interchange_recorded") == 3

    # Nothing brings it back by itself: not the scan, not the sweep, not a message delivered again.
    assert list(filedrop.scan()) == []
    make_claims_stale(place)
    assert edi_receive_sweep() == 0
    assert edi_file_receive(claimed.partner_id, claimed.document_id, claimed.path) == "dead_letter"
    assert always_failing.count("interchange_recorded") == 3
    assert InboundDocument.objects.values_list("state", "outcome_code", "attempts").get() == (
        "failed",
        "dead_letter",
        3,
    )
    assert ProcurementException.objects.count() == 1


def test_a_file_that_kills_its_worker_every_time_is_set_aside_after_the_allowed_attempts(
    partner, settings, queued, monkeypatch
):
    """A lost worker records nothing: the attempt counted before the work began is what ends the loop."""

    class WorkerKilled(BaseException):
        """What the OOM killer does to a worker process: nothing after it runs."""

    received = []

    def killed(*, document, partner):
        received.append(document.pk)
        raise WorkerKilled

    monkeypatch.setattr(services, "interchange_file_receive", killed)
    settings.GATEWAY_EDI_MAX_ATTEMPTS = 5
    place = filedrop.folders(partner)
    drop(partner, "oom.edi", partner_855(ACCEPT_LINE_1))
    (claimed,) = filedrop.scan()

    # The message goes back to the queue each time its worker dies (reject on worker lost), and
    # the sweep queues the stale claim too: every run counts.
    for _ in range(4):
        with pytest.raises(WorkerKilled):
            edi_file_receive(claimed.partner_id, claimed.document_id, claimed.path)
    make_claims_stale(place)
    assert edi_receive_sweep() == 1
    with pytest.raises(WorkerKilled):
        run_queued(queued)
    assert InboundDocument.objects.values_list("state", "attempts").get() == ("received", 5)

    assert edi_file_receive(claimed.partner_id, claimed.document_id, claimed.path) == "dead_letter"

    assert received == [claimed.document_id] * 5
    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code, document.error, document.attempts) == (
        "failed",
        "dead_letter",
        "gave up after 5 attempts; the last: the worker receiving it was lost midway",
        5,
    )
    assert list(place.claimed.iterdir()) == []
    assert sorted(p.name for p in place.rejected.iterdir()) == ["oom.edi", "oom.edi.reason.txt"]
    assert ProcurementException.objects.filter(dedup_key=f"edi_dead_letter:{document.pk}").count() == 1


def test_a_transient_failure_then_success_counts_two_attempts_and_archives_once(partner, queued, monkeypatch):
    failures = [InjectedFault("fault injected at interchange_recorded")]
    real = services.fault_point

    def once(name: str) -> None:
        real(name)
        if name == "interchange_recorded" and failures:
            raise failures.pop()

    monkeypatch.setattr(services, "fault_point", once)
    place = filedrop.folders(partner)
    drop(partner, "flaky.edi", partner_855(ACCEPT_LINE_1))
    (claimed,) = filedrop.scan()
    with pytest.raises(InjectedFault):
        edi_file_receive(claimed.partner_id, claimed.document_id, claimed.path)

    assert edi_file_receive(claimed.partner_id, claimed.document_id, claimed.path) == "processed"

    assert InboundDocument.objects.values_list("state", "outcome_code", "attempts").get() == (
        "processed",
        "processed",
        2,
    )
    assert len(list(place.archive.rglob("*__flaky.edi"))) == 1
    assert list(place.rejected.iterdir()) == []
    assert not ProcurementException.objects.filter(dedup_key__startswith="edi_dead_letter:").exists()


def test_the_sweep_receives_a_document_left_received_by_a_lost_task(partner, queued):
    """Claimed and stored, its message lost with the worker: the sweep receives it, once."""
    place = filedrop.folders(partner)
    drop(partner, "lost.edi", partner_855(ACCEPT_LINE_1))
    (claimed,) = filedrop.scan()  # no task ever runs for it
    assert edi_receive_sweep() == 0  # not stale yet

    make_claims_stale(place)
    assert edi_receive_sweep() == 1
    assert run_queued(queued) == ["processed"]

    assert InboundDocument.objects.values_list("filename", "state", "attempts").get() == ("lost.edi", "processed", 1)
    assert list(Acknowledgement.objects.values_list("document_id", flat=True)) == ["855-000017"]
    assert list(place.claimed.iterdir()) == []
    assert [p.name for p in place.archive.rglob("*.edi")] == [f"{claimed.document_id}__lost.edi"]
    make_claims_stale(place)
    assert edi_receive_sweep() == 0


def test_the_broker_gives_a_lost_workers_receipt_back_and_waits_longer_than_any_receipt_runs():
    from django.conf import settings

    from gateway.celery import app

    assert app.conf.task_reject_on_worker_lost is True
    assert (edi_file_receive.acks_late, edi_file_receive.time_limit) == (True, settings.GATEWAY_EDI_TASK_SECONDS)
    longest_wait = edi_file_receive.retry_backoff_max
    assert settings.GATEWAY_EDI_TASK_SECONDS + longest_wait <= settings.BROKER_VISIBILITY_SECONDS
