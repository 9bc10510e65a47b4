"""The portal's and allauth's pages carry the site's policy and contain nothing inline it would block."""

import pytest

from tests.test_csp import POLICY, inline_of, policy_of

from .conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/portal/",
        "/portal/orders/",
        "/portal/orders/{po}/",
        "/portal/people/",
        "/accounts/2fa/",
        "/accounts/password/change/",
    ],
)
def test_portal_pages_have_the_policy_and_nothing_inline(client, bolts_admin, published_po, path):
    sign_in_with_mfa(client, bolts_admin)

    response = client.get(path.format(po=published_po.pk))

    assert response.status_code == 200
    assert policy_of(response) == POLICY
    assert inline_of(response.content.decode()).found == []


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/password/reset/", "/portal/invitations/accept/bolts-invitation-token/"]
)
def test_public_account_pages_have_the_policy_and_nothing_inline(client, bolts_invitation, path):
    response = client.get(path)

    assert response.status_code == 200
    assert policy_of(response) == POLICY
    assert inline_of(response.content.decode()).found == []
