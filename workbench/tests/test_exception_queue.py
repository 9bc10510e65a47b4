"""The exception queue and an exception's page: what a buyer sees, and each action's exact effect and audit."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import DeliveryAttempt, OutboundMessage
from procurement import factories
from procurement.models import (
    AuditEvent,
    ChangeRequest,
    EscalationRule,
    ExceptionNote,
    Invoice,
    PORevision,
    ProcurementException,
)
from procurement.services import (
    WriteSource,
    exceptions_overdue_escalate,
    inbound_document_store,
    invoice_record,
    receipt_record,
    shipment_record,
)
from procurement.services.notify import outbound_message
from procurement.tests import helpers as h
from workbench.models import SavedView

from .html import list_entries, table_rows, text
from .queue_data import queue_seed

QUEUE = "/workbench/exceptions/"


@pytest.fixture
def q(published_po, company, plant, supplier):
    return queue_seed(published_po=published_po, company=company, plant=plant, supplier=supplier)


@pytest.fixture
def signed_in(client, buyer):
    client.force_login(buyer)
    return client


@pytest.fixture
def colleague(company):
    user = factories.BuyerFactory(username="colleague", email="colleague@acme.example")
    factories.CompanyMembershipFactory(company=company, user=user)
    return user


def _rows(response) -> list[list[str]]:
    return [cells[1:8] for cells in table_rows(response.content.decode(), "queue")]


def _audit(action: str) -> list[tuple]:
    return list(AuditEvent.objects.filter(action=action).values_list("actor__username", "channel", "object_id"))


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# The queue --------------------------------------------------------------------------------------


def test_the_queue_ranks_by_severity_then_due_time_with_sla_and_counts(signed_in, q):
    ProcurementException.objects.filter(pk=q.invoice_price.pk).update(due_at=timezone.now() - dt.timedelta(hours=3))

    response = signed_in.get(QUEUE)

    assert response.status_code == 200
    rows = _rows(response)
    assert [row[0:2] for row in rows] == [
        ["Procurement delay", "Quantity deviation PO-1000 line 3: quantity 90 instead of 100"],
        [
            "Financial mismatch",
            "Invoice price mismatch Invoice INV-1, PO-2000 line 1: price 11.00 against PO price 10.00",
        ],
        ["Financial mismatch", "Price deviation PO-1000 line 2: price 11.00 instead of 10.00"],
    ]
    assert [row[2:6] for row in rows] == [
        ["PO-1000 / 3", "DET", "BOLTS", "unassigned"],
        ["PO-2000 / 1", "DET", "BOLTS", "unassigned"],
        ["PO-1000 / 2", "DET", "BOLTS", "unassigned"],
    ]
    assert rows[1][6] == "overdue by 3 h 00 min"
    assert rows[0][6].endswith(" left") and rows[2][6].endswith(" left")
    assert response.context["counts"] == {
        "production_stop": 0,
        "procurement_delay": 1,
        "financial_mismatch": 2,
        "data_quality": 0,
        "overdue": 1,
        "due_soon": 1,
        "all": 3,
    }


@pytest.mark.parametrize(
    "query, kinds",
    [
        ("severity=financial_mismatch", ["invoice_price_mismatch", "price_deviation"]),
        ("kind=quantity_deviation", ["quantity_deviation"]),
        ("plant=DET", ["quantity_deviation", "invoice_price_mismatch", "price_deviation"]),
        ("plant=MTY", []),
        ("supplier=BOLTS", ["quantity_deviation", "invoice_price_mismatch", "price_deviation"]),
        ("supplier=NUTS", []),
        ("tier=standard", ["quantity_deviation", "invoice_price_mismatch", "price_deviation"]),
        ("tier=strategic", []),
        ("channel=portal", ["quantity_deviation", "invoice_price_mismatch", "price_deviation"]),
        ("channel=edi", []),
        ("owner=me", ["price_deviation"]),
        ("owner=unassigned", ["quantity_deviation", "invoice_price_mismatch"]),
        ("sla=overdue", ["invoice_price_mismatch"]),
        ("sla=due_soon", ["quantity_deviation"]),
        ("severity=financial_mismatch&owner=unassigned&plant=DET", ["invoice_price_mismatch"]),
    ],
)
def test_each_filter_narrows_the_queue(signed_in, buyer, q, plants_for_filters, query, kinds):
    ProcurementException.objects.filter(pk=q.price.pk).update(owner=buyer, state="in_progress")
    ProcurementException.objects.filter(pk=q.invoice_price.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))

    response = signed_in.get(f"{QUEUE}?{query}")

    assert response.status_code == 200
    assert [exc.kind for exc in response.context["page"].object_list] == kinds


@pytest.fixture
def plants_for_filters(company):
    return factories.PlantFactory(company=company, code="MTY", name="Monterrey")


def test_a_filter_value_not_offered_is_ignored_and_said_so(signed_in, q):
    response = signed_in.get(f"{QUEUE}?severity=apocalypse&plant=ZZZ")

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 3
    assert "Some filters were not understood and are ignored." in text(response.content.decode())


def test_the_queue_reads_a_fixed_number_of_queries_whatever_its_rows(signed_in, q, published_po, supplier):
    with CaptureQueriesContext(connection) as few:
        assert signed_in.get(QUEUE).status_code == 200
    for n in range(12):
        factories_exception(q.price, n)
    with CaptureQueriesContext(connection) as many:
        response = signed_in.get(QUEUE)
    assert len(response.context["page"].object_list) == 15
    assert len(many) == len(few)


def factories_exception(like: ProcurementException, n: int) -> None:
    ProcurementException.objects.create(
        company_id=like.company_id,
        supplier_id=like.supplier_id,
        po_id=like.po_id,
        po_line_id=like.po_line_id,
        kind="date_deviation",
        severity="production_stop",
        severity_rank=0,
        dedup_key=f"test:{n}",
        summary=f"extra {n}",
        due_at=timezone.now() + dt.timedelta(hours=n),
        raised_at=timezone.now(),
    )


def test_saved_views_are_per_person(signed_in, client, q, colleague):
    response = signed_in.post(
        f"{QUEUE}views/", {"name": "Overdue money", "query": "severity=financial_mismatch&sla=overdue&evil=1"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?severity=financial_mismatch&sla=overdue"
    mine = SavedView.objects.get()
    assert (mine.user.username, mine.name, mine.query) == (
        "buyer",
        "Overdue money",
        "severity=financial_mismatch&sla=overdue",
    )
    assert [v.name for v in signed_in.get(QUEUE).context["saved_views"]] == ["Overdue money"]

    client.force_login(colleague)
    assert list(client.get(QUEUE).context["saved_views"]) == []
    assert client.post(f"{QUEUE}views/{mine.pk}/delete/").status_code == 404
    assert SavedView.objects.count() == 1


# Claim, assign, bulk -----------------------------------------------------------------------------


def test_claiming_takes_the_exception_and_returns_to_the_queue(signed_in, buyer, q):
    response = signed_in.post(f"{QUEUE}{q.price.pk}/claim/", {"next": f"{QUEUE}?kind=price_deviation"})

    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?kind=price_deviation"
    q.price.refresh_from_db()
    assert (q.price.state, q.price.owner) == ("in_progress", buyer)
    assert _audit("exception.assigned") == [("buyer", "workbench", str(q.price.pk))]


def test_next_never_leaves_the_workbench(signed_in, q):
    response = signed_in.post(f"{QUEUE}{q.price.pk}/claim/", {"next": "https://evil.example/"})

    assert response["Location"] == f"{QUEUE}{q.price.pk}/"


def test_assigning_to_a_colleague(signed_in, colleague, q):
    response = signed_in.post(f"{QUEUE}{q.price.pk}/assign/", {"owner": colleague.pk}, follow=True)

    q.price.refresh_from_db()
    assert (q.price.state, q.price.owner) == ("in_progress", colleague)
    assert f"Exception {q.price.pk}: Assigned to colleague." in _messages(response)


def test_assigning_to_a_buyer_of_another_company_is_refused(signed_in, other_buyer, q):
    response = signed_in.post(f"{QUEUE}{q.price.pk}/assign/", {"owner": other_buyer.pk}, follow=True)

    q.price.refresh_from_db()
    assert (q.price.state, q.price.owner) == ("open", None)
    assert _messages(response) == ["Choose a buyer of the exception's company to assign it to."]
    assert _audit("exception.assigned") == []


def test_bulk_assign_and_bulk_dismiss(signed_in, colleague, q):
    ids = [q.price.pk, q.quantity.pk]
    response = signed_in.post(f"{QUEUE}bulk/", {"action": "assign", "owner": colleague.pk, "ids": ids}, follow=True)

    assert _messages(response) == ["Assigned to colleague: 2 of 2."]
    assert set(ProcurementException.objects.filter(owner=colleague).values_list("pk", flat=True)) == set(ids)

    response = signed_in.post(
        f"{QUEUE}bulk/",
        {"action": "dismiss", "reason": "duplicate of the call", "ids": [q.price.pk, q.invoice_price.pk]},
        follow=True,
    )

    assert _messages(response) == [
        "Dismissed: 1 of 2.",
        f"#{q.invoice_price.pk}: exception {q.invoice_price.pk} is what holds invoice INV-1: accept the variance to "
        "release the invoice, or reject it to dispute it with the supplier",
    ]
    q.price.refresh_from_db()
    assert (q.price.state, q.price.resolution, q.price.resolution_note) == (
        "dismissed",
        "dismissed",
        "duplicate of the call",
    )
    assert ProcurementException.objects.get(pk=q.invoice_price.pk).state == "open"


def test_bulk_dismiss_needs_a_reason(signed_in, q):
    response = signed_in.post(f"{QUEUE}bulk/", {"action": "dismiss", "reason": " ", "ids": [q.price.pk]}, follow=True)

    assert _messages(response) == ["Dismissing needs a reason."]
    assert ProcurementException.objects.open().count() == 3


# Decisions on the exception's page ------------------------------------------------------------


def test_the_page_shows_evidence_the_line_and_the_timeline(signed_in, q):
    response = signed_in.get(f"{QUEUE}{q.price.pk}/")

    page = text(response.content.decode())
    assert response.status_code == 200
    assert [(row.label, row.text, row.url) for row in response.context["evidence"]] == [
        ("Expected", "10.00", ""),
        ("Actual", "11.00", ""),
        ("Deviation", "1.00", ""),
        ("Deviation (%)", "10", ""),
        ("Tolerance rule that fired", "no rule set: nothing may deviate", ""),
    ]
    assert response.context["statuses"] == {
        "ack": "changes_proposed",
        "change": "proposed",
        "ship": "not_shipped",
        "receipt": "nothing",
        "invoice": "not_invoiced",
        "match": "not_invoiced",
    }
    assert re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", facts_of(response.content.decode(), "line-status")) == [
        ("Acknowledgement", "Changes proposed"),
        ("Change", "Supplier proposed"),
        ("Shipping", "Not shipped"),
        ("Receipt", "Nothing received"),
        ("Invoicing", "Not invoiced"),
        ("Invoice match", "Not invoiced"),
    ]
    assert list_entries(response.content.decode(), "timeline") == [
        "Revision 0 — Buyer published the PO",
        "PO sent to the supplier by e-mail — to orders@bolts.example: pending, not tried yet",
        "Acknowledgement ACK-1 — Supplier accepted revision 0 with changes",
        "Change request — Supplier proposed price 11.00 (was 10.00) on line 2 — awaiting the buyer's decision",
        "Change request — Supplier proposed quantity 90 EA (was 100 EA) on line 3 — awaiting the buyer's decision",
        "Buyer alerted to new exceptions by e-mail — to buyer@acme.example: pending, not tried yet",
    ]
    assert "What the supplier sees price 11.00 instead of 10.00" in page


def test_the_timeline_tells_a_pos_whole_life_in_words(signed_in, q, supplier):
    signed_in.post(f"{QUEUE}{q.price.pk}/accept/", {"note": "market moved"})
    signed_in.post(f"{QUEUE}{q.quantity.pk}/reject/", {"reason": "we need all 100"})
    h.record_ack(supplier, "ACK-2", header="ACCEPTED", po="PO-1000")
    shipment_record(
        supplier=supplier,
        shipment=h.asn(
            "ASN-1",
            ("PO-1000", "1", "100"),
            expected_delivery=dt.date(2027, 2, 24),
            carrier="UPS",
            tracking_number="1Z999",
        ),
        source=h.source(),
    )
    receipt_record(receipt=h.receipt("GR-7", ("1", "100", "4")), source=h.source(channel="system"))
    invoice_record(supplier=supplier, invoice=h.invoice("INV-7", ("1", "96", "10")), source=h.source())

    response = signed_in.get(f"{QUEUE}{q.price.pk}/")

    assert list_entries(response.content.decode(), "timeline") == [
        "Revision 0 — Buyer published the PO",
        "PO sent to the supplier by e-mail — to orders@bolts.example: pending, not tried yet",
        "Acknowledgement ACK-1 — Supplier accepted revision 0 with changes",
        "Change request — Supplier proposed price 11.00 (was 10.00) on line 2 — accepted into revision 1",
        "Change request — Supplier proposed quantity 90 EA (was 100 EA) on line 3 — declined by the buyer",
        "Buyer alerted to new exceptions by e-mail — to buyer@acme.example: pending, not tried yet",
        "Revision 1 — Buyer accepted the supplier's proposal: line 2 price 11.00 (was 10.00)",
        "PO revision sent to the supplier by e-mail — to orders@bolts.example: pending, not tried yet",
        "Rejection of the proposal sent to the supplier by e-mail — to orders@bolts.example: pending, not tried yet",
        "Acknowledgement ACK-2 — Supplier accepted revision 1",
        "Ship notice ASN-1 — Supplier shipped on 2027-02-20, expected 2027-02-24, by UPS (tracking 1Z999)",
        "Receipt GR-7 — Goods received on 2027-02-25, part of them rejected; not posted",
        "Invoice INV-7 — Supplier invoiced 960.00 USD: matched",
    ]


def test_a_price_deviation_reads_as_prices_a_one_sided_rule_iso_dates_and_file_names(signed_in, q):
    ProcurementException.objects.filter(pk=q.price.pk).update(
        evidence={
            "expected": "98",
            "actual": "104.5",
            "deviation": "6.500000",
            "deviation_percent": "6.63",
            "tolerance": {
                "rule": 1,
                "over_percent": "2",
                "over_amount": "0.500000",
                "under_percent": None,
                "under_amount": None,
            },
        }
    )
    message = OutboundMessage.objects.filter(po=q.po).order_by("pk").first()
    DeliveryAttempt.objects.create(
        message=message,
        number=1,
        attempted_at=message.created_at,
        succeeded=True,
        detail="wrote /srv/gateway/var/files/edi/castings/outbox/850_PO-1000_r0_000000003.edi (472 bytes)",
    )

    page = signed_in.get(f"{QUEUE}{q.price.pk}/").content.decode()

    assert [(row.label, row.text) for row in signed_in.get(f"{QUEUE}{q.price.pk}/").context["evidence"]] == [
        ("Expected", "98.00"),
        ("Actual", "104.50"),
        ("Deviation", "6.50"),
        ("Deviation (%)", "6.63"),
        ("Tolerance rule that fired", "over: up to 2% and 0.50; under: no limit — rule 1"),
    ]
    assert "PO number PO-1000 revision 0" in text(page)
    assert "PO PO-1000" not in text(page)
    # Quantities without trailing zeros, prices to the cent, dates in ISO form as everywhere on the page.
    assert table_rows(page, "line")[0] == ["PART-00002", "100 EA", "10.00", "2027-03-01", "100", "11.00", "2027-03-01"]
    assert "attempt 1 at" in text(page)
    assert "delivered — wrote 850_PO-1000_r0_000000003.edi (472 bytes)" in text(page)
    assert "/srv/gateway" not in page


def test_accepting_a_proposal_sends_a_new_revision(signed_in, buyer, q, supplier):
    response = signed_in.post(f"{QUEUE}{q.price.pk}/accept/", {"note": "market moved"}, follow=True)

    assert _messages(response) == [f"Exception {q.price.pk}: Accepted — PO-1000 revision 1 is sent to the supplier"]
    q.price.refresh_from_db()
    assert (q.price.state, q.price.resolution, q.price.resolution_note, q.price.resolved_by) == (
        "resolved",
        "accepted",
        "market moved",
        buyer,
    )
    assert PORevision.objects.get(po=q.po, revision=1).source == "supplier_proposal"
    told = OutboundMessage.objects.get(event="po.changed")
    assert (told.supplier, told.po, told.idempotency_key) == (supplier, q.po, "po.changed:ACME:PO-1000:1:email")
    assert _audit("exception.accepted") == [("buyer", "workbench", str(q.price.pk))]
    assert "Resolved — Supplier proposal accepted" in text(response.content.decode())


def test_rejecting_tells_the_supplier_and_needs_a_reason(signed_in, q, supplier):
    response = signed_in.post(f"{QUEUE}{q.quantity.pk}/reject/", {"reason": ""}, follow=True)
    assert _messages(response) == ["Rejecting needs a reason the supplier can act on."]
    assert ProcurementException.objects.get(pk=q.quantity.pk).state == "open"
    assert OutboundMessage.objects.filter(event="proposal.rejected").count() == 0

    response = signed_in.post(f"{QUEUE}{q.quantity.pk}/reject/", {"reason": "we need all 100"}, follow=True)

    assert _messages(response) == [f"Exception {q.quantity.pk}: Rejected; the supplier is told why."]
    assert ChangeRequest.objects.get(po_line=q.quantity.po_line).state == "declined"
    told = OutboundMessage.objects.get(event="proposal.rejected")
    assert (told.supplier, told.payload["reason"]) == (supplier, "we need all 100")
    assert _audit("exception.rejected") == [("buyer", "workbench", str(q.quantity.pk))]


def test_accepting_an_invoice_variance_releases_the_invoice(signed_in, q):
    response = signed_in.post(f"{QUEUE}{q.invoice_price.pk}/accept/", {}, follow=True)

    assert _messages(response) == [f"Exception {q.invoice_price.pk}: Accepted — invoice INV-1 is released by buyer"]
    assert Invoice.objects.get(invoice_number="INV-1").match_status == "released"
    assert "INV-1: Released by buyer" in text(response.content.decode())


def test_dismissing_keeps_the_reason_internal(signed_in, q):
    response = signed_in.post(f"{QUEUE}{q.quantity.pk}/dismiss/", {"reason": "handled by phone"}, follow=True)

    assert _messages(response) == [f"Exception {q.quantity.pk}: Dismissed."]
    q.quantity.refresh_from_db()
    assert (q.quantity.state, q.quantity.resolution_note) == ("dismissed", "handled by phone")
    assert OutboundMessage.objects.filter(payload__icontains="handled by phone").count() == 0


def test_a_comment_is_an_internal_note_audited_and_never_sent(signed_in, q):
    outbox = OutboundMessage.objects.count()

    response = signed_in.post(f"{QUEUE}{q.price.pk}/comment/", {"body": "Their steel costs went up"}, follow=True)

    assert _messages(response) == [f"Exception {q.price.pk}: Note added (buyers only)."]
    note = ExceptionNote.objects.get()
    assert (note.kind, note.author.username, note.body) == ("comment", "buyer", "Their steel costs went up")
    assert _audit("exception.commented") == [("buyer", "workbench", str(q.price.pk))]
    assert OutboundMessage.objects.count() == outbox
    assert ProcurementException.objects.get(pk=q.price.pk).state == "open"
    assert "Comment by buyer" in text(response.content.decode())


def test_the_audit_trail_says_what_was_done_in_words(signed_in, q, buyer):
    signed_in.post(f"{QUEUE}{q.price.pk}/claim/")
    signed_in.post(f"{QUEUE}{q.price.pk}/comment/", {"body": "Their steel costs went up"})

    page = signed_in.get(f"{QUEUE}{q.price.pk}/").content.decode()

    assert [row[1:] for row in table_rows(page, "audit")] == [
        ["supplier BOLTS", "API", "Exception raised"],
        ["buyer buyer", "workbench", "Assigned"],
        ["buyer buyer", "workbench", "Note added"],
    ]
    assert "exception.raised" not in page and "exception.commented" not in page


def test_an_empty_comment_is_refused(signed_in, q):
    response = signed_in.post(f"{QUEUE}{q.price.pk}/comment/", {"body": "   "}, follow=True)

    assert _messages(response) == ["A note needs some text (at most 4,000 characters)."]
    assert ExceptionNote.objects.count() == 0


def test_acting_on_a_closed_exception_says_why(signed_in, q):
    signed_in.post(f"{QUEUE}{q.price.pk}/dismiss/", {"reason": "dup"}, follow=True)

    response = signed_in.post(f"{QUEUE}{q.price.pk}/accept/", {}, follow=True)

    assert _messages(response) == [f"Exception {q.price.pk}: exception {q.price.pk} is already dismissed"]


# Escalation -------------------------------------------------------------------------------------


@pytest.fixture
def supervisor(company):
    user = factories.BuyerFactory(username="boss", email="boss@acme.example")
    factories.CompanyMembershipFactory(company=company, user=user)
    return user


def test_escalating_without_a_named_supervisor_is_refused(signed_in, q):
    response = signed_in.post(f"{QUEUE}{q.price.pk}/escalate/", {}, follow=True)

    assert _messages(response) == [
        f"Exception {q.price.pk}: no supervisor is named for this exception's plant or company"
    ]
    assert ExceptionNote.objects.count() == 0


def test_escalating_tells_the_plants_supervisor_once(signed_in, q, company, plant, supervisor, colleague):
    EscalationRule.objects.create(company=company, supervisor=colleague)
    EscalationRule.objects.create(company=company, plant=plant, supervisor=supervisor)

    response = signed_in.post(f"{QUEUE}{q.price.pk}/escalate/", {"note": "supplier not answering"}, follow=True)

    assert _messages(response) == [f"Exception {q.price.pk}: Escalated — the supervisor boss is told"]
    note = ExceptionNote.objects.get()
    assert (note.kind, note.escalated_to, note.body) == ("escalation", supervisor, "supplier not answering")
    notice = OutboundMessage.objects.get(event="exception.escalated")
    assert (notice.kind, notice.destination, notice.idempotency_key) == (
        "email",
        "boss@acme.example",
        f"exception.escalated:{q.price.pk}",
    )
    assert _audit("exception.escalated") == [("buyer", "workbench", str(q.price.pk))]

    again = signed_in.post(f"{QUEUE}{q.price.pk}/escalate/", {}, follow=True)
    assert _messages(again) == [f"Exception {q.price.pk}: exception {q.price.pk} is already escalated"]
    assert OutboundMessage.objects.filter(event="exception.escalated").count() == 1


def test_the_sweep_escalates_what_is_overdue_past_the_margin_once(q, company, supervisor):
    EscalationRule.objects.create(company=company, supervisor=supervisor, overdue_margin_hours=4)
    now = timezone.now()
    ProcurementException.objects.filter(pk=q.price.pk).update(due_at=now - dt.timedelta(hours=5))
    ProcurementException.objects.filter(pk=q.quantity.pk).update(due_at=now - dt.timedelta(hours=3))
    scheduler = WriteSource(channel="system", label="scheduler")

    escalated = exceptions_overdue_escalate(source=scheduler, now=now)

    assert [note.exception_id for note in escalated] == [q.price.pk]
    assert list(OutboundMessage.objects.filter(event="exception.escalated").values_list("destination", flat=True)) == [
        "boss@acme.example"
    ]
    assert exceptions_overdue_escalate(source=scheduler, now=now) == []
    assert ExceptionNote.objects.count() == 1
    assert list(AuditEvent.objects.filter(action="exception.escalated").values_list("actor_label", "channel")) == [
        ("scheduler", "system")
    ]


def test_a_plants_rule_takes_its_exceptions_from_the_company_rule(q, company, plant, supervisor, colleague):
    EscalationRule.objects.create(company=company, supervisor=colleague, overdue_margin_hours=0)
    EscalationRule.objects.create(company=company, plant=plant, supervisor=supervisor, overdue_margin_hours=0)
    ProcurementException.objects.update(due_at=timezone.now() - dt.timedelta(hours=1))

    escalated = exceptions_overdue_escalate(source=WriteSource(channel="system", label="scheduler"))

    assert sorted((n.exception_id, n.escalated_to.username) for n in escalated) == sorted(
        (pk, "boss") for pk in (q.price.pk, q.quantity.pk, q.invoice_price.pk)
    )


def test_the_page_shows_the_raising_document_and_its_997(signed_in, q, supplier):
    document = inbound_document_store(
        channel="edi", sender="BOLTS", content=b"ISA*00*...~ST*855*0001~", supplier=supplier, correlation_id="corr-855"
    )
    ProcurementException.objects.filter(pk=q.price.pk).update(inbound_document=document)
    answer = outbound_message(
        kind="file",
        event="x12.997",
        destination="edi/bolts/outbox",
        payload={"kind": "997"},
        idempotency_key="x12.997:test",
        source=WriteSource(channel="edi", label="gateway", correlation_id="corr-855"),
    )
    answer.save()

    response = signed_in.get(f"{QUEUE}{q.price.pk}/")

    page = text(response.content.decode())
    assert response.context["document_text"] == "ISA*00*...~ST*855*0001~"
    assert [a.pk for a in response.context["answers"]] == [answer.pk]
    assert "Answered with 997 (Pending," in page
    # What the document is and how it came, in words: never the channel's code.
    assert "Document EDI (X12) file from BOLTS Received" in page
    assert " via edi" not in page


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["²"], "Select the exceptions to act on."),
        (["9" * 19], "Select the exceptions to act on."),
        ([str(n) for n in range(10**9, 10**9 + 500)], "Select at most 500 exceptions at once (501 selected)."),
    ],
)
def test_bulk_ids_that_are_not_ids_or_too_many_are_refused_with_a_message(signed_in, colleague, q, ids, message):
    response = signed_in.post(
        f"{QUEUE}bulk/", {"action": "assign", "owner": colleague.pk, "ids": [*ids, q.price.pk]}, follow=True
    )

    assert response.status_code == 200
    assert _messages(response) == [message]
    assert ProcurementException.objects.filter(owner__isnull=False).count() == 0
    assert _audit("exception.assigned") == []


def facts_of(page: str, element_id: str) -> str:
    """The inside of the facts list (``<dl>``) with id ``element_id``."""
    found = re.search(rf'id="{element_id}">(.*?)</dl>', page, re.S)
    assert found is not None
    return found[1]
