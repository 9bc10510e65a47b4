"""Audit events are append-only."""

import pytest
from django.db import DatabaseError, connection, transaction

from procurement.models import AuditEvent
from procurement.models.audit import AuditEventError


@pytest.fixture
def event(published_po) -> AuditEvent:
    return AuditEvent.objects.get(action="po.published")


def test_an_audit_event_cannot_be_changed(event):
    event.action = "po.forged"

    with pytest.raises(AuditEventError):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).action == "po.published"


def test_an_audit_event_cannot_be_deleted(event):
    with pytest.raises(AuditEventError):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_database_refuses_updates_that_bypass_the_model(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="po.forged")

    assert AuditEvent.objects.get(pk=event.pk).action == "po.published"


def test_postgresql_refuses_deletes_that_bypass_the_model(event):
    # SQLite's test database is emptied row by row between tests, so only PostgreSQL (CI) refuses deletes.
    if connection.vendor != "postgresql":
        pytest.skip("deletes are refused by the database on PostgreSQL only")

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).action == "po.published"
