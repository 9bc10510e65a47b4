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


def test_a_planner_goes_from_a_shortage_to_its_chart_orders_the_castings_and_traces_the_exception(page, story):
    sign_in(page, story["planner"])
    page.open("/workbench/")

    page.page.get_by_role("link", name="Shortages", exact=True).click()
    page.page.wait_for_load_state("load")
    castings = page.page.locator("table.shortages tbody tr").nth(2)
    assert castings.locator("td").nth(6).inner_text() == "PO-REQ-1/1 CASTINGS, promised 2027-01-31"
    with page.page.expect_navigation():
        castings.get_by_role("link", name="CAST-210").click()
    assert page.page.locator("main h1").inner_text().startswith("CAST-210 at DET")

    page.page.get_by_role("link", name="Planned purchases", exact=True).click()
    page.page.wait_for_load_state("load")
    row = page.page.locator("table.planned tbody tr").filter(has_text="CAST-210")
    row.get_by_label("PO number").fill("PO-PLN-7")
    with page.page.expect_navigation():
        row.get_by_role("button", name="Create PO").click()
    assert page.page.locator(".message-success").inner_text() == (
        "PO PO-PLN-7 published to CASTINGS by X12 EDI: 20 EA of CAST-210 needed by 2027-01-20. "
        "The next run counts it as supply."
    )
    page.screenshot("requirements-planned-ordered")
    # The back button brings the form back as it was; submitting it again sends nothing.
    page.page.go_back()
    page.page.wait_for_load_state("load")
    row = page.page.locator("table.planned tbody tr").filter(has_text="CAST-210")
    with page.page.expect_navigation():
        row.get_by_role("button", name="Create PO").click()
    assert "is already PO PO-PLN-7: nothing was sent again." in page.page.locator(".message-info").inner_text()
    assert PurchaseOrder.objects.filter(lines__item__part_number="CAST-210").count() == 2  # PO-REQ-1 and ours
    assert PlannedPurchase.objects.get(item__part_number="CAST-210").po.number == "PO-PLN-7"

    page.open(f"/workbench/exceptions/{story['exception']}/")
    trace = page.page.locator("section.requirement-trace")
    assert "DET runs out of CAST-210 on 2027-01-20: 20 EA short, 1 day of cover lost." in trace.inner_text()
    with page.page.expect_navigation():
        trace.get_by_role("link", name="CAST-210").click()
    assert page.page.locator("main h1").inner_text().startswith("CAST-210 at DET")
    assert page.problems() == []
