"""The portal's home page: a supplier's person sees it, naming the supplier; anyone else does not."""

import pytest

pytestmark = pytest.mark.django_db


def test_supplier_person_sees_home_naming_the_supplier(client, supplier_user):
    client.force_login(supplier_user)
    response = client.get("/portal/")
    assert response.status_code == 200
    assert "Acting for <strong>Bolts Inc</strong> (BOLTS)" in response.content.decode()


def test_buyer_is_refused(client, buyer):
    client.force_login(buyer)
    assert client.get("/portal/").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/portal/")
    assert response.status_code == 302


def test_the_header_names_the_person_or_else_their_email(client, supplier_user):
    supplier_user.first_name, supplier_user.last_name, supplier_user.email = "", "", "pat@bolts.example"
    supplier_user.save()
    client.force_login(supplier_user)

    unnamed = client.get("/portal/").content.decode()
    supplier_user.first_name, supplier_user.last_name = "Pat", "Nut"
    supplier_user.save()
    named = client.get("/portal/").content.decode()

    assert '<span class="account-name">pat@bolts.example</span>' in unnamed
    assert '<span class="account-name">Pat Nut</span>' in named
