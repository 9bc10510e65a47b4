"""The buyer's ERP works the exception queue through the API, and reads POs back with what suppliers answered."""

import pytest

from notifications.models import OutboundMessage
from procurement.models import AuditEvent, ChangeRequest, ExceptionNote, Invoice, PORevision, ProcurementException

from .conftest import invoice_body, price_change_ack, results


@pytest.fixture
def price(published_po, owner) -> ProcurementException:
    assert owner.post("/api/v1/acknowledgements/", price_change_ack()).status_code == 201
    return ProcurementException.objects.get(kind="price_deviation")


def _path(exc, action: str) -> str:
    return f"/api/v1/system/exceptions/{exc.pk}/{action}/"


def test_accepting_a_proposal_publishes_a_new_revision(system, system_key, price, supplier):
    response = system.post(_path(price, "accept"), {"note": "market price"})

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["state"], body["resolution"]) == (price.pk, "resolved", "accepted")
    assert ChangeRequest.objects.get().state == "accepted"
    assert PORevision.objects.get(revision=1).source == "supplier_proposal"
    assert OutboundMessage.objects.filter(event="po.changed", supplier=supplier).count() == 1
    event = AuditEvent.objects.get(action="exception.accepted")
    assert (event.channel, event.actor_label, event.actor_id) == ("api", system_key[0].label, None)


def test_a_retry_with_the_same_key_replays_the_answer(system, price):
    first = system.post(_path(price, "dismiss"), {"reason": "known"}, key="retry-1")
    again = system.post(_path(price, "dismiss"), {"reason": "known"}, key="retry-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == again.json()
    assert AuditEvent.objects.filter(action="exception.dismissed").count() == 1


def test_rejecting_needs_a_reason_and_tells_the_supplier(system, price, supplier):
    missing = system.post(_path(price, "reject"), {})
    assert missing.status_code == 400
    assert ProcurementException.objects.get().state == "open"

    response = system.post(_path(price, "reject"), {"reason": "contract price"})

    assert (response.status_code, response.json()["resolution"]) == (200, "rejected")
    told = OutboundMessage.objects.get(event="proposal.rejected")
    assert (told.supplier, told.payload["reason"]) == (supplier, "contract price")


def test_assigning_names_a_buyer_of_the_company(system, price, buyer, other_supplier_user):
    refused = system.post(_path(price, "assign"), {"owner": "nuts-user"})
    assert (refused.status_code, refused.json()["code"]) == (409, "unknown_owner")
    assert ProcurementException.objects.get().owner is None

    response = system.post(_path(price, "assign"), {"owner": "buyer"})

    assert (response.status_code, response.json()["state"]) == (200, "in_progress")
    assert ProcurementException.objects.get().owner == buyer


def test_a_comment_stays_with_the_buyers(system, system_key, owner, price):
    response = system.post(_path(price, "comment"), {"body": "call their sales rep"})

    assert response.status_code == 201
    note = ExceptionNote.objects.get()
    assert response.json() == {
        "id": note.pk,
        "exception": price.pk,
        "kind": "comment",
        "author": system_key[0].label,
        "body": "call their sales rep",
        "created_at": response.json()["created_at"],
    }
    assert "call their sales rep" not in owner.get("/api/v1/exceptions/").content.decode()


def test_accepting_an_invoice_variance_releases_the_invoice(system, owner, published_po, supplier):
    assert owner.post("/api/v1/invoices/", invoice_body()).status_code == 201
    held = ProcurementException.objects.get()
    assert Invoice.objects.get().match_status == "on_hold"

    response = system.post(_path(held, "accept"), {})

    assert response.status_code == 200
    assert Invoice.objects.get().match_status == "released"


def test_deciding_a_closed_exception_is_a_conflict(system, price):
    system.post(_path(price, "dismiss"), {"reason": "known"})

    response = system.post(_path(price, "accept"), {})

    assert (response.status_code, response.json()["code"]) == (409, "invalid_action")


def test_the_system_reads_its_pos_back_with_the_suppliers_answers(system, price, published_po):
    (order,) = results(system.get("/api/v1/system/purchase-orders/"))

    assert (order["number"], order["revision"]) == ("PO-1000", 0)
    assert [line["statuses"]["ack"] for line in order["lines"]] == ["accepted", "changes_proposed", "accepted"]
    assert system.get(f"/api/v1/system/purchase-orders/{published_po.pk}/").json() == order
    assert results(system.get("/api/v1/system/purchase-orders/", {"supplier": "NUTS"})) == []
    assert [o["number"] for o in results(system.get("/api/v1/system/purchase-orders/", {"change": "proposed"}))] == [
        "PO-1000"
    ]


def test_the_list_gives_every_exception_a_message_its_summary_when_no_supplier_is_told(system, price, company, erp):
    from procurement.services.raising import exception_draft, exception_raise

    draft = exception_draft(
        company=company,
        kind=ProcurementException.Kind.INVENTORY_VARIANCE,
        severity=ProcurementException.Severity.DATA_QUALITY,
        dedup_key="test:variance",
        summary="Item BOLT-10 at DET: WMS counts 40, ERP 55",
        evidence={},
        supplier_message="",
        source=erp,
    )
    exception_raise(draft, source=erp)

    listed = {row["id"]: (row["summary"], row["message"]) for row in results(system.get("/api/v1/system/exceptions/"))}

    assert listed == {
        price.pk: (price.summary, price.supplier_message),
        ProcurementException.objects.get(kind="inventory_variance").pk: (
            "Item BOLT-10 at DET: WMS counts 40, ERP 55",
            "Item BOLT-10 at DET: WMS counts 40, ERP 55",
        ),
    }
    assert price.supplier_message != "" and price.supplier_message != price.summary
