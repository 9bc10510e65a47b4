"""The workbench's sign-in: the admin's rules (staff only, a supplier's person told where to go) and
the same lockout after repeated failures."""

from gateway.signin import SUPPLIER_USER_MESSAGE

from .html import text

SIGN_IN = "/workbench/sign-in/"
PASSWORD = "correct horse battery staple"


def test_a_buyer_signs_in_and_lands_on_the_workbench(client, buyer):
    response = client.post(SIGN_IN, {"username": "buyer", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/workbench/")
    assert client.get("/workbench/").status_code == 200


def test_sign_in_goes_back_to_the_page_asked_for(client, buyer):
    response = client.post(
        SIGN_IN + "?next=/workbench/materials/held/",
        {"username": "buyer", "password": PASSWORD, "next": "/workbench/materials/held/"},
    )

    assert response["Location"] == "/workbench/materials/held/"


def test_a_supplier_person_is_told_where_to_go(client, supplier_user):
    response = client.post(SIGN_IN, {"username": "bolts-user", "password": PASSWORD})

    assert response.status_code == 200
    assert SUPPLIER_USER_MESSAGE in text(response.content.decode())
    assert "_auth_user_id" not in client.session


def test_five_wrong_passwords_lock_the_sign_in(client, buyer):
    statuses = [client.post(SIGN_IN, {"username": "buyer", "password": "wrong"}).status_code for _ in range(5)]
    right = client.post(SIGN_IN, {"username": "buyer", "password": PASSWORD})

    assert statuses == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post(client, buyer):
    client.force_login(buyer)

    assert client.get("/workbench/sign-out/").status_code == 405
    response = client.post("/workbench/sign-out/")

    assert (response.status_code, response["Location"]) == (302, "/workbench/sign-in/")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"])
    assert (page.status_code, page.templates[0].name) == (200, "workbench/sign_in.html")
