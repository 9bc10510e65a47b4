"""The buyer's screens (admin) with three personas, and the public operational endpoints."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from notifications.models import OutboundMessage
from procurement import inputs
from procurement.models import EscalationRule, ExceptionNote, ProcurementException
from procurement.services import acknowledgement_record

EXCEPTIONS_URL = "/admin/procurement/procurementexception/"


@pytest.fixture
def price_exception(published_po, supplier, supplier_source, settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    ack = inputs.AcknowledgementInput(
        document_id="ACK-ADM-1",
        po_number="PO-1000",
        header=inputs.ACK_ACCEPTED_WITH_CHANGES,
        lines=(inputs.AckLineInput(line_no="2", response=inputs.LINE_CHANGE_PRICE, unit_price=Decimal("13.50")),),
    )
    (exc,) = acknowledgement_record(supplier=supplier, ack=ack, source=supplier_source).exceptions
    return exc


def test_buyer_sees_the_queue_and_rejects_a_proposal_with_a_reason(client, buyer, price_exception):
    client.force_login(buyer)

    page = client.get(EXCEPTIONS_URL)

    assert page.status_code == 200
    assert "PO-1000 line 2: price 13.50 instead of 10.00" in page.content.decode()
    outbox_before = OutboundMessage.objects.count()
    response = client.post(
        EXCEPTIONS_URL,
        {"action": "reject", "_selected_action": [price_exception.pk], "reason": "Contract price holds until June"},
    )
    assert response.status_code == 302
    price_exception.refresh_from_db()
    assert (price_exception.state, price_exception.resolution) == ("resolved", "rejected")
    assert price_exception.resolution_note == "Contract price holds until June"
    assert price_exception.resolved_by == buyer
    told = OutboundMessage.objects.exclude(pk__lte=outbox_before if outbox_before else 0).get(event="proposal.rejected")
    assert told.payload["reason"] == "Contract price holds until June"
    assert told.destination == "orders@bolts.example"


def test_dismiss_without_a_reason_is_refused_and_changes_nothing(client, buyer, price_exception):
    client.force_login(buyer)

    response = client.post(EXCEPTIONS_URL, {"action": "dismiss", "_selected_action": [price_exception.pk]}, follow=True)

    assert "dismissing an exception needs a reason" in response.content.decode()
    price_exception.refresh_from_db()
    assert price_exception.state == "open"


@pytest.mark.parametrize("persona", ["supplier_user", "other_supplier_user", None])
def test_people_who_are_not_buyers_cannot_reach_the_queue(client, request, price_exception, persona):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    outbox_before = OutboundMessage.objects.count()

    listing = client.get(EXCEPTIONS_URL)
    action = client.post(EXCEPTIONS_URL, {"action": "accept", "_selected_action": [price_exception.pk]})

    assert listing.status_code == 302 and listing["Location"].startswith("/admin/login/")
    assert action.status_code == 302 and action["Location"].startswith("/admin/login/")
    price_exception.refresh_from_db()
    assert price_exception.state == "open"
    assert OutboundMessage.objects.count() == outbox_before


def test_health_and_metrics_are_public(client, price_exception, settings):
    settings.DEBUG = True  # a development machine with no GATEWAY_METRICS_TOKEN (tests/test_metrics.py: the rest)
    health = client.get("/healthz")
    metrics = client.get("/metrics")

    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok"}
    assert metrics.status_code == 200
    assert 'gateway_open_exceptions{severity="financial_mismatch"} 1' in metrics.content.decode()


def test_every_response_carries_a_correlation_id(client):
    given = client.get("/healthz", headers={"X-Correlation-ID": "client-trace-123"})
    made = client.get("/healthz", headers={"X-Correlation-ID": "bad id with spaces"})

    assert given["X-Correlation-ID"] == "client-trace-123"
    assert len(made["X-Correlation-ID"]) == 32 and made["X-Correlation-ID"] != "bad id with spaces"


def test_overdue_exception_count_is_ranked_by_severity(db, price_exception):
    ranked = list(ProcurementException.objects.open().ranked().values_list("severity", flat=True))
    assert ranked == ["financial_mismatch"]
    assert price_exception.due_at - price_exception.raised_at == dt.timedelta(hours=48)


@pytest.fixture
def split_line(published_po, supplier, supplier_source):
    """PO-1000 line 1 (100 EA due 2027-03-01) accepted in three deliveries."""
    schedule = tuple(
        inputs.ScheduleLineInput(quantity=Decimal(q), date=d)
        for q, d in (("40", dt.date(2027, 2, 26)), ("30", dt.date(2027, 3, 2)), ("30", dt.date(2027, 3, 10)))
    )
    ack = inputs.AcknowledgementInput(
        document_id="ACK-ADM-2",
        po_number="PO-1000",
        header=inputs.ACK_ACCEPTED,
        lines=(inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA", schedule=schedule),),
    )
    acknowledgement_record(supplier=supplier, ack=ack, source=supplier_source)
    return published_po.lines.get(line_no="1")


def test_a_buyer_sees_a_lines_split_deliveries_on_the_po_and_on_the_line(client, buyer, split_line):
    client.force_login(buyer)
    line_url = f"/admin/procurement/poline/{split_line.pk}/change/"

    order = client.get(f"/admin/procurement/purchaseorder/{split_line.po_id}/change/").content.decode()
    line = client.get(line_url)
    listing = client.get("/admin/procurement/poline/", {"q": "PO-1000"}).content.decode()

    assert "40 on 2027-02-26, 30 on 2027-03-02, 30 on 2027-03-10" in order
    assert f'href="{line_url}"' in order
    assert line.status_code == 200
    page = line.content.decode()
    cells = {
        name: re.findall(rf'<td class="field-{name}">\s*<p>(.*?)</p>', page)
        for name in ("position", "quantity", "date")
    }
    assert list(zip(cells["position"], cells["quantity"], cells["date"], strict=True)) == [
        ("1", "40.0000", "Feb. 26, 2027"),
        ("2", "30.0000", "March 2, 2027"),
        ("3", "30.0000", "March 10, 2027"),
    ]
    assert "delivery 2: 30 on 2027-03-02" in page
    assert "40 on 2027-02-26, 30 on 2027-03-02, 30 on 2027-03-10" in listing


@pytest.mark.parametrize("persona", ["supplier_user", "other_supplier_user", None])
def test_people_who_are_not_buyers_cannot_see_a_lines_schedule(client, request, split_line, persona):
    if persona:
        client.force_login(request.getfixturevalue(persona))

    page = client.get(f"/admin/procurement/poline/{split_line.pk}/change/")

    assert page.status_code == 302 and page["Location"].startswith("/admin/login/")


def test_an_exceptions_page_is_read_only_its_workflow_state_changes_only_through_actions(
    client, buyer, price_exception
):
    client.force_login(buyer)
    url = f"{EXCEPTIONS_URL}{price_exception.pk}/change/"

    page = client.get(url)
    posted = client.post(url, {"state": "resolved", "resolution": "accepted", "severity": "data_quality"})

    assert page.status_code == 200
    assert '<select name="state"' not in page.content.decode()
    assert 'name="evidence"' not in page.content.decode()
    assert posted.status_code == 403
    price_exception.refresh_from_db()
    assert (price_exception.state, price_exception.resolution, price_exception.severity) == (
        "open",
        "",
        "financial_mismatch",
    )


def test_an_outbound_messages_page_is_read_only(client, buyer, price_exception):
    client.force_login(buyer)
    message = OutboundMessage.objects.filter(event="exception.raised").first()
    assert message is not None
    url = f"/admin/notifications/outboundmessage/{message.pk}/change/"

    posted = client.post(url, {"state": "delivered", "attempts": "0"})

    assert posted.status_code == 403
    message.refresh_from_db()
    assert message.state == "pending"


def test_the_escalate_action_calls_the_service(client, buyer, company, price_exception):
    EscalationRule.objects.create(company=company, supervisor=buyer)
    client.force_login(buyer)

    response = client.post(
        EXCEPTIONS_URL,
        {"action": "escalate", "_selected_action": [price_exception.pk], "reason": "late again"},
        follow=True,
    )

    assert "Escalated 1 of 1." in response.content.decode()
    note = ExceptionNote.objects.get()
    assert (note.kind, note.escalated_to, note.body) == ("escalation", buyer, "late again")
    assert OutboundMessage.objects.filter(event="exception.escalated", destination="buyer@acme.example").count() == 1
