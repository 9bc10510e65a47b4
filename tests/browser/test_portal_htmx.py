"""The portal's partial updates in a real browser: htmx (served from our own static files, allowed by the
CSP) swaps the inbox's list without reloading the page. Nothing is
blocked and nothing fails."""

from __future__ import annotations

from procurement import factories
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

    tab.get_by_role("link", name="Next").click()
    tab.get_by_text("Page 2 of 2").wait_for()
    assert tab.url.endswith("/portal/orders/?page=2")
    assert tab.locator("#order-results tbody tr").count() == 2

    tab.get_by_label("PO or part number").fill("PO-007")
    tab.get_by_role("button", name="Filter").click()
    tab.locator("#order-results caption", has_text="1 purchase order").wait_for()
    assert tab.locator("#order-results tbody td a").all_inner_texts() == ["PO-007"]
    assert "q=PO-007" in tab.url
    assert tab.evaluate(STILL_MARKED) is True
    page.screenshot("portal-orders-htmx-filtered")

    # Back: the page comes back whole (nothing kept in the browser's storage), at page 2.
    tab.go_back(wait_until="load")
    tab.get_by_text("Page 2 of 2").wait_for()
    assert tab.locator("#order-results tbody tr").count() == 2
    assert serious_violations(page) == []
    assert page.problems() == [], "\n".join(page.problems())
