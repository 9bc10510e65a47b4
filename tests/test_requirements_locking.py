"""Net changes against each other and against the writes that cause them, on PostgreSQL: every path
takes its locks in one order (plant inventory locks, planning lock, result rows, deviations), so two
writes touching the same plant and item wait for each other and never deadlock; a first full run
plans again what changed while it planned; a run request never waits for a worker's row."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from materials import requirements as engine
from materials import tasks
from materials.inputs import DemandBatchInput, InventoryEventInput
from materials.models import RequirementRun
from materials.services import demands_receive, inventory_events_apply, receipt_inventory_post, requirements_regenerate
from materials.services.runs import requirements_run_execute, requirements_run_request
from materials.severity import assess
from materials.tests import conftest as materials_fixtures
from materials.tests import test_requirements as worked
from materials.tests.test_requirements import demand, publish, results, send
from procurement import inputs as p_inputs
from procurement.models import POLine, ProcurementException
from procurement.services import WriteSource, acknowledgement_record, receipt_record
from procurement.services.severity import supply_changed

plants, system, pump = materials_fixtures.plants, materials_fixtures.system, worked.pump

pytestmark = pytest.mark.postgres

TODAY = dt.date(2027, 3, 1)
ERP = WriteSource(channel="system", label="system ERP", correlation_id="corr-lock")


def stock(system, part, quantity, sequence):
    """A stock event of ``part`` at Detroit from the warehouse system, applied in its own transaction."""
    event = InventoryEventInput(
        plant_code="DET",
        part_number=part,
        kind="receipt",
        quantity=Decimal(quantity),
        source_event_id=f"WMS-{sequence}",
        source_sequence=sequence,
        occurred_at=dt.datetime(2027, 2, 27, tzinfo=dt.UTC),
    )
    return inventory_events_apply(actor=system, company_code="ACME", source_system="WMS", events=[event])


def waiting_or_done(thread: threading.Thread) -> bool:
    """Wait until another session of this database waits for a lock, or ``thread`` has ended."""
    for _ in range(300):
        if not thread.is_alive():
            return True
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def in_thread(name, work, failures):
    def run():
        try:
            work()
        except Exception as error:  # reported by the test: the thread's own error would be lost
            failures.append((name, error))
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def test_a_goods_receipt_and_a_stock_event_of_the_same_plant_and_item_do_not_deadlock(
    postgres, settings, pump, system, company
):
    """The receipt re-plans BOLT as its PO line changes, then posts its stock under Detroit's lock; the
    stock event takes Detroit's lock, then re-plans BOLT. The receipt now takes the plant's lock first."""
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    send(system, demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)))
    publish("PO-1", "BOLT", "50", dt.date(2027, 3, 5))
    requirements_regenerate(company=company, today=TODAY)
    recorded, go = threading.Event(), threading.Event()
    failures: list = []
    receipt = p_inputs.ReceiptInput(
        "GR-1", "ACME", "PO-1", dt.date(2027, 3, 1), (p_inputs.ReceiptLineInput("1", Decimal(20)),)
    )

    def receive():
        with transaction.atomic():
            record = receipt_record(receipt=receipt, source=ERP).record
            recorded.set()
            assert go.wait(30)
            receipt_inventory_post(receipt_id=record.pk)

    receiving = in_thread("receipt", receive, failures)
    assert recorded.wait(30)
    stocking = in_thread("stock", lambda: stock(system, "BOLT", "7", 1), failures)
    assert waiting_or_done(stocking)
    go.set()
    receiving.join(60)
    stocking.join(60)

    assert failures == []
    assert not receiving.is_alive() and not stocking.is_alive()
    reasons = RequirementRun.objects.filter(mode="net_change").order_by("pk").values_list("reason", flat=True)
    assert list(reasons) == ["supply changed on PO lines", "stock changed", "stock changed"]
    stored = results()
    requirements_regenerate(company=company, today=timezone.localdate())
    assert results() == stored


def test_an_acknowledgement_and_a_stock_event_re_assessing_its_deviation_do_not_deadlock(
    postgres, settings, pump, system, company, supplier, monkeypatch
):
    """The acknowledgement holds its deviation, then re-plans BOLT; the stock event re-plans BOLT, then
    re-assesses that deviation. The stock event skips the deviation it cannot lock, and it is
    re-assessed once the stock event commits."""
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    send(system, demand("MO-1", "PUMP", "11", dt.date(2027, 3, 10)))
    publish("PO-1", "BOLT", "50", dt.date(2027, 3, 5))
    publish("PO-2", "BOLT", "10", dt.date(2027, 3, 6))
    requirements_regenerate(company=company, today=TODAY)
    line = POLine.objects.get(po__number="PO-2")
    deviation = acknowledgement_record(
        supplier=supplier,
        ack=p_inputs.AcknowledgementInput(
            document_id="ACK-2",
            po_number="PO-2",
            header=p_inputs.ACK_ACCEPTED_WITH_CHANGES,
            lines=(p_inputs.AckLineInput("1", p_inputs.LINE_RESCHEDULE, promised_date=dt.date(2027, 3, 20)),),
        ),
        source=WriteSource(channel="api", label="supplier BOLTS", correlation_id="corr-ack-2"),
    ).exceptions[0]
    deviation.refresh_from_db()
    assert deviation.severity == "procurement_delay"
    queued: list = []
    monkeypatch.setattr(
        tasks,
        "deviations_reassess_enqueue",
        lambda **kwargs: transaction.on_commit(lambda: queued.append(kwargs)),
        raising=False,
    )
    holding, go = threading.Event(), threading.Event()
    failures: list = []

    def acknowledge():
        with transaction.atomic():
            # As an acknowledgement superseding the line's earlier answer: its deviation first.
            ProcurementException.objects.select_for_update().get(pk=deviation.pk)
            holding.set()
            assert go.wait(30)
            supply_changed(company_id=company.pk, po_line_ids=[line.pk])

    acknowledging = in_thread("acknowledgement", acknowledge, failures)
    assert holding.wait(30)
    stocking = in_thread("stock", lambda: stock(system, "BOLT", "100", 1), failures)
    assert waiting_or_done(stocking)
    go.set()
    acknowledging.join(60)
    stocking.join(60)

    assert failures == []
    assert queued == [{"company_id": company.pk, "exception_ids": [deviation.pk]}]
    tasks.deviations_reassess(company.pk, [deviation.pk])
    deviation.refresh_from_db()
    # 100 bolts landed: the later date no longer leaves stock below safety, the projection's finding is gone.
    assert (deviation.severity, deviation.evidence.get("requirements")) == ("procurement_delay", None)
    assert assess(deviation) == (deviation.severity, deviation.evidence)


def test_a_first_full_run_plans_again_what_changed_while_it_planned(
    postgres, settings, pump, system, company, monkeypatch
):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    send(system, demand("MO-1", "PUMP", "10", dt.date(2027, 3, 10)))
    run, created = requirements_run_request(company=company, requested_by="nightly")
    assert created
    planning, go = threading.Event(), threading.Event()
    plan = engine.plan

    def paused(inputs, **kwargs):
        result = plan(inputs, **kwargs)
        if threading.current_thread().name == "full-run" and not planning.is_set():
            planning.set()
            assert go.wait(30)
        return result

    monkeypatch.setattr(engine, "plan", paused)
    failures: list = []
    worker = in_thread("full-run", lambda: requirements_run_execute(run_id=run.pk), failures)
    assert planning.wait(30)
    # MO-2 arrives through the demand channel and commits while the first run plans.
    demands_receive(
        actor=system, batch=DemandBatchInput("ACME", "ERP", (demand("MO-2", "PUMP", "15", dt.date(2027, 3, 12)),))
    )
    go.set()
    worker.join(60)

    assert failures == []
    stored = results()
    monkeypatch.setattr(engine, "plan", plan)
    requirements_regenerate(company=company, reason="check")
    assert stored == results()
    assert {peg["reference"] for row in stored["rows"] for peg in row[13]} == {"MO-1", "MO-2"}
    assert list(RequirementRun.objects.order_by("id").values_list("mode", "reason", "state")) == [
        ("full", "nightly", "done"),
        ("net_change", "demands", "done"),
        ("net_change", "changed while a full run planned", "done"),
        ("full", "check", "done"),
    ]


def test_a_run_request_does_not_wait_for_the_row_of_a_run_a_worker_still_plans(postgres, settings, company):
    settings.GATEWAY_REQUIREMENTS_RUN_STALE_SECONDS = 60
    old = RequirementRun.objects.create(
        company=company,
        mode="full",
        state="running",
        horizon_start=TODAY,
        requested_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )
    holding, release = threading.Event(), threading.Event()
    failures: list = []

    def plans():  # as a worker's run, which keeps its row locked while it plans
        with transaction.atomic():
            RequirementRun.objects.select_for_update().get(pk=old.pk)
            holding.set()
            assert release.wait(30)

    worker = in_thread("worker", plans, failures)
    assert holding.wait(30)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            run, created = requirements_run_request(company=company, requested_by="api")
    finally:
        release.set()
        worker.join(60)
    assert failures == []
    assert (run.pk, created) == (old.pk, False)
    old.refresh_from_db()
    assert (old.state, old.error) == ("running", "")
