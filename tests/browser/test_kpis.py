"""The KPI dashboard, a scorecard and the documents console in a real browser: the charts draw
(a canvas each, painted), nothing is blocked or failing, and axe-core finds no serious or critical
accessibility violation. Screenshots go to /tmp/shots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from procurement.models import ReceiptLine, Shipment, ShipmentPack
from tests.browser.conftest import sign_in
from workbench.tests.kpi_data import NOW, kpi_dataset

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe-4.14.1.min.js"
PERIOD = "start=2027-01-01&end=2027-02-28"
PAGES = {
    "kpis-by-month": f"/workbench/kpis/?{PERIOD}",
    "kpis-by-supplier": f"/workbench/kpis/?{PERIOD}&group=supplier",
    "scorecard-cast": f"/workbench/suppliers/CAST/scorecard/?{PERIOD}",
    "documents": "/workbench/documents/",
}


@pytest.fixture
def kpi_clock(monkeypatch):
    """The server's clock at the dataset's "now" (2027-03-01): the record is dated in early 2027, and
    what depends on the time of asking (an open exception's age, whether an acknowledgement is due)
    reads as the dataset's comments say, whatever day the tests run."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)


@pytest.fixture
def kpi_world(company, buyer, kpi_clock):
    kpi_dataset(company)
    return buyer


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core findings, as "rule: first target". The engine is evaluated
    through the browser's devtools, which the page's CSP does not govern, so no policy is loosened."""
    page.evaluate(AXE.read_text())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['nodes'][0]['target']}" for v in results["violations"] if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_with_nothing_blocked_and_no_serious_accessibility_violation(page, kpi_world, name):
    sign_in(page, kpi_world)

    response = page.open(PAGES[name])

    assert response.status == 200
    assert page.page.locator("main h1").count() == 1
    page.screenshot(name)
    assert page.problems() == []
    assert axe_violations(page.page) == []


def test_the_dashboard_draws_every_chart(page, kpi_world):
    sign_in(page, kpi_world)

    page.open(PAGES["kpis-by-supplier"])

    canvases = page.page.locator("canvas[data-chart]")
    assert canvases.count() == 8
    # Chart.js registers each chart it drew on its canvas; a painted canvas has non-blank pixels.
    drawn = page.page.evaluate(
        """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map((c) => {
            const chart = Chart.getChart(c);
            const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            return [chart ? chart.data.labels.length : -1, pixels.some((v) => v !== 0)];
        })"""
    )
    # The last is the sync SLAs by object type, a bar group per type and supplier: POs acknowledged
    # and change proposals answered (those still unanswered are overdue by 2027-03-01), BOLTS and CAST.
    assert drawn == [[2, True], [2, True], [2, True], [2, True], [2, True], [3, True], [1, True], [4, True]]
    assert page.problems() == []


def test_the_exceptions_chart_reads_open_ages_at_the_servers_now(page, kpi_world):
    sign_in(page, kpi_world)

    page.open(PAGES["kpis-by-month"])

    chart = page.page.evaluate("() => JSON.parse(document.getElementById('chart-exceptions-data').textContent)")
    # At 2027-03-01: E1 (production stop) raised a day before, E4 (financial mismatch) two days before.
    assert chart["labels"] == ["Production stop", "Financial mismatch"]
    assert [d["data"] for d in chart["datasets"]] == [[2, 3], [1, 1], [24.0, 48.0], [24.0, 18.0]]
    assert page.problems() == []


@pytest.fixture
def kpi_world_with_packs(company, buyer, kpi_clock):
    """The same record, each ship notice packed in one SSCC and its receipt scanned under it."""
    kpi_dataset(company)
    for n, shipment in enumerate(Shipment.objects.order_by("pk"), start=1):
        pack = ShipmentPack.objects.create(shipment=shipment, sscc=f"{n:018d}")
        shipment.lines.update(pack=pack)
        ReceiptLine.objects.filter(receipt__shipment=shipment).update(sscc=pack.sscc)
    return buyer


@pytest.mark.parametrize("group", ["month", "supplier"])
def test_the_newest_charts_draw_and_pass_axe(page, kpi_world_with_packs, group):
    """Sync SLAs by object type and ASN accuracy by SSCC, both with numbers, drawn on the dashboard
    that axe-core then checks."""
    sign_in(page, kpi_world_with_packs)

    response = page.open(f"/workbench/kpis/?{PERIOD}&group={group}")

    assert response.status == 200
    drawn = page.page.evaluate(
        """() => ['chart-sync-data', 'chart-asn_packs-data'].map((key) => {
            const canvas = document.querySelector(`canvas[data-chart="${key}"]`);
            if (!canvas) { return null; }
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            return [chart ? chart.data.labels.length : -1, pixels.some((v) => v !== 0)];
        })"""
    )
    # Sync: the record's measured types (POs acknowledged, change proposals answered or overdue at
    # 2027-03-01), as a whole by month or per supplier (BOLTS, CAST); packs: per month (January,
    # February) or per supplier (BOLTS, CAST).
    assert drawn == ([[2, True], [2, True]] if group == "month" else [[4, True], [2, True]])
    page.page.locator("section[aria-labelledby='chart-asn_packs-title']").scroll_into_view_if_needed()
    page.screenshot(f"kpis-newest-charts-{group}")
    assert page.problems() == []
    assert axe_violations(page.page) == []


def test_small_data_draws_bars_of_a_bars_width_visible_points_and_labels_that_never_overlap(page, kpi_world):
    sign_in(page, kpi_world)
    page.page.set_viewport_size({"width": 1280, "height": 800})

    assert page.open(PAGES["kpis-by-supplier"]).status == 200

    drawn = page.page.evaluate(
        """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map((canvas) => {
            const chart = Chart.getChart(canvas);
            const bars = chart.data.datasets.filter((set) => set.type === 'bar');
            const widths = bars.flatMap((set, i) => chart.getDatasetMeta(chart.data.datasets.indexOf(set)).data
                .map((bar) => Math.round(bar.width)));
            const lines = chart.data.datasets.filter((set) => set.type === 'line');
            return {
                widest: Math.max(0, ...widths),
                radius: lines.map((set) => set.pointRadius),
                rotation: chart.scales.x.labelRotation,
                longest: Math.max(...chart.data.labels.flat().map((label) => String(label).length)),
            };
        })"""
    )
    assert len(drawn) == 8
    for chart in drawn:
        assert chart["widest"] <= 48, chart
        assert set(chart["radius"]) <= {4}, chart
        assert chart["rotation"] == 0, chart
        assert chart["longest"] <= 15, chart
    page.screenshot("kpis-small-data")
    assert page.problems() == []


# Each chart's category labels as drawn: the pairs of neighbours whose widest lines overlap, as
# "left | right", when the labels are not rotated.
OVERLAPPING_LABELS = """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map((canvas) => {
    const scale = Chart.getChart(canvas).scales.x;
    const ctx = canvas.getContext('2d');
    ctx.save();
    ctx.font = Chart.helpers.toFont(scale.options.ticks.font).string;
    const lines = (tick) => [].concat(tick.label);
    const widths = scale.ticks.map((tick) => Math.max(...lines(tick).map((line) => ctx.measureText(line).width)));
    ctx.restore();
    const pairs = [];
    for (let i = 1; i < widths.length; i++) {
        const room = scale.getPixelForTick(i) - scale.getPixelForTick(i - 1);
        if (scale.labelRotation === 0 && (widths[i - 1] + widths[i]) / 2 > room) {
            pairs.push(lines(scale.ticks[i - 1]).join(" ") + " | " + lines(scale.ticks[i]).join(" "));
        }
    }
    return [canvas.dataset.chart, pairs];
}).filter(([, pairs]) => pairs.length)"""


# Every object type the sync SLAs chart can show, as a record with each of them would have it drawn.
EVERY_SYNC_TYPE = """() => {
    const chart = Chart.getChart(document.querySelector('canvas[data-chart="chart-sync-data"]'));
    chart.data.labels = [
        "PO → acknowledgement", "Change → answer", "Ship notice", "Invoice", "Inventory sync", "BOM release"
    ];
    chart.update();
}"""


@pytest.mark.parametrize("width", [1280, 560])
def test_the_sync_slas_object_types_never_overlap(page, demo_buyer, width):
    """At a chart's width the types' names wrap between words to fit their category, and are rotated
    only if a word alone is wider than its category."""
    sign_in(page, demo_buyer)
    page.page.set_viewport_size({"width": width, "height": 900})
    assert page.open("/workbench/kpis/").status == 200
    assert page.page.evaluate(OVERLAPPING_LABELS) == []

    page.page.evaluate(EVERY_SYNC_TYPE)

    page.page.locator("section[aria-labelledby='chart-sync-title']").scroll_into_view_if_needed()
    page.screenshot(f"kpis-sync-every-type-{width}")
    assert page.page.evaluate(OVERLAPPING_LABELS) == []
    assert page.problems() == []
