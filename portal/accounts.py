"""How django-allauth behaves for the gateway: no open sign-up, sign-in lands where the person works, and
signing out of the portal lands on the portal's sign-in."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from procurement.selectors import supplier_ids_for_user


class PortalAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Nobody signs up on their own: a supplier's people join through an invitation (portal.invitations)."""
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """A supplier's person goes to the portal; anyone else to the site's start page, which offers their pages."""
        return "/portal/" if supplier_ids_for_user(request.user) else "/"

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        """The portal's sign-in: allauth's sign-out is the portal's (the workbench has its own, which lands on
        the workbench's sign-in), and the site's root would send a supplier's person to the staff sign-in."""
        return reverse("account_login")
