"""A buyer works a queue of mixed exceptions in a real browser: filter, claim, open with the keyboard,
accept a proposal (the 860 lands in the EDI partner's outbox), reject another, accept an invoice variance
(the invoice is released). Every page passes axe-core with no serious or critical violation.
Screenshots go to /tmp/shots/."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from edi import filedrop
from edi.models import TradingPartner
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from procurement import factories
from procurement.models import Invoice, ProcurementException
from procurement.services import WriteSource, invoice_record, purchase_order_publish, receipt_record
from procurement.tests import helpers as h
from suppliers.models import Supplier
from tests.browser.conftest import SHOTS, sign_in


@pytest.fixture
def edi_queue(company, buyer, settings, tmp_path):
    """CASTINGS trades by EDI: it proposes a price on PO-5000 line 1 and a quantity on line 2, and
    invoices PO-6000 at 11 against 10."""
    settings.GATEWAY_FILE_ROOT = tmp_path / "files"
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    factories.PlantFactory(company=company, code="DET", name="Detroit assembly")
    supplier = factories.SupplierFactory(code="CASTINGS", name="Castings SA", channel=Supplier.Channel.EDI)
    partner = TradingPartner.objects.create(
        supplier=supplier, company=company, isa_qualifier="ZZ", isa_id="CASTINGS", gs_id="CASTINGS", folder="castings"
    )
    erp = WriteSource(channel="system", label="ERP")
    for number, lines in (("PO-5000", 2), ("PO-6000", 1)):
        po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number=number, lines=lines)
        purchase_order_publish(po=po, source=erp)
    for message in OutboundMessage.objects.filter(event="po.published"):
        outbox_message_deliver(message_id=message.pk)
    h.record_ack(supplier, "ACK-5000", h.price("1", "11"), h.quantity("2", "90"), po="PO-5000")
    h.accept_all(supplier, po="PO-6000")
    receipt_record(receipt=h.receipt("GR-6000", ("1", "100"), po="PO-6000"), source=erp)
    invoice_record(supplier=supplier, invoice=h.invoice("INV-6000", ("1", "100", "11"), po="PO-6000"), source=erp)
    return partner


def serious_violations(page) -> list[str]:
    results = Axe().run(page.page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_buyer_works_the_queue_end_to_end(page, buyer, edi_queue):
    sign_in(page, buyer)
    tab = page.page

    assert page.open("/workbench/exceptions/").status == 200
    assert tab.locator("table.queue tbody tr").count() == 3
    page.screenshot("queue")
    assert serious_violations(page) == []

    # Filter to the price deviations, and claim the one there is.
    tab.get_by_label("Kind").select_option("price_deviation")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Filter").click()
    assert tab.locator("table.queue tbody tr").count() == 1
    price = ProcurementException.objects.get(kind="price_deviation")
    with tab.expect_navigation():
        tab.get_by_role("button", name=f"Claim exception {price.pk}").click()
    assert tab.locator("table.queue tbody tr td").nth(6).inner_text() == "buyer"
    assert "kind=price_deviation" in tab.url
    page.screenshot("queue-filtered-claimed")

    # Open it from the keyboard: j selects the first row, Enter follows its link.
    tab.locator("body").click(position={"x": 5, "y": 5})
    tab.keyboard.press("j")
    assert tab.locator("table.queue tbody tr.current").count() == 1
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
    assert tab.url.startswith(f"{page.base_url}/workbench/exceptions/{price.pk}/")
    assert "PO-5000 timeline" in tab.locator("#timeline-h").inner_text()
    page.screenshot("exception-price")
    assert serious_violations(page) == []

    # Accept the proposal: a new revision, sent to the partner as an 860.
    with tab.expect_navigation():
        tab.get_by_role("button", name="Accept", exact=True).click()
    assert tab.locator(".message-success").inner_text() == (
        f"Exception {price.pk}: Accepted — PO-5000 revision 1 is sent to the supplier"
    )
    change = OutboundMessage.objects.get(event="po.changed", supplier__code="CASTINGS")
    outbox_message_deliver(message_id=change.pk)
    (sent,) = filedrop.folders(edi_queue).outbox.glob("860_*.edi")
    assert sent.name == "860_PO-5000_r1_000000003.edi"
    assert "ST*860*" in sent.read_text()
    page.screenshot("exception-price-accepted")
    # The timeline says in words what the supplier proposed and what became of it.
    entries = [text.splitlines()[0] for text in tab.locator("#timeline > li").all_inner_texts()]
    assert entries == [
        "Revision 0 — Buyer published the PO",
        "PO sent to the supplier as an EDI file — to edi/CASTINGS/outbox: delivered after 1 attempt",
        "Acknowledgement ACK-5000 — Supplier accepted revision 0 with changes",
        "Change request — Supplier proposed price 11.00 (was 10.00) on line 1 — accepted into revision 1",
        "Change request — Supplier proposed quantity 90 EA (was 100 EA) on line 2 — awaiting the buyer's decision",
        "Revision 1 — Buyer accepted the supplier's proposal: line 1 price 11.00 (was 10.00)",
        "PO revision sent to the supplier as an EDI file — to edi/CASTINGS/outbox: pending, not tried yet",
    ]
    tab.locator("#timeline").screenshot(path=str(SHOTS / "exception-price-timeline.png"))

    # Reject the quantity proposal with a reason the supplier is told.
    quantity = ProcurementException.objects.get(kind="quantity_deviation")
    page.open(f"/workbench/exceptions/{quantity.pk}/")
    tab.get_by_label("Reject — the supplier is told this reason").fill("We need all 100 for the line run")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Reject").click()
    assert (
        tab.locator(".message-success").inner_text() == f"Exception {quantity.pk}: Rejected; the supplier is told why."
    )
    quantity.refresh_from_db()
    assert (quantity.state, quantity.resolution) == ("resolved", "rejected")
    page.screenshot("exception-quantity-rejected")

    # Accept the invoice variance: the invoice is released.
    variance = ProcurementException.objects.get(kind="invoice_price_mismatch")
    page.open(f"/workbench/exceptions/{variance.pk}/")
    page.screenshot("exception-invoice")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Accept", exact=True).click()
    assert tab.locator("#invoice-status").inner_text() == "INV-6000: Released by buyer"
    assert Invoice.objects.get(invoice_number="INV-6000").match_status == "released"
    page.screenshot("exception-invoice-accepted")

    page.open("/workbench/exceptions/")
    assert tab.locator("p.empty").inner_text() == "No open exception matches."
    assert page.problems() == []
