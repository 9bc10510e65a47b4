"""An 810 with line allowances, charges and taxes, received through the file drop and matched."""

from decimal import Decimal

import pytest

from edi.models import Interchange
from edi.tests.test_filedrop import drop, filedrop_scan, partner  # noqa: F401  (the partner fixture)
from edi.tests.x12.samples import isa
from procurement.models import Invoice, InvoiceLine, ProcurementException
from procurement.services import receipt_record
from procurement.tests import helpers as h


def partner_810(tds: str) -> bytes:
    """An invoice for PO-4504 laid out like a real partner's (heading parties and terms, line SAC
    and TXI among PID/REF/N1 segments, summary AMT and a summary SAC repeating the line freight)."""
    segments = [
        isa(sender="CASTINGS", receiver="GATEWAY", isa13="000000021"),
        "GS*IN*CASTINGS*GATEWAY*20270301*1200*21*X*004010",
        "ST*810*0001",
        "BIG*20270301*INV-810-1*20270115*PO-4504***DI*00",
        "CUR*SE*USD",
        "REF*VN*INV-810-1",
        "N1*BY*ACME*92*ACME",
        "N1*RI*Castings Inc",
        "N3*1 Foundry Road",
        "N4*Detroit*MI*48201*US",
        "ITD*01*3*2**10**30",
        "DTM*011*20270228",
        "IT1*1*100*EA*10**BP*PART-00001",
        "PID*F****Casting grey iron",
        "REF*FJ*1",
        "SAC*N*B840*AB*BUYER*200000*Z*100",
        "SAC*C*G830***2500",
        "SAC*A*C310***1000",
        "TXI*ST*81.20*8",
        "N1*ST*ACME Detroit*92*DET",
        "IT1*2*50*EA*10**BP*PART-00002",
        "PID*F****Casting ductile",
        "SAC*C*G830***1250",
        "TXI*ST*41.00*8",
        f"TDS*{tds}",
        "AMT*1*1500",
        "SAC*C*G830***3750",
        "CTT*2",
        "SE*27*0001",
        "GE*1*21",
        "IEA*1*000000021",
    ]
    return "".join(s + "~\n" for s in segments).encode()


@pytest.fixture
def received(partner):  # noqa: F811
    receipt_record(
        receipt=h.receipt("GR-4504", ("1", "100"), ("2", "100"), po="PO-4504"),
        source=h.source(channel="system", label="system WMS"),
    )
    return partner


def test_an_810_whose_total_counts_its_line_charges_allowances_and_taxes_is_matched(received):
    # Lines 1000 + 500, charges 25 + 12.50, allowance 10, taxes 81.20 + 41.00: 1649.70.
    drop(received, "inv-21.edi", partner_810("164970"))

    assert filedrop_scan() == 1

    invoice = Invoice.objects.get()
    assert (invoice.match_status, invoice.hold_reason, invoice.total) == ("matched", "", Decimal("1649.70"))
    assert ProcurementException.objects.filter(invoice=invoice).count() == 0
    first, second = InvoiceLine.objects.filter(invoice=invoice).order_by("po_line__line_no")
    assert (first.amount, first.match_status) == (Decimal("1000.00"), "matched")
    assert first.charges == [
        {"indicator": "N", "code": "B840", "amount": "2000.00", "percent": "100", "description": ""},
        {"indicator": "C", "code": "G830", "amount": "25.00", "percent": None, "description": ""},
        {"indicator": "A", "code": "C310", "amount": "10.00", "percent": None, "description": ""},
    ]
    assert first.taxes == [{"tax_type": "ST", "amount": "81.20", "percent": "8"}]
    assert (second.charges[0]["amount"], second.taxes[0]["amount"]) == ("12.50", "41.00")
    # The set's outcome lists, by position and ID, the segments the gateway did not use.
    (outcome,) = Interchange.objects.get(direction="in").receipt["sets"]
    assert (outcome["st01"], outcome["outcome"]) == ("810", "applied")
    assert outcome["unused"] == [
        [4, "REF"],
        [6, "N1"],
        [7, "N3"],
        [8, "N4"],
        [9, "ITD"],
        [10, "DTM"],
        [12, "PID"],
        [13, "REF"],
        [18, "N1"],
        [20, "PID"],
        [24, "AMT"],
        [25, "SAC"],
        [26, "CTT"],
    ]


def test_an_810_whose_total_is_off_is_held_naming_the_computed_and_stated_totals(received):
    drop(received, "inv-21.edi", partner_810("165970"))

    assert filedrop_scan() == 1

    invoice = Invoice.objects.get()
    reason = (
        "total 1659.70 does not equal the lines with the charges, allowances and taxes 1649.70 "
        "(lines 1500.00 + charges 37.50 - allowances 10.00 + taxes 122.20)"
    )
    assert (invoice.match_status, invoice.hold_reason) == ("on_hold", reason)
    exception = ProcurementException.objects.get(invoice=invoice)
    assert (exception.kind, exception.po_line, exception.supplier_message) == ("invoice_price_mismatch", None, reason)
    assert {k: exception.evidence[k] for k in ("expected", "actual", "charges", "allowances", "taxes")} == {
        "expected": "1649.70",
        "actual": "1659.70",
        "charges": "37.50",
        "allowances": "10",
        "taxes": "122.20",
    }


def test_a_summary_freight_of_its_own_and_a_tax_on_the_whole_invoice_count_in_its_total(received):
    # The line freight (25 + 12.50) is not repeated; the summary bills 40 handling once and
    # 5 % tax on the lines' 1500: 1649.70 + 40 + 75 = 1764.70.
    text = partner_810("176470").decode()
    text = text.replace(
        "AMT*1*1500~\nSAC*C*G830***3750~", "TXI*ST**5~\nAMT*1*1500~\nSAC*C*H000***4000**********HANDLING~"
    )
    text = text.replace("SE*27*0001", "SE*28*0001")
    drop(received, "inv-22.edi", text.encode())

    assert filedrop_scan() == 1

    invoice = Invoice.objects.get()
    assert (invoice.match_status, invoice.hold_reason, invoice.total) == ("matched", "", Decimal("1764.70"))
    assert invoice.charges == [
        {"indicator": "C", "code": "H000", "amount": "40.00", "percent": None, "description": "HANDLING"}
    ]
    assert invoice.taxes == [{"tax_type": "ST", "amount": "75.00", "percent": "5"}]
    assert ProcurementException.objects.filter(invoice=invoice).count() == 0
    (outcome,) = Interchange.objects.get(direction="in").receipt["sets"]
    assert outcome["outcome"] == "applied"
    assert outcome["unused"][-2:] == [[25, "AMT"], [27, "CTT"]]


def test_a_summary_repeat_of_the_line_freight_is_not_counted_twice(received):
    drop(received, "inv-21.edi", partner_810("164970"))

    assert filedrop_scan() == 1

    # The summary SAC*C*G830 of 37.50 is the lines' 25 + 12.50 again: TDS counts it once.
    invoice = Invoice.objects.get()
    assert (invoice.match_status, invoice.total, invoice.charges, invoice.taxes) == (
        "matched",
        Decimal("1649.70"),
        [],
        [],
    )


def test_a_summary_charge_equal_to_the_line_freight_that_tds_counts_is_a_charge_of_its_own(received):
    # The same summary SAC, but the partner's TDS counts it: 1649.70 + 37.50 = 1687.20.
    drop(received, "inv-21.edi", partner_810("168720"))

    assert filedrop_scan() == 1

    invoice = Invoice.objects.get()
    assert (invoice.match_status, invoice.total) == ("matched", Decimal("1687.20"))
    assert invoice.charges == [
        {"indicator": "C", "code": "G830", "amount": "37.50", "percent": None, "description": ""}
    ]
    (outcome,) = Interchange.objects.get(direction="in").receipt["sets"]
    assert [25, "SAC"] not in outcome["unused"]


def test_a_total_that_neither_reading_of_the_summary_explains_is_held_not_absorbed(received):
    # Neither 1649.70 (the summary freight a repeat) nor 1687.20 (a charge of its own).
    drop(received, "inv-21.edi", partner_810("170000"))

    assert filedrop_scan() == 1

    invoice = Invoice.objects.get()
    assert (invoice.match_status, invoice.charges) == ("on_hold", [])
    assert invoice.hold_reason == (
        "total 1700.00 does not equal the lines with the charges, allowances and taxes 1649.70 "
        "(lines 1500.00 + charges 37.50 - allowances 10.00 + taxes 122.20)"
    )
    assert ProcurementException.objects.filter(invoice=invoice, kind="invoice_price_mismatch").count() == 1
