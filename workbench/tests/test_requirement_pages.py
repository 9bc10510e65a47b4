"""The planner's requirements pages on ACME's demo story (``requirement_data``): shortages by plant and
date, an item's projection, planned purchases and "Create PO", the requirement trace of an exception —
and who may open them (ACME's buyer and planner; not OTHER's buyer, a supplier's person or nobody)."""

import json
from decimal import Decimal
from urllib.parse import quote

import pytest
from freezegun import freeze_time

from gateway.actors import Actor
from materials import inputs
from materials.models import PlannedPurchase
from materials.services import demands_upsert, requirements_regenerate
from notifications.models import OutboundMessage
from procurement.models import AuditEvent, Plant, ProcurementException, PurchaseOrder
from workbench import requirements as requirement_pages

from .html import table_rows, tables, text
from .requirement_data import NOW, TODAY, requirements_world

SHORTAGES = "/workbench/requirements/shortages/"
HOME_QUERIES = 8
PLANNED = "/workbench/requirements/planned/"
CASTINGS_CHART = "/workbench/requirements/items/CAST-210/?company=ACME&plant=DET"
PAGES = [SHORTAGES, f"{SHORTAGES}?company=ACME&plant=DET&severity=production_stop", PLANNED, CASTINGS_CHART]


@pytest.fixture
def story(company):
    return requirements_world(company)


def planned_pk(part: str) -> int:
    return PlannedPurchase.objects.get(item__part_number=part).pk


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_the_workbench_sign_in(client, story, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/workbench/sign-in/?next={quote(path, safe='/')}"


@pytest.mark.parametrize("path", PAGES)
def test_a_supplier_person_gets_403(client, supplier_user, story, path):
    client.force_login(supplier_user)

    response = client.get(path)

    assert response.status_code == 403


def test_a_supplier_person_cannot_create_a_po_and_nothing_is_sent(client, supplier_user, story):
    client.force_login(supplier_user)
    before = PurchaseOrder.objects.count()

    response = client.post(f"/workbench/requirements/planned/{planned_pk('CAST-210')}/order/", {"number": "X-1"})

    assert response.status_code == 403
    assert PurchaseOrder.objects.count() == before
    assert PlannedPurchase.objects.filter(state="ordered").count() == 0


def test_the_shortage_list_pegs_each_shortage_to_its_order_end_item_and_planned_purchase(client, planner, story):
    client.force_login(planner)

    page = client.get(SHORTAGES).content.decode()

    order = "MO-DEMO-1 (production order, PUMP-100)"
    assert table_rows(page, "shortages") == [
        ["DET", "2027-01-20", "BAR-321 Steel bar 20 mm, 1045", "7.35 M", "Stops production", "Production stop",
         f"{order}: 7.35",
         "nothing ordered", "buy 8 M from GEARS, release 2027-01-06 late"],
        ["DET", "2027-01-20", "BLT-M8 Hex bolt M8x25, zinc plated", "280 EA", "Stops production", "Production stop",
         f"{order}: 280",
         "nothing ordered", "buy 280 EA from BOLTS, release 2027-01-06 late"],
        ["DET", "2027-01-20", "CAST-210 Housing casting, grey iron", "20 EA", "Stops production", "—",
         f"{order}: 20",
         "PO-REQ-1/1 CASTINGS, promised 2027-01-31", "buy 20 EA from CASTINGS, release 2027-01-06"],
        ["DET", "2027-01-20", "GSK-220 Housing gasket, NBR", "20 EA", "Stops production", "Production stop",
         f"{order}: 20",
         "nothing ordered", "buy 20 EA from BOLTS, release 2027-01-06 late"],
        ["DET", "2027-01-20", "HSG-200 Pump housing subassembly", "20 EA", "Stops production", "Procurement delay",
         f"{order}: 20",
         "nothing ordered", "make 20 EA, release 2027-01-20"],
        ["DET", "2027-01-20", "IMP-300 Impeller subassembly", "20 EA", "Stops production", "Procurement delay",
         f"{order}: 20",
         "nothing ordered", "make 20 EA, release 2027-01-20"],
        ["DET", "2027-01-20", "IMP-310 Impeller blank, bronze", "20 EA", "Stops production", "Production stop",
         f"{order}: 20",
         "nothing ordered", "buy 20 EA from CASTINGS, release 2027-01-06 late"],
        ["DET", "2027-01-20", "LBL-900 Nameplate label", "20 EA", "Stops production", "Procurement delay",
         f"{order}: 20",
         "nothing ordered", "buy 20 EA, release 2027-01-20"],
        ["DET", "2027-01-20", "SHF-320 Pump shaft, machined", "20 EA", "Stops production", "Procurement delay",
         f"{order}: 20",
         "nothing ordered", "make 20 EA, release 2027-01-20"],
    ]  # fmt: skip
    assert "9 shortages" in text(page)
    # Each row links to its own exception, which carries the exception's severity: a late planned purchase
    # (or none) stops production; CAST-210's is carried by CASTINGS' date deviation on PO-REQ-1 instead.
    gasket = ProcurementException.objects.get(kind="material_shortage", evidence__part_number="GSK-220")
    badge = '<span class="badge badge-bad">Production stop</span>'
    assert f'<a href="/workbench/exceptions/{gasket.pk}/">{badge}</a>' in page
    assert 'href="/workbench/requirements/items/CAST-210/?company=ACME&amp;plant=DET"' in page


@pytest.mark.parametrize(
    ("query", "parts"),
    [
        ("plant=DET&part=CAST-210", ["CAST-210"]),
        ("plant=MTY", []),
        ("start=2027-01-20&end=2027-01-20&part=BLT-M8", ["BLT-M8"]),
        ("start=2027-01-21", []),
        ("end=2027-01-19", []),
        ("severity=procurement_delay", []),
        ("severity=production_stop&part=LBL-900", ["LBL-900"]),
    ],
)
def test_filters_narrow_by_plant_item_dates_and_severity(client, buyer, story, query, parts):
    client.force_login(buyer)

    page = client.get(f"{SHORTAGES}?company=ACME&{query}").content.decode()

    found = [row[2].split()[0] for row in table_rows(page, "shortages")] if parts else []
    assert found == parts
    if not parts:
        assert "No shortage matches" in text(page)


def test_independent_demand_short_is_its_own_severity(client, buyer, company, story):
    actor = Actor.for_system(company_ids={company.pk}, label="system ERP")
    demand = inputs.DemandInput("SP-7", "independent", "BRG-331", "DET", Decimal(4), TODAY.replace(day=25), "SPARES-7")
    demands_upsert(actor=actor, batch=inputs.DemandBatchInput("ACME", "ERP", (demand,)))
    requirements_regenerate(company=company, reason="test", today=TODAY)
    client.force_login(buyer)

    page = client.get(f"{SHORTAGES}?company=ACME&severity=procurement_delay").content.decode()

    assert table_rows(page, "shortages") == [
        ["DET", "2027-01-25", "BRG-331 Ball bearing 6204-ZZ", "4 EA", "Independent demand short", "—",
         "SPARES-7 (independent demand, BRG-331): 4", "nothing ordered", "buy 4 EA, release 2027-01-25"],
    ]  # fmt: skip


def test_dates_out_of_order_are_refused_in_words(client, buyer, story):
    client.force_login(buyer)

    page = client.get(f"{SHORTAGES}?company=ACME&start=2027-02-01&end=2027-01-01").content.decode()

    assert "The dates must start on or before their end." in text(page)
    assert 'class="data shortages"' not in page


def test_another_companys_buyer_sees_none_of_acmes_requirements(client, other_buyer, story):
    client.force_login(other_buyer)

    own = client.get(SHORTAGES).content.decode()
    asked = client.get(f"{SHORTAGES}?company=ACME").content.decode()
    planned = client.get(f"{PLANNED}?company=ACME").content.decode()
    chart = client.get(CASTINGS_CHART)
    chart_own_plant = client.get("/workbench/requirements/items/CAST-210/?company=OTHER&plant=OTP")
    order = client.post(f"/workbench/requirements/planned/{planned_pk('CAST-210')}/order/", {"number": "OTH-1"})

    assert "No shortage matches" in text(own)
    for page in (asked, planned):
        assert "Select a valid choice. ACME is not one of the available choices." in text(page)
        assert "CAST-210" not in page and "MO-DEMO-1" not in page
    assert (chart.status_code, chart_own_plant.status_code, order.status_code) == (404, 404, 404)
    assert not PurchaseOrder.objects.filter(number="OTH-1").exists()
    assert PlannedPurchase.objects.filter(state="ordered").count() == 0


def test_the_item_chart_carries_every_term_the_po_lines_behind_receipts_and_its_numbers(client, planner, story):
    client.force_login(planner)

    page = client.get(CASTINGS_CHART).content.decode()

    assert table_rows(page, "projection") == [
        ["2027-01-20 short", "0", "0", "0", "20", "20", "0", "-20", "MO-DEMO-1 (PUMP-100): 20"],
        ["2027-01-31", "—", "20", "0", "0", "0", "0", "0", "—"],
    ]
    assert next(t for t in tables(page) if "projection" in t["classes"])["rows"][0] == [
        "Date", "On hand", "PO receipts", "ASNs in transit", "Demand", "Planned receipts", "Safety stock", "Projected",
        "Demands due",
    ]  # fmt: skip
    assert table_rows(page, "receipts") == [
        ["2027-01-31", "PO line", "PO-REQ-1", "1", "CASTINGS", "20", "2027-01-15", "2027-01-31"]
    ]
    assert table_rows(page, "planned") == [["2027-01-06", "2027-01-20", "20", "CASTINGS", "Proposed"]]
    data = json.loads(page.split('id="projection-data" type="application/json">')[1].split("</script>")[0])
    assert data == {
        "labels": ["On hand", "2027-01-20", "2027-01-31"],
        "uom": "EA",
        "projected": [0.0, -20.0, 0.0],
        "safety": [0.0, 0.0, 0.0],
        "demand": [None, 20.0, None],
        "receipts": [None, None, 20.0],
        "planned": [None, 20.0, None],
    }
    assert "<script>" not in page  # the chart is drawn by static files only


@pytest.mark.parametrize(
    "path",
    [
        "/workbench/requirements/items/NOPE-1/?company=ACME&plant=DET",
        "/workbench/requirements/items/CAST-210/?company=ACME&plant=ZZZ",
        "/workbench/requirements/items/CAST-210/?company=OTHER&plant=DET",
    ],
)
def test_an_unknown_item_or_plant_is_404(client, buyer, story, path):
    client.force_login(buyer)

    assert client.get(path).status_code == 404


def test_an_item_the_plan_never_reached_says_so(client, buyer, story):
    client.force_login(buyer)

    page = client.get("/workbench/requirements/items/CAST-210/?company=ACME&plant=MTY").content.decode()

    assert "No requirements run has planned CAST-210 at MTY." in text(page)
    assert "projection-data" not in page


def test_planned_purchases_list_what_to_buy_with_the_demands_served_and_an_order_button(client, buyer, story):
    client.force_login(buyer)

    page = client.get(PLANNED).content.decode()

    order = "Create PO"
    rows = table_rows(page, "planned")
    assert [(r[0], r[3].split()[0], r[4], r[6], r[7], r[8]) for r in rows] == [
        ("2027-01-06 late", "BAR-321", "8 M", "GEARS", "MO-DEMO-1 (PUMP-100): 7.35", f"PO number {order}"),
        ("2027-01-06 late", "BLT-M8", "280 EA", "BOLTS", "MO-DEMO-1 (PUMP-100): 280", f"PO number {order}"),
        ("2027-01-06", "CAST-210", "20 EA", "CASTINGS", "MO-DEMO-1 (PUMP-100): 20", f"PO number {order}"),
        ("2027-01-06 late", "GSK-220", "20 EA", "BOLTS", "MO-DEMO-1 (PUMP-100): 20", f"PO number {order}"),
        ("2027-01-06 late", "IMP-310", "20 EA", "CASTINGS", "MO-DEMO-1 (PUMP-100): 20", f"PO number {order}"),
        ("2027-01-20", "HSG-200", "20 EA", "made in-house", "MO-DEMO-1 (PUMP-100): 20",
         "a make order: release it in the ERP"),
        ("2027-01-20", "IMP-300", "20 EA", "made in-house", "MO-DEMO-1 (PUMP-100): 20",
         "a make order: release it in the ERP"),
        ("2027-01-20", "LBL-900", "20 EA", "no approved supplier", "MO-DEMO-1 (PUMP-100): 20",
         "approve a supplier for the item first"),
        ("2027-01-20", "SHF-320", "20 EA", "made in-house", "MO-DEMO-1 (PUMP-100): 20",
         "a make order: release it in the ERP"),
    ]  # fmt: skip
    ordered = client.get(f"{PLANNED}?company=ACME&state=ordered").content.decode()
    assert "The plan proposes nothing that matches." in text(ordered)


@freeze_time(NOW)
def test_create_po_publishes_to_the_supplier_states_the_effect_is_audited_and_a_second_submit_sends_nothing(
    client, buyer, story
):
    client.force_login(buyer)
    pk = planned_pk("CAST-210")
    url = f"/workbench/requirements/planned/{pk}/order/"

    first = client.post(url, {"number": "PO-PLN-1"}, follow=True)
    again = client.post(url, {"number": "PO-PLN-1"}, follow=True)
    other_number = client.post(url, {"number": "PO-PLN-2"}, follow=True)

    po = PurchaseOrder.objects.get(number="PO-PLN-1")
    line = po.lines.get()
    assert (po.supplier.code, po.ship_to.code, line.item.part_number, line.quantity, str(line.need_by)) == (
        "CASTINGS", "DET", "CAST-210", Decimal(20), "2027-01-20",
    )  # fmt: skip
    planned = PlannedPurchase.objects.get(pk=pk)
    assert (planned.state, planned.po_id) == ("ordered", po.pk)
    assert (
        "PO-PLN-1 published to CASTINGS by X12 EDI: 20 EA of CAST-210 needed by 2027-01-20. "
        "Counted as supply at once: CAST-210 at DET is no longer short."
    ) in text(first.content.decode())
    for response in (again, other_number):
        said = text(response.content.decode())
        assert f"Planned purchase {pk} is already PO-PLN-1: nothing was sent again." in said
    assert not PurchaseOrder.objects.filter(number="PO-PLN-2").exists()
    audits = AuditEvent.objects.filter(action="planned_purchase.ordered")
    assert [(a.object_id, a.actor_label, a.channel, a.after["po"]) for a in audits] == [
        (str(pk), "user buyer", "workbench", "PO-PLN-1")
    ]
    assert OutboundMessage.objects.filter(po=po, event="po.published").count() == 1
    planned_page = client.get(f"{PLANNED}?company=ACME&part=CAST-210").content.decode()
    assert table_rows(planned_page, "planned")[0][8] == "ordered as PO-PLN-1"


def _shortage_rows(client, part: str) -> list[list[str]]:
    page = client.get(f"{SHORTAGES}?company=ACME&part={part}").content.decode()
    return table_rows(page, "shortages") if "No shortage matches" not in page else []


@freeze_time(NOW)
def test_create_po_from_a_shortage_counts_the_po_at_once_and_clears_the_shortage_and_its_exception(
    client, buyer, story
):
    client.force_login(buyer)
    exception = _shortage_exception("GSK-220")
    order = "MO-DEMO-1 (production order, PUMP-100)"
    assert _shortage_rows(client, "GSK-220") == [
        ["DET", "2027-01-20", "GSK-220 Housing gasket, NBR", "20 EA", "Stops production", "Production stop",
         f"{order}: 20", "nothing ordered", "buy 20 EA from BOLTS, release 2027-01-06 late"],
    ]  # fmt: skip
    detail = client.get(f"/workbench/exceptions/{exception.pk}/").content.decode()
    assert "Order the planned purchase from BOLTS — PO number Create PO" in text(detail)

    response = client.post(
        f"/workbench/requirements/planned/{planned_pk('GSK-220')}/order/", {"number": "PO-PLN-7"}, follow=True
    )

    said = text(response.content.decode())
    assert (
        "PO-PLN-7 published to BOLTS by Web portal: 20 EA of GSK-220 needed by 2027-01-20. "
        "Counted as supply at once: GSK-220 at DET is no longer short."
    ) in said
    assert _shortage_rows(client, "GSK-220") == []
    exception.refresh_from_db()
    assert (exception.state, exception.resolution) == ("resolved", "auto_cleared")
    assert exception.resolution_note == "Covered by PO-PLN-7 (Create PO by buyer)"
    closed = text(client.get(f"/workbench/exceptions/{exception.pk}/").content.decode())
    # What cleared it, and its severity as it stood then: nothing reads as current on a closed one.
    assert "State Resolved — Cleared by a later requirements run Owner unassigned Raised " in closed
    assert (
        "Closed 2027-01-10 12:00 UTC by the system: Covered by PO-PLN-7 (Create PO by buyer) "
        "Why this severity: the requirements "
        "As things stood when it was closed, DET runs out of GSK-220 on 2027-01-20: 20 EA short. "
        "Order it would stop"
    ) in closed
    assert "As things stand" not in closed
    assert "production stops unless it is expedited" not in closed
    assert closed.endswith(
        "material requirements buying system Shortage raised by the requirements run "
        "2027-01-10 12:00:00 material requirements buying system Cleared automatically"
    )
    # The planned purchase stays, ordered and naming its PO, until the next full run.
    planned = PlannedPurchase.objects.get(item__part_number="GSK-220")
    assert (planned.state, planned.po.number) == ("ordered", "PO-PLN-7")
    planned_page = client.get(f"{PLANNED}?company=ACME&part=GSK-220").content.decode()
    # Ordered, it is no longer late to release: it names the PO it became, a link to it.
    assert [(row[0], row[8]) for row in table_rows(planned_page, "planned")] == [("2027-01-06", "ordered as PO-PLN-7")]
    # The other items' shortages are as the run left them.
    assert [row[2].split()[0] for row in table_rows(client.get(SHORTAGES).content.decode(), "shortages")] == [
        "BAR-321", "BLT-M8", "CAST-210", "HSG-200", "IMP-300", "IMP-310", "LBL-900", "SHF-320",
    ]  # fmt: skip


@freeze_time(NOW)
def test_create_po_says_what_is_still_short_when_the_po_covers_only_part_of_it(client, buyer, story):
    """A demand came since the run planned the purchase (written here without the net change it would
    bring): the PO covers the planned quantity and the page says how short the item still is."""
    from materials.models import Demand

    gasket = PlannedPurchase.objects.get(item__part_number="GSK-220")
    Demand.objects.create(
        company=gasket.company,
        plant=gasket.plant,
        item=gasket.item,
        kind="independent",
        source_system="ERP",
        source_id="SO-SPARES-1",
        reference="SO-SPARES-1",
        quantity=Decimal(5),
        need_date=gasket.need_date,
        content_hash="-",
        updated_at=NOW,
    )
    client.force_login(buyer)

    response = client.post(
        f"/workbench/requirements/planned/{planned_pk('GSK-220')}/order/", {"number": "PO-PLN-8"}, follow=True
    )

    assert (
        "PO-PLN-8 published to BOLTS by Web portal: 20 EA of GSK-220 needed by 2027-01-20. "
        "Counted as supply at once: GSK-220 at DET is still 5 EA short on 2027-01-20."
    ) in text(response.content.decode())
    [row] = _shortage_rows(client, "GSK-220")
    assert row[3] == "5 EA"


@pytest.mark.parametrize(
    ("part", "number", "message"),
    [
        ("HSG-200", "PO-X-1", "a planned purchase without a supplier cannot be ordered."),
        ("LBL-900", "PO-X-2", "a planned purchase without a supplier cannot be ordered."),
        ("CAST-210", "PO-REQ-1", "PO-REQ-1 already exists: choose another number."),
        ("CAST-210", "bad number!", "Use letters, digits and . _ / - only."),
        ("CAST-210", "", "This field is required."),
    ],
)
def test_create_po_refusals_are_said_and_change_nothing(client, buyer, story, part, number, message):
    client.force_login(buyer)
    before = (PurchaseOrder.objects.count(), OutboundMessage.objects.count())

    url = f"/workbench/requirements/planned/{planned_pk(part)}/order/"
    response = client.post(url, {"number": number}, follow=True)

    assert response.status_code == 200
    assert message in text(response.content.decode())
    assert (PurchaseOrder.objects.count(), OutboundMessage.objects.count()) == before
    assert PlannedPurchase.objects.filter(state="ordered").count() == 0
    assert not AuditEvent.objects.filter(action="planned_purchase.ordered").exists()


def test_create_po_is_a_post_only(client, buyer, story):
    client.force_login(buyer)

    assert client.get(f"/workbench/requirements/planned/{planned_pk('CAST-210')}/order/").status_code == 405


def test_the_exception_page_traces_a_production_stop_to_the_order_it_would_stop(client, buyer, story):
    client.force_login(buyer)

    page = client.get(f"/workbench/exceptions/{story['exception']}/").content.decode()

    assert ("As things stand, DET runs out of CAST-210 on 2027-01-20: 20 EA short, 1 day of cover lost.") in text(page)
    assert table_rows(page, "trace") == [["MO-DEMO-1", "Production order", "PUMP-100", "2027-01-20", "20"]]
    assert "Without the projection its rule would have made it procurement delay." in text(page)
    assert 'href="/workbench/requirements/items/CAST-210/?company=ACME&amp;plant=DET"' in page
    assert "{&#x27;plant_id&#x27;" not in page  # the raw finding is not dumped among the evidence


def test_an_exception_the_projection_did_not_rank_has_no_trace(client, buyer, story):
    client.force_login(buyer)
    ProcurementException.objects.filter(pk=story["exception"]).update(
        evidence={"expected": "2027-01-15", "actual": "2027-01-31"}
    )

    page = client.get(f"/workbench/exceptions/{story['exception']}/").content.decode()

    assert "Why this severity" not in page
    evidence = next(t for t in tables(page) if "evidence" in t["classes"])["rows"]
    assert evidence == [["Expected", "2027-01-15"], ["Actual", "2027-01-31"]]


# Sign-in and the actor's companies and plants take 6; the chart also loads the item's supplies (4) and
# its planned purchases; none of it is per row.
@pytest.mark.parametrize(("path", "most"), [(SHORTAGES, 14), (PLANNED, 14), (CASTINGS_CHART, 19)])
def test_a_page_reads_in_a_fixed_number_of_queries_whatever_its_rows(
    client, buyer, story, path, most, django_assert_max_num_queries
):
    client.force_login(buyer)
    for pk in PlannedPurchase.objects.filter(make=False, supplier__isnull=False).values_list("pk", flat=True):
        client.post(f"/workbench/requirements/planned/{pk}/order/", {"number": f"PO-Q-{pk}"})
    assert PlannedPurchase.objects.filter(state="ordered").count() == 5

    with django_assert_max_num_queries(most):
        response = client.get(path)

    assert response.status_code == 200


def _shortage_exception(part: str) -> ProcurementException:
    return ProcurementException.objects.get(kind="material_shortage", evidence__part_number=part)


def test_a_material_shortage_reads_in_words_with_its_trace_and_its_planned_purchase(client, buyer, story):
    exception = _shortage_exception("GSK-220")
    client.force_login(buyer)

    page = client.get(f"/workbench/exceptions/{exception.pk}/").content.decode()

    evidence = next(t for t in tables(page) if "evidence" in t["classes"])["rows"]
    assert evidence == [
        ["Plant", "DET"],
        ["Part number", "GSK-220"],
        ["Date", "2027-01-20"],
        ["Short", "20"],
        ["Orders", "MO-DEMO-1"],
        ["Planned purchase", "20 by 2027-01-20, release by 2027-01-06 (late), from BOLTS"],
    ]
    assert 'href="/workbench/requirements/items/GSK-220/?company=ACME&amp;plant=DET">GSK-220</a>' in page
    assert (
        "Why this severity: the requirements As things stand, DET runs out of GSK-220 on 2027-01-20: 20 EA short. "
        "Order it would stop Kind End item Need date Order quantity MO-DEMO-1 Production order PUMP-100 2027-01-20 20 "
        "Only a planned purchase of 20 due 2027-01-20 would cover it, and it was to be released by 2027-01-06: "
        "already late, so production stops unless it is expedited."
    ) in text(page)
    # No supplier sees it: nothing to reject to one; the planned purchase is one "Create PO" away.
    assert "Reject" not in text(page)
    assert "Accept as it is (no one is told) Accept" in text(page)
    assert f'action="/workbench/requirements/planned/{planned_pk("GSK-220")}/order/"' in page
    assert "Order the planned purchase from BOLTS — PO number Create PO" in text(page)


def test_a_shortage_whose_purchase_has_no_supplier_says_so_and_is_a_delay(client, buyer, story):
    exception = _shortage_exception("LBL-900")
    client.force_login(buyer)

    page = client.get(f"/workbench/exceptions/{exception.pk}/").content.decode()

    evidence = next(t for t in tables(page) if "evidence" in t["classes"])["rows"]
    assert evidence[-1] == ["Planned purchase", "20 by 2027-01-20, release by 2027-01-20, no approved supplier"]
    assert (
        "A planned purchase of 20 due 2027-01-20 covers it if it is released by 2027-01-20: "
        "a procurement delay until it is ordered."
    ) in text(page)
    assert "The planned purchase has no approved supplier: approve one for LBL-900 first." in text(page)
    assert "Create PO" not in text(page)


def test_the_queue_shows_a_shortages_plant_and_a_dash_for_no_po_or_supplier(client, buyer, story):
    client.force_login(buyer)

    page = client.get("/workbench/exceptions/?kind=material_shortage").content.decode()

    rows = table_rows(page, "queue")
    assert {(row[3], row[4], row[5]) for row in rows} == {("—", "DET", "—")}
    assert len(rows) == ProcurementException.objects.filter(kind="material_shortage").count()
    bar = next(row for row in rows if "BAR-321" in row[2])
    assert bar[2] == (
        "Material shortage BAR-321 at DET: 7.35 short on 2027-01-20, not enough ordered; "
        "a planned purchase of 8 due 2027-01-20 would cover it, released 2027-01-06 (late)"
    )
    # A make item is built in-house: the plan's order for it is a make order, not a purchase.
    hsg = next(row for row in rows if "HSG-200" in row[2])
    assert hsg[2] == (
        "Material shortage HSG-200 at DET: 20 short on 2027-01-20, not enough planned; "
        "a planned make order of 20 due 2027-01-20 would cover it, to release by 2027-01-20"
    )


def test_the_plant_filter_takes_a_shortage_by_the_plant_it_is_at(client, buyer, story):
    """A shortage has no PO line: its plant is the requirement's, which the queue shows and filters by."""
    client.force_login(buyer)
    bar = _shortage_exception("BAR-321")
    mty = Plant.objects.get(company=bar.company, code="MTY")
    bar.evidence = {**bar.evidence, "plant_id": mty.pk, "plant": "MTY"}
    bar.save(update_fields=["evidence"])

    def queue(query: str) -> list[tuple[str, str, str]]:
        page = client.get(f"/workbench/exceptions/?{query}").content.decode()
        # PO / line, plant, and what (the summary up to where it names the plant)
        return sorted((row[3], row[4], row[2].split(" at ")[0]) for row in table_rows(page, "queue"))

    shortage = "Material shortage"
    assert queue("plant=DET") == [
        ("PO-REQ-1 / 1", "DET", "Date deviation PO-REQ-1 line 1: promised 2027-01-31 for need-by 2027-01-15"),
        ("—", "DET", "Inventory systems disagree BRG-330"),
        *[("—", "DET", f"{shortage} {part}") for part in ("BLT-M8", "GSK-220", "HSG-200", "IMP-300", "IMP-310")],
        *[("—", "DET", f"{shortage} {part}") for part in ("LBL-900", "SHF-320")],
    ]
    assert queue("plant=MTY") == [
        ("—", "MTY", "Inventory systems disagree CAST-210"),
        ("—", "MTY", f"{shortage} BAR-321"),
    ]
    assert queue("plant=MTY&kind=material_shortage") == [("—", "MTY", f"{shortage} BAR-321")]
    assert len(queue("kind=material_shortage")) == 8


def test_the_home_page_counts_exceptions_shortages_and_purchases_to_order(
    client, buyer, story, django_assert_num_queries
):
    client.force_login(buyer)

    # Session, user and the actor's memberships (4), then one count each: held releases, the queue, shortages,
    # planned purchases; none of it grows with the rows.
    with django_assert_num_queries(HOME_QUERIES):
        page = client.get("/workbench/").content.decode()

    assert (
        "Exceptions 11 open: 5 production stop, 4 procurement delay, 2 financial mismatch, 0 data quality. "
        "Shortages 9 out of stock, 0 below safety stock, as the last requirements run projects. "
        "Planned purchases 9 planned: 6 to order, 3 to make; 4 already late to release. "
        'Each purchase is a "Create PO" away. KPIs '
    ) in text(page)
    assert ProcurementException.objects.open().count() == 11


def test_the_home_page_counts_nothing_of_another_company(client, other_buyer, story):
    client.force_login(other_buyer)

    page = client.get("/workbench/").content.decode()

    assert (
        "Exceptions 0 open: 0 production stop, 0 procurement delay, 0 financial mismatch, 0 data quality. "
        "Shortages 0 out of stock, 0 below safety stock, as the last requirements run projects. "
        'Planned purchases 0 planned: 0 to order, 0 to make. Each purchase is a "Create PO" away. KPIs '
    ) in text(page)


def test_a_long_list_shows_its_first_rows_plant_by_plant_and_counts_up_to_a_cap(
    client, buyer, company, story, monkeypatch
):
    # A full run leaves millions of shortages: the page reads only the rows it shows, plant by plant in
    # the order of their codes, and stops counting at the cap. Before, it read them all and failed once a
    # page's demands outnumbered what one statement takes.
    actor = Actor.for_system(company_ids={company.pk}, label="system ERP")
    spare = inputs.DemandInput("SP-8", "independent", "BRG-331", "MTY", Decimal(4), TODAY.replace(day=10), "SPARES-8")
    demands_upsert(actor=actor, batch=inputs.DemandBatchInput("ACME", "ERP", (spare,)))
    requirements_regenerate(company=company, reason="test", today=TODAY)
    client.force_login(buyer)
    monkeypatch.setattr(requirement_pages, "COUNT_CAP", 9)

    def shown(**kwargs) -> tuple[list[tuple[str, str]], int, bool]:
        listed = requirement_pages.shortages(
            actor=Actor.for_buyer(company_ids={company.pk}, label="b", user_id=buyer.pk), **kwargs
        )
        return [(r.shortage.plant.code, r.shortage.item.part_number) for r in listed.rows], listed.total, listed.more

    # MTY's spare is short before DET's order (the 10th, not the 20th) and comes after it: by plant first.
    assert shown(company_code="ACME", limit=11) == (
        [("DET", p) for p in ("BAR-321", "BLT-M8", "CAST-210", "GSK-220", "HSG-200", "IMP-300", "IMP-310")]
        + [("DET", "LBL-900"), ("DET", "SHF-320"), ("MTY", "BRG-331")],
        10,  # all of them shown: counted as read, past the cap
        False,
    )
    assert shown(company_code="ACME", limit=2) == ([("DET", "BAR-321"), ("DET", "BLT-M8")], 9, True)
    assert shown(company_code="ACME", limit=2, plant_code="MTY") == ([("MTY", "BRG-331")], 1, False)
    assert shown(company_code="ACME", limit=1, severity="procurement_delay") == ([("MTY", "BRG-331")], 1, False)

    monkeypatch.setattr(requirement_pages, "ROWS_SHOWN", 3)
    page = text(client.get(f"{SHORTAGES}?company=ACME").content.decode())
    assert "More than 9 shortages, the first 3 shown: narrow the filters to see the rest" in page
    page = text(client.get(f"{SHORTAGES}?company=ACME&plant=DET&part=CAST-210").content.decode())
    assert "1 shortage" in page and "shown" not in page
    page = text(client.get(f"{PLANNED}?company=ACME").content.decode())
    assert "More than 9 planned orders, the first 3 shown: narrow the filters to see the rest" in page
