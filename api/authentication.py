"""API keys in ``Authorization: Bearer gw_<prefix>_<secret>``."""

import datetime as dt

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiKey

# last_used_at is a hint for people, not an audit trail: one write a minute per key is plenty.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiClient:
    """The caller behind an API key (a supplier's integration or a buyer's system); not a person."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False

    def __init__(self, key: ApiKey) -> None:
        self.key = key
        self.supplier = key.supplier
        self.actor = key.actor
        self.pk = None

    def get_username(self) -> str:
        return f"{key_label(self.key)}"

    def __str__(self) -> str:
        return self.get_username()


def key_label(key: ApiKey) -> str:
    return key.label


def request_key(request: Request) -> ApiKey:
    """The API key ``request`` was authenticated with.

    Every view that asks for it sits behind a permission class that requires a key, so a request
    without one never gets here; should one, it is refused as unauthenticated.
    """
    key = request.auth
    if not isinstance(key, ApiKey):
        raise exceptions.NotAuthenticated()
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        # Authentication schemes are case-insensitive (RFC 9110 §11.1).
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <API key>'.")
        key = ApiKey.authenticate(parts[1])
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is not valid, has expired or was revoked.")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return ApiClient(key), key

    def authenticate_header(self, request) -> str:
        return self.keyword
