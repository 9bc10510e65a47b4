"""Who may open which workbench page: every URL × the buyer of ACME, a supplier's person, staff of no
company, and nobody signed in — and a buyer of another company sees none of ACME's materials."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from materials.models import BomRelease

from .html import table_rows, text

PAGES = [
    "/workbench/",
    "/workbench/materials/bom/",
    "/workbench/materials/bom/?company=ACME&part=PUMP-100&plant=DET&on=2027-01-10&bom_type=manufacturing",
    "/workbench/materials/where-used/",
    "/workbench/materials/where-used/?company=ACME&part=BLT-M8",
    "/workbench/materials/releases/",
    "/workbench/materials/held/",
]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_the_workbench_sign_in(client, acme_materials, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/workbench/sign-in/?next={quote(path, safe='/')}"


@pytest.mark.parametrize("path", PAGES)
def test_a_supplier_person_gets_403(client, supplier_user, acme_materials, path):
    client.force_login(supplier_user)

    response = client.get(path)

    assert response.status_code == 403
    assert "The workbench is for the buying company's staff." in text(response.content.decode())


@pytest.mark.parametrize("path", PAGES)
def test_staff_of_no_company_gets_403(client, acme_materials, django_user_model, path):
    staff = django_user_model.objects.create_user("ops", password="x-long-password", is_staff=True)
    client.force_login(staff)

    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_the_buyer_opens_every_page(client, buyer, acme_materials, path):
    client.force_login(buyer)

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_a_buyer_of_another_company_cannot_ask_for_acme(client, other_buyer, acme_materials, other_materials):
    client.force_login(other_buyer)

    response = client.get(
        "/workbench/materials/bom/?company=ACME&part=PUMP-100&plant=DET&on=2027-01-10&bom_type=manufacturing"
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice. ACME is not one of the available choices." in text(page)
    assert "HSG-200" not in page and "Detroit" not in page
    assert [o for o in ("ACME", "OTHER") if f'value="{o}"' in page] == ["OTHER"]


def test_a_buyer_of_another_company_sees_its_own_pump_not_acmes(client, other_buyer, acme_materials, other_materials):
    client.force_login(other_buyer)

    response = client.get(
        "/workbench/materials/bom/?company=OTHER&part=PUMP-100&plant=OTP&on=2027-01-10&bom_type=manufacturing"
    )

    assert [row[1] for row in table_rows(response.content.decode(), "bom")] == ["SECRET-1"]


def test_release_lists_hold_only_the_buyers_company(client, buyer, other_buyer, acme_materials, other_materials):
    client.force_login(other_buyer)
    theirs = table_rows(client.get("/workbench/materials/releases/").content.decode())
    held = text(client.get("/workbench/materials/held/").content.decode())
    client.force_login(buyer)
    ours = table_rows(client.get("/workbench/materials/releases/").content.decode())

    assert [(row[0], row[1]) for row in theirs] == [("PUMP-100", "X1")]
    assert "No release is held." in held
    assert len(ours) == 7
    assert "X1" not in {row[1] for row in ours}


def test_another_companys_release_is_not_found(client, buyer, other_buyer, acme_materials, other_materials):
    theirs = BomRelease.objects.get(release_id="OTHER-PUMP-A")
    ours = BomRelease.objects.get(release_id="DEMO-PUMP-100-B")
    client.force_login(buyer)

    assert client.get(reverse("workbench:release_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("workbench:release_detail", args=[ours.pk]) + f"?against={theirs.pk}").status_code == 404
    assert client.get(reverse("workbench:release_detail", args=[ours.pk]) + "?against=rev-A").status_code == 404
    held = BomRelease.objects.get(release_id="DEMO-HSG-200-C")
    client.force_login(other_buyer)
    assert client.get(reverse("workbench:release_detail", args=[ours.pk])).status_code == 404
    assert client.post(reverse("workbench:release_force", args=[held.pk])).status_code == 404
    held.refresh_from_db()
    assert (held.state, held.forced_by) == ("held", "")


def test_the_root_links_a_buyer_to_the_workbench_and_the_admin(client, buyer):
    client.force_login(buyer)

    page = client.get("/").content.decode()

    assert 'href="/workbench/"' in page
    assert 'href="/admin/"' in page


def test_the_root_sends_anyone_else_to_sign_in(client, db):
    response = client.get("/")

    assert (response.status_code, response["Location"]) == (302, "/workbench/sign-in/?next=/workbench/")


def test_the_root_offers_a_supplier_person_no_workbench(client, supplier_user):
    client.force_login(supplier_user)

    page = client.get("/").content.decode()

    assert 'href="/workbench/"' not in page and 'href="/admin/"' not in page
    assert 'href="/portal/"' in page
    assert "not a buyer or planner of any company" in page
