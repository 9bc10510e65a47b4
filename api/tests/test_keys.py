"""API keys: only a hash is kept; revoked and expired keys fail; rotation overlaps; the command issues one."""

import datetime as dt
import hashlib
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from api.models import ApiKey

from .conftest import Api

POS = "/api/v1/purchase-orders/"
SECRET = re.compile(r"gw_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def test_only_a_hash_of_the_secret_is_stored(owner_key):
    key, secret = owner_key

    stored = json.dumps(ApiKey.objects.filter(pk=key.pk).values().get(), default=str)

    assert SECRET.fullmatch(secret)
    assert secret.split("_")[1] == key.prefix
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored
    assert secret.split("_", 2)[2] not in stored


def test_a_revoked_key_is_refused(owner_key, owner, published_po):
    ApiKey.objects.filter(pk=owner_key[0].pk).update(revoked_at=timezone.now())

    response = owner.get(POS)

    assert response.status_code == 401
    assert response.json()["detail"] == "The API key is not valid, has expired or was revoked."


def test_an_expired_key_is_refused(owner_key, owner, published_po):
    ApiKey.objects.filter(pk=owner_key[0].pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert owner.get(POS).status_code == 401


def test_a_key_with_a_wrong_secret_is_refused(owner_key, published_po):
    _key, secret = owner_key
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")

    assert Api(forged).get(POS).status_code == 401


def test_rotation_in_the_admin_overlaps_then_the_old_key_stops(owner_key, owner, client, buyer, published_po):
    old, _ = owner_key
    client.force_login(buyer)

    page = client.post("/admin/api/apikey/", {"action": "rotate", "_selected_action": [old.pk]}, follow=True)

    (new_secret,) = SECRET.findall(page.content.decode())
    old.refresh_from_db()
    new = ApiKey.objects.get(prefix=new_secret.split("_")[1])
    assert old.replaced_by == new
    assert (new.kind, new.supplier, new.scope, new.expires_at) == ("supplier", old.supplier, "write", None)
    assert dt.timedelta(days=6, hours=23) < old.expires_at - timezone.now() <= dt.timedelta(days=7)
    # Both work while the old one runs out.
    assert owner.get(POS).status_code == 200
    assert Api(new_secret).get(POS).status_code == 200

    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert owner.get(POS).status_code == 401
    assert Api(new_secret).get(POS).status_code == 200


def test_last_used_at_is_recorded_at_most_once_a_minute(owner_key, owner, published_po):
    key, _ = owner_key
    assert key.last_used_at is None

    owner.get(POS)
    key.refresh_from_db()
    first = key.last_used_at
    owner.get(POS)
    key.refresh_from_db()

    assert first is not None
    assert timezone.now() - first < dt.timedelta(seconds=30)
    assert key.last_used_at == first

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    owner.get(POS)
    key.refresh_from_db()

    assert key.last_used_at > first


def test_a_refused_key_is_not_marked_used(owner_key, owner):
    key, _ = owner_key
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())

    owner.get(POS)

    key.refresh_from_db()
    assert key.last_used_at is None


def test_the_command_prints_a_working_supplier_key(supplier, published_po):
    out = io.StringIO()

    call_command("api_key_issue", "--supplier", "BOLTS", "--name", "onboarding", stdout=out)

    secret = out.getvalue().strip()
    assert SECRET.fullmatch(secret)
    key = ApiKey.objects.get(prefix=secret.split("_")[1])
    assert (key.kind, key.supplier, key.name, key.scope) == ("supplier", supplier, "onboarding", "write")
    assert [po["number"] for po in Api(secret).get(POS).json()["results"]] == ["PO-1000"]


def test_the_command_prints_a_working_read_only_system_key(published_po):
    out = io.StringIO()

    call_command("api_key_issue", "--system", "WMS", "--scope", "read", stdout=out)

    api = Api(out.getvalue().strip())
    assert api.get("/api/v1/system/exceptions/").status_code == 200
    assert api.post("/api/v1/system/receipts/", {}).status_code == 403


def test_the_command_refuses_an_unknown_supplier(db):
    with pytest.raises(CommandError, match="no supplier with code 'NOPE'"):
        call_command("api_key_issue", "--supplier", "NOPE", stdout=io.StringIO())
    assert ApiKey.objects.count() == 0


def test_the_command_gives_a_system_key_the_only_company_or_the_one_named(company, published_po):
    out = io.StringIO()
    call_command("api_key_issue", "--system", "ERP", stdout=out)
    call_command("api_key_issue", "--system", "MES", "--company", "ACME", stdout=out)

    assert list(ApiKey.objects.order_by("system_name").values_list("system_name", "company__code")) == [
        ("ERP", "ACME"),
        ("MES", "ACME"),
    ]


def test_the_command_asks_which_company_when_there_are_several(company, db):
    from procurement import factories

    factories.CompanyFactory(code="GLOBEX")

    with pytest.raises(CommandError, match=r"name the company .* with --company \(companies: ACME, GLOBEX\)"):
        call_command("api_key_issue", "--system", "ERP", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no company with code 'NOPE'"):
        call_command("api_key_issue", "--system", "ERP", "--company", "NOPE", stdout=io.StringIO())
    assert ApiKey.objects.count() == 0


def test_rotating_a_system_key_in_the_admin_keeps_its_company(system_key, client, buyer, company):
    old, _ = system_key
    client.force_login(buyer)

    page = client.post("/admin/api/apikey/", {"action": "rotate", "_selected_action": [old.pk]}, follow=True)

    (new_secret,) = SECRET.findall(page.content.decode())
    new = ApiKey.objects.get(prefix=new_secret.split("_")[1])
    assert (new.kind, new.system_name, new.company) == ("system", "ERP", company)
    assert Api(new_secret).get("/api/v1/system/exceptions/").status_code == 200


def test_the_admin_refuses_a_system_key_without_a_company(client, buyer):
    client.force_login(buyer)

    page = client.post(
        "/admin/api/apikey/add/", {"kind": "system", "system_name": "ERP", "name": "ERP", "scope": "write"}
    )

    assert page.status_code == 200
    assert "A system key acts for one company: choose it." in page.content.decode()
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/api/v1/system/exceptions/"), ("GET", "/api/v1/webhooks/"), ("POST", "/api/v1/system/receipts/")],
)
def test_a_system_key_of_no_company_is_told_so_and_changes_nothing(company, published_po, method, path):
    """A key issued before system keys named their company, where there was more than one company."""
    _key, secret = ApiKey.issue(kind="system", system_name="ERP", name="old ERP key", scope="write")
    api = Api(secret)

    response = api.get(path) if method == "GET" else api.post(path, {})

    assert response.status_code == 403
    assert (response.json()["code"], response.json()["detail"]) == (
        "permission_denied",
        "This system API key belongs to no company: issue a new key for its company.",
    )


def test_the_key_of_a_supplier_no_longer_active_is_refused(owner_key, owner, supplier, published_po):
    supplier.active = False
    supplier.save()

    response = owner.get(POS)

    assert response.status_code == 401
    assert response.json()["detail"] == "The API key is not valid, has expired or was revoked."
    owner_key[0].refresh_from_db()
    assert owner_key[0].last_used_at is None
