"""invoice_record: 2-way and 3-way matching, holds, credit memos, duplicate invoice numbers."""

import dataclasses

import pytest

from notifications.models import OutboundMessage
from procurement import inputs
from procurement.models import (
    AuditEvent,
    Invoice,
    InvoiceLine,
    POLine,
    ProcurementException,
    PurchaseOrder,
    UomConversion,
)
from procurement.services import DocumentRefused, invoice_record, receipt_record

from . import helpers as h
from .helpers import D

ALL_LINES = (("1", "100", "10"), ("2", "100", "10"), ("3", "100", "10"))


def _bill(supplier, doc: inputs.InvoiceInput, src=None):
    return invoice_record(supplier=supplier, invoice=doc, source=src or h.source())


def _receive(*lines, number="GR-1"):
    return receipt_record(receipt=h.receipt(number, *lines), source=h.source(channel="system", label="system WMS"))


@pytest.fixture
def two_way(company):
    company.three_way_match = False
    company.save()
    return company


@pytest.fixture
def received_po(published_po, supplier):
    """PO-1000 accepted and fully received."""
    h.accept_all(supplier)
    _receive(("1", "100"), ("2", "100"), ("3", "100"))
    return published_po


def test_an_invoice_matching_the_po_two_ways_is_matched(published_po, supplier, two_way):
    before_outbox = OutboundMessage.objects.count()

    result = _bill(supplier, h.invoice("INV-1", *ALL_LINES))

    record = result.record
    assert result.outcome == "applied"
    assert result.exceptions == []
    assert (record.match_status, record.hold_reason, record.total, record.purpose, record.po) == (
        "matched",
        "",
        D("3000.00"),
        "invoice",
        published_po,
    )
    assert (
        list(InvoiceLine.objects.filter(invoice=record).values_list("amount", "match_status"))
        == [(D("1000.00"), "matched")] * 3
    )
    line = h.po_line(published_po, "1")
    assert (line.invoiced_quantity, line.invoice_status, line.match_status) == (D("100"), "invoiced", "matched")
    assert ProcurementException.objects.count() == 0
    assert OutboundMessage.objects.count() == before_outbox
    event = AuditEvent.objects.get(action="invoice.recorded")
    assert event.document_key == "api:BOLTS:INV-1"
    assert h.num(event.after) == h.num(
        {"purpose": "invoice", "total": "3000.00", "match": "matched", "hold_reason": ""}
    )


def test_an_invoice_matching_receipts_three_ways_is_matched(received_po, supplier):
    result = _bill(supplier, h.invoice("INV-1", *ALL_LINES))

    assert result.record.match_status == "matched"
    assert PurchaseOrder.objects.get(pk=received_po.pk).status == "closed"


def test_a_price_over_the_po_price_holds_the_invoice(received_po, supplier):
    result = _bill(supplier, h.invoice("INV-1", ("1", "100", "10.50")))

    record = Invoice.objects.get()
    assert record.match_status == "on_hold"
    assert record.hold_reason == "line 1: price 10.50 against PO price 10.00"
    exc = ProcurementException.objects.get()
    line = h.po_line(received_po, "1")
    assert result.exceptions == [exc]
    assert (exc.kind, exc.severity, exc.dedup_key, exc.invoice, exc.po_line) == (
        "invoice_price_mismatch",
        "financial_mismatch",
        f"invoice_price_mismatch:{record.pk}:{line.pk}",
        record,
        line,
    )
    assert exc.supplier_message == "price 10.50 against PO price 10.00"
    assert exc.evidence["invoice"] == "INV-1"
    assert InvoiceLine.objects.get().match_status == "exception"
    assert line.match_status == "exception"
    assert PurchaseOrder.objects.get(pk=received_po.pk).status == "invoice_on_hold"
    alert = OutboundMessage.objects.get(event="exception.raised")
    assert (alert.destination, alert.payload["document"]) == ("buyer@acme.example", "invoice INV-1")


def test_a_price_within_the_invoice_price_tolerance_is_within_tolerance(received_po, supplier, company):
    h.rule(company, "invoice_price", over_percent=D("5"))

    result = _bill(supplier, h.invoice("INV-1", ("1", "100", "10.50"), ("2", "100", "10")))

    assert result.exceptions == []
    assert (result.record.match_status, result.record.hold_reason) == ("within_tolerance", "")
    assert sorted(InvoiceLine.objects.values_list("po_line__line_no", "match_status")) == [
        ("1", "within_tolerance"),
        ("2", "matched"),
    ]
    assert h.po_line(received_po, "1").match_status == "within_tolerance"


def test_three_way_a_quantity_over_what_was_received_holds_the_invoice(published_po, supplier):
    h.accept_all(supplier)
    _receive(("1", "50"))

    result = _bill(supplier, h.invoice("INV-1", ("1", "100", "10")))

    record = result.record
    assert (record.match_status, record.hold_reason) == ("on_hold", "line 1: 100 invoiced in all against 50 received")
    exc = ProcurementException.objects.get()
    assert exc.kind == "invoice_quantity_mismatch"
    assert exc.evidence["basis"] == "received"
    assert h.num(exc.evidence["expected"]) == D("50")
    assert h.num(exc.evidence["actual"]) == D("100")


def test_three_way_rejected_goods_do_not_count_as_received(published_po, supplier):
    h.accept_all(supplier)
    _receive(("1", "100", "30"))

    result = _bill(supplier, h.invoice("INV-1", ("1", "100", "10")))

    assert result.record.hold_reason == "line 1: 100 invoiced in all against 70 received"


def test_a_receipt_after_the_invoice_clears_the_quantity_hold_and_releases_it(published_po, supplier):
    h.accept_all(supplier)
    _receive(("1", "50"))
    record = _bill(supplier, h.invoice("INV-1", ("1", "100", "10"))).record
    exc = ProcurementException.objects.get()

    _receive(("1", "50"), number="GR-2")

    exc.refresh_from_db()
    record.refresh_from_db()
    assert (exc.state, exc.resolution, exc.resolution_note) == (
        "resolved",
        "auto_cleared",
        "goods received now cover the invoiced quantity",
    )
    assert (record.match_status, record.hold_reason) == ("matched", "")
    assert h.po_line(published_po, "1").match_status == "matched"
    event = AuditEvent.objects.filter(action="receipt.recorded").last()
    assert event.after["cleared_exceptions"] == [exc.pk]


def test_a_receipt_that_covers_only_part_leaves_the_hold(published_po, supplier):
    h.accept_all(supplier)
    _receive(("1", "50"))
    record = _bill(supplier, h.invoice("INV-1", ("1", "100", "10"))).record

    _receive(("1", "30"), number="GR-2")

    record.refresh_from_db()
    assert record.match_status == "on_hold"
    assert ProcurementException.objects.get().state == "open"


def test_two_way_a_quantity_over_what_was_ordered_holds_the_invoice(published_po, supplier, two_way):
    result = _bill(supplier, h.invoice("INV-1", ("1", "101", "10")))

    assert result.record.hold_reason == "line 1: 101 invoiced in all against 100 ordered"
    assert ProcurementException.objects.get().evidence["basis"] == "ordered"
    assert h.po_line(published_po, "1").invoice_status == "over_invoiced"


def test_quantity_over_within_the_invoice_quantity_tolerance(published_po, supplier, two_way, company):
    h.rule(company, "invoice_quantity", over_percent=D("2"))

    result = _bill(supplier, h.invoice("INV-1", ("1", "102", "10")))

    assert result.exceptions == []
    assert result.record.match_status == "within_tolerance"


def test_invoices_add_up_against_the_ordered_quantity(published_po, supplier, two_way):
    assert _bill(supplier, h.invoice("INV-1", ("1", "60", "10"))).record.match_status == "matched"
    assert h.po_line(published_po, "1").invoice_status == "partially_invoiced"

    second = _bill(supplier, h.invoice("INV-2", ("1", "50", "10")))

    assert second.record.hold_reason == "line 1: 110 invoiced in all against 100 ordered"
    assert h.po_line(published_po, "1").invoiced_quantity == D("110")


def test_a_total_that_is_not_the_sum_of_the_lines_holds_the_invoice(received_po, supplier):
    result = _bill(supplier, h.invoice("INV-1", *ALL_LINES, total=D("3000.01")))

    record = result.record
    assert (record.total, record.match_status) == (D("3000.01"), "on_hold")
    assert record.hold_reason == "total 3000.01 does not equal the sum of the lines 3000.00"
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key, exc.po_line) == ("invoice_price_mismatch", f"invoice_total:{record.pk}", None)
    assert h.num(exc.evidence) == h.num({"expected": "3000.00", "actual": "3000.01", "invoice": "INV-1"})


def test_several_reasons_are_all_given_to_the_supplier(published_po, supplier):
    h.accept_all(supplier)
    _receive(("1", "50"))

    record = _bill(supplier, h.invoice("INV-1", ("1", "100", "11"), total=D("1"))).record

    assert record.hold_reason == (
        "line 1: price 11.00 against PO price 10.00; line 1: 100 invoiced in all against 50 received; "
        "total 1.00 does not equal the sum of the lines 1100.00"
    )
    assert h.kinds() == ["invoice_price_mismatch", "invoice_price_mismatch", "invoice_quantity_mismatch"]


def test_a_credit_memo_reduces_the_invoiced_quantity(received_po, supplier):
    _bill(supplier, h.invoice("INV-1", *ALL_LINES))

    memo = _bill(supplier, h.invoice("CM-1", ("1", "10", "10"), purpose=inputs.INVOICE_PURPOSE_CREDIT_MEMO)).record

    assert (memo.purpose, memo.match_status, memo.total) == ("credit_memo", "matched", D("100.00"))
    line = h.po_line(received_po, "1")
    assert (line.invoiced_quantity, line.invoice_status) == (D("90"), "partially_invoiced")
    assert PurchaseOrder.objects.get(pk=received_po.pk).status == "to_invoice"


# Idempotency ------------------------------------------------------------------------------------


def test_the_same_invoice_twice_has_one_effect_whatever_the_channel(received_po, supplier):
    first = _bill(supplier, h.invoice("INV-1", ("1", "100", "11")))
    before, lines_before = h.counts(), h.line_state(received_po)

    again = _bill(supplier, h.invoice("INV-1", ("1", "100", "11")), src=h.source(channel="edi"))

    assert (again.outcome, again.record.pk) == ("duplicate", first.record.pk)
    assert h.counts() == before
    assert h.line_state(received_po) == lines_before


def test_an_invoice_stating_its_lines_own_unit_is_the_same_invoice_as_one_that_does_not(received_po, supplier):
    # Stored before units were read (no unit said), sent again naming the PO line's unit in any case.
    first = _bill(supplier, h.invoice("INV-1", ("1", "100", "10")))
    before, lines_before = h.counts(), h.line_state(received_po)
    said = h.invoice("INV-1", ("1", "100", "10"))
    said = dataclasses.replace(said, lines=tuple(dataclasses.replace(line, uom="ea") for line in said.lines))

    again = _bill(supplier, said, src=h.source(channel="edi"))

    assert (again.outcome, again.record.pk, again.record.fingerprint) == (
        "duplicate",
        first.record.pk,
        first.record.fingerprint,
    )
    assert h.counts() == before
    assert h.line_state(received_po) == lines_before


def test_another_invoice_under_a_used_number_is_a_duplicate_invoice(received_po, supplier):
    first = _bill(supplier, h.invoice("INV-1", ("1", "100", "10"))).record
    before, lines_before = h.counts(), h.line_state(received_po)
    different = h.invoice("INV-1", ("2", "100", "10"))

    error = h.refused(invoice_record, supplier=supplier, invoice=different, source=h.source(channel="edi"))

    assert (error.code, error.message) == (
        "duplicate_invoice",
        "invoice number INV-1 was already used on another invoice",
    )
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.severity, exc.dedup_key, exc.po, exc.supplier) == (
        "duplicate_invoice",
        "financial_mismatch",
        f"dup_invoice:{supplier.pk}:INV-1:{inputs.fingerprint(different)}",
        received_po,
        supplier,
    )
    assert exc.supplier_message == (
        "Invoice number INV-1 has already been received with different content. "
        "Send corrections as a credit memo and a new invoice."
    )
    assert exc.evidence == {"invoice_number": "INV-1", "existing_invoice": first.pk}
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(received_po) == lines_before


# Refusals -------------------------------------------------------------------------------------


def test_an_invoice_for_an_unknown_po_is_refused(published_po, supplier):
    before = h.counts()

    error = h.refused(
        invoice_record, supplier=supplier, invoice=h.invoice("INV-1", ("1", "1", "10"), po="PO-9"), source=h.source()
    )

    assert (error.code, error.message) == ("unknown_po", "invoice INV-1: PO-9 is not known")
    exc = ProcurementException.objects.get()
    assert (exc.kind, exc.dedup_key) == ("unknown_po", f"unknown_po:{published_po.company_id}:supplier:{supplier.pk}")
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}


def test_an_invoice_for_an_unknown_line_is_refused(published_po, supplier):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(
        invoice_record,
        supplier=supplier,
        invoice=h.invoice("INV-1", ("1", "1", "10"), ("4", "1", "10")),
        source=h.source(),
    )

    assert (error.code, error.message) == ("unknown_line", "invoice INV-1: no such PO line PO-1000/4")
    assert (ProcurementException.objects.get().po) == published_po
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(published_po) == lines_before


def test_a_po_number_in_two_companies_needs_the_company(published_po, supplier, other_company, other_plant):
    other = h.publish(other_company, other_plant, supplier, number="PO-1000")
    before = h.counts()

    error = h.refused(
        invoice_record, supplier=supplier, invoice=h.invoice("INV-1", ("1", "1", "10")), source=h.source()
    )

    assert (error.code, error.message, error.exception_id) == (
        "ambiguous_po",
        "invoice INV-1: its PO numbers exist for several companies; name the company",
        None,
    )
    assert h.counts() == before
    record = _bill(supplier, h.invoice("INV-1", ("1", "1", "10"), company="OTHER")).record
    assert record.po == other


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (h.invoice("", ("1", "1", "10")), "an invoice needs an invoice number"),
        (h.invoice("INV-1"), "invoice INV-1 has no lines"),
        (h.invoice("INV-1", ("1", "1", "10"), purpose="proforma"), "invoice INV-1: unknown purpose 'proforma'"),
        (
            h.invoice("INV-1", ("1", "0", "10")),
            "invoice INV-1 line 1: quantity must be positive and price not negative",
        ),
        (
            h.invoice("INV-1", ("1", "1", "-10")),
            "invoice INV-1 line 1: quantity must be positive and price not negative",
        ),
    ],
    ids=["no-number", "no-lines", "purpose", "zero-quantity", "negative-price"],
)
def test_an_invalid_invoice_is_refused_without_effect(published_po, supplier, doc, message):
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(invoice_record, supplier=supplier, invoice=doc, source=h.source())

    assert (error.code, error.message, error.exception_id) == ("invalid", message, None)
    assert h.counts() == before
    assert h.line_state(published_po) == lines_before


# Bugs -------------------------------------------------------------------------------------------


def test_a_po_line_billed_on_two_invoice_lines_is_matched_once(published_po, supplier, two_way):
    result = _bill(supplier, h.invoice("INV-1", ("1", "60", "10"), ("1", "50", "10")))

    assert result.record.match_status == "on_hold"
    assert h.kinds() == ["invoice_quantity_mismatch"]
    assert h.po_line(published_po, "1").invoiced_quantity == D("110")


def test_clearing_the_quantity_hold_keeps_an_open_price_mismatch_on_the_line(published_po, supplier):
    h.accept_all(supplier)
    _receive(("1", "50"))
    record = _bill(supplier, h.invoice("INV-1", ("1", "100", "11"))).record

    _receive(("1", "50"), number="GR-2")

    record.refresh_from_db()
    assert record.match_status == "on_hold"
    assert h.kinds(state="open") == ["invoice_price_mismatch"]
    assert h.po_line(published_po, "1").match_status == "exception"


def test_an_invoice_in_another_currency_is_not_matched(received_po, supplier):
    doc = dataclasses.replace(h.invoice("INV-EUR", ("1", "100", "10")), currency="EUR")
    try:
        result = _bill(supplier, doc)
    except DocumentRefused:
        return  # refusing it is as good as holding it
    assert result.record.match_status == "on_hold"


def test_the_last_exception_holding_an_invoice_cannot_be_dismissed(received_po, supplier, buyer_source):
    from procurement.services import InvalidAction, exception_accept, exception_dismiss

    _bill(supplier, h.invoice("INV-1", ("1", "100", "10.50"), ("2", "100", "10.50")))
    first, second = ProcurementException.objects.order_by("id")

    dismissed = exception_dismiss(exception_id=first.pk, source=buyer_source, reason="rounding, known")
    before = h.counts()
    with pytest.raises(InvalidAction) as info:
        exception_dismiss(exception_id=second.pk, source=buyer_source, reason="rounding, known")

    assert dismissed.state == "dismissed"
    assert info.value.message == (
        f"exception {second.pk} is what holds invoice INV-1: accept the variance to release the invoice, "
        "or reject it to dispute it with the supplier"
    )
    assert h.counts() == before
    assert Invoice.objects.get().match_status == "on_hold"
    exception_accept(exception_id=second.pk, source=buyer_source)
    assert Invoice.objects.get().match_status == "released"


def test_accepting_an_invoice_variance_changes_the_po_for_readers_syncing_by_updated_since(
    received_po, supplier, buyer_source
):
    from procurement.services import exception_accept

    _bill(supplier, h.invoice("INV-1", ("1", "100", "10.50")))
    stamped = PurchaseOrder.objects.get(pk=received_po.pk).updated_at

    exception_accept(exception_id=ProcurementException.objects.get().pk, source=buyer_source)

    assert h.po_line(received_po, "1").match_state == "overridden"
    assert PurchaseOrder.objects.get(pk=received_po.pk).updated_at > stamped


def test_line_charges_too_large_to_record_are_refused_even_when_an_allowance_offsets_them(received_po, supplier):
    huge = D("1000000000000000")  # 10**15: what an amount column cannot hold
    line = inputs.InvoiceLineInput(
        line_no="1",
        quantity=D("100"),
        unit_price=D("10"),
        charges=(
            inputs.InvoiceChargeInput(indicator="C", code="G830", amount=huge),
            inputs.InvoiceChargeInput(indicator="A", code="C310", amount=huge),
        ),
    )
    invoice = dataclasses.replace(h.invoice("INV-1", ("1", "100", "10")), lines=(line,), total=D("1000"))

    with pytest.raises(DocumentRefused, match="invoice INV-1: amounts too large to record"):
        _bill(supplier, invoice)
    assert Invoice.objects.count() == 0


# Lines in other units, lines named by part ------------------------------------------------------


def _by_part(number: str, *lines: tuple, **kwargs) -> inputs.InvoiceInput:
    """An invoice naming its lines by part alone; each line is (part, quantity, unit_price)."""
    built = tuple(
        inputs.InvoiceLineInput(line_no="", part_number=part, quantity=D(q), unit_price=D(p)) for part, q, p in lines
    )
    return dataclasses.replace(h.invoice(number, **kwargs), lines=built)


def _in_unit(doc: inputs.InvoiceInput, uom: str) -> inputs.InvoiceInput:
    return dataclasses.replace(doc, lines=tuple(dataclasses.replace(line, uom=uom) for line in doc.lines))


def _line_in_packs(published_po, uom: str, factor: str, price: str):
    """PO-1000 line 1 ordered in ``uom`` (``factor`` EA each) at ``price``."""
    line = h.po_line(published_po, "1")
    UomConversion.objects.create(item=line.item, uom=uom, factor=D(factor))
    POLine.objects.filter(pk=line.pk).update(uom=uom, unit_price=D(price))


def test_eaches_billed_on_a_line_in_packs_are_the_packs_they_make(published_po, supplier, two_way):
    _line_in_packs(published_po, "PK3", "3", "30")

    # 3 EA at 10.00 is 1 PK3 at 30.00: converted as quantities, not as 3 times a third of a pack.
    result = _bill(supplier, _in_unit(h.invoice("INV-1", ("1", "3", "10")), "EA"))

    assert (result.outcome, result.record.match_status, result.record.total) == ("applied", "matched", D("30"))
    assert list(result.record.lines.values_list("quantity", "unit_price", "amount")) == [(D("1"), D("30"), D("30"))]
    assert h.po_line(published_po, "1").invoiced_quantity == D("1")
    assert ProcurementException.objects.count() == 0


def test_a_case_billed_on_a_line_in_eaches_keeps_its_amount_and_a_rounded_price(published_po, supplier, two_way):
    item = h.po_line(published_po, "1").item
    UomConversion.objects.create(item=item, uom="CA", factor=D("12"))

    # 1 CA of 12 at 10.00 is 12 EA at 0.8333…: the price is rounded to a millionth, the amount is as billed.
    result = _bill(supplier, _in_unit(h.invoice("INV-1", ("1", "1", "10")), "CA"))

    assert list(result.record.lines.values_list("quantity", "unit_price", "amount")) == [
        (D("12"), D("0.833333"), D("10"))
    ]
    assert (result.record.total, h.po_line(published_po, "1").invoiced_quantity) == (D("10"), D("12"))


def test_a_price_too_large_to_record_in_the_lines_unit_is_refused_saying_so(published_po, supplier, two_way):
    _line_in_packs(published_po, "PL", "1000000", "10")
    before, lines_before = h.counts(), h.line_state(published_po)

    error = h.refused(
        invoice_record,
        supplier=supplier,
        invoice=_in_unit(h.invoice("INV-1", ("1", "1000000", "99999")), "EA"),
        source=h.source(),
    )

    reason = (
        "invoice INV-1: PO-1000 line 1 is in PL, the invoice bills it in EA, and 99999 per EA is a price per PL "
        "too large to record; nothing was applied"
    )
    assert (error.code, error.message) == ("unit_mismatch", reason)
    assert list(ProcurementException.objects.values_list("kind", "summary", "po")) == [
        ("invalid_document", reason, published_po.pk)
    ]
    assert h.counts() == before | {"ProcurementException": 1, "AuditEvent": before["AuditEvent"] + 1}
    assert h.line_state(published_po) == lines_before


def test_a_part_cancelled_on_one_line_and_ordered_on_another_is_billed_on_the_live_one(published_po, supplier, two_way):
    part = h.po_line(published_po, "1").item
    POLine.objects.filter(po=published_po, line_no="1").update(cancelled=True)
    POLine.objects.filter(po=published_po, line_no="3").update(item=part)

    result = _bill(supplier, _by_part("INV-1", ("PART-00001", "40", "10")))

    assert result.outcome == "applied"
    assert list(result.record.lines.values_list("po_line__line_no", "quantity")) == [("3", D("40"))]
    assert [h.po_line(published_po, no).invoiced_quantity for no in ("1", "2", "3")] == [D("0"), D("0"), D("40")]


def test_an_invoice_by_part_sent_again_after_the_po_gained_a_line_for_the_part_is_a_duplicate(
    published_po, supplier, two_way
):
    first = _bill(supplier, _by_part("INV-1", ("PART-00001", "40", "10")))
    POLine.objects.filter(po=published_po, line_no="3").update(item=h.po_line(published_po, "1").item)
    before, lines_before = h.counts(), h.line_state(published_po)

    again = _bill(supplier, _by_part("INV-1", ("PART-00001", "40", "10")), src=h.source(channel="edi"))

    assert (again.outcome, again.record.pk) == ("duplicate", first.record.pk)
    assert h.counts() == before
    assert h.line_state(published_po) == lines_before
    error = h.refused(
        invoice_record, supplier=supplier, invoice=_by_part("INV-1", ("PART-00002", "40", "10")), source=h.source()
    )
    assert (error.code, error.message) == (
        "duplicate_invoice",
        "invoice number INV-1 was already used on another invoice",
    )


def test_a_part_on_two_lines_of_two_companies_pos_is_an_exception_for_each_buyer(
    published_po, supplier, two_way, other_company, other_plant
):
    other = h.publish(other_company, other_plant, supplier, number="PO-1000")
    for order in (published_po, other):
        POLine.objects.filter(po=order, line_no="2").update(item=h.po_line(order, "1").item)

    for company in ("ACME", "OTHER"):
        error = h.refused(
            invoice_record,
            supplier=supplier,
            invoice=_by_part("INV-1", ("PART-00001", "40", "10"), company=company),
            source=h.source(),
        )
        assert error.code == "ambiguous_line"

    reason = (
        "invoice INV-1: PO-1000 has lines 1, 2 for part PART-00001, and it names no line number; nothing was applied"
    )
    assert list(ProcurementException.objects.order_by("pk").values_list("company", "po", "summary")) == [
        (published_po.company_id, published_po.pk, reason),
        (other_company.pk, other.pk, reason),
    ]
