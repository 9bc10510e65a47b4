"""Signing in to the portal by e-mail address; the staff sign-in sends a supplier's person here."""

import pytest

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_member_signs_in_by_email_and_lands_in_the_portal(client, bolts_member):
    response = client.post("/accounts/login/", {"login": "bolts-member@example.com", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/portal/")
    assert client.get("/portal/").status_code == 200


def test_a_wrong_password_signs_nobody_in(client, bolts_member):
    response = client.post("/accounts/login/", {"login": "bolts-member@example.com", "password": "wrong"})

    assert response.status_code == 200
    assert client.get("/portal/").status_code == 302


def test_an_admin_with_an_authenticator_is_asked_for_a_code(client, bolts_admin):
    response = client.post("/accounts/login/", {"login": "bolts-admin@example.com", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/authenticate/")
    assert client.get("/portal/").status_code == 302


def test_nobody_signs_up_on_their_own(client, db):
    response = client.get("/accounts/signup/")

    assert response.status_code == 200
    assert "Sign Up Closed" in response.content.decode()


def test_a_member_who_signs_out_lands_on_the_portals_sign_in(client, bolts_member):
    client.force_login(bolts_member)

    response = client.post("/accounts/logout/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"])
    assert (page.status_code, page.templates[0].name) == (200, "account/login.html")
