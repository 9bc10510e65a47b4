"""The portal's partial updates in a real browser: htmx (served from our own static files, allowed by the
CSP) swaps the inbox's list, the ship notice builder's rows, without reloading the page. Nothing is
blocked and nothing fails."""

from __future__ import annotations

from decimal import Decimal

from portal.sscc import sscc_make
from procurement import factories
from procurement.models import POLine, Shipment, ShipmentLine
from procurement.services import purchase_order_publish
from tests.browser.conftest import sign_in
from tests.browser.test_portal import serious_violations

# Set on the page's window: still there after an update means the page was not reloaded.
MARK = "() => { window.__notReloaded = true; }"
STILL_MARKED = "() => window.__notReloaded === true"


def test_inbox_filter_and_pages_swap_the_list_alone(page, supplier_user, company, plant, supplier, erp):
    for n in range(27):
        po = factories.po_input(
            company=company.code, supplier=supplier.code, plant=plant.code, number=f"PO-{n:03d}", lines=1
        )
        purchase_order_publish(po=po, source=erp)
    sign_in(page, supplier_user)
    tab = page.page
    assert page.open("/portal/orders/").status == 200
    assert tab.evaluate("() => typeof htmx") == "object"
    tab.evaluate(MARK)
    status = tab.locator("#order-status[role=status][aria-live=polite]")
    assert status.text_content() == ""

    tab.get_by_role("link", name="Next").click()
    tab.get_by_text("Page 2 of 2", exact=True).wait_for()
    assert tab.url.endswith("/portal/orders/?page=2")
    assert tab.locator("#order-results tbody tr").count() == 2
    assert status.text_content() == "27 purchase orders, page 2 of 2."

    tab.get_by_label("PO or part number").fill("PO-007")
    tab.get_by_role("button", name="Filter").click()
    tab.locator("#order-results caption", has_text="1 purchase order").wait_for()
    assert tab.locator("#order-results tbody td a").all_inner_texts() == ["PO-007"]
    assert "q=PO-007" in tab.url
    assert status.text_content() == "1 purchase order."
    assert tab.evaluate(STILL_MARKED) is True
    page.screenshot("portal-orders-htmx-filtered")

    # Back: the page comes back whole (nothing kept in the browser's storage), at page 2.
    tab.go_back(wait_until="load")
    tab.get_by_text("Page 2 of 2", exact=True).wait_for()
    assert tab.locator("#order-results tbody tr").count() == 2
    assert serious_violations(page) == []
    assert page.problems() == [], "\n".join(page.problems())


def test_ship_notice_builder_splits_a_line_over_two_packs_in_place(page, supplier_user, published_po):
    sign_in(page, supplier_user)
    tab = page.page
    assert page.open("/portal/ship-notices/new/").status == 200
    tab.get_by_label("GS1 company prefix").fill("0614141")
    tab.get_by_label("Next SSCC serial").fill("1000")
    tab.get_by_label("Packs to generate").select_option("2")
    tab.evaluate(MARK)
    status = tab.locator("#ship-status[role=status][aria-live=polite]")
    assert status.text_content() == ""
    tab.get_by_role("button", name="Generate SSCCs for empty packs").click()
    tab.locator("#ship-status", has_text="2 SSCCs generated.").wait_for(state="attached")
    assert tab.get_by_label("Pack 1 SSCC").input_value() == sscc_make(
        extension=0, company_prefix="0614141", serial=1000
    )
    assert tab.evaluate(STILL_MARKED) is True

    tab.get_by_label("Ship PO-1000 line 1", exact=True).check()
    tab.locator("#id_form-0-quantity").fill("60")
    tab.locator("#id_form-0-pack").select_option("1")
    tab.get_by_role("button", name="Add a pack for PO-1000 line 1").click()
    added = tab.get_by_label("Ship more of PO-1000 line 1 in another pack")
    added.wait_for()
    assert added.is_checked()
    assert status.text_content() == "A pack row was added; type its quantity."
    assert tab.evaluate(STILL_MARKED) is True
    # What was typed is kept; the new row is set to the next pack, the cursor in its quantity.
    assert tab.locator("#id_form-0-quantity").input_value() == "60"
    assert tab.locator("#id_form-1-pack").input_value() == "2"
    assert tab.evaluate("() => document.activeElement.id") == "id_form-1-quantity"
    tab.keyboard.type("40")
    assert tab.get_by_label("Pack 2 SSCC").input_value() == sscc_make(
        extension=0, company_prefix="0614141", serial=1001
    )

    # One pack row too many: added, then removed; the rows typed before stay as they were.
    tab.get_by_role("button", name="Add a pack for PO-1000 line 1").click()
    removes = tab.get_by_role("button", name="Remove this pack row of PO-1000 line 1")
    removes.nth(1).wait_for()
    assert tab.locator("#id_form-2-pack").input_value() == "3"
    removes.nth(1).click()
    tab.locator("#ship-status", has_text="The pack row was removed.").wait_for(state="attached")
    assert tab.get_by_label("Ship more of PO-1000 line 1 in another pack").count() == 1
    assert tab.locator("#id_form-1-quantity").input_value() == "40"
    assert tab.locator("#id_form-1-pack").input_value() == "2"

    tab.get_by_role("button", name="Check quantities").click()
    tab.locator("#ship-builder .message-success").wait_for()
    assert tab.locator(".message-success").inner_text() == "Every quantity is within what the buyer allows."
    assert status.text_content() == "Every quantity is within what the buyer allows."
    assert tab.evaluate(STILL_MARKED) is True
    assert serious_violations(page) == []
    page.screenshot("portal-ship-notice-split")

    with tab.expect_navigation():
        tab.get_by_role("button", name="Send ship notice").click()
    assert tab.locator("#document-state").inner_text() == "Applied"
    shipment = Shipment.objects.get()
    assert sorted(
        ShipmentLine.objects.filter(shipment=shipment).values_list("pack__sscc", "po_line__line_no", "quantity")
    ) == [
        (sscc_make(extension=0, company_prefix="0614141", serial=1000), "1", Decimal("60")),
        (sscc_make(extension=0, company_prefix="0614141", serial=1001), "1", Decimal("40")),
    ]
    assert POLine.objects.get(po=published_po, line_no="1").shipped_quantity == Decimal("100")
    assert page.problems() == []
