"""Files shaped like real partners' 855, 856, 810, 997 and 999, dropped into the inbox: each is
applied exactly as its sender meant, or refused with a precise reason, recorded and answered.

The files (``partner_shapes/``) answer PO-4504 (two lines of 100 EA at 10.00 USD, parts
PART-00001 and PART-00002, needed 2027-03-01) and our 850 for it (ISA13 1, GS06 1). They vary
what partners' translators vary: X12 release (003060, 004010, 005010), delimiters and line ends,
envelopes with several groups and sets, leading zeros and padded values, qualifier order, six-
and eight-digit dates, hierarchies (S/O/P/I, S/O/T/P/I, S/I), MAN*GM labels with their AI.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from edi.models import FunctionalGroup, Interchange
from edi.tests.test_filedrop import drop, filedrop_scan, partner  # noqa: F401  (the partner fixture)
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from portal.views.shipments import shipment_labels_of
from procurement.models import (
    AcknowledgementLine,
    Company,
    InboundDocument,
    Invoice,
    POLine,
    ProcurementException,
    ScheduleLine,
    Shipment,
    ShipmentLine,
    ShipmentPack,
    UomConversion,
)

SHAPES = Path(__file__).resolve().parent / "partner_shapes"


def receive(partner, name: str) -> InboundDocument:  # noqa: F811
    drop(partner, name, (SHAPES / name).read_bytes())
    assert filedrop_scan() == 1
    return InboundDocument.objects.get(channel="edi")


def exceptions() -> list[tuple[str, str]]:
    return list(ProcurementException.objects.order_by("pk").values_list("kind", "summary"))


def lines() -> list[tuple]:
    fields = ("line_no", "confirmed_quantity", "confirmed_price", "promised_date", "shipped_quantity")
    return list(POLine.objects.order_by("line_no").values_list(*fields))


def our_answer() -> tuple[str, str]:
    """The kind of our answer and the code it gives the partner's group."""
    (message,) = OutboundMessage.objects.filter(event__startswith="x12.")
    (group,) = FunctionalGroup.objects.filter(interchange__direction="in")
    return message.payload["kind"], group.ack_code


UNTOUCHED = [
    ("1", None, None, None, Decimal("0")),
    ("2", None, None, None, Decimal("0")),
]


@pytest.fixture
def two_way(partner):  # noqa: F811
    Company.objects.filter(code="ACME").update(three_way_match=False)
    return partner


@pytest.fixture
def sent_850(partner):  # noqa: F811
    outbox_message_deliver(message_id=OutboundMessage.objects.get(event="po.published").pk)
    return partner


# 855 ----------------------------------------------------------------------------------------


def test_an_855_splitting_a_line_in_two_and_shortening_another_is_applied_as_sent(partner):  # noqa: F811
    document = receive(partner, "855_4010_schedule_and_short_line.edi")

    assert (document.outcome_code, document.error) == ("processed", "855 0001: applied")
    assert lines() == [
        ("1", Decimal("100"), Decimal("10"), dt.date(2027, 2, 22), Decimal("0")),
        ("2", Decimal("80"), Decimal("10"), dt.date(2027, 3, 1), Decimal("0")),
    ]
    assert list(ScheduleLine.objects.order_by("position").values_list("po_line__line_no", "quantity", "date")) == [
        ("1", Decimal("60"), dt.date(2027, 2, 22)),
        ("1", Decimal("40"), dt.date(2027, 3, 1)),
    ]
    assert exceptions() == [
        ("date_deviation", "PO-4504 line 1: promised 60 on 2027-02-22 for need-by 2027-03-01"),
        ("quantity_deviation", "PO-4504 line 2: quantity 80 instead of 100"),
    ]
    assert our_answer() == ("997", "A")


def test_a_pipe_separated_005010_855_on_one_line_is_applied_and_answered_with_a_999(partner):  # noqa: F811
    document = receive(partner, "855_5010_pipe_one_line.edi")

    assert (document.outcome_code, document.error) == ("processed", "855 0001: applied")
    assert lines() == [
        ("1", Decimal("100"), Decimal("10"), dt.date(2027, 3, 1), Decimal("0")),
        ("2", Decimal("100"), Decimal("10"), dt.date(2027, 3, 1), Decimal("0")),
    ]
    assert list(AcknowledgementLine.objects.order_by("po_line__line_no").values_list("response", "raw_code")) == [
        ("ACCEPT", "IA"),
        ("ACCEPT", "IA"),
    ]
    assert exceptions() == []
    assert our_answer() == ("999", "A")


def test_a_003060_855_with_six_digit_dates_is_read_in_its_century(partner):  # noqa: F811
    document = receive(partner, "855_3060_six_digit_dates.edi")

    assert (document.outcome_code, document.error) == ("processed", "855 0001: applied")
    assert lines() == [
        ("1", Decimal("100"), Decimal("10"), dt.date(2027, 3, 1), Decimal("0")),
        ("2", Decimal("100"), Decimal("10"), dt.date(2027, 3, 5), Decimal("0")),
    ]
    assert exceptions() == [("date_deviation", "PO-4504 line 2: promised 2027-03-05 for need-by 2027-03-01")]
    assert our_answer() == ("997", "A")


def test_an_855_priced_in_another_currency_than_the_pos_is_refused(partner):  # noqa: F811
    document = receive(partner, "855_cur_eur_prices.edi")

    reason = "acknowledgement SO-88124 of PO-4504: its prices are in EUR, the PO's in USD; nothing was applied"
    assert (document.outcome_code, document.error) == ("refused", f"855 0001: refused (unit_mismatch: {reason})")
    assert lines() == UNTOUCHED
    assert exceptions() == [("invalid_document", reason)]
    assert our_answer() == ("997", "A")


def test_an_855_confirming_a_line_in_another_unit_is_refused(partner):  # noqa: F811
    document = receive(partner, "855_quantity_in_cases.edi")

    reason = "acknowledgement SO-88125 of PO-4504: line 1 is in EA, the answer's quantity is in CA; nothing was applied"
    assert (document.outcome_code, document.error) == ("refused", f"855 0001: refused (unit_mismatch: {reason})")
    assert lines() == UNTOUCHED
    assert AcknowledgementLine.objects.count() == 0
    assert exceptions() == [("invalid_document", reason)]


def test_an_855_naming_a_zero_padded_line_number_answers_that_line(partner):  # noqa: F811
    document = receive(partner, "855_zero_padded_line.edi")

    # PO1*001 is line 1: partners' translators pad line numbers and mean the same line. Line 2,
    # not named, takes the header's "accepted" (BAK02 AC).
    assert (document.outcome_code, document.error) == ("processed", "855 0001: applied")
    assert lines() == [
        ("1", Decimal("100"), Decimal("10"), dt.date(2027, 3, 1), Decimal("0")),
        ("2", Decimal("100"), Decimal("10"), dt.date(2027, 3, 1), Decimal("0")),
    ]
    assert list(AcknowledgementLine.objects.order_by("pk").values_list("po_line__line_no", "raw_code")) == [
        ("1", "IA"),
        ("2", ""),
    ]
    assert exceptions() == []
    assert our_answer() == ("997", "A")


def test_an_855_answering_one_line_as_1_and_as_001_is_refused(partner):  # noqa: F811
    content = (SHAPES / "855_zero_padded_line.edi").read_text()
    twice = content.replace(
        "ACK*IA*100*EA*068*20270301~", "ACK*IA*100*EA*068*20270301~PO1*1*100*EA*10**BP*PART-00001~ACK*IA*100*EA~"
    ).replace("SE*5*0001~", "SE*7*0001~")
    drop(partner, "855_twice.edi", twice.encode())
    assert filedrop_scan() == 1
    document = InboundDocument.objects.get(channel="edi")

    reason = "line 1 is answered twice (as 001 and 1)"
    assert (document.outcome_code, document.error) == ("refused", f"855 0001: refused (invalid: {reason})")
    assert lines() == UNTOUCHED
    assert exceptions() == []  # as any answer naming a line twice: refused, the set itself well formed
    assert our_answer() == ("997", "A")


def test_an_855_splitting_a_line_into_parts_in_different_units_is_refused(partner):  # noqa: F811
    document = receive(partner, "855_split_in_two_units.edi")

    reason = "line 1: its ACKs give quantities in different units (EA, CA)"
    assert (document.outcome_code, document.error) == ("refused", f"855 0001: rejected ({reason})")
    assert lines() == UNTOUCHED
    assert exceptions() == [("invalid_document", f"855 0001 could not be applied: {reason}")]


# 856 ----------------------------------------------------------------------------------------


def test_an_856_with_gm_labels_and_pl_line_numbers_ships_each_line_in_its_cartons(partner):  # noqa: F811
    document = receive(partner, "856_sopi_gm_labels_pl_lines.edi")

    assert (document.outcome_code, document.error) == ("processed", "856 0001: applied")
    shipment = Shipment.objects.get()
    assert (shipment.shipment_id, shipment.ship_date, shipment.expected_delivery, shipment.carrier) == (
        "ASN-4504-1",
        dt.date(2027, 1, 25),
        dt.date(2027, 1, 28),
        "RDWY",
    )
    # MAN*GM carries the SSCC behind its Application Identifier 00: the pack is the 18-digit SSCC.
    assert sorted(ShipmentPack.objects.values_list("sscc", flat=True)) == [
        "012345678900000017",
        "012345678900000024",
    ]
    assert list(ShipmentLine.objects.order_by("pk").values_list("po_line__line_no", "quantity", "pack__sscc")) == [
        ("1", Decimal("60"), "012345678900000017"),
        ("1", Decimal("40"), "012345678900000024"),
        ("2", Decimal("100"), "012345678900000024"),
    ]
    assert [row[4] for row in lines()] == [Decimal("100"), Decimal("100")]
    assert our_answer() == ("997", "A")


def test_an_856_with_padded_line_numbers_and_units_in_lower_case_is_applied_as_sent(partner):  # noqa: F811
    document = receive(partner, "856_padded_lines_lower_case_units.edi")

    # LIN*0001 and LIN*002 name lines 1 and 2; "ea" and "Ea" are EA.
    assert (document.outcome_code, document.error) == ("processed", "856 0001: applied")
    assert list(ShipmentLine.objects.order_by("pk").values_list("po_line__line_no", "quantity", "pack__sscc")) == [
        ("1", Decimal("60"), "012345678900000017"),
        ("1", Decimal("40"), "012345678900000024"),
        ("2", Decimal("100"), "012345678900000024"),
    ]
    assert [row[4] for row in lines()] == [Decimal("100"), Decimal("100")]
    assert exceptions() == [  # the PO was never acknowledged: what any notice shipping it raises
        ("asn_without_ack", "PO-4504 line 1: shipped before the line was acknowledged (ship notice ASN-4504-8)"),
        ("asn_without_ack", "PO-4504 line 2: shipped before the line was acknowledged (ship notice ASN-4504-8)"),
    ]
    assert our_answer() == ("997", "A")


def test_an_856_naming_one_line_as_1_and_as_0001_is_refused_saying_so(partner):  # noqa: F811
    content = (SHAPES / "856_padded_lines_lower_case_units.edi").read_text()
    first, second = content.split("LIN*0001*", 1)  # the second carton names line 1 as "1"
    drop(partner, "856_two_ways.edi", (first + "LIN*0001*" + second.replace("LIN*0001*", "LIN*1*", 1)).encode())
    assert filedrop_scan() == 1
    document = InboundDocument.objects.get(channel="edi")

    reason = "ship notice ASN-4504-8: PO-4504 line 1 is named in two ways (1 and 0001)"
    assert (document.outcome_code, document.error) == ("refused", f"856 0001: refused (invalid: {reason})")
    assert not Shipment.objects.exists()
    assert [row[4] for row in lines()] == [Decimal("0"), Decimal("0")]


def test_an_856_with_a_pallet_level_ships_the_cartons_on_it(partner):  # noqa: F811
    document = receive(partner, "856_pallet_tare_level.edi")

    assert (document.outcome_code, document.error) == ("processed", "856 0001: applied")
    assert sorted(ShipmentPack.objects.values_list("sscc", flat=True)) == [
        "000123456789000031",
        "000123456789000048",
        "000123456789000055",
    ]
    assert list(ShipmentLine.objects.order_by("pk").values_list("po_line__line_no", "quantity", "pack__sscc")) == [
        ("1", Decimal("50"), "000123456789000048"),
        ("1", Decimal("50"), "000123456789000055"),
    ]
    # The tare level's SSCC is the pallet the two cartons travel on, not an empty pack of its own.
    assert list(ShipmentPack.objects.order_by("sscc").values_list("sscc", "parent__sscc")) == [
        ("000123456789000031", None),
        ("000123456789000048", "000123456789000031"),
        ("000123456789000055", "000123456789000031"),
    ]
    pallet = ShipmentPack.objects.get(sscc="000123456789000031")
    assert (pallet.lines.count(), pallet.contents.count()) == (0, 2)
    # Its label lists what travels on it.
    assert [(label.sscc, label.contents) for label in shipment_labels_of(Shipment.objects.get())] == [
        ("000123456789000031", ("PO-4504/1 PART-00001 × 50 EA", "PO-4504/1 PART-00001 × 50 EA")),
        ("000123456789000048", ("PO-4504/1 PART-00001 × 50 EA",)),
        ("000123456789000055", ("PO-4504/1 PART-00001 × 50 EA",)),
    ]
    assert exceptions() == [
        ("asn_without_ack", "PO-4504 line 1: shipped before the line was acknowledged (ship notice ASN-4504-2)")
    ]


def test_an_856_cancelling_an_applied_ship_notice_is_refused_saying_so(partner):  # noqa: F811
    receive(partner, "856_pallet_tare_level.edi")
    drop(partner, "856_cancels_pallet_notice.edi", (SHAPES / "856_cancels_pallet_notice.edi").read_bytes())

    assert filedrop_scan() == 1

    cancel = InboundDocument.objects.filter(channel="edi").order_by("pk").last()
    reason = (
        "BSN01 '01' (cancellation) asks to take back ship notice ASN-4504-2; "
        "the gateway takes nothing back from a file, so nothing was applied"
    )
    assert (cancel.outcome_code, cancel.error) == ("refused", f"856 0001: rejected ({reason})")
    assert Shipment.objects.count() == 1
    assert [row[4] for row in lines()] == [Decimal("100"), Decimal("0")]
    assert exceptions()[-1] == ("invalid_document", f"856 0001 could not be applied: {reason}")


def test_an_856_naming_another_lines_part_is_refused_naming_both(partner):  # noqa: F811
    document = receive(partner, "856_line_naming_another_part.edi")

    reason = (
        "ship notice ASN-4504-9: PO-4504 line 1 is part PART-00001, the document names PART-00002; nothing was applied"
    )
    assert (document.outcome_code, document.error) == ("refused", f"856 0001: refused (part_mismatch: {reason})")
    assert Shipment.objects.count() == 0
    assert lines() == UNTOUCHED
    assert exceptions() == [("invalid_document", reason)]


def test_a_retail_856_naming_items_by_upc_and_buyer_part_ships_the_lines_of_those_parts(partner):  # noqa: F811
    document = receive(partner, "856_retail_items_by_part.edi")

    # LIN without LIN01 or PL, SN1 without SN101: BP PART-00002 and IN PART-00001 name lines 2 and 1.
    assert (document.outcome_code, document.error) == ("processed", "856 0001: applied")
    assert list(ShipmentLine.objects.order_by("pk").values_list("po_line__line_no", "quantity", "pack__sscc")) == [
        ("2", Decimal("40"), "000123456789000062"),
        ("1", Decimal("100"), "000123456789000062"),
    ]
    assert [row[4] for row in lines()] == [Decimal("100"), Decimal("40")]


def test_a_retail_856_item_with_a_upc_alone_is_rejected_naming_what_it_lacks(partner):  # noqa: F811
    document = receive(partner, "856_retail_upc_only.edi")

    reason = (
        "item HL 4 names its PO line by neither LIN PL, LIN01, SN101 nor a buyer's part number "
        "(BP, IN, PN, CB, SK) (UP 012345678912, VN CAST-2 name no PO line)"
    )
    assert (document.outcome_code, document.error) == ("refused", f"856 0001: rejected ({reason})")
    assert not Shipment.objects.exists()
    assert [row[4] for row in lines()] == [Decimal("0"), Decimal("0")]
    assert exceptions() == [("invalid_document", f"856 0001 could not be applied: {reason}")]


# 810 ----------------------------------------------------------------------------------------


def test_two_groups_of_three_sets_in_one_interchange_are_each_applied_and_answered(two_way):
    document = receive(two_way, "810_856_two_groups_three_sets.edi")

    assert (document.outcome_code, document.error) == (
        "processed",
        "810 0001: applied; 810 0002: applied; 856 0001: applied",
    )
    assert list(Invoice.objects.order_by("invoice_number").values_list("invoice_number", "total", "match_status")) == [
        ("INV-4504-A", Decimal("500"), "matched"),
        ("INV-4504-B", Decimal("500"), "matched"),
    ]
    assert list(ShipmentLine.objects.values_list("po_line__line_no", "quantity")) == [("2", Decimal("25"))]
    groups = FunctionalGroup.objects.filter(interchange__direction="in").order_by("gs06")
    assert list(groups.values_list("gs01", "gs06", "ack_code")) == [("IN", "6090", "A"), ("SH", "6091", "A")]
    (answer,) = OutboundMessage.objects.filter(event__startswith="x12.")
    assert (answer.event, answer.payload["answers_isa13"]) == ("x12.997", "000000609")


def test_an_810_with_a_line_allowance_and_a_line_tax_and_no_cur_is_matched(two_way):
    document = receive(two_way, "810_line_allowance_and_tax.edi")

    assert (document.outcome_code, document.error) == ("processed", "810 0001: applied")
    invoice = Invoice.objects.get()
    # Lines 1000 + 1000, allowance 50.00 on line 1, tax 80.00 on line 2.
    assert (invoice.total, invoice.currency, invoice.match_status, invoice.hold_reason) == (
        Decimal("2030"),
        "USD",
        "matched",
        "",
    )
    assert exceptions() == []
    (outcome,) = Interchange.objects.get(direction="in").receipt["sets"]
    assert outcome["unused"] == [[3, "REF"], [4, "N1"], [5, "ITD"], [6, "DTM"], [8, "PID"], [13, "AMT"], [14, "CTT"]]


def test_an_810_whose_tds_has_a_decimal_point_is_rejected_in_its_997(two_way):
    document = receive(two_way, "810_tds_with_decimal_point.edi")

    assert (document.outcome_code, document.error) == ("refused", "810 0001: rejected (TDS has data element errors)")
    assert Invoice.objects.count() == 0
    assert exceptions() == [("edi_syntax", "810 0001 rejected: TDS has data element errors")]
    assert our_answer() == ("997", "R")


def test_an_810_in_another_currency_is_held_saying_so(two_way):
    document = receive(two_way, "810_cur_cad.edi")

    assert (document.outcome_code, document.error) == ("processed", "810 0001: applied")
    invoice = Invoice.objects.get()
    assert (invoice.currency, invoice.match_status, invoice.hold_reason) == (
        "CAD",
        "on_hold",
        "currency CAD differs from the PO's USD",
    )


def test_an_810_cancelled_by_its_purpose_code_is_refused_saying_so(two_way):
    document = receive(two_way, "810_big08_cancellation.edi")

    reason = (
        "BIG08 '01' (cancellation) asks to take back invoice INV-4504-A; "
        "the gateway takes nothing back from a file, so nothing was applied"
    )
    assert (document.outcome_code, document.error) == ("refused", f"810 0001: rejected ({reason})")
    assert Invoice.objects.count() == 0
    assert exceptions() == [("invalid_document", f"810 0001 could not be applied: {reason}")]


def test_an_810_naming_another_lines_part_is_refused_and_a_upc_alone_is_not_checked(two_way):
    document = receive(two_way, "810_line_naming_another_part.edi")

    reason = "invoice INV-4504-F: PO-4504 line 2 is part PART-00002, the document names PART-00001; nothing was applied"
    assert (document.outcome_code, document.error) == ("refused", f"810 0001: refused (part_mismatch: {reason})")
    assert Invoice.objects.count() == 0
    assert exceptions() == [("invalid_document", reason)]


def test_an_810_billing_a_line_in_cases_is_matched_in_the_lines_unit(two_way):
    item = POLine.objects.get(line_no="1").item
    UomConversion.objects.create(item=item, uom="CA", factor=Decimal("10"))
    document = receive(two_way, "810_billed_in_cases.edi")

    # 10 CA at 100.00 on line 1 (in EA, 10 to the case) is 100 EA at 10.00; "ea" on line 2 is EA.
    assert (document.outcome_code, document.error) == ("processed", "810 0001: applied")
    invoice = Invoice.objects.get()
    assert (invoice.total, invoice.match_status, invoice.hold_reason) == (Decimal("2000"), "matched", "")
    assert list(invoice.lines.order_by("po_line__line_no").values_list("quantity", "unit_price", "amount")) == [
        (Decimal("100"), Decimal("10"), Decimal("1000")),
        (Decimal("100"), Decimal("10"), Decimal("1000")),
    ]
    assert list(POLine.objects.order_by("line_no").values_list("invoiced_quantity", flat=True)) == [
        Decimal("100"),
        Decimal("100"),
    ]
    assert exceptions() == []


def test_an_810_billing_a_line_in_cases_without_a_conversion_is_refused_naming_both_units(two_way):
    document = receive(two_way, "810_billed_in_cases.edi")

    reason = (
        "invoice INV-4504-G: PO-4504 line 1 is in EA, the invoice bills it in CA "
        "and part PART-00001 has no conversion between them; nothing was applied"
    )
    assert (document.outcome_code, document.error) == ("refused", f"810 0001: refused (unit_mismatch: {reason})")
    assert Invoice.objects.count() == 0
    assert list(POLine.objects.values_list("invoiced_quantity", flat=True)) == [Decimal("0"), Decimal("0")]
    assert exceptions() == [("invalid_document", reason)]


def test_an_810_naming_its_lines_by_buyer_part_without_line_numbers_bills_those_lines(two_way):
    document = receive(two_way, "810_lines_named_by_buyer_part.edi")

    # No IT101 and the PO in REF*PO: IN PART-00002 is line 2, BP PART-00001 line 1, in any order.
    assert (document.outcome_code, document.error) == ("processed", "810 0001: applied")
    invoice = Invoice.objects.get()
    assert (invoice.total, invoice.match_status) == (Decimal("1400"), "matched")
    assert list(invoice.lines.order_by("pk").values_list("po_line__line_no", "quantity")) == [
        ("2", Decimal("40")),
        ("1", Decimal("100")),
    ]
    assert exceptions() == []


def test_an_810_naming_a_part_on_two_lines_without_a_line_number_is_refused_saying_so(two_way):
    POLine.objects.filter(line_no="2").update(item=POLine.objects.get(line_no="1").item)
    content = (SHAPES / "810_lines_named_by_buyer_part.edi").read_text().replace("PART-00002", "PART-00001")
    drop(two_way, "810_same_part.edi", content.encode())
    assert filedrop_scan() == 1
    document = InboundDocument.objects.get(channel="edi")

    reason = (
        "invoice INV-4504-J: PO-4504 has lines 1, 2 for part PART-00001, and it names no line number; "
        "nothing was applied"
    )
    assert (document.outcome_code, document.error) == ("refused", f"810 0001: refused (ambiguous_line: {reason})")
    assert Invoice.objects.count() == 0
    assert exceptions() == [("invalid_document", reason)]


def test_an_810_naming_a_part_not_on_the_po_without_a_line_number_is_refused_saying_so(two_way):
    content = (SHAPES / "810_lines_named_by_buyer_part.edi").read_text().replace("IN*PART-00002", "IN*PART-00009")
    drop(two_way, "810_other_part.edi", content.encode())
    assert filedrop_scan() == 1
    document = InboundDocument.objects.get(channel="edi")

    reason = (
        "invoice INV-4504-J: PO-4504 has no line for part PART-00009, and it names no line number; nothing was applied"
    )
    assert (document.outcome_code, document.error) == ("refused", f"810 0001: refused (unknown_line: {reason})")
    assert Invoice.objects.count() == 0
    assert exceptions() == [("unknown_line", reason)]


def test_an_810_line_with_a_upc_alone_and_no_line_number_is_rejected_naming_what_it_lacks(two_way):
    document = receive(two_way, "810_upc_only_without_line_number.edi")

    reason = (
        "IT1 2 names its PO line by neither IT101 nor a buyer's part number (BP, IN, PN, CB, SK) "
        "(UP 012345678912 names no PO line)"
    )
    assert (document.outcome_code, document.error) == ("refused", f"810 0001: rejected ({reason})")
    assert Invoice.objects.count() == 0
    assert exceptions() == [("invalid_document", f"810 0001 could not be applied: {reason}")]


# 997 / 999 ----------------------------------------------------------------------------------


def sent_group() -> FunctionalGroup:
    return FunctionalGroup.objects.get(interchange__direction="out")


def test_a_005010_997_accepting_our_850_marks_its_group_accepted(sent_850):
    document = receive(sent_850, "997_5010_accepts_our_850.edi")

    assert (document.outcome_code, document.error) == ("processed", "997 0001: matched (group 1: A)")
    assert (sent_group().ack_state, sent_group().ack_code) == ("accepted", "A")
    assert exceptions() == []


def test_a_999_rejecting_our_850_keeps_its_detail(sent_850):
    document = receive(sent_850, "999_rejects_our_850_with_detail.edi")

    assert (document.outcome_code, document.error) == ("processed", "999 0001: matched (group 1: R)")
    group = sent_group()
    assert (group.ack_state, group.ack_code) == ("rejected", "R")
    (note,) = group.ack_detail[0]["segments"]
    assert (note["segment_id"], note["position"], note["elements"][0]["value"]) == ("PO1", 4, "ZZ")
    assert exceptions() == [("fa_rejected", "partner rejected interchange 000000001 (group 1)")]


def test_a_997_whose_codes_carry_trailing_spaces_accepts_as_it_means(sent_850):
    document = receive(sent_850, "997_trailing_spaces_in_codes.edi")

    assert (document.outcome_code, document.error) == ("processed", "997 0001: matched (group 1: A)")
    assert (sent_group().ack_state, sent_group().ack_code) == ("accepted", "A")
    assert exceptions() == []


def test_a_997_without_ak9_is_refused_and_our_group_still_awaits_an_answer(sent_850):
    document = receive(sent_850, "997_without_ak9.edi")

    reason = "AK9 segment missing: the group's verdict is not given"
    assert (document.outcome_code, document.error) == ("refused", f"997 0001: rejected ({reason})")
    assert (sent_group().ack_state, sent_group().ack_code) == ("awaited", "")
    assert exceptions() == [("invalid_document", f"997 0001 could not be read: {reason}")]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("997_ak2_without_ak5.edi", "AK2 850 0001 has no AK5: its verdict is not given"),
        ("999_ik5_missing.edi", "AK2 850 0001 has no IK5: its verdict is not given"),
        (
            "997_ak9_counts_do_not_add_up.edi",
            "AK9 counts do not add up: AK904 counts 1 sets accepted, the AK2 loops accept 0",
        ),
    ],
)
def test_a_malformed_997_or_999_is_refused_and_our_group_still_awaits_an_answer(sent_850, name, reason):
    document = receive(sent_850, name)

    kind = name[:3]
    assert (document.outcome_code, document.error) == ("refused", f"{kind} 0001: rejected ({reason})")
    assert (sent_group().ack_state, sent_group().ack_code) == ("awaited", "")
    assert exceptions() == [("invalid_document", f"{kind} 0001 could not be read: {reason}")]
