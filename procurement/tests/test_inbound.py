"""Store first: inbound payloads are kept before anything parses them; apply records the outcome."""

import hashlib

import pytest
from django.db import transaction

from procurement.models import Acknowledgement, InboundDocument, ProcurementException
from procurement.services import (
    DocumentRefused,
    acknowledgement_record,
    inbound_document_apply,
    inbound_document_reject,
    inbound_document_store,
)

from . import helpers as h

PAYLOAD = b'{"document_id": "ACK-1", "po_number": "PO-1000", "header": "ACCEPTED"}'


def _store(supplier, content: bytes = PAYLOAD, **kwargs) -> InboundDocument:
    return inbound_document_store(
        channel="api",
        sender=supplier.code,
        supplier=supplier,
        content=content,
        document_type="acknowledgement",
        content_type="application/json",
        **kwargs,
    )


def _apply(document: InboundDocument, supplier, ack):
    return inbound_document_apply(
        document=document,
        label=f"supplier {supplier.code}",
        apply=lambda source: acknowledgement_record(supplier=supplier, ack=ack, source=source),
    )


def test_a_payload_is_stored_as_received_before_anything_reads_it(supplier):
    document = _store(supplier, correlation_id="corr-in-0001")

    stored = InboundDocument.objects.get()
    assert stored.pk == document.pk
    assert bytes(stored.content) == PAYLOAD
    assert (stored.size, stored.sha256) == (len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest())
    assert (stored.channel, stored.sender, stored.supplier, stored.document_type, stored.content_type) == (
        "api",
        "BOLTS",
        supplier,
        "acknowledgement",
        "application/json",
    )
    assert (stored.state, stored.outcome_code, stored.attempts, stored.processed_at) == ("received", "", 0, None)
    assert stored.correlation_id == "corr-in-0001"


def test_a_payload_without_a_correlation_id_gets_one(supplier):
    first, second = _store(supplier), _store(supplier)

    assert len(first.correlation_id) == 32
    assert first.correlation_id != second.correlation_id


def test_an_oversized_payload_is_recorded_as_rejected_without_its_bytes(supplier, settings):
    settings.GATEWAY_INBOUND_MAX_BYTES = 10
    content = b"x" * 11

    document = _store(supplier, content=content)

    stored = InboundDocument.objects.get(pk=document.pk)
    assert bytes(stored.content) == b""
    assert (stored.size, stored.sha256) == (11, hashlib.sha256(content).hexdigest())
    assert (stored.state, stored.outcome_code, stored.error) == (
        "rejected",
        "too_large",
        "payload of 11 bytes exceeds the limit of 10 bytes",
    )


def test_a_payload_at_the_limit_is_kept(supplier, settings):
    settings.GATEWAY_INBOUND_MAX_BYTES = len(PAYLOAD)

    assert _store(supplier).state == "received"


def test_applying_records_processed_and_links_the_record_to_its_payload(published_po, supplier):
    document = _store(supplier, correlation_id="corr-in-0001")

    result = _apply(document, supplier, h.ack("ACK-1", h.price("1", "11")))

    stored = InboundDocument.objects.get()
    assert result.outcome == "applied"
    assert (stored.state, stored.outcome_code, stored.error, stored.attempts) == ("processed", "applied", "", 1)
    assert stored.processed_at is not None
    ack = Acknowledgement.objects.get()
    assert (ack.inbound_document, ack.correlation_id, ack.channel) == (stored, "corr-in-0001", "api")
    exc = ProcurementException.objects.get()
    assert (exc.inbound_document, exc.correlation_id) == (stored, "corr-in-0001")


def test_applying_the_same_document_again_records_a_duplicate(published_po, supplier):
    _apply(_store(supplier), supplier, h.ack("ACK-1"))
    again = _store(supplier)

    result = _apply(again, supplier, h.ack("ACK-1"))

    again.refresh_from_db()
    assert result.outcome == "duplicate"
    assert (again.state, again.outcome_code) == ("duplicate", "duplicate")
    assert Acknowledgement.objects.count() == 1


def test_a_refusal_is_recorded_with_its_code_and_the_payload_kept(published_po, supplier):
    document = _store(supplier)

    with pytest.raises(DocumentRefused):
        _apply(document, supplier, h.ack("ACK-1", po="PO-9999"))

    stored = InboundDocument.objects.get()
    assert (stored.state, stored.outcome_code, stored.error, stored.attempts) == (
        "refused",
        "unknown_po",
        "PO-9999 is not one of Bolts Inc's orders",
        1,
    )
    assert bytes(stored.content) == PAYLOAD
    assert ProcurementException.objects.get().inbound_document == stored
    assert Acknowledgement.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_outcome_commits_in_the_same_transaction_as_the_acknowledgement(published_po, supplier):
    document = _store(supplier)
    seen_at_commit = []

    def apply(source):
        result = acknowledgement_record(supplier=supplier, ack=h.ack("ACK-1"), source=source)
        # Runs when the transaction holding the acknowledgement commits.
        transaction.on_commit(lambda: seen_at_commit.append(InboundDocument.objects.get(pk=document.pk).state))
        return result

    inbound_document_apply(document=document, label="supplier BOLTS", apply=apply)

    assert seen_at_commit == ["processed"]
    assert Acknowledgement.objects.get().inbound_document_id == document.pk


@pytest.mark.django_db(transaction=True)
def test_a_refusal_is_recorded_after_the_rollback_in_its_own_transactions(published_po, supplier):
    document = _store(supplier)
    _apply(_store(supplier), supplier, h.ack("ACK-1"))

    with pytest.raises(DocumentRefused):
        _apply(document, supplier, h.ack("ACK-1", h.price("1", "11")))

    document.refresh_from_db()
    assert (document.state, document.outcome_code, document.attempts) == ("refused", "conflict", 1)
    refusal = ProcurementException.objects.get()
    assert (refusal.kind, refusal.inbound_document) == ("duplicate_document", document)
    assert Acknowledgement.objects.count() == 1


def test_an_invalid_document_is_refused_with_code_invalid(published_po, supplier):
    document = _store(supplier)

    with pytest.raises(DocumentRefused):
        _apply(document, supplier, h.ack("ACK-1", header="NOPE"))

    document.refresh_from_db()
    assert (document.state, document.outcome_code) == ("refused", "invalid")


def test_an_unexpected_error_marks_the_payload_failed_for_a_retry(supplier):
    document = _store(supplier)

    def crash(source):
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        inbound_document_apply(document=document, label="supplier BOLTS", apply=crash)

    document.refresh_from_db()
    assert (document.state, document.outcome_code, document.error, document.attempts) == (
        "failed",
        "error",
        "RuntimeError: database went away",
        1,
    )
    assert bytes(document.content) == PAYLOAD


def test_an_unreadable_payload_is_rejected(supplier):
    document = _store(supplier, content=b"\x00\x01 not json")

    inbound_document_reject(document=document, code="malformed", error="not JSON")

    document.refresh_from_db()
    assert (document.state, document.outcome_code, document.error, document.attempts) == (
        "rejected",
        "malformed",
        "not JSON",
        1,
    )
