"""The materials pages with ACME's demo data, read as a buyer and a planner would read them."""

from django.test import Client
from django.urls import reverse

from gateway.actors import Actor
from materials import inputs
from materials.models import BomRelease
from materials.tests.helpers import line, receive, release

from .html import table_rows, text

BOM = "/workbench/materials/bom/"


def bom(client, plant, on, part="PUMP-100", bom_type="manufacturing"):
    query = {"company": "ACME", "part": part, "plant": plant, "on": on, "bom_type": bom_type}
    return client.get(BOM, query).content.decode()


def test_detroit_builds_revision_a_indented_with_alternates_under_their_primary(client, buyer, acme_materials):
    client.force_login(buyer)

    page = bom(client, "DET", "2027-02-01")

    assert "PUMP-100 rev A" in text(page)
    rows = table_rows(page, "bom", with_classes=True)
    assert [(cells[0], cells[1], cells[4], cells[6], cells[8], classes) for cells, classes in rows] == [
        ("1", "HSG-200", "1", "1", "", ["lvl-1"]),
        ("2", "CAST-210", "1", "1", "", ["lvl-2"]),
        ("2", "GSK-220", "1", "1", "primary of GASKET", ["lvl-2"]),
        ("2", "GSK-221", "1", "1", "alternate GASKET #1", ["lvl-2", "alternate"]),
        ("2", "BLT-M8", "6", "6", "", ["lvl-2"]),
        ("1", "IMP-300", "1", "1", "", ["lvl-1"]),
        ("2", "IMP-310", "1", "1", "", ["lvl-2"]),
        ("2", "SHF-320", "1", "1", "", ["lvl-2"]),
        ("3", "BAR-321", "0.35", "0.35", "", ["lvl-3"]),
        ("2", "BRG-330", "2", "2", "primary of BEARING", ["lvl-2"]),
        ("2", "BRG-331", "2", "2", "alternate BEARING #1", ["lvl-2", "alternate"]),
        ("1", "MTR-400", "1", "1", "", ["lvl-1"]),
        ("1", "BLT-M8", "8", "8", "primary of BOLT", ["lvl-1"]),
        ("1", "BLT-M8-SS", "8", "8", "alternate BOLT #1", ["lvl-1", "alternate"]),
        ("1", "LBL-900", "1", "1", "", ["lvl-1"]),
    ]
    assert rows[8][0][2:4] == ["Steel bar 20 mm, 1045", "10"]
    assert rows[8][0][7] == "0.05"


def test_monterrey_takes_the_engineering_change_on_the_first_of_next_month(client, buyer, acme_materials):
    client.force_login(buyer)

    before, on_the_day = bom(client, "MTY", "2027-01-31"), bom(client, "MTY", "2027-02-01")

    assert "PUMP-100 rev A" in text(before)
    assert "PUMP-100 rev B" in text(on_the_day)
    motors = [[row[1] for row in table_rows(page, "bom") if row[1].startswith("MTR")] for page in (before, on_the_day)]
    assert motors == [["MTR-400"], ["MTR-410"]]


def test_a_serial_picks_the_revision_in_effect_for_that_end_item(client, buyer, acme_materials, company):
    """Detroit builds revision A1, with the IE3 motor, from serial SN-5000 on; earlier serials stay on A."""
    system = Actor.for_system(company_ids={company.pk}, label="system ERP")
    serial_b = release(
        "PUMP-100",
        "A1",
        "A",
        [line("0010", "MTR-410", "1")],
        plants=[inputs.EffectivityInput("DET", serial_from="SN-5000")],
        release_id="PUMP-100-A1-DET-SN",
    )
    outcome = receive(system, serial_b)
    assert (outcome.state, outcome.reason) == ("applied", "")
    client.force_login(buyer)
    query = {"company": "ACME", "part": "PUMP-100", "plant": "DET", "on": "2027-02-01", "bom_type": "manufacturing"}

    early, late = (client.get(BOM, {**query, "serial": serial}).content.decode() for serial in ("SN-4999", "SN-5000"))

    assert "PUMP-100 rev A, serial SN-4999" in text(early)
    assert "PUMP-100 rev A1, serial SN-5000" in text(late)
    assert [row[1] for row in table_rows(late, "bom")] == ["MTR-410"]
    assert "MTR-400" in [row[1] for row in table_rows(early, "bom")]


def test_no_bom_in_effect_says_so(client, buyer, acme_materials):
    client.force_login(buyer)

    page = bom(client, "DET", "2027-02-01", part="LBL-900")

    assert "No manufacturing BOM of LBL-900 is in effect at DET on 2027-02-01." in text(page)
    assert 'class="data bom"' not in page


def test_a_bad_query_is_answered_with_what_is_wrong(client, buyer, acme_materials):
    client.force_login(buyer)

    page = client.get(BOM, {"company": "ACME", "part": "", "plant": "XXX", "on": "31/02/2027"}).content.decode()

    said = text(page)
    assert "Select a valid choice. XXX is not one of the available choices." in said
    assert "Enter a valid date." in said
    assert "This field is required." in said
    assert 'class="data bom"' not in page


def test_where_used_lists_every_parent_at_every_level(client, buyer, acme_materials):
    client.force_login(buyer)

    page = client.get(
        "/workbench/materials/where-used/", {"company": "ACME", "part": "BAR-321", "plant": "DET", "on": "2027-02-01"}
    ).content.decode()

    assert table_rows(page) == [
        ["1", "SHF-320", "A", "DET", "BAR-321", "0.35"],
        ["2", "IMP-300", "A", "DET", "SHF-320", "1"],
        ["3", "PUMP-100", "A", "DET", "IMP-300", "1"],
    ]
    assert "BAR-321 is used in 3 places" in text(page)


def test_where_used_tells_an_unknown_part_from_one_used_nowhere(client, buyer, acme_materials):
    client.force_login(buyer)

    unknown = client.get("/workbench/materials/where-used/", {"company": "ACME", "part": "NOPE-1"}).content.decode()
    top = client.get("/workbench/materials/where-used/", {"company": "ACME", "part": "PUMP-100"}).content.decode()

    assert "ACME has no item, component or BOM with part number NOPE-1." in text(unknown)
    assert "PUMP-100 is not used in any BOM." in text(top)


def test_release_history_shows_each_state_and_filters_by_state(client, buyer, acme_materials):
    client.force_login(buyer)

    everything = table_rows(client.get("/workbench/materials/releases/").content.decode())
    held = table_rows(
        client.get("/workbench/materials/releases/", {"company": "ACME", "state": "held"}).content.decode()
    )

    assert sorted((row[0], row[1], row[6]) for row in everything) == [
        ("HSG-200", "A", "applied"),
        ("HSG-200", "C", "held"),
        ("IMP-300", "A", "applied"),
        ("IMP-300", "B", "held"),
        ("PUMP-100", "A", "applied"),
        ("PUMP-100", "B", "applied"),
        ("SHF-320", "A", "applied"),
    ]
    assert [(row[0], row[1], row[7]) for row in held] == [
        ("HSG-200", "C", "waits for revision B of HSG-200"),
        ("IMP-300", "B", "item SEAL-340 is not known"),
    ]


def test_a_release_shows_its_diff_against_the_revision_it_follows(client, buyer, acme_materials):
    client.force_login(buyer)
    change = BomRelease.objects.get(release_id="DEMO-PUMP-100-B")

    page = client.get(reverse("workbench:release_detail", args=[change.pk])).content.decode()

    said = text(page)
    assert "Against rev A : 1 added, 1 removed, 0 changed." in said
    assert table_rows(page, "diff") == [["added", "30", "MTR-410", "1 per"], ["removed", "30", "MTR-400", "1 per"]]
    assert ["MTY", "2027-02-01", "—", ""] in table_rows(page, "data")


def test_a_release_compared_with_another_revision(client, buyer, acme_materials):
    client.force_login(buyer)
    change = BomRelease.objects.get(release_id="DEMO-PUMP-100-B")
    first = BomRelease.objects.get(release_id="DEMO-PUMP-100-A")

    page = client.get(reverse("workbench:release_detail", args=[first.pk]), {"against": change.pk}).content.decode()

    assert "Against rev B : 1 added, 1 removed, 0 changed." in text(page)
    assert table_rows(page, "diff") == [["added", "30", "MTR-400", "1 per"], ["removed", "30", "MTR-410", "1 per"]]
    assert f'<option value="{change.pk}" selected>rev B (applied, ERP)</option>' in page


def test_a_release_whose_predecessor_never_came_says_so(client, buyer, acme_materials):
    client.force_login(buyer)
    held = BomRelease.objects.get(release_id="DEMO-HSG-200-C")

    said = text(client.get(reverse("workbench:release_detail", args=[held.pk])).content.decode())

    assert "Waits for revision B" in said
    assert "Revision B, which this one follows, was never applied: every line counts as added. 3 added" in said


def test_held_releases_say_what_they_wait_for_and_only_a_planner_may_release(client, buyer, planner, acme_materials):
    client.force_login(buyer)
    as_buyer = client.get("/workbench/materials/held/").content.decode()
    client.force_login(planner)
    as_planner = client.get("/workbench/materials/held/").content.decode()

    assert [(row[0], row[1], row[4]) for row in table_rows(as_buyer)] == [
        ("IMP-300", "B", "item SEAL-340 item SEAL-340 is not known"),
        ("HSG-200", "C", "revision B waits for revision B of HSG-200"),
    ]
    assert ">Release</button>" not in as_buyer
    held = BomRelease.objects.get(release_id="DEMO-HSG-200-C")
    assert as_planner.count(">Release</button>") == 1
    assert f'action="/workbench/materials/releases/{held.pk}/release/"' in as_planner


def test_a_planner_releases_a_held_release_past_its_missing_predecessor(client, planner, acme_materials):
    client.force_login(planner)
    held = BomRelease.objects.get(release_id="DEMO-HSG-200-C")

    response = client.post(reverse("workbench:release_force", args=[held.pk]), follow=True)

    held.refresh_from_db()
    assert (held.state, held.forced_by) == ("applied", "user planner")
    assert response.redirect_chain == [(f"/workbench/materials/releases/{held.pk}/", 302)]
    assert "HSG-200 rev C: applied" in text(response.content.decode())
    assert "Released by user planner" in text(response.content.decode())


def test_a_buyer_who_is_not_a_planner_cannot_release(client, buyer, acme_materials):
    client.force_login(buyer)
    held = BomRelease.objects.get(release_id="DEMO-HSG-200-C")

    response = client.post(reverse("workbench:release_force", args=[held.pk]), follow=True)

    held.refresh_from_db()
    assert (held.state, held.forced_by) == ("held", "")
    assert "Only a planner of the company may release a held BOM release." in text(response.content.decode())


def test_release_needs_the_csrf_token(planner, acme_materials):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(planner)
    held = BomRelease.objects.get(release_id="DEMO-HSG-200-C")

    response = browser.post(reverse("workbench:release_force", args=[held.pk]))

    held.refresh_from_db()
    assert response.status_code == 403
    assert held.state == "held"


def test_a_release_waiting_for_an_item_is_not_released_by_hand(client, planner, acme_materials):
    client.force_login(planner)
    held = BomRelease.objects.get(release_id="DEMO-IMP-300-B")

    response = client.post(reverse("workbench:release_force", args=[held.pk]), follow=True)

    held.refresh_from_db()
    assert held.state == "held"
    assert "IMP-300 rev B was not released: BOM release" in text(response.content.decode())
    assert "does not wait for a predecessor (it is held)" in text(response.content.decode())


def test_the_pages_cost_a_bounded_number_of_queries(client, buyer, acme_materials, django_assert_max_num_queries):
    client.force_login(buyer)

    with django_assert_max_num_queries(20):
        bom(client, "DET", "2027-02-01")
    with django_assert_max_num_queries(20):
        client.get("/workbench/materials/releases/")
