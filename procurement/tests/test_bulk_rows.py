"""The write path's one-statement inserts keep every value exactly as a row saved one by one would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import JSONField, Value

from procurement import factories
from procurement.models import AuditEvent, InboundDocument
from procurement.services.bulk import rows_insert

WHEN = dt.datetime(2027, 1, 15, 12, 30, 45, 123456, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_audit_rows_read_back_as_written_with_their_keys_in_order():
    company = factories.CompanyFactory(code="ACME")
    text = 'ship notice "ASN-1" \\ für Büro, {braces}, NULL, 😀'
    events = [
        AuditEvent(
            occurred_at=WHEN,
            actor_label=text,
            channel="edi",
            action="shipment.recorded",
            company=company,
            object_type="Shipment",
            object_id="1",
            document_key="",
            before=None,
            after={"lines": {"1": {"shipped": "100.50", "status": "shipped"}}, "note": text, "none": None},
        ),
        AuditEvent(
            occurred_at=WHEN + dt.timedelta(microseconds=1),
            actor_label="NULL",
            channel="api",
            action="exception.raised",
            object_type="ProcurementException",
            object_id="2",
            before=Value(None, JSONField()),
            after=[1, 2.5, True, "x"],
        ),
    ]

    rows_insert(events)

    assert [e.pk for e in events] == sorted(e.pk for e in events)
    first, second = AuditEvent.objects.order_by("pk")
    assert [first.pk, second.pk] == [e.pk for e in events]
    assert (first.occurred_at, first.actor_label, first.company_id, first.po_id) == (WHEN, text, company.pk, None)
    assert first.after == {"lines": {"1": {"shipped": "100.50", "status": "shipped"}}, "note": text, "none": None}
    assert second.occurred_at == WHEN + dt.timedelta(microseconds=1)
    assert (second.actor_label, second.company_id, second.after) == ("NULL", None, [1, 2.5, True, "x"])
    # SQL NULL for None, JSON null for Value(None, JSONField()), as Django saves them.
    assert list(AuditEvent.objects.filter(before__isnull=True).values_list("pk", flat=True)) == [first.pk]
    assert list(AuditEvent.objects.filter(before=None).values_list("pk", flat=True)) == [second.pk]


@pytest.mark.django_db
def test_a_row_with_bytes_reads_back_byte_for_byte():
    content = b"ISA*00*\x00\xff\x1d~" + bytes(range(256))
    documents = [
        InboundDocument(
            channel="edi",
            sender="BOLTS",
            content=content,
            size=len(content),
            sha256="0" * 64,
            correlation_id=f"c-{n}",
            received_at=WHEN,
        )
        for n in range(2)
    ]

    rows_insert(documents)

    stored = list(InboundDocument.objects.order_by("pk"))
    assert [d.pk for d in stored] == [d.pk for d in documents]
    assert [(bytes(d.content), d.correlation_id, d.received_at) for d in stored] == [
        (content, "c-0", WHEN),
        (content, "c-1", WHEN),
    ]
