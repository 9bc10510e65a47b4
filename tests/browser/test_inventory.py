"""The inventory pages in a real browser: a planner goes from the stock table to an item's ledger and to the
variances, and queues a reconciliation; nothing is blocked or fails. Screenshots go to /tmp/shots/."""

from __future__ import annotations

from materials.models import InventoryReconciliation
from tests.browser.conftest import sign_in


def test_a_planner_reads_stock_an_items_ledger_and_the_variances(page, acme_demo):
    sign_in(page, acme_demo["planner"])
    page.open("/workbench/")

    page.page.get_by_role("link", name="Inventory", exact=True).click()
    page.page.wait_for_load_state("load")
    assert page.page.locator("main h1").inner_text() == "Inventory"
    rows = page.page.locator("table.inventory tbody tr")
    assert rows.count() == 4
    assert rows.nth(0).locator("td").all_inner_texts()[:5] == [
        "DET",
        "BRG-330",
        "Ball bearing 6204-2RS",
        "850 EA",
        "450 EA",
    ]
    page.screenshot("inventory-list")

    with page.page.expect_navigation():
        page.page.get_by_role("link", name="BRG-330").click()
    assert page.page.locator("main h1").inner_text().startswith("BRG-330")
    assert page.page.locator("table.events tbody tr").count() == 5
    assert page.page.locator("table.events tbody tr").first.locator("td").nth(2).inner_text() == "W-1003"
    page.screenshot("inventory-item")

    page.page.get_by_role("link", name="Variances", exact=True).click()
    page.page.wait_for_load_state("load")
    explanations = page.page.locator("table.variances tbody tr td:nth-child(8)").all_inner_texts()
    # Both are financial mismatches, listed newest raised first: with the whole demo seeded here their
    # raising order is not fixed. workbench/tests/test_inventory_pages.py checks the order on its seed.
    assert sorted(explanations) == [
        "ERP posted a receipt of 120 EA on 2027-01-02 14:45; "
        "WMS has 112 on hand (last: WMS counted 112 EA on 2027-01-09 17:25)",
        "WMS received 400 EA on 2027-01-08 09:14; ERP has not posted: in quality inspection 2 days",
    ]
    page.screenshot("inventory-variances")

    with page.page.expect_navigation():
        page.page.get_by_role("button", name="Reconcile ACME now").click()
    run = InventoryReconciliation.objects.get()
    assert page.page.locator(".message-success").inner_text() == f"Reconciliation #{run.pk} of ACME queued."
    page.screenshot("inventory-reconcile-queued")
    assert page.problems() == []
