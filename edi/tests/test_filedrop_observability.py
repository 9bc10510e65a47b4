"""A partner's file through the file drop, seen from outside: the file → 997 latency in /metrics, and
the log lines of the task receiving it."""

import socket
from decimal import Decimal

import pytest

from edi import filedrop
from edi.tasks import edi_file_receive
from edi.tests import test_filedrop
from edi.tests.test_filedrop import drop, filedrop_scan, partner_855
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from procurement import inputs
from procurement.models import InboundDocument


@pytest.fixture
def partner(db, tmp_path, settings):
    """CASTINGS trading by file drop, with PO-4504 published (the file-drop tests' partner)."""
    return test_filedrop.partner.__wrapped__(db, tmp_path, settings)


LINES = (
    inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA"),
    inputs.AckLineInput(line_no="2", response=inputs.LINE_CHANGE_PRICE, raw_code="IP", unit_price=Decimal("11")),
)


def test_a_997_written_to_the_outbox_is_timed_from_the_file_stored(partner, scrape, django_capture_on_commit_callbacks):
    drop(partner, "ack-17.edi", partner_855(LINES))
    with django_capture_on_commit_callbacks(execute=True):
        assert filedrop_scan() == 1
    document = InboundDocument.objects.get()
    answer = OutboundMessage.objects.get(event="x12.997")
    assert answer.payload["answers_received_at"] == document.received_at.isoformat()
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_message_deliver(message_id=answer.pk) == "delivered"
    samples = scrape()

    answer.refresh_from_db()
    latency = (answer.delivered_at - document.received_at).total_seconds()
    ack = 'event="x12.997"'
    assert [k for k in before if k.startswith("gateway_answer_latency")] == []
    assert samples[f"gateway_answer_latency_seconds_count{{{ack}}}"] == 1.0
    assert samples[f"gateway_answer_latency_seconds_sum{{{ack}}}"] == latency
    assert samples[f'gateway_answer_latency_seconds_bucket{{{ack},le="+Inf"}}'] == 1.0
    assert samples[f'gateway_answer_latency_seconds_bucket{{{ack},le="3600.0"}}'] == 1.0
    # The file's set was applied: timed from the file stored to its effect.
    edi = 'channel="edi",document_type="x12"'
    assert samples[f"gateway_document_receipt_to_applied_seconds_count{{{edi}}}"] == 1.0
    assert samples[f"gateway_document_receipt_to_applied_seconds_sum{{{edi}}}"] == (
        (document.processed_at - document.received_at).total_seconds()
    )
    assert samples['gateway_inbound_documents{channel="edi",state="processed"}'] == 1.0


def test_a_receiving_tasks_log_lines_name_the_task_the_document_and_the_correlation_id(partner, json_log):
    drop(partner, "ack-17.edi", partner_855(LINES))
    (claimed,) = list(filedrop.scan())
    document = InboundDocument.objects.get(pk=claimed.document_id)
    missing_partner = partner.pk + 1000

    run = edi_file_receive.apply(
        args=(missing_partner, document.pk, claimed.path),
        task_id="6f1c1c9e-5d1e-4a7e-9a51-000000000017",
        headers={"gateway_correlation_id": document.correlation_id},
    )

    assert run.failed()
    (line,) = [line for line in json_log() if line["logger"] == "celery.app.trace"]
    assert line.pop("timestamp")[:2] == "20"
    assert (
        line.pop("exc_info").splitlines()[-1]
        == "edi.models.TradingPartner.DoesNotExist: TradingPartner matching query does not exist."
    )
    assert line == {
        "level": "ERROR",
        "logger": "celery.app.trace",
        "message": (
            "Task edi.tasks.edi_file_receive[6f1c1c9e-5d1e-4a7e-9a51-000000000017] raised unexpected: "
            "DoesNotExist('TradingPartner matching query does not exist.')"
        ),
        "correlation_id": document.correlation_id,
        "document_id": document.pk,
        "task_name": "edi.tasks.edi_file_receive",
        "task_id": "6f1c1c9e-5d1e-4a7e-9a51-000000000017",
        "data": {
            "hostname": socket.gethostname(),
            "id": "6f1c1c9e-5d1e-4a7e-9a51-000000000017",
            "name": "edi.tasks.edi_file_receive",
            "exc": "DoesNotExist('TradingPartner matching query does not exist.')",
            "traceback": line["data"]["traceback"],
            "args": repr((missing_partner, document.pk, claimed.path)),
            "kwargs": "{}",
            "description": "raised unexpected",
            "internal": False,
        },
    }
