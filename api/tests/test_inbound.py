"""Store first: every POST body is kept as it arrived, and its outcome is recorded on it."""

import hashlib
import json

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from procurement.models import Acknowledgement, InboundDocument, POLine, ProcurementException

from .conftest import ack_body, invoice_body, po_body, price_change_ack, receipt_body, shipment_body

ACKS = "/api/v1/acknowledgements/"


def stored() -> list[tuple]:
    return list(InboundDocument.objects.order_by("id").values_list("state", "outcome_code"))


@pytest.mark.parametrize(
    "persona, path, document_type, body, sender",
    [
        ("owner", ACKS, "acknowledgement", ack_body(), "BOLTS"),
        ("owner", "/api/v1/shipments/", "shipment", shipment_body(), "BOLTS"),
        ("owner", "/api/v1/invoices/", "invoice", invoice_body(), "BOLTS"),
        ("system", "/api/v1/system/purchase-orders/", "purchase_order", po_body(), "ERP"),
        ("system", "/api/v1/system/receipts/", "receipt", receipt_body(), "ERP"),
    ],
)
def test_a_valid_document_is_stored_as_sent_and_marked_processed(
    persona, path, document_type, body, sender, published_po, supplier, request
):
    api = request.getfixturevalue(persona)
    raw = json.dumps(body, indent=1).encode()

    response = api.post(path, raw=raw, headers={"X-Correlation-ID": "corr-test-00042"})

    assert response.status_code == 201, response.content
    document = InboundDocument.objects.get()
    assert response.json()["document"] == document.pk
    assert response.json()["outcome"] == "applied"
    assert (document.channel, document.sender, document.document_type) == ("api", sender, document_type)
    assert document.supplier == (supplier if persona == "owner" else None)
    assert bytes(document.content) == raw
    assert (document.size, document.sha256) == (len(raw), hashlib.sha256(raw).hexdigest())
    assert (document.content_type, document.correlation_id) == ("application/json", "corr-test-00042")
    assert (document.state, document.outcome_code, document.error, document.attempts) == ("processed", "applied", "", 1)
    assert document.processed_at is not None


def test_the_same_document_again_is_stored_and_marked_duplicate(owner, published_po):
    owner.post(ACKS, ack_body())
    again = owner.post(ACKS, ack_body())

    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert stored() == [("processed", "applied"), ("duplicate", "duplicate")]
    assert Acknowledgement.objects.count() == 1


def test_a_conflicting_document_is_stored_and_marked_refused_with_its_code(owner, published_po):
    owner.post(ACKS, ack_body())
    conflict = owner.post(ACKS, price_change_ack("ACK-1"))

    assert conflict.status_code == 409
    assert conflict.json()["code"] == "conflict"
    assert stored() == [("processed", "applied"), ("refused", "conflict")]
    assert InboundDocument.objects.latest("id").error == (
        "acknowledgement ACK-1 was already received with different content; send changes under a new document id"
    )


def test_an_unknown_po_is_stored_and_marked_refused(owner, published_po):
    response = owner.post(ACKS, ack_body(po_number="PO-9999"))

    assert response.status_code == 422
    assert stored() == [("refused", "unknown_po")]


def test_an_acknowledgement_of_a_closed_po_is_stored_and_refused_with_409(owner, published_po):
    POLine.objects.filter(po=published_po).update(
        ack_response="ACCEPT",
        confirmed_quantity=F("quantity"),
        shipped_quantity=F("quantity"),
        received_quantity=F("quantity"),
        invoiced_quantity=F("quantity"),
        match_state="matched",
    )
    body = ack_body(lines=[{"line_no": "1", "response": "REJECT"}, {"line_no": "2", "response": "ACCEPT"}])

    response = owner.post(ACKS, body)

    assert response.status_code == 409
    problem = response.json()
    document = InboundDocument.objects.get()
    assert (problem["code"], problem["detail"], problem["exception"]) == (
        "po_closed",
        "PO-1000 is closed (every line is received and invoiced in full): it can no longer be acknowledged or changed",
        ProcurementException.objects.get(inbound_document=document).pk,
    )
    assert stored() == [("refused", "po_closed")]
    assert Acknowledgement.objects.count() == 0
    assert set(POLine.objects.filter(po=published_po).values_list("ack_response", flat=True)) == {"ACCEPT"}


def test_an_acknowledgement_naming_another_part_is_stored_and_refused_with_422(owner, published_po):
    part = POLine.objects.get(po=published_po, line_no="1").item.part_number
    body = ack_body(lines=[{"line_no": "1", "response": "ACCEPT", "part_number": "XYZ"}])

    response = owner.post(ACKS, body)

    assert response.status_code == 422
    assert (response.json()["code"], response.json()["detail"]) == (
        "part_mismatch",
        f"acknowledgement ACK-1 of PO-1000: line 1 is part {part}, the answer names XYZ; nothing was applied",
    )
    assert stored() == [("refused", "part_mismatch")]
    assert Acknowledgement.objects.count() == 0


def test_a_reschedule_to_the_year_one_is_stored_and_refused_with_422_naming_the_field(owner, published_po):
    body = ack_body(lines=[{"line_no": "1", "response": "RESCHEDULE", "promised_date": "0001-01-01"}])

    response = owner.post(ACKS, body)

    assert (response.status_code, response["Content-Type"]) == (422, "application/problem+json")
    problem = response.json()
    document = InboundDocument.objects.get()
    assert (problem["code"], problem["detail"], problem["exception"]) == (
        "date_out_of_range",
        "acknowledgement ACK-1 of PO PO-1000: line 1: promised date 0001-01-01 is before the PO's order date "
        "2027-01-15; nothing was applied",
        ProcurementException.objects.get(inbound_document=document).pk,
    )
    assert problem["errors"] == [
        {
            "field": "lines[0].promised_date",
            "message": "line 1: promised date 0001-01-01 is before the PO's order date 2027-01-15",
            "code": "date_out_of_range",
        }
    ]
    assert stored() == [("refused", "date_out_of_range")]
    assert Acknowledgement.objects.count() == 0
    assert set(POLine.objects.filter(po=published_po).values_list("change_state", flat=True)) == {"none"}


def test_malformed_json_is_stored_and_rejected(owner):
    raw = b'{"document_id": "ACK-1", '

    response = owner.post(ACKS, raw=raw)

    assert response.status_code == 400
    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code) == ("rejected", "malformed")
    assert bytes(document.content) == raw
    assert document.error.startswith("JSON parse error - ")


def test_a_wrong_content_type_is_stored_and_rejected_as_malformed(owner):
    raw = b"<ack><id>ACK-1</id></ack>"

    response = owner.post(ACKS, raw=raw, content_type="application/xml")

    assert response.status_code == 415
    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code, document.content_type) == (
        "rejected",
        "malformed",
        "application/xml",
    )
    assert bytes(document.content) == raw
    assert document.error == 'Unsupported media type "application/xml" in request.'


def test_an_invalid_document_is_stored_and_rejected_with_the_field_errors(owner, published_po):
    response = owner.post(ACKS, ack_body(header="MAYBE"))

    assert response.status_code == 400
    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code) == ("rejected", "invalid")
    assert json.loads(document.error) == {"header": ['"MAYBE" is not a valid choice.']}
    assert Acknowledgement.objects.count() == 0


def test_an_oversized_body_is_recorded_without_its_content(owner, published_po, settings):
    settings.GATEWAY_INBOUND_MAX_BYTES = 200
    raw = json.dumps(ack_body(note="x" * 300)).encode()

    response = owner.post(ACKS, raw=raw)

    assert response.status_code == 413
    document = InboundDocument.objects.get()
    assert response.json() == {
        "type": "https://gateway.example/problems/too-large",
        "title": "Payload too large",
        "status": 413,
        "detail": f"payload of {len(raw)} bytes exceeds the limit of 200 bytes",
        "code": "too_large",
        "document": document.pk,
    }
    assert (document.state, document.outcome_code, document.size) == ("rejected", "too_large", len(raw))
    assert bytes(document.content) == b""
    assert Acknowledgement.objects.count() == 0


def test_a_body_over_the_upload_limit_is_still_recorded_as_too_large(owner, published_po, settings):
    # The relation the settings module sets up in production: bodies a little over the limit are read.
    settings.GATEWAY_INBOUND_MAX_BYTES = 200
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200 + 1024
    raw = json.dumps(ack_body(note="x" * 3000)).encode()

    response = owner.post(ACKS, raw=raw)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert stored() == [("rejected", "too_large")]


def test_documents_list_shows_each_outcome(owner, published_po):
    owner.post(ACKS, ack_body())
    owner.post(ACKS, ack_body())
    owner.post(ACKS, raw=b"{")

    listed = owner.get("/api/v1/documents/").json()["results"]

    assert [(d["document_type"], d["state"], d["outcome_code"]) for d in listed] == [
        ("acknowledgement", "rejected", "malformed"),
        ("acknowledgement", "duplicate", "duplicate"),
        ("acknowledgement", "processed", "applied"),
    ]


def test_an_acknowledgement_is_three_transactions_of_sixteen_statements_on_postgresql(owner, published_po):
    owner.post(ACKS, ack_body("ACK-WARM"))  # the key's last use is written at most once a minute

    with CaptureQueriesContext(connection) as captured:
        response = owner.post(ACKS, ack_body("ACK-2"))

    assert response.status_code == 201
    statements = [query["sql"].split(" ", 1)[0].upper() for query in captured.captured_queries]
    # Transactions are savepoints of the test's own here: the key's claim with the stored body, then
    # the write path with the document's outcome and the service's own block nested inside it. The
    # response kept under the Idempotency-Key is one more statement, committed on its own.
    assert statements.count("SAVEPOINT") == 3
    assert statements[-1] == "UPDATE"
    # On PostgreSQL the acknowledgement, its lines, the lines' answers and the PO's touch are one
    # statement; elsewhere each on its own.
    assert len(statements) == (16 if connection.vendor == "postgresql" else 19)


def nested(depth: int) -> object:
    """``depth`` lists, one inside the other."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_a_body_nested_a_thousand_levels_is_a_400_and_its_document_rejected(owner, published_po):
    raw = b"[" * 1000 + b"]" * 1000

    response = owner.post(ACKS, raw=raw)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["detail"]) == (
        "json_too_deep",
        "JSON nested more than 32 levels deep",
    )
    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code, document.error) == (
        "rejected",
        "json_too_deep",
        "JSON nested more than 32 levels deep",
    )
    assert bytes(document.content) == raw
    assert Acknowledgement.objects.count() == 0


def test_a_body_one_level_past_the_bound_is_refused_the_same_way(owner, published_po):
    response = owner.post(ACKS, ack_body(x_partner_extension=nested(32)))  # 33 with the body's own object

    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"
    assert stored() == [("rejected", "json_too_deep")]


def test_a_body_nested_just_to_the_bound_is_applied(owner, published_po):
    response = owner.post(ACKS, ack_body(x_partner_extension=nested(31)))  # 32 with the body's own object

    assert response.status_code == 201, response.content
    assert stored() == [("processed", "applied")]
    assert Acknowledgement.objects.count() == 1


def test_a_receipt_line_keeps_the_pack_it_was_received_in(system, published_po):
    from procurement.models import ReceiptLine

    body = receipt_body()
    body["lines"] = [{"line_no": "1", "quantity_received": "40", "sscc": "001234560000000018"}]

    response = system.post("/api/v1/system/receipts/", raw=json.dumps(body).encode())

    assert response.status_code == 201, response.content
    assert list(ReceiptLine.objects.values_list("quantity_received", "sscc")) == [(40, "001234560000000018")]
