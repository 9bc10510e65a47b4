"""The exception case of an acknowledgement: the statements it takes, and webhooks found without a query.

An acknowledgement with a line priced outside tolerance is the write path's busiest common case.
Its statement count is its cost (each is a round trip to the database), so the count is pinned
here, statement by statement: a step added to it must be seen and justified.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import WebhookSubscription
from notifications.models import OutboundMessage
from procurement import factories, inputs
from procurement.models import (
    AcknowledgementLine,
    AuditEvent,
    Company,
    ProcurementException,
    PurchaseOrder,
    ToleranceRule,
)
from procurement.services import RecordResult, WriteSource, acknowledgement_record, purchase_order_publish, tolerance

LINES = 5

# What one exception acknowledgement runs between BEGIN and COMMIT, by the table each statement
# starts with. On PostgreSQL the PO's ``updated_at`` rides on the lines' update (a CTE) and the
# webhook subscriptions come from the per-process cache, keyed on the company's webhooks version
# that the lock read. The first two are sent together, in one round trip.
POSTGRESQL = [
    "SELECT procurement_poline",  # lock the PO and its lines, with company and buyer
    "SELECT procurement_acknowledgement",  # the same document already received?
    # The acknowledgement, its lines, its change request, the lines' answers and the PO touched, and
    # the exception's key drawn from its sequence, in one statement.
    "WITH procurement_acknowledgement",
    # The exception, the acknowledgement's and the exception's audit rows, and the buyer's e-mail.
    "WITH procurement_procurementexception",
]
SQLITE = [
    *POSTGRESQL[:2],
    "INSERT procurement_acknowledgement",
    "INSERT procurement_acknowledgementline",
    "INSERT procurement_changerequest",
    "UPDATE procurement_poline",
    "UPDATE procurement_purchaseorder",
    "INSERT procurement_procurementexception",
    "INSERT procurement_auditevent",
    "INSERT procurement_outboundmessage",
]


@pytest.fixture(autouse=True)
def _cold_tolerance_cache():
    tolerance._cache.clear()
    yield
    tolerance._cache.clear()


@pytest.fixture
def orders(company, plant, supplier, buyer, erp):
    ToleranceRule.objects.create(company=company, check_kind="price", over_percent=Decimal("2"), over_amount=None)
    for n in range(6):
        po = factories.po_input(
            company="ACME", supplier="BOLTS", plant=plant.code, number=f"PO-{n}", lines=LINES, buyer="buyer"
        )
        purchase_order_publish(po=po, source=erp)


def _price_change(supplier, n: int) -> tuple[RecordResult, list[str]]:
    lines = [inputs.AckLineInput(line_no=str(i), response=inputs.LINE_ACCEPT, raw_code="IA") for i in range(1, LINES)]
    lines.append(
        inputs.AckLineInput(
            line_no=str(LINES), response=inputs.LINE_CHANGE_PRICE, raw_code="IP", unit_price=Decimal("12.00")
        )
    )
    ack = inputs.AcknowledgementInput(
        document_id=f"ACK-{n}",
        po_number=f"PO-{n}",
        header=inputs.ACK_ACCEPTED_WITH_CHANGES,
        raw_code="AC",
        lines=tuple(lines),
    )
    source = WriteSource(channel="edi", label="partner BOLTS", correlation_id=f"corr-{n}")
    with CaptureQueriesContext(connection) as captured:
        result = acknowledgement_record(supplier=supplier, ack=ack, source=source)
    return result, [_statement(q["sql"]) for q in captured.captured_queries if not _savepoint(q["sql"])]


def _savepoint(sql: str) -> bool:
    # The test's own transaction makes the service's atomic block a savepoint; in production it is BEGIN/COMMIT.
    return sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))


def _statement(sql: str) -> str:
    # The verb and the first table the statement names (a SELECT names its own table's columns first).
    verb = sql.split(None, 1)[0]
    table = re.search(r'"(\w+)"', sql)
    return f"{verb} {table.group(1) if table else '?'}"


def _webhooks() -> list[tuple[str, str]]:
    return list(
        OutboundMessage.objects.filter(kind=OutboundMessage.Kind.HTTP).values_list("destination", "idempotency_key")
    )


def test_an_exception_acknowledgement_takes_four_statements_on_postgresql(orders, supplier):
    _price_change(supplier, 0)  # the tolerance rules and the subscriptions are cached from here on, as in a worker

    result, statements = _price_change(supplier, 1)

    assert result.outcome == "applied"
    assert [e.kind for e in result.exceptions] == [ProcurementException.Kind.PRICE_DEVIATION]
    assert statements == (POSTGRESQL if connection.vendor == "postgresql" else SQLITE)
    # The lines written inside the acknowledgement's statement are its own, as sent.
    assert list(
        AcknowledgementLine.objects.filter(ack=result.record)
        .order_by("po_line__line_no")
        .values_list("po_line__po__number", "po_line__line_no", "response", "raw_code", "unit_price", "schedule")
    ) == [
        *[("PO-1", str(n), "ACCEPT", "IA", None, []) for n in range(1, LINES)],
        ("PO-1", str(LINES), "CHANGE_PRICE", "IP", Decimal("12.0000"), []),
    ]
    # And the rows written beside them: two audit events and the buyer's e-mail, queued once committed.
    assert list(AuditEvent.objects.filter(document_key="edi:BOLTS:ACK-1").values_list("action", flat=True)) == [
        "acknowledgement.recorded",
        "exception.raised",
    ]
    (mail,) = OutboundMessage.objects.filter(idempotency_key__contains=f"ack:{result.record.pk}")
    assert (mail.kind, mail.state) == (OutboundMessage.Kind.EMAIL, OutboundMessage.State.PENDING)
    order = PurchaseOrder.objects.get(number="PO-1")
    assert order.updated_at == order.first_ack_at == result.record.received_at


def test_the_lock_and_the_look_up_of_the_same_document_are_sent_in_one_round_trip(orders, supplier):
    _price_change(supplier, 0)
    sent_together = []

    def pipelined(execute, sql, params, many, context):
        if not _savepoint(sql):
            pgconn = getattr(connection.connection, "pgconn", None)  # psycopg's libpq connection
            sent_together.append(bool(pgconn is not None and pgconn.pipeline_status))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(pipelined):
        _price_change(supplier, 1)

    if connection.vendor == "postgresql":
        assert sent_together == [True, True, False, False]
    else:
        assert sent_together == [False] * len(SQLITE)


def test_a_first_acknowledgement_touches_the_po_and_a_later_one_keeps_its_first_ack_time(orders, supplier):
    first, _ = _price_change(supplier, 0)
    ack = inputs.AcknowledgementInput(
        document_id="ACK-0b", po_number="PO-0", header=inputs.ACK_ACCEPTED, raw_code="AC", lines=()
    )
    later = acknowledgement_record(supplier=supplier, ack=ack, source=WriteSource(channel="edi", label="partner"))

    order = PurchaseOrder.objects.get(number="PO-0")
    assert order.first_ack_at == first.record.received_at
    assert order.updated_at == later.record.received_at
    assert later.record.received_at > first.record.received_at


def test_subscriptions_changed_after_the_cache_filled_are_heard_at_once(orders, company, supplier):
    _price_change(supplier, 0)
    assert _webhooks() == []

    subscription = WebhookSubscription.objects.create(
        api_key_kind="system",
        system_name="erp",
        company=company,
        url="https://erp.example/hook",
        events=["exception.raised"],
    )
    result, statements = _price_change(supplier, 1)
    key = f"exception.raised:ack:{result.record.pk}:wh{subscription.pk}"
    assert _webhooks() == [("https://erp.example/hook", key)]
    assert "SELECT api_webhooksubscription" in statements  # the first event after the change reads them

    result, statements = _price_change(supplier, 2)
    assert len(_webhooks()) == 2
    assert "SELECT api_webhooksubscription" not in statements  # then the cache answers

    WebhookSubscription.objects.filter(pk=subscription.pk).update(active=False)
    _price_change(supplier, 3)
    assert len(_webhooks()) == 2

    subscription.refresh_from_db()
    subscription.active = True
    subscription.save(update_fields=["active"])
    _price_change(supplier, 4)
    assert len(_webhooks()) == 3

    subscription.delete()
    _price_change(supplier, 5)
    assert len(_webhooks()) == 3


def test_a_suppliers_own_subscription_is_heard_and_another_suppliers_is_not(orders, supplier, other_supplier):
    _price_change(supplier, 0)
    own = WebhookSubscription.objects.create(
        api_key_kind="supplier", supplier=supplier, url="https://bolts.example/hook", events=["exception.raised"]
    )
    WebhookSubscription.objects.create(
        api_key_kind="supplier", supplier=other_supplier, url="https://nuts.example/hook", events=["exception.raised"]
    )
    _price_change(supplier, 1)
    result, _ = _price_change(supplier, 2)  # from the cache

    message = OutboundMessage.objects.get(idempotency_key=f"exception.raised:ack:{result.record.pk}:wh{own.pk}")
    assert (message.destination, message.supplier_id, message.subscription_ref) == (
        "https://bolts.example/hook",
        supplier.pk,
        own.pk,
    )
    assert set(message.payload["exceptions"][0]) == {"id", "kind", "po_number", "line_no", "message"}
    assert [d for d, _ in _webhooks()] == ["https://bolts.example/hook", "https://bolts.example/hook"]


def test_a_failed_delivery_does_not_make_the_cached_subscriptions_stale(orders, company, supplier):
    subscription = WebhookSubscription.objects.create(
        api_key_kind="system",
        system_name="erp",
        company=company,
        url="https://erp.example/hook",
        events=["exception.raised"],
    )
    version = Company.objects.get(pk=company.pk).webhooks_version

    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=3)

    assert Company.objects.get(pk=company.pk).webhooks_version == version


def test_several_proposals_written_with_the_acknowledgement_keep_their_own_lines(orders, supplier):
    # Four lines priced differently, all outside tolerance: four change requests come back with their
    # keys from the acknowledgement's statement, each tied to its own line's exception and answer.
    prices = {str(n): Decimal(f"{11 + n}.00") for n in range(2, LINES + 1)}
    lines = [inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA")] + [
        inputs.AckLineInput(line_no=no, response=inputs.LINE_CHANGE_PRICE, raw_code="IP", unit_price=price)
        for no, price in prices.items()
    ]
    ack = inputs.AcknowledgementInput(
        document_id="ACK-MANY",
        po_number="PO-2",
        header=inputs.ACK_ACCEPTED_WITH_CHANGES,
        raw_code="AC",
        lines=tuple(lines),
    )

    result = acknowledgement_record(
        supplier=supplier, ack=ack, source=WriteSource(channel="edi", label="partner BOLTS", correlation_id="corr-m")
    )

    assert result.outcome == "applied"
    raised = ProcurementException.objects.filter(pk__in=[e.pk for e in result.exceptions]).select_related(
        "change_request__po_line", "po_line"
    )
    assert sorted(
        (e.po_line.line_no, e.change_request.po_line.line_no, e.change_request.ack_id, e.change_request.proposed)
        for e in raised
    ) == [(no, no, result.record.pk, {"unit_price": str(int(price))}) for no, price in sorted(prices.items())]
    order = PurchaseOrder.objects.get(number="PO-2")
    written = {
        no: (unit, confirmed, state)
        for no, unit, confirmed, state in order.lines.values_list(
            "line_no", "unit_price", "confirmed_price", "change_state"
        )
    }
    assert written == {
        "1": (written["1"][0], written["1"][0], "none"),
        **{no: (written[no][0], price, "proposed") for no, price in prices.items()},
    }
    # The exceptions' keys, drawn before they were written, are the ones their audit rows and the
    # buyer's e-mail name.
    keys = [e.pk for e in result.exceptions]
    assert sorted(keys) == keys and len(set(keys)) == LINES - 1
    assert list(
        AuditEvent.objects.filter(document_key="edi:BOLTS:ACK-MANY", action="exception.raised")
        .order_by("pk")
        .values_list("object_id", flat=True)
    ) == [str(k) for k in keys]
    (mail,) = OutboundMessage.objects.filter(idempotency_key__contains=f"ack:{result.record.pk}")
    assert [e["id"] for e in mail.payload["exceptions"]] == keys
