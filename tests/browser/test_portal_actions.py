"""A supplier's person in a real browser: acknowledge with a change, ship in two packs, print the labels,
invoice, see the invoice held and why. Nothing is blocked by the CSP and nothing fails on any page.
Screenshots go to GATEWAY_SCREENSHOTS (/tmp/shots by default)."""

from __future__ import annotations

from portal.sscc import sscc_make
from procurement.models import Invoice, POLine, Shipment
from tests.browser.conftest import sign_in


def test_acknowledge_ship_label_invoice_hold(page, supplier_user, published_po):
    sign_in(page, supplier_user)
    tab = page.page

    # Acknowledge: line 2 can only be 90; the pre-flight says it goes to the buyer, then it is sent.
    assert page.open(f"/portal/orders/{published_po.pk}/acknowledge/").status == 200
    tab.locator("#id_form-1-response").select_option("CHANGE_QTY")
    tab.locator("#id_form-1-quantity").fill("90")
    # The pre-flight is shown in place (htmx): the page is not reloaded, what was typed stays.
    tab.evaluate("() => { window.__notReloaded = true; }")
    assert tab.locator("#ack-status[role=status]").text_content() == ""
    tab.get_by_role("button", name="Check against tolerance").click()
    tab.locator(".preflight").wait_for()
    # Screen readers hear the verdict: the polite region outside the swapped part has new text.
    assert tab.locator("#ack-status").text_content() == "1 line will go to the buyer for a decision."
    assert "Line 2: quantity 90 instead of 100 (outside tolerance)" in tab.locator(".preflight").inner_text()
    assert tab.evaluate("() => window.__notReloaded === true") is True
    assert tab.locator("#id_form-1-quantity").input_value() == "90"
    page.screenshot("portal-acknowledge-preflight")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Send acknowledgement").click()
    assert tab.locator("#document-state").inner_text() == "Applied"
    page.screenshot("portal-acknowledgement-sent")

    # Ship notice: lines 1 and 2 in two packs whose SSCCs are generated from the GS1 prefix.
    tab.get_by_role("link", name="New ship notice").click()
    tab.wait_for_load_state("load")
    tab.get_by_label("GS1 company prefix").fill("0614141")
    tab.get_by_label("Next SSCC serial").fill("1000")
    tab.get_by_label("Packs to generate").select_option("2")
    # Generated in place (htmx), announced in the builder's live region.
    tab.get_by_role("button", name="Generate SSCCs for empty packs").click()
    tab.locator("#ship-status", has_text="2 SSCCs generated.").wait_for(state="attached")
    assert tab.get_by_label("Pack 1 SSCC").input_value() == sscc_make(
        extension=0, company_prefix="0614141", serial=1000
    )
    assert tab.get_by_label("Pack 2 SSCC").input_value() == sscc_make(
        extension=0, company_prefix="0614141", serial=1001
    )
    tab.get_by_label("Ship PO-1000 line 1").check()
    tab.locator("#id_form-0-pack").select_option("1")
    tab.locator("#id_form-0-lot").fill("LOT-7")
    tab.get_by_label("Ship PO-1000 line 2").check()
    tab.locator("#id_form-1-quantity").fill("90")
    tab.locator("#id_form-1-pack").select_option("2")
    tab.get_by_label("Carrier").fill("UPS")
    tab.get_by_label("Bill of lading").fill("BOL-1")
    page.screenshot("portal-ship-notice-builder")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Send ship notice").click()
    assert tab.locator("#document-state").inner_text() == "Applied"
    shipment = Shipment.objects.get()
    assert shipment.packs.count() == 2

    # Labels: a PDF, one page per pack.
    labels = tab.request.get(page.base_url + f"/portal/ship-notices/{shipment.pk}/labels.pdf")
    assert labels.status == 200
    assert labels.headers["content-type"] == "application/pdf"
    assert labels.body().count(b"/Type /Page\n") == 2

    # Invoice this ship notice at a higher price than the PO's: held, and the page says why.
    tab.get_by_role("link", name="Invoice this ship notice").click()
    tab.wait_for_load_state("load")
    tab.get_by_label("Invoice number").fill("INV-77")
    tab.locator("#id_form-0-unit_price").fill("11")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Send invoice").click()
    tab.get_by_role("link", name="On hold").click()
    tab.wait_for_load_state("load")
    assert Invoice.objects.get().match_status == "on_hold"
    assert tab.locator("h2#hold-title").inner_text() == "Why your invoice is on hold"
    reasons = tab.locator(".hold-reason h3").all_inner_texts()
    assert "Unit price differs from the PO price — PO-1000 line 1" in reasons
    assert POLine.objects.get(po=published_po, line_no="1").invoiced_quantity == 100
    page.screenshot("portal-invoice-held")
    assert page.problems() == []
