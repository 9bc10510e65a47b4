"""The outbox moved from procurement to notifications without losing a row: its tables stayed put."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from notifications.models import DeliveryAttempt, OutboundMessage

BEFORE_THE_MOVE = [("notifications", None)]  # unapplies edi 0002 and procurement 0004 with it


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_messages_written_before_the_move_are_the_outboxs_after_it():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        executor = _migrate(BEFORE_THE_MOVE)
        old = executor.loader.project_state([("procurement", "0003_po_supplier_sync_index")]).apps
        now = timezone.now()
        message = old.get_model("procurement", "OutboundMessage").objects.create(
            kind="email",
            event="po.published",
            destination="orders@bolts.example",
            payload={"po": {"number": "PO-M1"}},
            idempotency_key="po.published:ACME:PO-M1:0:email",
            state="dead",
            attempts=6,
            max_attempts=6,
            next_attempt_at=now,
            created_at=now,
        )
        old.get_model("procurement", "DeliveryAttempt").objects.create(
            message=message, number=6, attempted_at=now, succeeded=False, detail="SMTPServerDisconnected"
        )
        ContentType.objects.get_or_create(app_label="procurement", model="outboundmessage")
        ContentType.objects.filter(app_label="notifications", model="outboundmessage").delete()

        _migrate(latest)

        moved = OutboundMessage.objects.get()
        assert (moved.pk, moved.idempotency_key, moved.state, moved.payload) == (
            message.pk,
            "po.published:ACME:PO-M1:0:email",
            "dead",
            {"po": {"number": "PO-M1"}},
        )
        assert list(DeliveryAttempt.objects.values_list("message_id", "number", "detail")) == [
            (message.pk, 6, "SMTPServerDisconnected")
        ]
        assert list(ContentType.objects.filter(model="outboundmessage").values_list("app_label", flat=True)) == [
            "notifications"
        ]
    finally:
        _migrate(latest)
