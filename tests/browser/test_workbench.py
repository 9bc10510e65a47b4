"""The workbench in a real browser: a planner signs in, reads the materials pages and releases a held
release; every page loads with nothing blocked and nothing failing. Screenshots go to /tmp/shots/."""

from __future__ import annotations

import pytest

from materials.models import BomRelease
from tests.browser.conftest import sign_in

PASSWORD = "correct horse battery staple"
PAGES = {
    "start": "/",
    "workbench-home": "/workbench/",
    "bom-mty-after-change": "/workbench/materials/bom/?company=ACME&part=PUMP-100&plant=MTY&on=2027-02-01"
    "&bom_type=manufacturing",
    "where-used": "/workbench/materials/where-used/?company=ACME&part=BLT-M8&plant=DET&on=2027-01-15",
    "releases": "/workbench/materials/releases/",
    "held": "/workbench/materials/held/",
}


@pytest.mark.parametrize("name", PAGES)
def test_each_workbench_page_loads_with_nothing_blocked(page, acme_demo, name):
    sign_in(page, acme_demo["planner"])

    response = page.open(PAGES[name])

    assert response.status == 200
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert page.page.locator("main h1").count() == 1
    page.screenshot(name)
    assert page.problems() == []


def test_a_planner_signs_in_reads_the_bom_and_releases_a_held_release(page, acme_demo):
    page.open("/workbench/materials/held/")
    assert page.page.url.startswith(page.base_url + "/workbench/sign-in/?next=")
    page.screenshot("workbench-sign-in")
    page.page.get_by_label("User name").fill("planner")
    page.page.get_by_label("Password").fill(PASSWORD)
    with page.page.expect_navigation():
        page.page.get_by_role("button", name="Sign in").click()
    assert page.page.url == page.base_url + "/workbench/materials/held/"

    # The BOM form: Detroit, the day the change takes effect at Monterrey only.
    page.page.get_by_role("link", name="BOM", exact=True).click()
    page.page.get_by_label("Part number").fill("PUMP-100")
    page.page.get_by_label("Plant").select_option("DET")
    page.page.get_by_label("As of").fill("2027-02-01")
    with page.page.expect_navigation():
        page.page.get_by_role("button", name="Show").click()
    assert page.page.locator("h2").inner_text() == "PUMP-100 rev A"
    alternates = page.page.locator("table.bom tr.alternate td.part").all_inner_texts()
    assert [part.strip("↳ ") for part in alternates] == ["GSK-221", "BRG-331", "BLT-M8-SS"]
    page.screenshot("bom-det")

    page.page.get_by_role("link", name="Held releases").click()
    held = BomRelease.objects.get(release_id="DEMO-HSG-200-C")
    with page.page.expect_navigation():
        page.page.get_by_role("button", name="Release HSG-200 rev C without revision B").click()
    assert page.page.url == page.base_url + f"/workbench/materials/releases/{held.pk}/"
    assert page.page.locator(".message-success").inner_text() == (
        "HSG-200 rev C: applied — released by user planner without revision B"
    )
    page.screenshot("release-forced")
    held.refresh_from_db()
    assert (held.state, held.forced_by) == ("applied", "user planner")
    assert page.problems() == []


@pytest.mark.parametrize("path", ["/workbench/", "/workbench/materials/held/", "/workbench/exceptions/"])
def test_the_workbench_header_fits_one_nav_row_at_1280(page, acme_demo, path):
    sign_in(page, acme_demo["planner"])
    tab = page.page
    tab.set_viewport_size({"width": 1280, "height": 800})

    assert page.open(path).status == 200

    items = tab.locator(".site-nav li")
    assert items.all_inner_texts() == [
        "Home",
        "Exceptions",
        "Shortages",
        "Planned purchases",
        "Materials",
        "Inventory",
        "Documents",
        "KPIs",
        "Suppliers",
    ]
    tops = {round(box["y"]) for box in (li.bounding_box() for li in items.all())}
    assert len(tops) == 1, tops
    nav = tab.locator(".site-nav ul").bounding_box()
    assert nav["x"] + nav["width"] <= 1280
    header = tab.locator(".site-header").bounding_box()
    assert header["height"] < 100, header
    account = tab.locator(".site-header .account").bounding_box()
    assert account["y"] < min(tops), (account, tops)  # the account shares the brand's row
    page.screenshot(f"workbench-header-1280{path.replace('/', '-').rstrip('-')}")
    assert page.problems() == []


def test_the_materials_pages_share_a_second_level_nav(page, acme_demo):
    sign_in(page, acme_demo["planner"])

    page.open("/workbench/materials/releases/")

    sub = page.page.locator("nav.sub-nav[aria-label='Materials']")
    assert sub.locator("li").all_inner_texts() == ["BOM", "Where used", "Releases", "Held releases"]
    assert sub.locator("[aria-current='page']").inner_text() == "Releases"
    assert page.page.locator(".site-nav [aria-current='page']").inner_text() == "Materials"
    assert page.problems() == []
