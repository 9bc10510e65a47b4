"""Request and response examples for the OpenAPI schema: one story, PO-4502, from publication to receipt.

Each answer is what the API gave when the requests below were sent in order, with a second PO
(PO-4517) published beside PO-4502 and, after the receipt, revision 1 of PO-4502. Ids, instants and
secrets aside, ``api/tests/test_examples.py`` sends them again and holds every answer equal to its
example, so the documentation cannot drift from the API. Deliveries and their replay depend on a
receiver's answers, so for them the test holds the fields, not the values.
"""

from drf_spectacular.utils import OpenApiExample

# The buyer's ERP publishes PO-4502 for BOLTS; every other example follows from it.
PO_PUBLISH = OpenApiExample(
    "Publish a PO of three lines",
    request_only=True,
    value={
        "company": "ACME",
        "number": "PO-4502",
        "supplier": "BOLTS",
        "ship_to": "DET",
        "currency": "USD",
        "order_date": "2027-01-20",
        "revision": 0,
        "buyer": "jmiller",
        "notes": "Deliver to dock 4.",
        "lines": [
            {
                "line_no": "1",
                "part_number": "HSG-2200",
                "quantity": "200",
                "uom": "EA",
                "unit_price": "42.00",
                "need_by": "2027-03-01",
                "supplier_part_number": "BI-HSG-22",
                "description": "Pump housing, cast",
            },
            {
                "line_no": "2",
                "part_number": "BRKT-1001",
                "quantity": "500",
                "uom": "EA",
                "unit_price": "18.50",
                "need_by": "2027-03-01",
                "description": "Mounting bracket",
            },
            {
                "line_no": "3",
                "part_number": "GSKT-310",
                "quantity": "1000",
                "uom": "EA",
                "unit_price": "0.85",
                "need_by": "2027-03-05",
                "description": "Gasket, 310 mm",
            },
        ],
    },
)

PO_PUBLISHED = OpenApiExample(
    "Published",
    response_only=True,
    status_codes=["201"],
    value={"outcome": "applied", "document": 1, "record": 1, "exceptions": []},
)

ACK = OpenApiExample(
    "Accept one line, change the price of another, split a third into two deliveries",
    request_only=True,
    value={
        "document_id": "ACK-2027-00042",
        "po_number": "PO-4502",
        "header": "ACCEPTED_WITH_CHANGES",
        "lines": [
            {"line_no": "1", "response": "ACCEPT"},
            {"line_no": "2", "response": "CHANGE_PRICE", "unit_price": "19.90"},
            {
                "line_no": "3",
                "response": "RESCHEDULE",
                "schedule": [{"quantity": "600", "date": "2027-03-05"}, {"quantity": "400", "date": "2027-03-12"}],
            },
        ],
    },
)

ACK_RESULT = OpenApiExample(
    "Applied, with exceptions for the buyer",
    response_only=True,
    status_codes=["201"],
    value={
        "outcome": "applied",
        "document": 3,
        "record": 1,
        "exceptions": [
            {
                "id": 1,
                "kind": "price_deviation",
                "state": "open",
                "po_number": "PO-4502",
                "line_no": "2",
                "message": "price 19.90 instead of 18.50",
                "raised_at": "2027-02-24T14:05:09Z",
                "resolved_at": None,
            },
            {
                "id": 2,
                "kind": "date_deviation",
                "state": "open",
                "po_number": "PO-4502",
                "line_no": "3",
                "message": "promised 400 on 2027-03-12 for need-by 2027-03-05",
                "raised_at": "2027-02-24T14:05:09Z",
                "resolved_at": None,
            },
        ],
    },
)

SHIPMENT = OpenApiExample(
    "Two pallets, three lines over two POs",
    request_only=True,
    value={
        "shipment_id": "ASN-88213",
        "ship_date": "2027-02-24",
        "expected_delivery": "2027-02-26",
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "packs": ["001234560000000018", "001234560000000025"],
        "lines": [
            {
                "po_number": "PO-4502",
                "line_no": "1",
                "quantity": "200",
                "uom": "EA",
                "pack_sscc": "001234560000000018",
                "lot": "L2402-7",
            },
            {
                "po_number": "PO-4502",
                "line_no": "3",
                "quantity": "1000",
                "uom": "EA",
                "pack_sscc": "001234560000000025",
            },
            {"po_number": "PO-4517", "line_no": "1", "quantity": "50", "uom": "EA", "pack_sscc": "001234560000000025"},
        ],
    },
)

SHIPMENT_RESULT = OpenApiExample(
    "Applied; one line shipped before it was acknowledged",
    response_only=True,
    status_codes=["201"],
    value={
        "outcome": "applied",
        "document": 4,
        "record": 1,
        "exceptions": [
            {
                "id": 3,
                "kind": "asn_without_ack",
                "state": "open",
                "po_number": "PO-4517",
                "line_no": "1",
                "message": "shipped before the line was acknowledged (ship notice ASN-88213)",
                "raised_at": "2027-02-24T14:05:09Z",
                "resolved_at": None,
            }
        ],
    },
)

INVOICE = OpenApiExample(
    "Invoice line 1 as shipped, with freight on the invoice as a whole",
    request_only=True,
    value={
        "invoice_number": "INV-2027-0113",
        "po_number": "PO-4502",
        "invoice_date": "2027-02-25",
        "currency": "USD",
        "total": "8550.00",
        "lines": [{"line_no": "1", "quantity": "200", "unit_price": "42.00"}],
        "charges": [{"indicator": "C", "code": "G830", "amount": "150.00", "description": "Freight"}],
    },
)

# The exception the invoice raises, as a supplier sees it: in the POST's answer, on the document, in the list.
NOT_RECEIVED = {
    "id": 4,
    "kind": "invoice_quantity_mismatch",
    "state": "open",
    "po_number": "PO-4502",
    "line_no": "1",
    "message": "200 invoiced in all against 0 received",
    "raised_at": "2027-02-24T14:05:09Z",
    "resolved_at": None,
}
INVOICE_RESULT = OpenApiExample(
    "Applied and held: nothing received yet",
    response_only=True,
    status_codes=["201"],
    value={
        "outcome": "applied",
        "document": 5,
        "record": 1,
        "exceptions": [NOT_RECEIVED],
    },
)

RECEIPT = OpenApiExample(
    "Goods received against the ship notice, 20 gaskets rejected",
    request_only=True,
    value={
        "receipt_number": "GR-55012",
        "company": "ACME",
        "po_number": "PO-4502",
        "received_on": "2027-02-26",
        "posted": False,
        "shipment_id": "ASN-88213",
        "lines": [
            {"line_no": "1", "quantity_received": "200"},
            {"line_no": "3", "quantity_received": "1000", "quantity_rejected": "20", "lot": "L2402-9"},
        ],
    },
)

RECEIPT_RESULT = OpenApiExample(
    "Applied; the receipt releases the held invoice",
    response_only=True,
    status_codes=["201"],
    value={"outcome": "applied", "document": 6, "record": 1, "exceptions": []},
)

PURCHASE_ORDER = OpenApiExample(
    "PO-4502 after the acknowledgement, ship notice and receipt",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 1,
        "number": "PO-4502",
        "revision": 0,
        "company": "ACME",
        "supplier": "BOLTS",
        "ship_to": "DET",
        "currency": "USD",
        "order_date": "2027-01-20",
        "notes": "Deliver to dock 4.",
        "status": "changes_proposed",
        "published_at": "2027-02-24T14:05:09Z",
        "updated_at": "2027-02-24T14:05:09Z",
        "lines": [
            {
                "line_no": "1",
                "part_number": "HSG-2200",
                "supplier_part_number": "BI-HSG-22",
                "description": "Pump housing, cast",
                "quantity": "200.0000",
                "uom": "EA",
                "unit_price": "42.000000",
                "need_by": "2027-03-01",
                "cancelled": False,
                "revision": 0,
                "ack_response": "ACCEPT",
                "ack_raw_code": "",
                "confirmed_quantity": "200.0000",
                "confirmed_price": "42.000000",
                "promised_date": "2027-03-01",
                "next_promised_date": None,
                "schedule": [],
                "backordered_quantity": "0.0000",
                "proposal": {},
                "shipped_quantity": "200.0000",
                "received_quantity": "200.0000",
                "rejected_quantity": "0.0000",
                "invoiced_quantity": "200.0000",
                "statuses": {
                    "ack": "accepted",
                    "change": "none",
                    "ship": "shipped",
                    "receipt": "full",
                    "invoice": "invoiced",
                    "match": "matched",
                },
            },
            {
                "line_no": "2",
                "part_number": "BRKT-1001",
                "supplier_part_number": "",
                "description": "Mounting bracket",
                "quantity": "500.0000",
                "uom": "EA",
                "unit_price": "18.500000",
                "need_by": "2027-03-01",
                "cancelled": False,
                "revision": 0,
                "ack_response": "CHANGE_PRICE",
                "ack_raw_code": "",
                "confirmed_quantity": "500.0000",
                "confirmed_price": "19.900000",
                "promised_date": "2027-03-01",
                "next_promised_date": "2027-03-01",
                "schedule": [],
                "backordered_quantity": "0.0000",
                "proposal": {"unit_price": "19.900000"},
                "shipped_quantity": "0.0000",
                "received_quantity": "0.0000",
                "rejected_quantity": "0.0000",
                "invoiced_quantity": "0.0000",
                "statuses": {
                    "ack": "changes_proposed",
                    "change": "proposed",
                    "ship": "not_shipped",
                    "receipt": "nothing",
                    "invoice": "not_invoiced",
                    "match": "not_invoiced",
                },
            },
            {
                "line_no": "3",
                "part_number": "GSKT-310",
                "supplier_part_number": "",
                "description": "Gasket, 310 mm",
                "quantity": "1000.0000",
                "uom": "EA",
                "unit_price": "0.850000",
                "need_by": "2027-03-05",
                "cancelled": False,
                "revision": 0,
                "ack_response": "RESCHEDULE",
                "ack_raw_code": "",
                "confirmed_quantity": "1000.0000",
                "confirmed_price": "0.850000",
                "promised_date": "2027-03-05",
                "next_promised_date": None,
                "schedule": [
                    {"quantity": "600.0000", "date": "2027-03-05"},
                    {"quantity": "400.0000", "date": "2027-03-12"},
                ],
                "backordered_quantity": "0.0000",
                "proposal": {
                    "schedule": [{"quantity": "600", "date": "2027-03-05"}, {"quantity": "400", "date": "2027-03-12"}]
                },
                "shipped_quantity": "1000.0000",
                "received_quantity": "1000.0000",
                "rejected_quantity": "20.0000",
                "invoiced_quantity": "0.0000",
                "statuses": {
                    "ack": "changes_proposed",
                    "change": "proposed",
                    "ship": "shipped",
                    "receipt": "partial",
                    "invoice": "not_invoiced",
                    "match": "not_invoiced",
                },
            },
        ],
    },
)

REVISION = OpenApiExample(
    "Revision 1: line 2 cut from 500 to 450",
    response_only=True,
    status_codes=["200"],
    value={
        "revision": 1,
        "source": "buyer",
        "channel": "api",
        "created_at": "2027-02-24T14:05:09Z",
        "diff": [{"line": "2", "field": "quantity", "from": "500", "to": "450"}],
        "snapshot": {
            "company": "ACME",
            "number": "PO-4502",
            "supplier": "BOLTS",
            "ship_to": "DET",
            "currency": "USD",
            "order_date": "2027-01-20",
            "lines": [
                {
                    "line_no": "1",
                    "part_number": "HSG-2200",
                    "quantity": "200",
                    "uom": "EA",
                    "unit_price": "42",
                    "need_by": "2027-03-01",
                    "supplier_part_number": "BI-HSG-22",
                    "description": "Pump housing, cast",
                },
                {
                    "line_no": "2",
                    "part_number": "BRKT-1001",
                    "quantity": "450",
                    "uom": "EA",
                    "unit_price": "18.500000",
                    "need_by": "2027-03-01",
                    "supplier_part_number": "",
                    "description": "Mounting bracket",
                },
                {
                    "line_no": "3",
                    "part_number": "GSKT-310",
                    "quantity": "1000",
                    "uom": "EA",
                    "unit_price": "0.850000",
                    "need_by": "2027-03-05",
                    "supplier_part_number": "",
                    "description": "Gasket, 310 mm",
                },
            ],
            "revision": 1,
            "buyer": "jmiller",
            "notes": "Deliver to dock 4.",
        },
    },
)

INVOICE_HELD = OpenApiExample(
    "Held until the goods are received",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 1,
        "invoice_number": "INV-2027-0113",
        "po_number": "PO-4502",
        "purpose": "invoice",
        "invoice_date": "2027-02-25",
        "currency": "USD",
        "total": "8550.00",
        "match_status": "on_hold",
        "hold_reason": "line 1: 200 invoiced in all against 0 received",
        "received_at": "2027-02-24T14:05:09Z",
        "lines": [
            {
                "line_no": "1",
                "quantity": "200.0000",
                "unit_price": "42.000000",
                "amount": "8400.00",
                "charges": [],
                "taxes": [],
                "match_status": "exception",
            }
        ],
        "charges": [{"indicator": "C", "code": "G830", "amount": "150.00", "percent": None, "description": "Freight"}],
        "taxes": [],
    },
)

DOCUMENT = OpenApiExample(
    "An invoice sent through the API, processed, with the exception it raised",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 5,
        "channel": "api",
        "document_type": "invoice",
        "filename": "",
        "size": 183,
        "sha256": "7c0e2fafc5603a2fb8e2eb3651f92caa16f52078c30327692126eb108febef20",
        "correlation_id": "c3f1a9d2e8b14d6f9a0e7b5c2d4f6a81",
        "received_at": "2027-02-24T14:05:09Z",
        "state": "processed",
        "outcome_code": "applied",
        "error": "",
        "processed_at": "2027-02-24T14:05:09Z",
        "exceptions": [NOT_RECEIVED],
    },
)

SUPPLIER_EXCEPTION = OpenApiExample(
    "An invoice quantity not yet received", response_only=True, status_codes=["200"], value=NOT_RECEIVED
)

SYSTEM_EXCEPTION = OpenApiExample(
    "The same exception in the buyer's queue",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 4,
        "kind": "invoice_quantity_mismatch",
        "severity": "financial_mismatch",
        "state": "open",
        "supplier": "BOLTS",
        "po_number": "PO-4502",
        "line_no": "1",
        "summary": "Invoice INV-2027-0113, PO-4502 line 1: 200 invoiced in all against 0 received",
        "message": "200 invoiced in all against 0 received",
        "evidence": {
            "expected": "0",
            "actual": "200",
            "deviation": "200",
            "deviation_percent": None,
            "tolerance": {
                "rule": None,
                "over_percent": "0",
                "over_amount": "0",
                "under_percent": "0",
                "under_amount": "0",
            },
            "basis": "received",
            "invoice": "INV-2027-0113",
        },
        "due_at": "2027-02-27T14:05:09Z",
        "raised_at": "2027-02-24T14:05:09Z",
        "resolution": "",
        "resolved_at": None,
    },
)

EXCEPTION_ASSIGN = OpenApiExample("Give the exception to a buyer", request_only=True, value={"owner": "jmiller"})
EXCEPTION_ASSIGNED = OpenApiExample(
    "Assigned: in progress",
    response_only=True,
    status_codes=["200"],
    value=SYSTEM_EXCEPTION.value | {"state": "in_progress"},
)
EXCEPTION_ACCEPT = OpenApiExample(
    "Accept the variance (the invoice is released when nothing else holds it)",
    request_only=True,
    value={"note": "Goods arrived at the dock; the receipt follows."},
)
EXCEPTION_ACCEPTED = OpenApiExample(
    "Accepted",
    response_only=True,
    status_codes=["200"],
    value=SYSTEM_EXCEPTION.value
    | {"state": "resolved", "resolution": "accepted", "resolved_at": "2027-02-25T09:12:40Z"},
)
EXCEPTION_REJECT = OpenApiExample(
    "Reject and tell the supplier why",
    request_only=True,
    value={"reason": "Nothing has been received yet: invoice after delivery."},
)
EXCEPTION_REJECTED = OpenApiExample(
    "Rejected; the supplier is told",
    response_only=True,
    status_codes=["200"],
    value=SYSTEM_EXCEPTION.value
    | {"state": "resolved", "resolution": "rejected", "resolved_at": "2027-02-25T09:12:40Z"},
)
EXCEPTION_DISMISS = OpenApiExample(
    "Dismiss with an internal reason", request_only=True, value={"reason": "Duplicate of a call with the supplier."}
)
EXCEPTION_DISMISSED = OpenApiExample(
    "Dismissed",
    response_only=True,
    status_codes=["200"],
    value=SYSTEM_EXCEPTION.value
    | {"state": "dismissed", "resolution": "dismissed", "resolved_at": "2027-02-25T09:12:40Z"},
)
EXCEPTION_COMMENT = OpenApiExample(
    "A note for the buyers",
    request_only=True,
    value={"body": "Supplier says the receipt is booked at the wrong plant."},
)
EXCEPTION_COMMENTED = OpenApiExample(
    "The note as kept (never shown to a supplier)",
    response_only=True,
    status_codes=["201"],
    value={
        "id": 1,
        "exception": 4,
        "kind": "comment",
        "author": "system ERP key gw_3f9a1c",
        "body": "Supplier says the receipt is booked at the wrong plant.",
        "created_at": "2027-02-25T09:10:02Z",
    },
)

WEBHOOK = OpenApiExample(
    "Subscribe to PO and exception events",
    request_only=True,
    value={
        "url": "https://erp.bolts.example/hooks/gateway",
        "events": ["po.published", "po.changed", "exception.raised"],
    },
)

WEBHOOK_SUBSCRIPTION = OpenApiExample(
    "A subscription",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 1,
        "url": "https://erp.bolts.example/hooks/gateway",
        "events": ["exception.raised", "po.changed", "po.published"],
        "active": True,
        "consecutive_failures": 0,
        "disabled_at": None,
        "disabled_reason": "",
        "created_at": "2027-02-24T14:05:09Z",
    },
)
WEBHOOK_CREATED = OpenApiExample(
    "Subscribed; keep the signing secret",
    response_only=True,
    status_codes=["201"],
    value=WEBHOOK_SUBSCRIPTION.value
    | {"signing_secret": "whsec_5b1f0c7e9a2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f"},
)
WEBHOOK_SECRET_ROTATED = OpenApiExample(
    "A new signing secret; the old one no longer verifies",
    response_only=True,
    status_codes=["200"],
    value=WEBHOOK_CREATED.value
    | {"signing_secret": "whsec_0d2e4f6a8b1c3d5e7f9a0b2c4d6e8f1a3b5c7d9e0f2a4b6c8d1e3f5a7b9c0d2e"},
)
WEBHOOK_ENABLED = OpenApiExample(
    "Enabled again, its failures forgotten",
    response_only=True,
    status_codes=["200"],
    value=WEBHOOK_SUBSCRIPTION.value,
)
DELIVERY = OpenApiExample(
    "Delivered on the second attempt",
    response_only=True,
    status_codes=["200", "202"],
    value={
        "id": 9,
        "event": "po.published",
        "state": "delivered",
        "attempts": 2,
        "next_attempt_at": "2027-02-24T14:05:40Z",
        "last_error": "",
        "created_at": "2027-02-24T14:05:09Z",
        "delivered_at": "2027-02-24T14:05:41Z",
        "idempotency_key": "po.published:ACME:PO-4502:0:wh1",
        "attempts_log": [
            {"number": 1, "at": "2027-02-24T14:05:10Z", "succeeded": False, "detail": "DeliveryError: HTTP 503"},
            {"number": 2, "at": "2027-02-24T14:05:41Z", "succeeded": True, "detail": "HTTP 200"},
        ],
    },
)
REDELIVER = OpenApiExample(
    "Everything dead-lettered during yesterday's outage",
    request_only=True,
    value={"created_after": "2027-02-23T00:00:00Z", "created_before": "2027-02-24T00:00:00Z"},
)
REDELIVERED = OpenApiExample(
    "Three deliveries queued again",
    response_only=True,
    status_codes=["202"],
    value={"redelivered": [41, 42, 45], "remaining": 0},
)

# Materials: the ERP sends the item master, then PLM and ERP release the pump's structure. The story
# continues in api/tests/test_materials_examples.py, which sends these and holds each answer equal.
ITEM_BATCH = OpenApiExample(
    "Six items of the pump's structure",
    request_only=True,
    value={
        "company": "ACME",
        "items": [
            {"part_number": "PMP-100", "description": "Centrifugal pump", "make_or_buy": "make", "lead_time_days": 5},
            {
                "part_number": "HSG-2200",
                "description": "Pump housing, cast",
                "lead_time_days": 30,
                "moq": "50",
                "order_multiple": "10",
                "approved_suppliers": [{"supplier_code": "BOLTS", "supplier_part_number": "BI-HSG-22"}],
            },
            {"part_number": "IMP-40", "description": "Impeller", "make_or_buy": "make"},
            {"part_number": "BLADE-7", "description": "Impeller blade", "lead_time_days": 14},
            {
                "part_number": "GSKT-310",
                "description": "Gasket, 310 mm",
                "plants": [{"plant_code": "DET", "safety_stock": "200"}],
            },
            {
                "part_number": "GSKT-311",
                "description": "Gasket, 310 mm, EPDM",
                "base_uom": "EA",
                "conversions": [{"uom": "BOX", "factor": "50"}],
            },
        ],
    },
)

ITEM_BATCH_RESULT = OpenApiExample(
    "All six created",
    response_only=True,
    status_codes=["200"],
    value={
        "document": 1,
        "created": 6,
        "updated": 0,
        "unchanged": 0,
        "refused": 0,
        "items": [
            {"part_number": "PMP-100", "outcome": "created", "reason": ""},
            {"part_number": "HSG-2200", "outcome": "created", "reason": ""},
            {"part_number": "IMP-40", "outcome": "created", "reason": ""},
            {"part_number": "BLADE-7", "outcome": "created", "reason": ""},
            {"part_number": "GSKT-310", "outcome": "created", "reason": ""},
            {"part_number": "GSKT-311", "outcome": "created", "reason": ""},
        ],
    },
)

BOM_RELEASE = OpenApiExample(
    "Revision B of the pump at Detroit from March: two gaskets, an EPDM one as the alternate",
    request_only=True,
    value={
        "company": "ACME",
        "bom_type": "manufacturing",
        "release_id": "ECN-2027-014",
        "parent_part_number": "PMP-100",
        "revision": "B",
        "previous_revision": "A",
        "status": "approved_for_production",
        "base_quantity": "1",
        "effectivity": [{"plant_code": "DET", "valid_from": "2027-03-01"}],
        "components": [
            {"position": "0010", "part_number": "HSG-2200", "quantity_per": "1", "uom": "EA"},
            {"position": "0020", "part_number": "IMP-40", "quantity_per": "1", "uom": "EA"},
            {
                "position": "0030",
                "part_number": "GSKT-310",
                "quantity_per": "2",
                "uom": "EA",
                "scrap_factor": "0.05",
                "alternate_group": "G1",
                "alternate_priority": 0,
            },
            {
                "position": "0031",
                "part_number": "GSKT-311",
                "quantity_per": "2",
                "uom": "EA",
                "alternate_group": "G1",
                "alternate_priority": 1,
            },
        ],
    },
)

BOM_RELEASE_APPLIED = OpenApiExample(
    "Applied: revision A was in effect",
    response_only=True,
    status_codes=["201"],
    value={"release": 3, "state": "applied", "reason": "", "waits_for": ""},
)

BOM_RELEASE_LISTED = OpenApiExample(
    "Revision B of the pump, applied",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 3,
        "release_id": "ECN-2027-014",
        "source_system": "ERP",
        "bom_type": "manufacturing",
        "parent_part_number": "PMP-100",
        "revision": "B",
        "previous_revision": "A",
        "status": "approved_for_production",
        "state": "applied",
        "reason": "",
        "waits_for": "",
        "waits_for_items": [],
        "duplicate_of": None,
        "forced_by": "",
        "sha256": "321bbb371eb5e3a88d78a7eae70b063f814434fea9dcbb9cd94241b803f35c1e",
        "correlation_id": "be09908d4f8e42689e895fbfa23b82ad",
        "received_at": "2027-02-24T14:05:09Z",
        "applied_at": "2027-02-24T14:05:09Z",
    },
)


def _line(position: str, part_number: str, quantity: str, **fields) -> dict:
    return {
        "position": position,
        "part_number": part_number,
        "quantity_per": quantity,
        "uom": "EA",
        "scrap_factor": "0.000000",
        "phantom": False,
        "alternate_group": "",
        "alternate_priority": 0,
        "valid_from": None,
        "valid_to": None,
    } | fields


BOM_RELEASE_DETAIL = OpenApiExample(
    "Revision B against A: the gasket doubled, its alternate added",
    response_only=True,
    status_codes=["200"],
    value={
        **BOM_RELEASE_LISTED.value,
        "base_quantity": "1.0000",
        "effectivity": [
            {"plant_code": "DET", "valid_from": "2027-03-01", "valid_to": None, "serial_from": "", "serial_to": ""}
        ],
        "components": [
            _line("0010", "HSG-2200", "1.0000"),
            _line("0020", "IMP-40", "1.0000"),
            _line("0030", "GSKT-310", "2.0000", scrap_factor="0.050000", alternate_group="G1"),
            _line("0031", "GSKT-311", "2.0000", alternate_group="G1", alternate_priority=1),
        ],
        "diff": {
            "against": 1,
            "against_revision": "A",
            "added": [
                {
                    "position": "0031",
                    "part_number": "GSKT-311",
                    "quantity_per": "2",
                    "uom": "EA",
                    "scrap_factor": "0",
                    "phantom": "false",
                    "alternate_group": "G1",
                    "alternate_priority": "1",
                    "valid_from": "",
                    "valid_to": "",
                }
            ],
            "removed": [],
            "changed": [
                {
                    "position": "0030",
                    "part_number": "GSKT-310",
                    "changes": {"quantity_per": ["1", "2"], "scrap_factor": ["0", "0.05"]},
                }
            ],
        },
    },
)


def _row(level: int, position: str, part_number: str, description: str, quantity: str, **fields) -> dict:
    return {
        "level": level,
        "position": position,
        "part_number": part_number,
        "description": description,
        "quantity_per": quantity,
        "uom": "EA",
        "extended_quantity": quantity + "00",
        "scrap_factor": "0.000000",
        "phantom": False,
        "alternate_group": "",
        "alternate_priority": 0,
        "is_alternate": False,
        "revision": "B",
    } | fields


BOM = OpenApiExample(
    "The pump at Detroit on 15 March 2027: revision B, the impeller's blades one level down",
    response_only=True,
    status_codes=["200"],
    value={
        "part_number": "PMP-100",
        "revision": "B",
        "plant": "DET",
        "on": "2027-03-15",
        "type": "manufacturing",
        "rows": [
            _row(1, "0010", "HSG-2200", "Pump housing, cast", "1.0000"),
            _row(1, "0020", "IMP-40", "Impeller", "1.0000"),
            _row(2, "0010", "BLADE-7", "Impeller blade", "6.0000", revision="A"),
            _row(1, "0030", "GSKT-310", "Gasket, 310 mm", "2.0000", scrap_factor="0.050000", alternate_group="G1"),
            _row(
                1,
                "0031",
                "GSKT-311",
                "Gasket, 310 mm, EPDM",
                "2.0000",
                alternate_group="G1",
                alternate_priority=1,
                is_alternate=True,
            ),
        ],
    },
)

WHERE_USED = OpenApiExample(
    "The impeller blade, used directly in the impeller (level 1) and through it in the pump (level 2)",
    response_only=True,
    status_codes=["200"],
    value={
        "parent_part_number": "IMP-40",
        "revision": "A",
        "plant_code": "",
        "quantity_per": "6.0000",
        "level": 1,
        "component_part_number": "BLADE-7",
    },
)

INVENTORY_EVENTS = OpenApiExample(
    "The WMS puts away a pallet into quarantine, releases it, and a line consumes some",
    request_only=True,
    value={
        "company": "ACME",
        "events": [
            {
                "plant": "DET",
                "part_number": "HSG-2200",
                "kind": "receipt",
                "quantity": "400",
                "location": "DOCK-1",
                "lot": "L-0412",
                "stock_status": "quarantine",
                "source_event_id": "WMS-778812",
                "source_sequence": 91001,
                "occurred_at": "2026-12-03T09:14:00Z",
            },
            {
                "plant": "DET",
                "part_number": "HSG-2200",
                "kind": "status_change",
                "quantity": "400",
                "location": "DOCK-1",
                "lot": "L-0412",
                "stock_status": "quarantine",
                "to_status": "usable",
                "source_event_id": "WMS-778950",
                "source_sequence": 91020,
                "occurred_at": "2026-12-05T07:30:00Z",
            },
            {
                "plant": "DET",
                "part_number": "HSG-2200",
                "kind": "issue",
                "quantity": "25",
                "location": "DOCK-1",
                "lot": "L-0412",
                "source_event_id": "WMS-779001",
                "source_sequence": 91033,
                "occurred_at": "2026-12-05T10:02:00Z",
            },
        ],
    },
)

INVENTORY_EVENTS_RESULT = OpenApiExample(
    "Two applied, one already received",
    response_only=True,
    value={
        "document": 5120,
        "applied": 2,
        "duplicate": 1,
        "conflict": 0,
        "refused": 0,
        "events": [
            {
                "line": 1,
                "source_event_id": "WMS-778812",
                "outcome": "duplicate",
                "reason": "already in the ledger: no effect",
            },
            {"line": 2, "source_event_id": "WMS-778950", "outcome": "applied", "reason": ""},
            {"line": 3, "source_event_id": "WMS-779001", "outcome": "applied", "reason": ""},
        ],
    },
)

INVENTORY_SNAPSHOT = OpenApiExample(
    "The MES's nightly line-side balances: all of line 3 (whatever it does not list there is zero)",
    request_only=True,
    value={
        "company": "ACME",
        "snapshot_id": "MES-2026-12-05",
        "sequence": 20261205,
        "taken_at": "2026-12-05T23:00:00Z",
        "posting": "physical",
        "scope": "full",
        "locations": ["LINE-3"],
        "balances": [
            {"plant": "DET", "part_number": "HSG-2200", "location": "LINE-3", "lot": "L-0412", "quantity": "118"},
            {"plant": "DET", "part_number": "BRG-6204", "location": "LINE-3", "quantity": "240"},
        ],
    },
)

INVENTORY_SNAPSHOT_RESULT = OpenApiExample(
    "Both balances recorded as counts",
    response_only=True,
    value={
        "document": 5121,
        "applied": 2,
        "duplicate": 0,
        "conflict": 0,
        "refused": 0,
        "events": [
            {
                "line": 1,
                "source_event_id": "snapshot:MES-2026-12-05:48239569c4129c49f777dbe3852bd36ab1b6443d",
                "outcome": "applied",
                "reason": "",
            },
            {
                "line": 2,
                "source_event_id": "snapshot:MES-2026-12-05:d11d956a4ab9290e0242f7f4ddc4b813061b01c5",
                "outcome": "applied",
                "reason": "",
            },
        ],
        "zeroed": [],
    },
)

INVENTORY_BULK_RESULT = OpenApiExample(
    "A CSV export of three movements, one without a time zone",
    response_only=True,
    value={
        "document": 5122,
        "applied": 2,
        "duplicate": 0,
        "conflict": 0,
        "refused": 1,
        "lines": [
            {
                "line": 4,
                "source_event_id": "WMS-779120",
                "outcome": "refused",
                "reason": "occurred_at needs a time zone (Z or +hh:mm)",
            }
        ],
    },
)

INVENTORY_BALANCES = OpenApiExample(
    "The housings at the line, as the MES counted them",
    response_only=True,
    value={
        "plant": "DET",
        "part_number": "HSG-2200",
        "location": "LINE-3",
        "lot": "L-0412",
        "stock_status": "usable",
        "source_system": "ERP",
        "physical": "118.0000",
        "posted": "0.0000",
        "reserved": "0.0000",
        "last_sequence": 20261205,
    },
)

INVENTORY_HISTORY = OpenApiExample(
    "The housing's latest event: the MES's count at the line",
    response_only=True,
    value={
        "id": 88120,
        "plant": "DET",
        "part_number": "HSG-2200",
        "kind": "count",
        "quantity": "118.0000",
        "uom": "",
        "base_quantity": "118.0000",
        "location": "LINE-3",
        "to_location": "",
        "lot": "L-0412",
        "serial": "",
        "stock_status": "usable",
        "to_status": "",
        "posting": "physical",
        "source_system": "ERP",
        "source_event_id": "snapshot:MES-2026-12-05:48239569c4129c49f777dbe3852bd36ab1b6443d",
        "source_sequence": 20261205,
        "occurred_at": "2026-12-05T23:00:00Z",
        "received_at": "2026-12-06T00:01:12Z",
        "correlation_id": "2f0c6a1e9b7d4c3a8e5f1b2d3c4a5e6f",
    },
)

# Requirements: on Monday 22 February 2027 ACME's ERP plans pumps at Detroit. The item master has the
# pump PUMP-100 (make) and its housing casting CAST-210 (bought from CASTINGS: 21 days, at least 50, in
# tens); PO-4520 brings 20 castings on 22 March. Production order MO-2027-0412 for 30 pumps on 15 March
# is sent and a full run made; then the batch below. api/tests/test_requirements_examples.py sends them
# and holds each answer equal.
DEMANDS = OpenApiExample(
    "The production order raised to 40 pumps, a spare casting sold, an order for a pump the ERP has not sent",
    request_only=True,
    value={
        "company": "ACME",
        "demands": [
            {
                "source_id": "MO-2027-0412",
                "kind": "production_order",
                "part_number": "PUMP-100",
                "plant_code": "DET",
                "quantity": "40",
                "need_date": "2027-03-15",
                "reference": "MO-2027-0412",
            },
            {
                "source_id": "SO-88017-2",
                "kind": "independent",
                "part_number": "CAST-210",
                "plant_code": "DET",
                "quantity": "5",
                "need_date": "2027-03-19",
                "reference": "SO-88017",
            },
            {
                "source_id": "MO-2027-0415",
                "kind": "production_order",
                "part_number": "PUMP-150",
                "plant_code": "DET",
                "quantity": "10",
                "need_date": "2027-03-22",
                "reference": "MO-2027-0415",
            },
        ],
    },
)

DEMANDS_RESULT = OpenApiExample(
    "One updated, one created, one refused; the castings re-planned at once",
    response_only=True,
    status_codes=["200"],
    value={
        "document": 5210,
        "created": 1,
        "updated": 1,
        "cancelled": 0,
        "unchanged": 0,
        "refused": 1,
        "run": 18,
        "demands": [
            {"source_id": "MO-2027-0412", "outcome": "updated", "reason": ""},
            {"source_id": "SO-88017-2", "outcome": "created", "reason": ""},
            {"source_id": "MO-2027-0415", "outcome": "refused", "reason": "item 'PUMP-150' is not known"},
        ],
    },
)

_RUN_QUEUED = {
    "id": 17,
    "mode": "full",
    "state": "queued",
    "reason": "API key system ERP key 3f9a1c2e",
    "horizon_start": "2027-02-22",
    "counts": {},
    "error": "",
    "requested_at": "2027-02-22T07:30:02Z",
    "started_at": None,
    "finished_at": None,
}
REQUIREMENT_RUN_QUEUED = OpenApiExample(
    "A full run queued: poll it until it is done",
    response_only=True,
    status_codes=["202"],
    value=_RUN_QUEUED,
)
REQUIREMENT_RUN_ALREADY = OpenApiExample(
    "The company's full run already running, answered instead of a second one",
    response_only=True,
    status_codes=["200"],
    value=_RUN_QUEUED | {"state": "running", "started_at": "2027-02-22T07:30:03Z"},
)
REQUIREMENT_RUN_DONE = OpenApiExample(
    "The full run before the batch, done: 30 pumps need 30 castings, the PO's 20 come a week late",
    response_only=True,
    status_codes=["200"],
    value=_RUN_QUEUED
    | {
        "state": "done",
        "counts": {"item_locations": 2, "projection_rows": 2, "planned_purchases": 1, "shortages": 1},
        "started_at": "2027-02-22T07:30:03Z",
        "finished_at": "2027-02-22T07:30:04Z",
    },
)

REQUIREMENT_RUN = OpenApiExample(
    "The net change the demand batch made",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 18,
        "mode": "net_change",
        "state": "done",
        "reason": "demands 5210",
        "horizon_start": "2027-02-22",
        "counts": {"item_locations": 2, "projection_rows": 3, "planned_purchases": 1, "shortages": 2},
        "error": "",
        "requested_at": None,
        "started_at": "2027-02-22T07:41:15Z",
        "finished_at": "2027-02-22T07:41:15Z",
    },
)

SHORTAGE = OpenApiExample(
    "The spare casting is short on 19 March: PO-4520's line arrives three days later",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 311,
        "plant": "DET",
        "part_number": "CAST-210",
        "kind": "short",
        "date": "2027-03-19",
        "quantity": "5.0000",
        "pegs": [{"demand": 902, "reference": "SO-88017", "quantity": "5"}],
        "po_lines": [4471],
        "planned_purchase": None,
    },
)

PLANNED_PURCHASE = OpenApiExample(
    "50 castings from CASTINGS, to be ordered today for 15 March: 45 needed, 50 the minimum",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 204,
        "plant": "DET",
        "part_number": "CAST-210",
        "make": False,
        "supplier": "CASTINGS",
        "quantity": "50.0000",
        "net_quantity": "45.0000",
        "need_date": "2027-03-15",
        "release_date": "2027-02-22",
        "late": False,
        "state": "proposed",
        "po": None,
        "pegs": [
            {"demand": 901, "reference": "MO-2027-0412", "quantity": "40"},
            {"demand": 902, "reference": "SO-88017", "quantity": "5"},
        ],
    },
)

PLANNED_PURCHASE_ORDER = OpenApiExample(
    "Order the planned castings as PO-4531", request_only=True, value={"number": "PO-4531"}
)

PLANNED_PURCHASE_ORDERED = OpenApiExample(
    "PO-4531 published to CASTINGS",
    response_only=True,
    status_codes=["201"],
    value={"po": 4533, "number": "PO-4531"},
)

PROJECTION = OpenApiExample(
    "The castings at Detroit on the production order's date: 40 due, none in stock, 50 planned",
    response_only=True,
    status_codes=["200"],
    value={
        "date": "2027-03-15",
        "opening": "0.0000",
        "allocated": "0.0000",
        "receipts": "0.0000",
        "in_transit": "0.0000",
        "quality_inspection": "0.0000",
        "demand": "40.0000",
        "for_primaries": "0.0000",
        "by_alternates": "0.0000",
        "planned": "50.0000",
        "safety_stock": "0.0000",
        "projected": "-40.0000",
        "pegs": [{"demand": 901, "reference": "MO-2027-0412", "quantity": "40"}],
        "substitutions": [],
    },
)
