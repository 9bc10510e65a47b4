"""Who acts for a supplier: invitations, and the roles and active flags of its people.

Every write is audited (``AuditEvent``, channel and person from the ``WriteSource``). Who may call
each service is the channel's decision (a supplier admin in the portal, a buyer in the workbench,
staff in the admin); the rules about the rows themselves are here. The e-mail with the invitation
link goes out after the transaction commits, so a rolled-back invitation sends nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from procurement.services.audit import audit_event, audit_write
from procurement.services.sources import WriteSource

from .models import Supplier, SupplierInvitation, SupplierMembership


class PeopleError(ValueError):
    """A people write that cannot be done, with a message for the person who asked."""


BUYER_ACCOUNT_MESSAGE = (
    "This is a staff or buying company's account, which cannot also act for a supplier: "
    "ask for the invitation to be sent to another e-mail address."
)


def _free_username(email: str) -> str:
    """A user name for a new account: the address, or the address with a number when another account
    already uses it as its user name (an account made before its address changed)."""
    user_model = get_user_model()
    taken = set(user_model.objects.filter(username__istartswith=email).values_list("username", flat=True))
    taken = {name.lower() for name in taken}
    candidate, n = email, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{email}-{n}"
    return candidate


def person_acts_for(*, supplier: Supplier, email: str) -> bool:
    """Whether the person with this e-mail address already acts for ``supplier`` (an active membership)."""
    return SupplierMembership.objects.filter(supplier=supplier, user__email__iexact=email.strip(), active=True).exists()


def first_admin_refusal(*, supplier: Supplier, email: str, now: dt.datetime | None = None) -> str:
    """Why ``email`` may not be invited from outside the supplier as its first admin, or "" when it may."""
    now = now or timezone.now()
    if SupplierMembership.objects.filter(supplier=supplier, role=SupplierMembership.Role.ADMIN, active=True).exists():
        return f"{supplier.name} already has an administrator: its administrators invite their people from the portal."
    open_admin = SupplierInvitation.objects.filter(
        supplier=supplier,
        role=SupplierMembership.Role.ADMIN,
        state=SupplierInvitation.State.PENDING,
        expires_at__gt=now,
    ).exclude(email=email.strip().lower())
    if open_admin.exists():
        return (
            f"{supplier.name} already has a pending administrator invitation: "
            "it must be accepted, revoked or expire before another person is invited."
        )
    return ""


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *,
    supplier: Supplier,
    email: str,
    role: str,
    source: WriteSource,
    link: Callable[[str], str],
    first_admin: bool = False,
    now: dt.datetime | None = None,
) -> SupplierInvitation:
    """Invite ``email`` to act for ``supplier`` in ``role``; e-mail them ``link(token)`` once committed.

    Refused when the address already belongs to an active person of the supplier. Earlier pending
    invitations of the address to the supplier are revoked: one live link per person.

    ``first_admin`` is for invitations from outside the supplier (a buyer in the workbench, staff in
    the admin): a supplier's person sees its orders from every company, so only the supplier's own
    admins may add people once it has one. Such an invitation is refused when the supplier already
    has an active admin, or an open admin invitation to another address; the supplier row is locked
    so two buyers inviting at once cannot both get through.
    """
    now = now or timezone.now()
    email = email.strip().lower()
    if role not in SupplierMembership.Role.values:
        raise PeopleError(f"Unknown role {role!r}.")
    if first_admin:
        Supplier.objects.select_for_update().filter(pk=supplier.pk).first()
        refusal = first_admin_refusal(supplier=supplier, email=email, now=now)
        if refusal:
            raise PeopleError(refusal)
    if person_acts_for(supplier=supplier, email=email):
        raise PeopleError(f"{email} already acts for {supplier.name}.")
    pending = SupplierInvitation.objects.select_for_update().filter(
        supplier=supplier, email=email, state=SupplierInvitation.State.PENDING
    )
    events = []
    for old in pending:
        old.state, old.decided_at = SupplierInvitation.State.REVOKED, now
        old.save(update_fields=["state", "decided_at"])
        events.append(_audit(source, "supplier.invitation_revoked", old, now, before="pending", after="revoked"))
    token = secrets.token_urlsafe(32)
    invitation = SupplierInvitation.objects.create(
        supplier=supplier,
        email=email,
        role=role,
        token_hash=invitation_token_hash(token),
        invited_by=source.user,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.GATEWAY_INVITATION_DAYS),
    )
    events.append(_audit(source, "supplier.invitation_created", invitation, now, after={"email": email, "role": role}))
    audit_write(events)
    url = link(token)
    transaction.on_commit(lambda: _send_invitation(invitation, url))
    return invitation


def _send_invitation(invitation: SupplierInvitation, url: str) -> None:
    send_mail(
        subject=f"You are invited to the supplier portal for {invitation.supplier.name}",
        message=(
            f"You have been invited to act for {invitation.supplier.name} in the supplier portal "
            f"as {invitation.get_role_display().lower()}.\n\nAccept the invitation here: {url}\n\n"
            f"The link works once and expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_revoke(*, invitation: SupplierInvitation, source: WriteSource, now: dt.datetime | None = None) -> None:
    """Revoke a pending invitation: its link stops working. An accepted or revoked one is refused."""
    now = now or timezone.now()
    invitation = SupplierInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != SupplierInvitation.State.PENDING:
        raise PeopleError(f"This invitation is already {invitation.get_state_display().lower()}.")
    invitation.state, invitation.decided_at = SupplierInvitation.State.REVOKED, now
    invitation.save(update_fields=["state", "decided_at"])
    audit_write([_audit(source, "supplier.invitation_revoked", invitation, now, before="pending", after="revoked")])


def invitation_open(*, token: str, now: dt.datetime | None = None) -> SupplierInvitation | None:
    """The pending, unexpired invitation behind ``token``; None for an unknown, used, revoked or expired one."""
    now = now or timezone.now()
    invitation = (
        SupplierInvitation.objects.select_related("supplier").filter(token_hash=invitation_token_hash(token)).first()
    )
    if invitation is None or not invitation.is_open(now):
        return None
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    source: WriteSource,
    user: User | None = None,
    first_name: str = "",
    last_name: str = "",
    password: str = "",
    now: dt.datetime | None = None,
) -> SupplierMembership:
    """Accept an invitation: the membership, and the account if the address has none yet.

    ``user`` is the signed-in person, who must own the invited address; without one, a new account
    is made for the address (refused if one exists: that person signs in first). Following the link
    proves the address, so it is recorded as verified. Staff and a buying company's people are refused:
    one account never holds both a buyer's and a supplier's view of the orders.
    """
    now = now or timezone.now()
    invitation = (
        SupplierInvitation.objects.select_for_update()
        .select_related("supplier")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_open(now):
        raise PeopleError("This invitation link is not valid any more: it was used, revoked or has expired.")
    user_model = get_user_model()
    existing = user_model.objects.filter(email__iexact=invitation.email).first()
    if user is not None:
        if (user.email or "").lower() != invitation.email:
            raise PeopleError(f"This invitation is for {invitation.email}: sign in as that person to accept it.")
        if user.is_staff or user.company_memberships.exists():
            raise PeopleError(BUYER_ACCOUNT_MESSAGE)
        person = user
    elif existing is not None:
        raise PeopleError(f"{invitation.email} already has an account: sign in first, then open the link again.")
    else:
        person = user_model.objects.create_user(
            username=_free_username(invitation.email),
            email=invitation.email,
            first_name=first_name,
            last_name=last_name,
        )
        person.set_password(password)
        person.save(update_fields=["password"])
    # The followed link proves the address: it becomes the person's one primary address.
    EmailAddress.objects.filter(user=person, primary=True).exclude(email__iexact=invitation.email).update(primary=False)
    address = EmailAddress.objects.filter(user=person, email__iexact=invitation.email).first()
    if address is None:
        EmailAddress.objects.create(user=person, email=invitation.email, verified=True, primary=True)
    elif not (address.verified and address.primary):
        address.verified, address.primary = True, True
        address.save(update_fields=["verified", "primary"])
    membership, _ = SupplierMembership.objects.update_or_create(
        supplier=invitation.supplier, user=person, defaults={"role": invitation.role, "active": True}
    )
    invitation.state, invitation.accepted_by, invitation.decided_at = SupplierInvitation.State.ACCEPTED, person, now
    invitation.save(update_fields=["state", "accepted_by", "decided_at"])
    acting = WriteSource(source.channel, f"user {person.get_username()}", person, source.correlation_id)
    audit_write(
        [
            _audit(acting, "supplier.invitation_accepted", invitation, now, before="pending", after="accepted"),
            _audit(acting, "supplier.membership_joined", membership, now, after={"role": membership.role}),
        ]
    )
    return membership


@transaction.atomic
def membership_change(
    *,
    membership: SupplierMembership,
    source: WriteSource,
    role: str | None = None,
    active: bool | None = None,
    now: dt.datetime | None = None,
) -> SupplierMembership:
    """Change a person's role or active flag. A supplier always keeps one active admin: the change
    that would leave it none is refused."""
    now = now or timezone.now()
    membership = SupplierMembership.objects.select_for_update().select_related("supplier").get(pk=membership.pk)
    before = {"role": membership.role, "active": membership.active}
    if role is not None and role not in SupplierMembership.Role.values:
        raise PeopleError(f"Unknown role {role!r}.")
    new_role = membership.role if role is None else role
    new_active = membership.active if active is None else active
    losing_admin = membership.is_admin and membership.active and (new_role != membership.role or not new_active)
    if losing_admin:
        admins = SupplierMembership.objects.select_for_update().filter(
            supplier_id=membership.supplier_id, role=SupplierMembership.Role.ADMIN, active=True
        )
        if admins.exclude(pk=membership.pk).count() == 0:
            raise PeopleError(f"{membership.supplier.name} needs at least one active administrator.")
    membership.role, membership.active = new_role, new_active
    membership.save(update_fields=["role", "active"])
    after = {"role": membership.role, "active": membership.active}
    if after != before:
        audit_write([_audit(source, "supplier.membership_changed", membership, now, before=before, after=after)])
    return membership


def _audit(source: WriteSource, action: str, obj, now: dt.datetime, *, before=None, after=None):
    return audit_event(source=source, action=action, obj=obj, before=before, after=after, now=now)
