"""The requirements pages in a real browser: a planner reads the shortages, opens an item's projected
availability (the chart is drawn from static files), turns a planned purchase into a PO, and follows an
exception's requirement trace to the chart. Nothing is blocked or failing, and axe-core finds no serious
or critical violation. Screenshots go to /tmp/shots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from materials.models import PlannedPurchase
from procurement import factories
from procurement.models import CompanyMembership, PurchaseOrder
from tests.browser.conftest import sign_in
from workbench.tests.requirement_data import requirements_world

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe-4.14.1.min.js"


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core findings, as "rule: first target" (evaluated through devtools,
    which the page's CSP does not govern)."""
    page.evaluate(AXE.read_text())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['nodes'][0]['target']}" for v in results["violations"] if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def story(company):
    planner = factories.BuyerFactory(username="planner", first_name="Pat", last_name="Planner", is_superuser=False)
    factories.CompanyMembershipFactory(company=company, user=planner, role=CompanyMembership.Role.PLANNER)
    return {"planner": planner, **requirements_world(company)}


def pages(story) -> dict[str, str]:
    return {
        "requirements-shortages": "/workbench/requirements/shortages/",
        "requirements-item-chart": "/workbench/requirements/items/CAST-210/?company=ACME&plant=DET",
        "requirements-planned": "/workbench/requirements/planned/",
        "requirements-exception-trace": f"/workbench/exceptions/{story['exception']}/",
    }


@pytest.mark.parametrize(
    "name",
    ["requirements-shortages", "requirements-item-chart", "requirements-planned", "requirements-exception-trace"],
)
def test_each_page_renders_with_nothing_blocked_and_no_serious_accessibility_violation(page, story, name):
    sign_in(page, story["planner"])

    response = page.open(pages(story)[name])

    assert response.status == 200
    assert page.page.locator("main h1").count() == 1
    page.screenshot(name)
    assert page.problems() == []
    assert axe_violations(page.page) == []


def test_the_chart_draws_stock_as_a_step_line_with_safety_stock_and_marks(page, story):
    sign_in(page, story["planner"])

    page.open(pages(story)["requirements-item-chart"])

    drawn = page.page.evaluate(
        """() => {
            const canvas = document.querySelector('canvas[data-projection]');
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            return [chart.data.labels, chart.data.datasets.map((d) => [d.label, d.stepped || false, d.data]),
                    pixels.some((v) => v !== 0)];
        }"""
    )
    assert drawn == [
        ["On hand", "2027-01-20", "2027-01-31"],
        [
            ["Projected stock (EA)", "before", [0, -20, 0]],
            ["Safety stock", "before", [0, 0, 0]],
            ["Demand", False, [None, 20, None]],
            ["PO and ASN receipts", False, [None, None, 20]],
            ["Planned receipts", False, [None, 20, None]],
        ],
        True,
    ]
    assert page.problems() == []


def test_a_planner_goes_from_a_shortage_to_its_chart_traces_the_exception_and_orders_the_castings(page, story):
    sign_in(page, story["planner"])
    page.open("/workbench/")

    page.page.get_by_role("link", name="Shortages", exact=True).click()
    page.page.wait_for_load_state("load")
    castings = page.page.locator("table.shortages tbody tr").nth(2)
    assert castings.locator("td").nth(7).inner_text() == "PO-REQ-1/1 CASTINGS, promised 2027-01-31"
    with page.page.expect_navigation():
        castings.get_by_role("link", name="CAST-210").click()
    assert page.page.locator("main h1").inner_text().startswith("CAST-210 at DET")

    page.open(f"/workbench/exceptions/{story['exception']}/")
    trace = page.page.locator("section.requirement-trace")
    assert "DET runs out of CAST-210 on 2027-01-20: 20 EA short, 1 day of cover lost." in trace.inner_text()
    with page.page.expect_navigation():
        trace.get_by_role("link", name="CAST-210").click()
    assert page.page.locator("main h1").inner_text().startswith("CAST-210 at DET")

    page.page.get_by_role("link", name="Planned purchases", exact=True).click()
    page.page.wait_for_load_state("load")
    row = page.page.locator("table.planned tbody tr").filter(has_text="CAST-210")
    row.get_by_label("PO number").fill("PO-PLN-7")
    with page.page.expect_navigation():
        row.get_by_role("button", name="Create PO").click()
    assert page.page.locator(".message-success").inner_text() == (
        "PO-PLN-7 published to CASTINGS by X12 EDI: 20 EA of CAST-210 needed by 2027-01-20. "
        "Counted as supply at once: CAST-210 at DET is no longer short."
    )
    page.screenshot("requirements-planned-ordered")
    # The back button brings the form back as it was; submitting it again sends nothing.
    page.page.go_back()
    page.page.wait_for_load_state("load")
    row = page.page.locator("table.planned tbody tr").filter(has_text="CAST-210")
    with page.page.expect_navigation():
        row.get_by_role("button", name="Create PO").click()
    assert "is already PO-PLN-7: nothing was sent again." in page.page.locator(".message-info").inner_text()
    assert PurchaseOrder.objects.filter(lines__item__part_number="CAST-210").count() == 2  # PO-REQ-1 and ours
    assert PlannedPurchase.objects.get(item__part_number="CAST-210").po.number == "PO-PLN-7"

    # The shortage list counts the new PO at once: no CAST-210 row is left "arriving too late".
    page.page.get_by_role("link", name="Shortages", exact=True).click()
    page.page.wait_for_load_state("load")
    parts = page.page.locator("table.shortages tbody tr td:nth-child(3)").all_inner_texts()
    assert [part.split()[0] for part in parts] == [
        "BAR-321", "BLT-M8", "GSK-220", "HSG-200", "IMP-300", "IMP-310", "LBL-900", "SHF-320",
    ]  # fmt: skip
    page.screenshot("requirements-shortages-after-create-po")
    assert page.problems() == []


def test_the_chart_of_a_primary_shows_what_its_alternate_covered_and_what_is_allocated(page, story, company):
    import datetime as dt
    from decimal import Decimal

    from materials.inputs import InventoryEventInput
    from materials.models import InventoryPolicy
    from materials.services import inventory_events_apply, requirements_regenerate
    from workbench.tests.requirement_data import TODAY

    InventoryPolicy.objects.update_or_create(company=company, defaults={"subtract_reserved": True})
    at = dt.datetime(2027, 1, 9, 8, tzinfo=dt.UTC)
    inventory_events_apply(
        actor=_system(company),
        company_code="ACME",
        source_system="WMS",
        events=[
            InventoryEventInput("DET", "BLT-M8", "receipt", Decimal(50), "W-9001", 9001, at),
            InventoryEventInput("DET", "BLT-M8", "reservation", Decimal(10), "W-9002", 9002, at),
            InventoryEventInput("DET", "BLT-M8-SS", "receipt", Decimal(200), "W-9003", 9003, at),
        ],
    )
    requirements_regenerate(company=company, today=TODAY)
    sign_in(page, story["planner"])

    page.open("/workbench/requirements/items/BLT-M8/?company=ACME&plant=DET")

    table = page.page.locator("table.projection")
    headings = table.locator("thead th").all_inner_texts()
    assert headings == [
        "Date", "On hand", "Allocations", "PO receipts", "ASNs in transit", "Demand", "Covered by alternates",
        "Planned receipts", "Safety stock", "Projected", "Demands due",
    ]  # fmt: skip
    # 50 on hand, 10 allocated: 40. MO-DEMO-1 needs 280: 8 a pump through the line BLT-M8-SS stands in
    # for (160), 6 a housing through one it does not (120). BLT-M8-SS covers the 160: 80 short, 80 planned.
    assert table.locator("tbody tr").first.locator("td").all_inner_texts() == [
        "50", "10", "0", "0", "280", "160", "80", "0", "-80",
        "MO-DEMO-1 (PUMP-100): 280\nMO-DEMO-1: 160 covered by BLT-M8-SS (160)",
    ]  # fmt: skip
    page.screenshot("requirements-item-chart-alternates")
    assert page.problems() == []
    assert axe_violations(page.page) == []

    page.open("/workbench/requirements/items/BLT-M8-SS/?company=ACME&plant=DET")
    row = page.page.locator("table.projection tbody tr").first
    assert "MO-DEMO-1: 160 in place of BLT-M8" in row.inner_text()
    page.screenshot("requirements-item-chart-alternate-given")


def _system(company):
    from gateway.actors import Actor

    return Actor.for_system(company_ids={company.pk}, label="system WMS")


def test_a_buyer_orders_a_shortages_planned_purchase_from_its_exception(page, story):
    from procurement.models import ProcurementException

    gasket = ProcurementException.objects.get(kind="material_shortage", evidence__part_number="GSK-220")
    sign_in(page, story["planner"])
    page.page.set_viewport_size({"width": 1280, "height": 800})

    page.open("/workbench/exceptions/?kind=material_shortage")
    page.screenshot("queue-material-shortages")
    with page.page.expect_navigation():
        page.page.locator("table.queue tr", has_text="GSK-220").get_by_role("link").first.click()
    assert page.page.url.startswith(page.base_url + f"/workbench/exceptions/{gasket.pk}/")
    assert page.page.locator("table.evidence").get_by_role("link", name="GSK-220").get_attribute("href") == (
        "/workbench/requirements/items/GSK-220/?company=ACME&plant=DET"
    )
    assert page.page.get_by_role("button", name="Reject").count() == 0
    page.screenshot("exception-material-shortage")
    assert axe_violations(page.page) == []

    page.page.get_by_label("Order the planned purchase from BOLTS — PO number").fill("PO-GSK-1")
    with page.page.expect_navigation():
        page.page.get_by_role("button", name="Create PO").click()
    assert page.page.locator(".message-success").inner_text().startswith("PO-GSK-1 published to BOLTS")
    po = PurchaseOrder.objects.get(number="PO-GSK-1")
    assert po.supplier.code == "BOLTS"

    # The exception, cleared by the PO, says so and tells its severity in the past.
    page.open(f"/workbench/exceptions/{gasket.pk}/")
    assert page.page.locator("#state").inner_text().splitlines()[:2] == [
        "State",
        "Resolved — Cleared by a later requirements run",
    ]
    assert "Covered by PO-GSK-1 (Create PO by planner)" in page.page.locator("#state").inner_text()
    assert page.page.locator("section.requirement-trace p").first.inner_text() == (
        "As things stood when it was closed, DET runs out of GSK-220 on 2027-01-20: 20 EA short."
    )
    page.screenshot("exception-material-shortage-covered")
    # The planned purchase names its PO and is late no more.
    page.open("/workbench/requirements/planned/?company=ACME&part=GSK-220")
    cells = page.page.locator("table.planned tbody tr td")
    assert cells.nth(0).inner_text() == "2027-01-06"
    assert cells.nth(8).inner_text() == "ordered as PO-GSK-1"
    page.screenshot("requirements-planned-gasket-ordered")
    assert page.problems() == []
