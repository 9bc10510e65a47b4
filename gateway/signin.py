"""Staff sign-in to the admin: who may sign in there, and how repeated failures lock a caller out."""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

SUPPLIER_USER_MESSAGE = (
    "This sign-in is for the buyer's staff only. Supplier users sign in to the supplier portal at /portal/ instead."
)


STAFF_SUPPLIER_MESSAGE = (
    "This account also acts for a supplier, so it cannot sign in here. "
    "Ask an administrator to end its supplier membership, or sign in to the supplier portal at /portal/."
)


def client_address(request) -> str:
    """The address a sign-in came from, for counting its failures.

    Without proxies in front (``GATEWAY_TRUSTED_PROXIES`` 0) it is the connection's. Behind n proxies,
    each appending the address it received from to ``X-Forwarded-For``, it is the n-th entry from the
    right: what the outermost proxy saw. Entries further left are the client's own say and are ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.GATEWAY_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form, which tells a supplier's person where they stand.

    Django's own form answers a right password from anyone who is not staff with "enter the correct
    username and password", so a supplier user retries a password that is not the problem.
    """

    def confirm_login_allowed(self, user) -> None:
        if not user.is_staff and user.supplier_memberships.exists():
            raise ValidationError(SUPPLIER_USER_MESSAGE, code="supplier_user")
        if user.is_staff and user.supplier_memberships.filter(active=True).exists():
            # A password here skips the portal's MFA stage: such a session must not carry a supplier's
            # view (nor staff powers held by a supplier's person) at all.
            raise ValidationError(STAFF_SUPPLIER_MESSAGE, code="staff_supplier_user")
        super().confirm_login_allowed(user)


class SignInAttempts(AxesDatabaseHandler):
    """Failed sign-ins counted in the database (so sign-in works without Redis), with two limits.

    ``AXES_LOCKOUT_PARAMETERS`` lists the user name with the address first, then the address
    alone. One user name from one address is locked out after ``AXES_FAILURE_LIMIT`` failures;
    an address is locked out for every user name after ``GATEWAY_SIGNIN_ADDRESS_FAILURE_LIMIT``,
    so guessing across many user names is stopped too, while a colleague's typos on a shared
    office address do not lock everyone else out at once. Axes compares one count with one limit:
    the address's failures count towards it only past the difference between the two limits.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        per_name, per_address = (
            sum(attempts.values_list("failures_since_start", flat=True))
            for attempts in self.get_user_attempts(request, credentials)
        )
        headroom = settings.GATEWAY_SIGNIN_ADDRESS_FAILURE_LIMIT - settings.AXES_FAILURE_LIMIT
        return max(per_name, per_address - headroom)
