"""The inventory pages with ACME's demo stock: by item and plant, an item's ledger, the variances — and who
may open them (the buyer of ACME, a buyer of OTHER, a supplier's person, nobody signed in)."""

from urllib.parse import quote

import pytest

from materials.models import InventoryReconciliation
from procurement.models import ProcurementException

from .html import table_rows, text

PAGES = [
    "/workbench/inventory/",
    "/workbench/inventory/?company=ACME&plant=DET&part=BRG-330",
    "/workbench/inventory/items/BRG-330/",
    "/workbench/inventory/items/BRG-330/?company=ACME&plant=DET",
    "/workbench/inventory/variances/",
]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_the_workbench_sign_in(client, acme_inventory, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/workbench/sign-in/?next={quote(path, safe='/')}"


@pytest.mark.parametrize("path", PAGES)
def test_a_supplier_person_gets_403(client, supplier_user, acme_inventory, path):
    client.force_login(supplier_user)

    response = client.get(path)

    assert response.status_code == 403
    assert "The workbench is for the buying company's staff." in text(response.content.decode())


def test_stock_by_item_and_plant_shows_physical_posted_and_each_system(client, buyer, acme_inventory):
    client.force_login(buyer)

    page = client.get("/workbench/inventory/").content.decode()

    rows = table_rows(page, "inventory")
    # The second header row names the sides; body rows follow.
    assert rows[0] == ["Physical", "Posted", "Reserved", *["Physical", "Posted"] * 3]
    assert rows[1:] == [
        [
            "DET",
            "BRG-330",
            "Ball bearing 6204-2RS",
            "850 EA",
            "450 EA",
            "0 EA",
            "0",
            "450",
            "—",
            "—",
            "850",
            "0",
            "variance",
        ],
        ["DET", "MTR-400", "Motor 2 kW, IE2", "40 EA", "40 EA", "0 EA", "0", "40", "—", "—", "40", "0", ""],
        [
            "MTY",
            "BLT-M8",
            "Hex bolt M8x25, zinc plated",
            "5000 EA",
            "5000 EA",
            "0 EA",
            "0",
            "5000",
            "4990",
            "0",
            "5000",
            "0",
            "",
        ],
        [
            "MTY",
            "CAST-210",
            "Housing casting, grey iron",
            "112 EA",
            "120 EA",
            "0 EA",
            "0",
            "120",
            "—",
            "—",
            "112",
            "0",
            "variance",
        ],
    ]
    assert "4 items at a plant" in text(page)


def test_the_filter_narrows_to_one_plant_and_part(client, buyer, acme_inventory):
    client.force_login(buyer)

    page = client.get("/workbench/inventory/", {"company": "ACME", "plant": "MTY", "part": "BLT-M8"}).content.decode()

    assert [row[:2] for row in table_rows(page, "inventory")[1:]] == [["MTY", "BLT-M8"]]


def test_an_items_page_shows_its_balances_and_events_newest_first(client, buyer, acme_inventory):
    client.force_login(buyer)

    page = client.get("/workbench/inventory/items/BRG-330/", {"company": "ACME", "plant": "DET"}).content.decode()

    assert [row[:7] for row in table_rows(page, "balances")] == [
        ["DET", "—", "L2411", "usable", "ERP", "0", "450"],
        ["DET", "QI-1", "L2412", "quarantine", "WMS", "400", "0"],
        ["DET", "R-12", "L2411", "usable", "WMS", "450", "0"],
    ]
    assert [row[:6] for row in table_rows(page, "events")] == [
        ["2027-01-08 09:14", "WMS", "W-1003", "Receipt", "physical", "400 EA"],
        ["2027-01-08 08:10", "ERP", "E-5002", "Issue / consumption", "posted", "150 EA"],
        ["2027-01-08 07:40", "WMS", "W-1002", "Issue / consumption", "physical", "150 EA"],
        ["2027-01-01 16:30", "ERP", "E-5001", "Receipt", "posted", "600 EA"],
        ["2026-12-31 08:05", "WMS", "W-1001", "Receipt", "physical", "600 EA"],
    ]


def test_the_variance_list_explains_each_variance(client, buyer, acme_inventory):
    client.force_login(buyer)

    page = client.get("/workbench/inventory/variances/").content.decode()

    rows = table_rows(page, "variances")
    assert [row[:8] for row in rows] == [
        [
            "Financial mismatch", "BRG-330", "DET", "L2412", "quarantine", "physical_vs_posted", "400",
            "WMS received 400 EA on 2027-01-08 09:14; ERP has not posted: in quality inspection 2 days",
        ],
        [
            "Financial mismatch", "CAST-210", "MTY", "—", "usable", "physical_vs_posted", "8",
            "ERP posted a receipt of 120 EA on 2027-01-02 14:45; "
            "WMS has 112 on hand (last: WMS counted 112 EA on 2027-01-09 17:25)",
        ],
    ]  # fmt: skip
    assert "2 open variances" in text(page)


def test_a_buyer_queues_a_reconciliation_once(client, buyer, acme_inventory, company):
    client.force_login(buyer)

    first = client.post("/workbench/inventory/reconcile/", {"company": "ACME"}, follow=True)
    second = client.post("/workbench/inventory/reconcile/", {"company": "ACME"}, follow=True)

    run = InventoryReconciliation.objects.get()
    assert (run.company_id, run.state, run.requested_by) == (company.pk, "queued", "user buyer")
    assert f"Reconciliation #{run.pk} of ACME queued." in text(first.content.decode())
    assert f"Reconciliation #{run.pk} of ACME is already queued." in text(second.content.decode())
    assert f"Last run #{run.pk}: queued" in text(second.content.decode())


def test_a_buyer_of_another_company_sees_none_of_acmes_stock(client, other_buyer, acme_inventory):
    client.force_login(other_buyer)

    listed = client.get("/workbench/inventory/").content.decode()
    assert "No stock matches." in text(listed)
    assert "BRG-330" not in listed
    asked = client.get("/workbench/inventory/", {"company": "ACME"}).content.decode()
    assert "BRG-330" not in asked
    assert client.get("/workbench/inventory/items/BRG-330/").status_code == 404
    assert client.get("/workbench/inventory/items/BRG-330/", {"company": "ACME"}).status_code == 404
    variances = client.get("/workbench/inventory/variances/").content.decode()
    assert "No open variance" in text(variances)
    assert "BRG-330" not in variances
    assert client.post("/workbench/inventory/reconcile/", {"company": "ACME"}).status_code == 404
    assert InventoryReconciliation.objects.count() == 0
    assert ProcurementException.objects.open().count() == 2
