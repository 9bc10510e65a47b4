"""A document through the API, seen from outside: its latency and state in /metrics, and the JSON log
lines of its request naming it."""

import logging

from api.tests.conftest import ack_body
from procurement.models import InboundDocument

ACKS = "/api/v1/acknowledgements/"


def test_an_acknowledgement_applied_is_timed_and_counted(
    owner, published_po, scrape, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        applied = owner.post(ACKS, ack_body())
    with django_capture_on_commit_callbacks(execute=True):
        refused = owner.post(ACKS, ack_body(po_number="PO-9999"))

    samples = scrape()

    assert (applied.status_code, refused.status_code) == (201, 422)
    document = InboundDocument.objects.get(state="processed")
    latency = (document.processed_at - document.received_at).total_seconds()
    ack = 'channel="api",document_type="acknowledgement"'
    # Only the applied one is timed (from its stored receipt to its stored processing time): a
    # refusal has no effect on the record.
    buckets = ("0.05", "0.1", "0.25", "0.5", "1.0", "2.0", "5.0", "10.0", "30.0", "60.0", "300.0", "900.0", "3600.0")
    assert {
        k: v
        for k, v in samples.items()
        if k.startswith("gateway_document_receipt_to_applied_seconds_") and "_created" not in k
    } == {
        **{
            f'gateway_document_receipt_to_applied_seconds_bucket{{{ack},le="{le}"}}': float(latency <= float(le))
            for le in buckets
        },
        f'gateway_document_receipt_to_applied_seconds_bucket{{{ack},le="+Inf"}}': 1.0,
        f"gateway_document_receipt_to_applied_seconds_count{{{ack}}}": 1.0,
        f"gateway_document_receipt_to_applied_seconds_sum{{{ack}}}": latency,
    }
    assert {k: v for k, v in samples.items() if k.startswith("gateway_inbound_documents")} == {
        'gateway_inbound_documents{channel="api",state="processed"}': 1.0,
        'gateway_inbound_documents{channel="api",state="refused"}': 1.0,
    }
    # The refusal raised an exception for the buyers (an unknown PO): open, by severity.
    assert {k: v for k, v in samples.items() if k.startswith("gateway_open_exceptions")} == {
        'gateway_open_exceptions{severity="data_quality"}': 1.0
    }


def test_a_requests_log_lines_carry_its_correlation_id_document_and_partner(owner, published_po, json_log):
    response = owner.post(ACKS, ack_body(po_number="PO-9999"), headers={"X-Correlation-ID": "corr-test-00077"})

    assert response.status_code == 422
    document = InboundDocument.objects.get()
    lines = json_log()
    for line in lines:
        assert line.pop("timestamp")[:2] == "20"
    assert lines == [
        {
            "level": "WARNING",
            "logger": "django.request",
            "message": f"Unprocessable Entity: {ACKS}",
            "correlation_id": "corr-test-00077",
            "document_id": document.pk,
            "partner": "BOLTS",
            "status_code": 422,
            "request": "<WSGIRequest: POST '/api/v1/acknowledgements/'>",
        },
    ]


def test_a_request_binds_nothing_past_its_end(owner, published_po, json_log):
    owner.post(ACKS, ack_body(po_number="PO-9999"), headers={"X-Correlation-ID": "corr-test-00078"})

    logging.getLogger("gateway.test").warning("after the request")

    last = json_log()[-1]
    del last["timestamp"]
    assert last == {"level": "WARNING", "logger": "gateway.test", "message": "after the request"}
