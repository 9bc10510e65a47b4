"""Supplier admins manage their own API keys and webhooks, and see what their people did."""

import pytest

from api.models import ApiKey, WebhookSubscription
from procurement.models import AuditEvent
from suppliers.models import SupplierMembership

from .conftest import person, sign_in_with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, bolts_admin):
    sign_in_with_mfa(client, bolts_admin)
    return client


def test_a_new_key_is_shown_once_stored_hashed_and_works(admin_client, supplier, bolts_admin):
    response = admin_client.post("/portal/integrations/keys/", {"name": "ERP link", "scope": "write"})

    assert response.status_code == 200
    secret = response.context["new_secret"]
    key = ApiKey.objects.get()
    assert (key.kind, key.supplier, key.name, key.scope, key.created_by) == (
        "supplier",
        supplier,
        "ERP link",
        "write",
        bolts_admin,
    )
    assert secret not in key.secret_hash and key.secret_hash != secret
    assert ApiKey.authenticate(secret) == key
    assert "no-store" in response["Cache-Control"]
    assert secret not in admin_client.get("/portal/integrations/").content.decode()
    event = AuditEvent.objects.get(action="api_key.issued")
    assert (event.actor, event.channel, event.after["prefix"]) == (bolts_admin, "portal", key.prefix)
    assert secret not in str(event.after)


def test_the_key_answers_the_api_for_its_supplier(admin_client, published_po):
    secret = admin_client.post("/portal/integrations/keys/", {"name": "ERP", "scope": "read"}).context["new_secret"]
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/purchase-orders/").status_code == 200


def test_revoking_a_key_stops_it(admin_client, bolts_admin):
    secret = admin_client.post("/portal/integrations/keys/", {"name": "ERP", "scope": "read"}).context["new_secret"]
    key = ApiKey.objects.get()

    response = admin_client.post(f"/portal/integrations/keys/{key.pk}/revoke/")

    assert response.status_code == 302
    assert ApiKey.authenticate(secret) is None
    assert list(AuditEvent.objects.filter(object_type="ApiKey").values_list("action", flat=True)) == [
        "api_key.issued",
        "api_key.revoked",
    ]


def test_a_nameless_key_is_refused_in_words(admin_client):
    response = admin_client.post("/portal/integrations/keys/", {"name": " ", "scope": "write"})
    assert response.status_code == 400
    assert "Give the key a name" in response.content.decode()
    assert ApiKey.objects.count() == 0


def test_a_webhook_is_checked_as_the_api_checks_it_and_its_secret_shown_once(admin_client, supplier):
    private = admin_client.post(
        "/portal/integrations/webhooks/", {"url": "https://127.0.0.1/hook", "events": ["po.published"]}
    )
    no_event = admin_client.post("/portal/integrations/webhooks/", {"url": "https://hooks.bolts.example/in"})
    bad_event = admin_client.post(
        "/portal/integrations/webhooks/", {"url": "https://hooks.bolts.example/in", "events": ["everything"]}
    )
    good = admin_client.post(
        "/portal/integrations/webhooks/",
        {"url": "https://hooks.bolts.example/in", "events": ["po.published", "po.changed"]},
    )

    assert [r.status_code for r in (private, no_event, bad_event, good)] == [400, 400, 400, 200]
    assert "must be a public internet address" in private.content.decode()
    subscription = WebhookSubscription.objects.get()
    assert (subscription.supplier, subscription.api_key_kind, subscription.events) == (
        supplier,
        "supplier",
        ["po.changed", "po.published"],
    )
    assert good.context["new_signing_secret"] == subscription.signing_secret
    rotated = admin_client.post(f"/portal/integrations/webhooks/{subscription.pk}/", {"action": "rotate"})
    subscription.refresh_from_db()
    assert rotated.context["new_signing_secret"] == subscription.signing_secret != good.context["new_signing_secret"]
    assert (
        admin_client.post(f"/portal/integrations/webhooks/{subscription.pk}/", {"action": "delete"}).status_code == 302
    )
    assert WebhookSubscription.objects.count() == 0
    assert list(AuditEvent.objects.filter(object_type="WebhookSubscription").values_list("action", flat=True)) == [
        "webhook_subscription.created",
        "webhook_subscription.secret_rotated",
        "webhook_subscription.deleted",
    ]


def test_admin_of_another_supplier_never_sees_nor_changes_bolts_keys_and_hooks(
    client, supplier, bolts_admin, nuts_admin
):
    sign_in_with_mfa(client, bolts_admin)
    client.post("/portal/integrations/keys/", {"name": "BOLTS ERP", "scope": "write"})
    client.post("/portal/integrations/webhooks/", {"url": "https://hooks.bolts.example/in", "events": ["po.published"]})
    key, subscription = ApiKey.objects.get(), WebhookSubscription.objects.get()
    before = (
        list(ApiKey.objects.values_list("pk", "revoked_at")),
        list(WebhookSubscription.objects.values_list("pk", "salt", "active")),
        AuditEvent.objects.count(),
    )

    client.logout()
    sign_in_with_mfa(client, nuts_admin)
    page = client.get("/portal/integrations/")
    answers = [
        client.post(f"/portal/integrations/keys/{key.pk}/revoke/").status_code,
        client.post(f"/portal/integrations/webhooks/{subscription.pk}/", {"action": "rotate"}).status_code,
        client.post(f"/portal/integrations/webhooks/{subscription.pk}/", {"action": "delete"}).status_code,
    ]

    assert page.status_code == 200
    assert page.context["keys"] == [] and page.context["subscriptions"] == []
    assert "BOLTS ERP" not in page.content.decode() and "hooks.bolts.example" not in page.content.decode()
    assert answers == [404, 404, 404]
    assert (
        list(ApiKey.objects.values_list("pk", "revoked_at")),
        list(WebhookSubscription.objects.values_list("pk", "salt", "active")),
        AuditEvent.objects.count(),
    ) == before


@pytest.mark.parametrize("who", ["bolts_member", "bolts_reader", "buyer"])
def test_only_admins_manage_integrations(request, client, who):
    sign_in_with_mfa(client, request.getfixturevalue(who))
    assert client.get("/portal/integrations/").status_code == 403
    assert client.post("/portal/integrations/keys/", {"name": "x", "scope": "write"}).status_code == 403
    assert client.get("/portal/activity/").status_code == 403
    assert ApiKey.objects.count() == 0


def test_an_admin_without_mfa_in_this_session_is_sent_to_prove_it(client, bolts_admin):
    client.force_login(bolts_admin)
    response = client.post("/portal/integrations/keys/", {"name": "x", "scope": "write"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/") or "2fa" in response["Location"]
    assert ApiKey.objects.count() == 0


def test_activity_shows_our_peoples_actions_on_our_records_only(
    client, supplier, other_supplier, bolts_admin, nuts_admin, bolts_member
):
    both = person("consultant", supplier, SupplierMembership.Role.MEMBER)
    SupplierMembership.objects.create(user=both, supplier=other_supplier, role=SupplierMembership.Role.ADMIN)
    sign_in_with_mfa(client, bolts_admin)
    client.post("/portal/integrations/keys/", {"name": "BOLTS ERP", "scope": "write"})
    client.post(
        f"/portal/people/{SupplierMembership.objects.get(user=bolts_member).pk}/",
        {"action": "role", "role": "read_only"},
    )
    client.logout()
    sign_in_with_mfa(client, nuts_admin)
    client.post("/portal/integrations/keys/", {"name": "NUTS ERP", "scope": "write"})
    from api.models import ApiKey as Key
    from portal import integrations
    from procurement.services.sources import WriteSource

    integrations.api_key_issue(
        supplier=other_supplier,
        name="consultant's NUTS key",
        scope="read",
        source=WriteSource("portal", "user consultant", both),
    )
    client.logout()

    sign_in_with_mfa(client, bolts_admin)
    page = client.get("/portal/activity/")

    assert page.status_code == 200
    assert [(e.actor_label, e.action) for e in page.context["page"]] == [
        ("user bolts-admin", "supplier.membership_changed"),
        ("user bolts-admin", "api_key.issued"),
    ]
    assert [e.channel for e in page.context["page"]] == ["portal", "portal"]
    assert page.content.decode().count("<td>portal</td>") == 2
    # What each did in words, never the audit code.
    assert [what for _, what, _ in page.context["rows"]] == ["Person's role or access changed", "API key issued"]
    # And on what, in words: the membership changed and the key issued, never a model's name.
    key = Key.objects.get(name="BOLTS ERP")
    membership = SupplierMembership.objects.get(user=bolts_member)
    assert [on for _, _, on in page.context["rows"]] == [f"Membership {membership.pk}", f"API key {key.pk}"]
    assert page.content.decode().count(f"<td>API key {key.pk}</td>") == 1
    assert "ApiKey" not in page.content.decode()
    assert page.content.decode().count("<td>Person&#x27;s role or access changed</td>") == 1
    assert page.content.decode().count("<td>API key issued</td>") == 1
    assert "api_key.issued" not in page.content.decode()
    assert Key.objects.count() == 3


def test_a_key_name_with_a_nul_character_is_refused_not_a_500(admin_client):
    response = admin_client.post("/portal/integrations/keys/", {"name": "ERP\x00link", "scope": "read"})

    assert response.status_code == 400
    assert response.context["errors"] == {"name": ["A key's name cannot hold control characters."]}
    assert not ApiKey.objects.exists()


def test_an_unknown_webhook_event_is_named_in_the_error(admin_client):
    response = admin_client.post(
        "/portal/integrations/webhooks/", {"url": "https://hooks.example.com/in", "events": ["nope"]}
    )

    assert response.status_code == 400
    assert response.context["errors"]["events"] == ['"nope" is not a valid choice.']
    assert not WebhookSubscription.objects.exists()
