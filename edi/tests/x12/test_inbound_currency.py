"""An 810 or 855 without CUR is in the PO's currency: dropped as a partner would, no false exception."""

import pytest

from edi.tests.test_filedrop import drop, filedrop_scan, partner  # noqa: F401  (partner is a fixture)
from edi.tests.x12.samples import isa
from procurement.models import Acknowledgement, Company, InboundDocument, Invoice, ProcurementException


def castings_file(gs01: str, body: list[str], *, isa13: str = "000000031") -> bytes:
    """One interchange from CASTINGS holding one set, shaped like the partners' files in the corpus."""
    segments = [
        isa(isa13=isa13, sender="CASTINGS", receiver="GATEWAY"),
        f"GS*{gs01}*CASTINGS*GATEWAY*20270120*1059*{int(isa13)}*X*004010",
        *body,
        f"SE*{len(body) + 1}*0001",
        f"GE*1*{int(isa13)}",
        f"IEA*1*{isa13}",
    ]
    return "".join(f"{s}~\n" for s in segments).encode()


def invoice_810(*, cur: list[str]) -> list[str]:
    """Two lines of PO-4504 billed at the PO's prices; ``cur`` is the CUR segment, or nothing."""
    return [
        "ST*810*0001",
        "BIG*20270201*CAST-INV-88*20270115*PO-4504",
        *cur,
        "REF*VN*SO-5521",
        "N1*BY*ACME*92*ACME",
        "N1*RE*CASTINGS FOUNDRY*92*CASTINGS",
        "N3*P.O. BOX 222",
        "N4*DALLAS*TX*75201",
        "ITD*01*3*1.000**15**30",
        "DTM*011*20270130",
        "IT1*1*100*EA*10**BP*PART-00001",
        "PID*F****CAST HOUSING",
        "IT1*2*100*EA*10**BP*PART-00002",
        "PID*F****CAST COVER",
        "TDS*200000",
        "CTT*2",
    ]


@pytest.fixture
def two_way(partner):  # noqa: F811
    Company.objects.filter(code="ACME").update(three_way_match=False)
    return partner


def test_an_810_without_cur_is_matched_in_the_pos_currency(two_way):
    drop(two_way, "inv-88.edi", castings_file("IN", invoice_810(cur=[])))

    assert filedrop_scan() == 1

    doc = InboundDocument.objects.get(channel="edi")
    assert (doc.outcome_code, doc.error) == ("processed", "810 0001: applied")
    invoice = Invoice.objects.get()
    assert (invoice.invoice_number, invoice.currency, invoice.match_status, invoice.hold_reason) == (
        "CAST-INV-88",
        "USD",
        "matched",
        "",
    )
    assert ProcurementException.objects.count() == 0


def test_an_810_whose_cur_names_another_currency_is_held(two_way):
    drop(two_way, "inv-88.edi", castings_file("IN", invoice_810(cur=["CUR*SE*EUR"])))

    assert filedrop_scan() == 1

    invoice = Invoice.objects.get()
    assert (invoice.currency, invoice.match_status, invoice.hold_reason) == (
        "EUR",
        "on_hold",
        "currency EUR differs from the PO's USD",
    )
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key) == ("invoice_price_mismatch", f"invoice_currency:{invoice.pk}")


def test_an_810_whose_cur_names_the_pos_currency_is_matched(two_way):
    drop(two_way, "inv-88.edi", castings_file("IN", invoice_810(cur=["CUR*SE*USD"])))

    assert filedrop_scan() == 1

    invoice = Invoice.objects.get()
    assert (invoice.currency, invoice.match_status, invoice.hold_reason) == ("USD", "matched", "")
    assert ProcurementException.objects.count() == 0


def test_an_855_with_prices_and_without_cur_is_applied_without_an_exception(partner):  # noqa: F811
    body = [
        "ST*855*0001",
        "BAK*00*AC*PO-4504*20270120****855-000031",
        "REF*VN*SO-5521",
        "N1*SE*CASTINGS FOUNDRY*92*CASTINGS",
        "N1*ST*ACME DETROIT*92*DET",
        "PO1*1*100*EA*10**BP*PART-00001",
        "PID*F****CAST HOUSING",
        "ACK*IA*100*EA*068*20270301",
        "PO1*2*100*EA*10**BP*PART-00002",
        "PID*F****CAST COVER",
        "ACK*IA*100*EA*068*20270301",
        "CTT*2",
    ]
    drop(partner, "ack-31.edi", castings_file("PR", body))

    assert filedrop_scan() == 1

    doc = InboundDocument.objects.get(channel="edi")
    assert (doc.outcome_code, doc.error) == ("processed", "855 0001: applied")
    ack = Acknowledgement.objects.get()
    assert (ack.channel, ack.header) == ("edi", "ACCEPTED")
    assert ProcurementException.objects.count() == 0
