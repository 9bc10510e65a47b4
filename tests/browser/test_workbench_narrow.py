"""The workbench's list pages on a 560 px screen, with the demo's data on them: the page never scrolls
sideways (a wide table scrolls inside its own box), and at 1280 px the same pages still fit. Screenshots
at both widths go to GATEWAY_SCREENSHOTS."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_portal_pages import OVERFLOWING

NARROW = 560
WIDE = 1280
SIZES = "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
PAGES = {
    "workbench-exceptions": "/workbench/exceptions/",
    "workbench-shortages": "/workbench/requirements/shortages/",
    "workbench-inventory": "/workbench/inventory/",
    "workbench-variances": "/workbench/inventory/variances/",
    "workbench-planned": "/workbench/requirements/planned/",
    "workbench-documents": "/workbench/documents/",
    "workbench-scorecard": "/workbench/suppliers/CASTINGS/scorecard/",
    "workbench-releases": "/workbench/materials/releases/",
    "workbench-projection": "/workbench/requirements/items/GSK-220/?company=ACME&plant=DET",
}


@pytest.mark.parametrize("width", [NARROW, WIDE])
def test_the_workbench_pages_never_scroll_sideways(page, demo_buyer, width):
    sign_in(page, demo_buyer)
    tab = page.page
    tab.set_viewport_size({"width": width, "height": 900})
    sizes = {}
    overflowing = {}

    for name, path in PAGES.items():
        assert page.open(path).status == 200, path
        page.screenshot(f"{name}-{width}")
        sizes[name] = tab.evaluate(SIZES)
        overflowing[name] = tab.evaluate(OVERFLOWING)

    assert sizes == {name: [width, width] for name in PAGES}, overflowing
    assert page.problems() == []


def test_an_exception_with_the_orders_it_would_stop_never_scrolls_sideways(page, demo_buyer):
    from procurement.models import ProcurementException

    shortage = ProcurementException.objects.filter(kind="material_shortage", severity="production_stop").first()
    sign_in(page, demo_buyer)
    tab = page.page
    tab.set_viewport_size({"width": NARROW, "height": 900})

    assert page.open(f"/workbench/exceptions/{shortage.pk}/").status == 200
    page.screenshot(f"workbench-exception-{NARROW}")

    assert tab.locator(".requirement-trace table tbody tr").count() >= 1
    assert tab.evaluate(SIZES) == [NARROW, NARROW], tab.evaluate(OVERFLOWING)
    assert page.problems() == []


def test_a_document_with_its_timeline_never_scrolls_sideways(page, demo_buyer):
    from django.conf import settings

    from edi.models import TradingPartner
    from edi.tests.test_filedrop import drop, filedrop_scan
    from procurement.models import InboundDocument

    # The README's 855 from CASTINGS: its timeline holds the price deviation it raised.
    example = settings.BASE_DIR / "docs" / "examples" / "855-castings.edi"
    drop(TradingPartner.objects.get(supplier__code="CASTINGS"), "855-castings.edi", example.read_bytes())
    assert filedrop_scan() == 1
    document = InboundDocument.objects.get(filename="855-castings.edi")
    sign_in(page, demo_buyer)
    tab = page.page
    tab.set_viewport_size({"width": NARROW, "height": 900})

    assert page.open(f"/workbench/documents/in/{document.pk}/").status == 200
    page.screenshot(f"workbench-document-{NARROW}")

    assert tab.locator("table.timeline tbody tr").count() >= 1
    assert tab.evaluate(SIZES) == [NARROW, NARROW], tab.evaluate(OVERFLOWING)
    assert page.problems() == []
