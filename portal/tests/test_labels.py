"""GS1-128 shipping labels: one page per pack, the SSCC behind FNC1 and AI 00."""

import re

import pytest

from portal.labels import PackLabel, gs1_128, shipping_labels_pdf
from portal.sscc import SSCCError

SSCC_1 = "106141411234567897"
SSCC_2 = "006141410000000425"


def label(sscc: str, position: int) -> PackLabel:
    return PackLabel(
        sscc=sscc,
        ship_from="Bolts Inc.\n1 Bolt Way\nDetroit",
        ship_to="ACME Manufacturing\nPlant DET",
        shipment_id="ASN-7",
        carrier="UPS",
        tracking_number="1Z999",
        bill_of_lading="BOL-3",
        po_numbers=("PO-1000", "PO-1001"),
        contents=("PART-00001 × 40 EA (lot L1)",),
        position=position,
        count=2,
    )


def test_one_page_per_pack_with_each_ssccs_printed_form():
    pdf = shipping_labels_pdf([label(SSCC_1, 1), label(SSCC_2, 2)])

    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 2
    assert rb"\(00\) 1 0614141 123456789 7" in pdf  # PDF escapes parentheses in strings
    assert rb"\(00\) 0 0614141 000000042 5" in pdf
    assert b"Pack: 2 of 2" in pdf


def test_barcode_is_gs1_128_start_c_fnc1_then_ai_00():
    barcode = gs1_128(SSCC_1)
    barcode.validate()
    barcode.encode()
    # Start C (105), FNC1 (102), then the digits in pairs: 00 | 10 61 41 41 12 34 56 78 97, a check symbol, stop.
    assert barcode.encoded[:12] == [105, 102, 0, 10, 61, 41, 41, 12, 34, 56, 78, 97]
    assert barcode.encoded[-1] == 106


def test_a_pack_with_a_wrong_check_digit_gets_no_label():
    with pytest.raises(SSCCError, match="must be 7"):
        shipping_labels_pdf([label("106141411234567890", 1)])
