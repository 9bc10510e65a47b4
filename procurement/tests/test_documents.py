"""The steps every document-recording service shares (procurement.services.documents), one by one."""

import datetime as dt

import pytest

from notifications.models import OutboundMessage
from procurement.models import AuditEvent, ProcurementException, PurchaseOrder
from procurement.services import DocumentRefused, invoice_record, shipment_record
from procurement.services.audit import audit_event, audit_write
from procurement.services.documents import (
    document_replay,
    exceptions_audited,
    exceptions_create,
    exceptions_not_open,
    exceptions_notify,
    orders_touch,
)
from procurement.services.locking import lock_po_for_revision
from procurement.services.raising import exception_draft

from . import helpers as h

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity
NOW = dt.datetime(2027, 2, 1, 9, 30, tzinfo=dt.UTC)


def _draft(po: PurchaseOrder, line_no: str, *, kind: str = Kind.PRICE_DEVIATION) -> ProcurementException:
    line = h.po_line(po, line_no)
    return exception_draft(
        company=po.company,
        kind=kind,
        severity=Severity.FINANCIAL_MISMATCH,
        dedup_key=f"{kind}:{line.pk}",
        summary=f"PO {po.number} line {line_no}: price 11.00 instead of 10.00",
        evidence={"expected": "10", "actual": "11"},
        supplier_message="price 11.00 instead of 10.00",
        source=h.source(),
        now=NOW,
        supplier=po.supplier,
        po=po,
        po_line=line,
    )


def test_a_document_sent_again_with_the_same_content_is_a_duplicate_and_builds_no_refusal(published_po):
    built = []

    result = document_replay(
        record=published_po,
        stored_fingerprint="abc",
        digest="abc",
        refuse=lambda: built.append(1) or DocumentRefused("different", code="conflict"),
    )

    assert (result.outcome, result.record, result.exceptions, result.duplicate) == (
        "duplicate",
        published_po,
        [],
        True,
    )
    assert built == []


@pytest.mark.parametrize("stored", ["abd", None])
def test_other_content_under_a_used_key_raises_the_refusal_the_caller_builds(published_po, stored):
    refusal = DocumentRefused("PO-1000 was already received with different content", code="conflict")

    with pytest.raises(DocumentRefused) as raised:
        document_replay(record=published_po, stored_fingerprint=stored, digest="abc", refuse=lambda: refusal)

    assert raised.value is refusal


def test_drafts_whose_deviation_is_already_open_are_dropped(published_po):
    already_open = _draft(published_po, "1")
    already_open.save()
    closed = _draft(published_po, "2")
    closed.state = ProcurementException.State.RESOLVED
    closed.save()
    again_1, again_2, fresh_3 = _draft(published_po, "1"), _draft(published_po, "2"), _draft(published_po, "3")

    kept = exceptions_not_open([again_1, again_2, fresh_3])

    assert kept == [again_2, fresh_3]


def test_no_drafts_need_no_query(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        assert exceptions_not_open([]) == []
        assert exceptions_create([]) == []


def test_exceptions_are_created_in_one_statement(published_po, django_assert_num_queries):
    drafts = [_draft(published_po, "1"), _draft(published_po, "2", kind=Kind.QUANTITY_DEVIATION)]

    with django_assert_num_queries(1):
        created = exceptions_create(drafts)

    assert created is drafts
    assert sorted(ProcurementException.objects.values_list("dedup_key", "state")) == sorted(
        [(d.dedup_key, "open") for d in drafts]
    )
    assert all(d.pk is not None for d in created)


def test_each_raised_exception_is_audited_with_kind_severity_and_evidence(published_po):
    raised = exceptions_create([_draft(published_po, "1")])
    record_event = audit_event(
        source=h.source(), action="document.recorded", obj=published_po, po=published_po, now=NOW
    )

    audit_write(
        [
            record_event,
            *exceptions_audited(
                raised,
                source=h.source(),
                company=published_po.company,
                orders={published_po.pk: published_po},
                document_key="api:BOLTS:DOC-1",
                now=NOW,
            ),
        ]
    )

    events = list(AuditEvent.objects.filter(po=published_po).exclude(action="po.published").order_by("id"))
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("document.recorded", "PurchaseOrder", str(published_po.pk)),
        ("exception.raised", "ProcurementException", str(raised[0].pk)),
    ]
    audited = events[1]
    assert (audited.company, audited.po, audited.document_key, audited.occurred_at, audited.channel) == (
        published_po.company,
        published_po,
        "api:BOLTS:DOC-1",
        NOW,
        "api",
    )
    assert audited.after == {
        "kind": "price_deviation",
        "severity": "financial_mismatch",
        "evidence": {"expected": "10", "actual": "11"},
    }


def test_raised_exceptions_alert_the_buyer_through_the_outbox(published_po):
    raised = exceptions_create([_draft(published_po, "1")])
    before = OutboundMessage.objects.count()

    exceptions_notify(
        raised=raised,
        orders={published_po.pk: published_po},
        document="ship notice ASN-9",
        key="asn:9",
        source=h.source(),
    )

    alert = OutboundMessage.objects.get(event="exception.raised", kind="email")
    assert OutboundMessage.objects.count() == before + 1
    assert (alert.destination, alert.po, alert.idempotency_key) == (
        "buyer@acme.example",
        published_po,
        f"exception.raised:asn:9:{published_po.pk}",
    )
    assert alert.payload == {
        "po": "PO-1000",
        "document": "ship notice ASN-9",
        "exceptions": [{"id": raised[0].pk, "summary": raised[0].summary, "severity": "financial_mismatch"}],
    }


def test_nothing_raised_queues_nothing(published_po, django_assert_num_queries):
    with django_assert_num_queries(0):
        exceptions_notify(
            raised=[], orders={published_po.pk: published_po}, document="receipt GR-1", key="gr:1", source=h.source()
        )


def test_touched_orders_show_the_time_and_what_else_is_set(published_po, company, plant, supplier):
    other = h.publish(company, plant, supplier, number="PO-2000")
    untouched_at = other.updated_at

    orders_touch([published_po.pk], now=NOW, first_ack_at=NOW)

    published_po.refresh_from_db()
    other.refresh_from_db()
    assert (published_po.updated_at, published_po.first_ack_at) == (NOW, NOW)
    assert (other.updated_at, other.first_ack_at) == (untouched_at, None)


def test_a_revision_lock_reads_the_whole_po_in_one_query(published_po, django_assert_num_queries):
    with django_assert_num_queries(1):
        lines = lock_po_for_revision(published_po.lines.all())
        parties = [
            (line.po.supplier.code, line.po.ship_to.code, line.po.buyer.username, line.item.part_number)
            for line in lines
        ]

    assert [line.line_no for line in lines] == ["1", "2", "3"]
    assert parties == [
        ("BOLTS", "DET", "buyer", "PART-00001"),
        ("BOLTS", "DET", "buyer", "PART-00002"),
        ("BOLTS", "DET", "buyer", "PART-00003"),
    ]


def test_every_document_audits_what_it_raises_the_same_way(published_po, supplier):
    """An acknowledgement, a ship notice and an invoice each audit kind, severity and evidence of an exception."""
    h.record_ack(supplier, "ACK-1", h.price("1", "11"))
    shipment_record(supplier=supplier, shipment=h.asn("ASN-1", ("PO-1000", "2", "150")), source=h.source())
    invoice_record(supplier=supplier, invoice=h.invoice("INV-1", ("3", "100", "10.50")), source=h.source())

    raised = AuditEvent.objects.filter(action="exception.raised").order_by("id")
    assert [(e.document_key, sorted(e.after), e.after["kind"], e.after["severity"]) for e in raised] == [
        ("api:BOLTS:ACK-1", ["evidence", "kind", "severity"], "price_deviation", "financial_mismatch"),
        ("api:BOLTS:ASN-1", ["evidence", "kind", "severity"], "asn_over_shipment", "financial_mismatch"),
        ("api:BOLTS:INV-1", ["evidence", "kind", "severity"], "invoice_price_mismatch", "financial_mismatch"),
        ("api:BOLTS:INV-1", ["evidence", "kind", "severity"], "invoice_quantity_mismatch", "financial_mismatch"),
    ]
