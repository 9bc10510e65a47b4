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
