"""What a supplier may see: its exceptions as told to it, its documents with their exceptions, held invoices."""

import datetime as dt
from decimal import Decimal

import pytest

from procurement import inputs
from procurement.models import ProcurementException
from procurement.services import WriteSource, exception_dismiss, invoice_record

from .conftest import invoice_body, price_change_ack, results

SUPPLIER_EXCEPTION_FIELDS = ["id", "kind", "state", "po_number", "line_no", "message", "raised_at", "resolved_at"]


def test_a_supplier_sees_only_the_message_meant_for_it(published_po, owner, buyer):
    created = owner.post("/api/v1/acknowledgements/", price_change_ack())
    exception = ProcurementException.objects.get()
    exception_dismiss(
        exception_id=exception.pk,
        source=WriteSource(channel="portal", label="buyer", actor=buyer),
        reason="INTERNAL: BOLTS is on the watch list",
    )
    exception.refresh_from_db()

    listed = owner.get("/api/v1/exceptions/")

    assert exception.summary == "PO-1000 line 2: price 13.50 instead of 10.00"
    assert exception.evidence["expected"] == "10"
    (shown,) = results(listed)
    assert list(shown) == SUPPLIER_EXCEPTION_FIELDS
    assert (shown["id"], shown["kind"], shown["state"], shown["po_number"], shown["line_no"], shown["message"]) == (
        exception.pk,
        "price_deviation",
        "dismissed",
        "PO-1000",
        "2",
        "price 13.50 instead of 10.00",
    )
    assert shown["resolved_at"] is not None
    for answer in (created, listed):
        assert b"watch list" not in answer.content
        assert b"evidence" not in answer.content
        assert b"summary" not in answer.content
        assert b"severity" not in answer.content
    (raised,) = created.json()["exceptions"]
    assert list(raised) == SUPPLIER_EXCEPTION_FIELDS
    assert raised["message"] == "price 13.50 instead of 10.00"


def test_the_buyers_systems_see_the_whole_exception(published_po, owner, system):
    owner.post("/api/v1/acknowledgements/", price_change_ack())

    (shown,) = results(system.get("/api/v1/system/exceptions/"))

    assert (shown["summary"], shown["severity"], shown["supplier"]) == (
        "PO-1000 line 2: price 13.50 instead of 10.00",
        "financial_mismatch",
        "BOLTS",
    )
    assert shown["evidence"]["actual"] == "13.500000"


@pytest.fixture
def one_open_one_dismissed(published_po, owner, buyer):
    """An invoice quantity mismatch left open and a price deviation the buyer dismissed."""
    owner.post("/api/v1/acknowledgements/", price_change_ack())
    owner.post("/api/v1/invoices/", invoice_body())
    price = ProcurementException.objects.get(kind="price_deviation")
    exception_dismiss(
        exception_id=price.pk, source=WriteSource(channel="portal", label="buyer", actor=buyer), reason="ok"
    )


def kinds_listed(api, path: str, params: dict) -> list[str]:
    return sorted(e["kind"] for e in results(api.get(path, params)))


def test_system_exceptions_filter_by_state_and_severity(one_open_one_dismissed, system):
    def kinds(params):
        return kinds_listed(system, "/api/v1/system/exceptions/", params)

    assert kinds({}) == ["invoice_quantity_mismatch", "price_deviation"]
    assert kinds({"state": "open"}) == ["invoice_quantity_mismatch"]
    assert kinds({"state": "dismissed"}) == ["price_deviation"]
    assert kinds({"severity": "financial_mismatch"}) == ["invoice_quantity_mismatch", "price_deviation"]
    assert kinds({"severity": "production_stop"}) == []


def test_suppliers_filter_their_exceptions_by_state(one_open_one_dismissed, owner):
    def kinds(params):
        return kinds_listed(owner, "/api/v1/exceptions/", params)

    assert kinds({}) == ["invoice_quantity_mismatch", "price_deviation"]
    assert kinds({"state": "open"}) == ["invoice_quantity_mismatch"]
    assert kinds({"state": "dismissed"}) == ["price_deviation"]


@pytest.mark.parametrize(
    ("persona", "path", "name"),
    [
        ("owner", "/api/v1/exceptions/", "state"),
        ("system", "/api/v1/system/exceptions/", "state"),
        ("system", "/api/v1/system/exceptions/", "severity"),
    ],
)
def test_an_unknown_filter_value_is_a_400_naming_the_choices(published_po, persona, path, name, request):
    response = request.getfixturevalue(persona).get(path, {name: "urgent"})

    choices = {
        "state": "open, in_progress, resolved, dismissed",
        "severity": "production_stop, procurement_delay, financial_mismatch, data_quality",
    }
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": name, "message": f"must be one of {choices[name]}", "code": "invalid"}
    ]


def test_documents_list_shows_the_exceptions_each_document_raised(published_po, owner):
    ack = owner.post("/api/v1/acknowledgements/", price_change_ack())
    invoice = owner.post("/api/v1/invoices/", invoice_body())

    listed = results(owner.get("/api/v1/documents/"))
    one = owner.get(f"/api/v1/documents/{ack.json()['document']}/")

    assert [d["id"] for d in listed] == [invoice.json()["document"], ack.json()["document"]]
    assert [(e["kind"], e["message"]) for e in listed[1]["exceptions"]] == [
        ("price_deviation", "price 13.50 instead of 10.00")
    ]
    assert [e["kind"] for e in listed[0]["exceptions"]] == ["invoice_quantity_mismatch"]
    assert all(list(e) == SUPPLIER_EXCEPTION_FIELDS for d in listed for e in d["exceptions"])
    assert one.status_code == 200
    assert one.json() == listed[1]
    assert "content" not in one.json()


def test_an_invoice_on_hold_says_why(published_po, owner):
    created = owner.post("/api/v1/invoices/", invoice_body())

    listed = results(owner.get("/api/v1/invoices/"))
    one = owner.get(f"/api/v1/invoices/{created.json()['record']}/")

    assert one.status_code == 200
    invoice = one.json()
    assert (invoice["invoice_number"], invoice["po_number"], invoice["match_status"]) == ("INV-1", "PO-1000", "on_hold")
    assert invoice["hold_reason"] == "line 1: 40 invoiced in all against 0 received"
    assert invoice["total"] == "400.00"
    assert invoice["lines"] == [
        {
            "line_no": "1",
            "quantity": "40.0000",
            "unit_price": "10.000000",
            "amount": "400.00",
            "charges": [],
            "taxes": [],
            "match_status": "exception",
        }
    ]
    assert listed == [invoice]


def test_an_invoice_shows_its_line_allowances_charges_and_taxes(published_po, owner, supplier):
    line = inputs.InvoiceLineInput(
        line_no="1",
        quantity=Decimal("40"),
        unit_price=Decimal("10"),
        charges=(
            inputs.InvoiceChargeInput(indicator="C", code="G830", amount=Decimal("25.00"), description="Freight"),
            inputs.InvoiceChargeInput(indicator="A", code="C310", percent=Decimal("2")),
        ),
        taxes=(inputs.InvoiceTaxInput(tax_type="ST", amount=Decimal("33.36"), percent=Decimal("8")),),
    )
    invoice = inputs.InvoiceInput(
        invoice_number="INV-810-7",
        po_number="PO-1000",
        invoice_date=dt.date(2027, 3, 5),
        currency="USD",
        lines=(line,),
        total=Decimal("450.36"),
    )
    record = invoice_record(supplier=supplier, invoice=invoice, source=WriteSource(channel="edi", label="BOLTS")).record

    shown = owner.get(f"/api/v1/invoices/{record.pk}/").json()

    # 400 + 25 freight - 8 (2 % allowance) + 33.36 tax: the total is not what holds it.
    assert (shown["total"], shown["hold_reason"]) == ("450.36", "line 1: 40 invoiced in all against 0 received")
    assert shown["lines"][0]["charges"] == [
        {"indicator": "C", "code": "G830", "amount": "25.00", "percent": None, "description": "Freight"},
        {"indicator": "A", "code": "C310", "amount": "8.00", "percent": "2.0000", "description": ""},
    ]
    assert shown["lines"][0]["taxes"] == [{"tax_type": "ST", "amount": "33.36", "percent": "8.0000"}]


def test_an_invoice_sent_through_the_api_carries_charges_and_taxes_on_its_lines_and_as_a_whole(published_po, owner):
    body = invoice_body()
    body["lines"][0]["charges"] = [{"indicator": "A", "code": "C310", "percent": "2"}]
    body["lines"][0]["taxes"] = [{"tax_type": "ST", "amount": "31.36"}]
    body["charges"] = [{"indicator": "C", "code": "G830", "amount": "25.00", "description": "Freight"}]
    body["taxes"] = [{"tax_type": "LS", "percent": "1"}]
    # 400 - 8 (2 % of the line) + 31.36 + 25 freight + 4 (1 % of the lines): 452.36.
    body["total"] = "452.36"

    created = owner.post("/api/v1/invoices/", body)
    shown = owner.get(f"/api/v1/invoices/{created.json()['record']}/").json()

    assert created.status_code == 201
    # The total adds up: only the quantity not yet received holds it.
    assert (shown["total"], shown["hold_reason"]) == ("452.36", "line 1: 40 invoiced in all against 0 received")
    assert shown["charges"] == [
        {"indicator": "C", "code": "G830", "amount": "25.00", "percent": None, "description": "Freight"}
    ]
    assert shown["taxes"] == [{"tax_type": "LS", "amount": "4.00", "percent": "1.0000"}]
    assert shown["lines"][0]["charges"] == [
        {"indicator": "A", "code": "C310", "amount": "8.00", "percent": "2.0000", "description": ""}
    ]
    assert shown["lines"][0]["taxes"] == [{"tax_type": "ST", "amount": "31.36", "percent": None}]


def test_an_invoice_whose_total_leaves_out_its_own_freight_is_held_for_it(published_po, owner):
    body = invoice_body()
    body["charges"] = [{"indicator": "C", "code": "G830", "amount": "25.00"}]
    body["total"] = "400.00"

    created = owner.post("/api/v1/invoices/", body)
    shown = owner.get(f"/api/v1/invoices/{created.json()['record']}/").json()

    assert shown["hold_reason"] == (
        "line 1: 40 invoiced in all against 0 received; "
        "total 400.00 does not equal the lines with the charges, allowances and taxes 425.00 "
        "(lines 400.00 + charges 25.00 - allowances 0.00 + taxes 0.00)"
    )


@pytest.mark.parametrize(
    "charge",
    [{"indicator": "C", "code": "G830"}, {"indicator": "X", "code": "G830", "amount": "1"}],
    ids=["neither-amount-nor-percent", "unknown-indicator"],
)
def test_an_invoice_charge_without_an_amount_or_with_an_unknown_indicator_is_refused(published_po, owner, charge):
    body = invoice_body()
    body["charges"] = [charge]

    response = owner.post("/api/v1/invoices/", body)
    listed = results(owner.get("/api/v1/invoices/"))

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert listed == []
