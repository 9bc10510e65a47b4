"""Staff sign-in to the admin: repeated failures lock a caller out for the cool-off, counted in the
database; a supplier's person is told this sign-in is not theirs."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client
from freezegun import freeze_time

from gateway.signin import SUPPLIER_USER_MESSAGE

LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"  # the factories' password
START = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(username: str, password: str, address: str = "203.0.113.7") -> tuple[int, str, bool]:
    """(status, page text, signed in) for one attempt from ``address``."""
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})
    return response.status_code, response.content.decode(), "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_name_at_that_address_until_the_cool_off_ends(buyer):
    with freeze_time(START) as clock:
        wrong = [sign_in("buyer", "guess")[0] for _ in range(5)]
        status, page, signed_in = sign_in("buyer", PASSWORD)
        from_elsewhere = sign_in("buyer", PASSWORD, address="198.51.100.9")
        # Counted in the database, not the cache: sign-in keeps its limits while Redis is down.
        stored = list(AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start"))
        clock.tick(dt.timedelta(minutes=16))
        after_cool_off = sign_in("buyer", PASSWORD)

    assert wrong == [200, 200, 200, 200, 429]
    assert (status, signed_in) == (429, False)
    assert "Too many failed sign-ins" in page
    assert from_elsewhere[0::2] == (302, True)
    assert after_cool_off[0::2] == (302, True)
    assert stored == [("buyer", "203.0.113.7", 6)]


def test_trying_again_while_locked_out_starts_the_cool_off_afresh(buyer):
    with freeze_time(START) as clock:
        for _ in range(5):
            sign_in("buyer", "guess")
        clock.tick(dt.timedelta(minutes=14))
        during = sign_in("buyer", PASSWORD)
        clock.tick(dt.timedelta(minutes=14))
        fifteen_minutes_after_the_first_lock = sign_in("buyer", PASSWORD)
        clock.tick(dt.timedelta(minutes=16))
        after = sign_in("buyer", PASSWORD)

    assert [during[0::2], fifteen_minutes_after_the_first_lock[0::2], after[0::2]] == [
        (429, False),
        (429, False),
        (302, True),
    ]


def test_one_name_locked_out_leaves_the_others_at_that_address_alone(buyer, company):
    from procurement import factories

    colleague = factories.BuyerFactory(username="colleague")
    with freeze_time(START):
        for _ in range(5):
            sign_in("buyer", "guess")
        colleague_signs_in = sign_in(colleague.username, PASSWORD)

    assert colleague_signs_in[0::2] == (302, True)


def test_an_address_guessing_many_names_is_locked_out_for_every_name(buyer, settings):
    settings.GATEWAY_SIGNIN_ADDRESS_FAILURE_LIMIT = 20
    with freeze_time(START):
        answers = [sign_in(f"guess-{n // 4}", "guess")[0] for n in range(20)]  # 4 tries per name: under 5
        status, page, signed_in = sign_in("buyer", PASSWORD)
        elsewhere = sign_in("buyer", PASSWORD, address="198.51.100.9")

    assert answers == [200] * 19 + [429]
    assert (status, signed_in) == (429, False)
    assert "Too many failed sign-ins" in page
    assert elsewhere[0::2] == (302, True)


def test_a_supplier_user_is_told_where_to_go_instead(supplier_user):
    status, page, signed_in = sign_in("bolts-user", PASSWORD)

    assert (status, signed_in) == (200, False)
    assert "This sign-in is for the buyer&#x27;s staff only. Supplier users sign in to the supplier portal" in page
    assert "at /portal/ instead." in page
    assert SUPPLIER_USER_MESSAGE.endswith("sign in to the supplier portal at /portal/ instead.")


def test_a_supplier_user_with_a_wrong_password_is_told_the_password_is_wrong(supplier_user):
    status, page, signed_in = sign_in("bolts-user", "guess")

    assert (status, signed_in) == (200, False)
    assert "Please enter the correct username and password" in page
    assert "Supplier users" not in page


@pytest.mark.parametrize(
    "proxies, forwarded, counted",
    [
        (0, "198.51.100.1", "10.0.0.2"),  # no proxy: the connection's address, whatever the header says
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "192.0.2.66, 198.51.100.1", "198.51.100.1"),  # the client's own entry on the left is ignored
        (2, "192.0.2.66, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, "198.51.100.1", "10.0.0.2"),  # fewer entries than proxies: not from behind them
    ],
)
def test_behind_proxies_the_address_counted_is_the_one_the_outermost_proxy_saw(
    buyer, settings, proxies, forwarded, counted
):
    settings.GATEWAY_TRUSTED_PROXIES = proxies
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    client.post(LOGIN, {"username": "buyer", "password": "guess"})

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [counted]
