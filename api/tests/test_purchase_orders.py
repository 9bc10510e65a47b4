"""Reading purchase orders: status filters, plant/number/updated_since, cursor pages, ETags, revisions."""

import dataclasses
import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from procurement import factories, inputs
from procurement.models import POLine, ProcurementException, PurchaseOrder
from procurement.selectors import LINE_STATUS_CONDITIONS
from procurement.services import WriteSource, exception_accept, exception_reject, purchase_order_change

from .conftest import ack_body, results

POS = "/api/v1/purchase-orders/"


def publish(system, number: str, *, supplier: str = "BOLTS", plant: str = "DET") -> None:
    body = inputs.canonical_json(factories.po_input(company="ACME", supplier=supplier, plant=plant, number=number))
    assert system.post("/api/v1/system/purchase-orders/", body).status_code == 201


def lines(*answers) -> list[dict]:
    return [{"line_no": str(n), **answer} for n, answer in enumerate(answers, start=1)]


@pytest.fixture
def orders(published_po, company, other_supplier, owner, system, buyer):
    """BOLTS's POs in many states (and one of NUTS's, which BOLTS never sees).

    PO-1000  accepted; line 1: 40 shipped, 40 received, 40 invoiced at the PO price
    PO-1001  untouched
    PO-1002  (Monterrey) line 1 price change proposed, line 2 rejected, line 3 on hold
    PO-1003  acknowledged; line 1 shipped, received and invoiced in full at a higher price; line 2 over all three
    PO-1004  line 1 price change accepted by the buyer (revision 1)
    PO-1005  line 1 quantity change declined by the buyer
    """
    factories.PlantFactory(company=company, code="MTY", name="Monterrey")
    for number in ("PO-1001", "PO-1003", "PO-1004", "PO-1005"):
        publish(system, number)
    publish(system, "PO-1002", plant="MTY")
    publish(system, "PO-9000", supplier="NUTS")
    accept = {"response": "ACCEPT"}
    ok = owner.post
    assert ok("/api/v1/acknowledgements/", ack_body("A-1000")).status_code == 201
    assert ok("/api/v1/shipments/", ship("S-1000", ("PO-1000", "1", "40"))).status_code == 201
    assert system.post("/api/v1/system/receipts/", receipt("R-1000", "PO-1000", ("1", "40"))).status_code == 201
    assert ok("/api/v1/invoices/", invoice("I-1000", "PO-1000", ("1", "40", "10"))).status_code == 201
    changes = lines({"response": "CHANGE_PRICE", "unit_price": "11.00"}, {"response": "REJECT"}, {"response": "HOLD"})
    assert ok("/api/v1/acknowledgements/", ack_body("A-1002", "PO-1002", lines=changes)).status_code == 201
    assert (
        ok("/api/v1/acknowledgements/", ack_body("A-1003", "PO-1003", header="ACKNOWLEDGED", lines=[])).status_code
        == 201
    )
    assert ok("/api/v1/shipments/", ship("S-1003", ("PO-1003", "1", "100"), ("PO-1003", "2", "150"))).status_code == 201
    assert (
        system.post("/api/v1/system/receipts/", receipt("R-1003", "PO-1003", ("1", "100"), ("2", "150"))).status_code
        == 201
    )
    assert (
        ok("/api/v1/invoices/", invoice("I-1003", "PO-1003", ("1", "100", "12"), ("2", "150", "10"))).status_code == 201
    )
    price = lines({"response": "CHANGE_PRICE", "unit_price": "9.00"}, accept, accept)
    assert ok("/api/v1/acknowledgements/", ack_body("A-1004", "PO-1004", lines=price)).status_code == 201
    quantity = lines({"response": "CHANGE_QTY", "quantity": "80"}, accept, accept)
    assert ok("/api/v1/acknowledgements/", ack_body("A-1005", "PO-1005", lines=quantity)).status_code == 201
    by_buyer = WriteSource(channel="portal", label="buyer", actor=buyer)
    exception_accept(exception_id=ProcurementException.objects.get(po__number="PO-1004").pk, source=by_buyer)
    exception_reject(
        exception_id=ProcurementException.objects.get(po__number="PO-1005").pk, source=by_buyer, reason="No."
    )


def ship(shipment_id: str, *rows) -> dict:
    return {
        "shipment_id": shipment_id,
        "ship_date": "2027-02-20",
        "lines": [{"po_number": po, "line_no": no, "quantity": qty} for po, no, qty in rows],
    }


def receipt(number: str, po: str, *rows) -> dict:
    return {
        "receipt_number": number,
        "company": "ACME",
        "po_number": po,
        "received_on": "2027-02-25",
        "lines": [{"line_no": no, "quantity_received": qty} for no, qty in rows],
    }


def invoice(number: str, po: str, *rows) -> dict:
    return {
        "invoice_number": number,
        "po_number": po,
        "invoice_date": "2027-03-05",
        "currency": "USD",
        "lines": [{"line_no": no, "quantity": qty, "unit_price": price} for no, qty, price in rows],
    }


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(po["number"] for po in results(response))


# What each filter must find, worked out from the states above.
EXPECTED = {
    ("ack", "awaiting"): ["PO-1001", "PO-1005"],
    ("ack", "acknowledged"): ["PO-1003"],
    ("ack", "accepted"): ["PO-1000", "PO-1004", "PO-1005"],
    ("ack", "changes_proposed"): ["PO-1002"],
    ("ack", "rejected"): ["PO-1002"],
    ("ack", "on_hold"): ["PO-1002"],
    ("change", "none"): ["PO-1000", "PO-1001", "PO-1002", "PO-1003", "PO-1004", "PO-1005"],
    ("change", "proposed"): ["PO-1002"],
    ("change", "accepted"): ["PO-1004"],
    ("change", "declined"): ["PO-1005"],
    ("ship", "not_shipped"): ["PO-1000", "PO-1001", "PO-1002", "PO-1003", "PO-1004", "PO-1005"],
    ("ship", "partially_shipped"): ["PO-1000"],
    ("ship", "shipped"): ["PO-1003"],
    ("ship", "over_shipped"): ["PO-1003"],
    ("receipt", "nothing"): ["PO-1000", "PO-1001", "PO-1002", "PO-1003", "PO-1004", "PO-1005"],
    ("receipt", "partial"): ["PO-1000"],
    ("receipt", "full"): ["PO-1003"],
    ("receipt", "over"): ["PO-1003"],
    ("invoice", "not_invoiced"): ["PO-1000", "PO-1001", "PO-1002", "PO-1003", "PO-1004", "PO-1005"],
    ("invoice", "partially_invoiced"): ["PO-1000"],
    ("invoice", "invoiced"): ["PO-1003"],
    ("invoice", "over_invoiced"): ["PO-1003"],
    ("match", "not_invoiced"): ["PO-1000", "PO-1001", "PO-1002", "PO-1003", "PO-1004", "PO-1005"],
    ("match", "matched"): ["PO-1000", "PO-1003"],
    ("match", "within_tolerance"): [],
    ("match", "exception"): ["PO-1003"],
    ("match", "overridden"): [],
}


def test_every_filter_value_is_covered():
    assert set(EXPECTED) == {(d, v) for d, values in LINE_STATUS_CONDITIONS.items() for v in values}


@pytest.mark.parametrize("dimension, value", list(EXPECTED))
def test_status_filter(orders, owner, dimension, value):
    found = numbers(owner.get(POS, {dimension: value}))

    assert found == EXPECTED[(dimension, value)]
    # The database condition agrees with the status the API shows on each line.
    shown = results(owner.get(POS, {"page_size": 50}))
    assert found == sorted(
        po["number"]
        for po in shown
        if any(line["statuses"][dimension] == value for line in po["lines"] if not line["cancelled"])
    )


def test_status_filters_combine(orders, owner):
    assert numbers(owner.get(POS, {"ack": "accepted", "ship": "partially_shipped"})) == ["PO-1000"]
    assert numbers(owner.get(POS, {"ack": "awaiting", "change": "declined"})) == ["PO-1005"]


def test_an_unknown_status_value_is_a_400_naming_the_parameter(orders, owner):
    response = owner.get(POS, {"ship": "sunk"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "ship",
            "message": "must be one of not_shipped, partially_shipped, shipped, over_shipped",
            "code": "invalid",
        }
    ]


def test_plant_and_number_filters(orders, owner):
    assert numbers(owner.get(POS, {"plant": "MTY"})) == ["PO-1002"]
    assert numbers(owner.get(POS, {"plant": "DET", "number": "PO-1003"})) == ["PO-1003"]
    assert numbers(owner.get(POS, {"number": "PO-9000"})) == []  # NUTS's


def test_updated_since(orders, owner):
    base = timezone.now().replace(microsecond=0) - dt.timedelta(days=10)
    for offset, number in enumerate(["PO-1000", "PO-1001", "PO-1002", "PO-1003", "PO-1004", "PO-1005"]):
        PurchaseOrder.objects.filter(number=number).update(updated_at=base + dt.timedelta(days=offset))

    since = (base + dt.timedelta(days=3)).isoformat()

    assert numbers(owner.get(POS, {"updated_since": since})) == ["PO-1003", "PO-1004", "PO-1005"]
    assert numbers(owner.get(POS, {"updated_since": "2000-01-01T00:00:00Z"})) == [
        "PO-1000",
        "PO-1001",
        "PO-1002",
        "PO-1003",
        "PO-1004",
        "PO-1005",
    ]


@pytest.mark.parametrize("value", ["yesterday", "2027-13-01T00:00:00Z", "2027-01-01T25:00"])
def test_an_invalid_updated_since_is_a_400(orders, owner, value):
    response = owner.get(POS, {"updated_since": value})

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("updated_since", "invalid")


def test_cursor_pages_walk_every_po_once_in_change_order(orders, owner):
    expected = list(
        PurchaseOrder.objects.filter(supplier__code="BOLTS")
        .order_by("updated_at", "id")
        .values_list("number", flat=True)
    )
    seen, pages = [], []
    response = owner.get(POS, {"page_size": 2})
    while True:
        assert response.status_code == 200
        page = response.json()
        pages.append(len(page["results"]))
        seen += [po["number"] for po in page["results"]]
        if page["next"] is None:
            break
        url = urlsplit(page["next"])
        assert url.path == POS
        assert parse_qs(url.query)["page_size"] == ["2"]
        response = owner.get(POS, {k: v[0] for k, v in parse_qs(url.query).items()})

    assert pages == [2, 2, 2]
    assert seen == expected
    assert len(expected) == 6


def test_page_size_defaults_to_50_and_may_be_at_most_200(orders, owner):
    assert len(results(owner.get(POS))) == 6
    assert owner.get(POS, {"page_size": 200}).status_code == 200
    assert owner.get(POS, {"page_size": 500}).status_code == 400


def test_an_invalid_cursor_is_a_404_problem(orders, owner):
    response = owner.get(POS, {"cursor": "not-a-cursor"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["detail"] == "Invalid cursor"


def test_etag_and_if_none_match(published_po, owner):
    first = owner.get(POS)
    etag = first["ETag"]

    unchanged = owner.get(POS, headers={"If-None-Match": etag})
    among_others = owner.get(POS, headers={"If-None-Match": f'"0000", {etag}'})
    stale = owner.get(POS, headers={"If-None-Match": '"0000"'})

    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", etag)
    assert among_others.status_code == 304
    assert (stale.status_code, stale["ETag"]) == (200, etag)
    assert first["Cache-Control"] == unchanged["Cache-Control"] == "private, no-cache"
    assert stale.json() == first.json()

    owner.post("/api/v1/acknowledgements/", ack_body())
    changed = owner.get(POS, headers={"If-None-Match": etag})

    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_if_none_match_compares_weakly_and_takes_any(published_po, owner):
    etag = owner.get(POS)["ETag"]

    weak = owner.get(POS, headers={"If-None-Match": f"W/{etag}"})
    any_tag = owner.get(POS, headers={"If-None-Match": "*"})
    malformed = owner.get(POS, headers={"If-None-Match": "not-a-tag"})

    assert (weak.status_code, weak["ETag"]) == (304, etag)
    assert (any_tag.status_code, any_tag.content) == (304, b"")
    assert (malformed.status_code, malformed["ETag"]) == (200, etag)


def test_detail_etag(published_po, owner):
    path = f"{POS}{published_po.pk}/"
    etag = owner.get(path)["ETag"]

    assert owner.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_detail_shows_lines_with_their_status_dimensions(published_po, owner):
    response = owner.get(f"{POS}{published_po.pk}/")

    assert response.status_code == 200
    po = response.json()
    assert (po["number"], po["revision"], po["company"], po["supplier"], po["ship_to"]) == (
        "PO-1000",
        0,
        "ACME",
        "BOLTS",
        "DET",
    )
    assert po["status"] == "awaiting_acknowledgement"
    assert [(line["line_no"], line["part_number"], line["quantity"], line["unit_price"]) for line in po["lines"]] == [
        ("1", "PART-00001", "100.0000", "10.000000"),
        ("2", "PART-00002", "100.0000", "10.000000"),
        ("3", "PART-00003", "100.0000", "10.000000"),
    ]
    assert po["lines"][0]["statuses"] == {
        "ack": "awaiting",
        "change": "none",
        "ship": "not_shipped",
        "receipt": "nothing",
        "invoice": "not_invoiced",
        "match": "not_invoiced",
    }


def test_revisions_list_and_diff_after_a_change(published_po, owner, erp):
    change = factories.po_input(company="ACME", supplier="BOLTS", plant="DET", revision=1, lines=2, buyer="buyer")
    line_2 = dataclasses.replace(change.lines[1], quantity=change.lines[1].quantity + 20)
    change = dataclasses.replace(change, lines=(change.lines[0], line_2))
    purchase_order_change(po=change, source=erp)

    listed = owner.get(f"{POS}{published_po.pk}/revisions/")
    one = owner.get(f"{POS}{published_po.pk}/revisions/1/")
    missing = owner.get(f"{POS}{published_po.pk}/revisions/2/")

    assert listed.status_code == 200
    assert [(r["revision"], r["source"], r["channel"]) for r in listed.json()] == [
        (0, "buyer", "system"),
        (1, "buyer", "system"),
    ]
    assert listed.json()[0]["diff"] == []
    assert one.status_code == 200
    assert one.json()["diff"] == [
        {"line": "2", "field": "quantity", "from": "100", "to": "120"},
        {"line": "3", "field": "line", "from": "open", "to": "cancelled"},
    ]
    assert [line["line_no"] for line in one.json()["snapshot"]["lines"]] == ["1", "2"]
    assert one.json() == listed.json()[1]
    assert missing.status_code == 404
    line_3 = POLine.objects.get(po=published_po, line_no="3")
    assert (line_3.cancelled, line_3.revision) == (True, 1)


def test_pages_built_from_rows_equal_the_serializer_field_by_field(orders, owner, owner_key, erp):
    """The list and detail build POs from rows for speed; PurchaseOrderOut remains the definition."""
    from api.serializers import PurchaseOrderOut
    from procurement.selectors import purchase_orders_for

    dropped = dataclasses.replace(
        factories.po_input(company="ACME", supplier="BOLTS", plant="DET", number="PO-1001"), revision=1
    )
    dropped = dataclasses.replace(dropped, lines=dropped.lines[:2])
    assert purchase_order_change(po=dropped, source=erp).outcome == "applied"
    orders = purchase_orders_for(actor=owner_key[0].actor)
    expected = {po["id"]: po for po in json.loads(json.dumps(PurchaseOrderOut(orders, many=True).data))}

    page = owner.get(POS, {"page_size": 200}).json()["results"]
    details = [owner.get(f"{POS}{po['id']}/").json() for po in page]

    assert len(page) == 6 and {po["number"] for po in page} == {f"PO-{n}" for n in range(1000, 1006)}
    assert page == [expected[po["id"]] for po in page]
    assert details == page
    cancelled = next(po for po in page if po["number"] == "PO-1001")
    assert [line["cancelled"] for line in cancelled["lines"]] == [False, False, True]
    statuses = {(po["number"], po["status"]) for po in page}
    assert statuses == {
        ("PO-1000", "partially_shipped"),
        ("PO-1001", "awaiting_acknowledgement"),
        ("PO-1002", "changes_proposed"),
        ("PO-1003", "awaiting_acknowledgement"),
        ("PO-1004", "confirmed"),
        ("PO-1005", "awaiting_acknowledgement"),
    }
