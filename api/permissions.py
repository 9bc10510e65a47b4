"""Roles only: which kind of key may call an endpoint, and whether it may write. Data scoping is in selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import permissions

from .models import ApiKey

if TYPE_CHECKING:
    # Not at run time: DRF imports the permission classes while rest_framework.views is loading.
    from rest_framework.request import Request
    from rest_framework.views import APIView

READ_ONLY = "This API key may only read."
# Keys issued before system keys named their company, where the gateway could not tell which one.
NO_COMPANY = "This system API key belongs to no company: issue a new key for its company."


def _refusal(request: Request, key: ApiKey) -> str:
    """Why ``key`` may not make this request whatever the endpoint; empty when it may."""
    if key.kind == ApiKey.Kind.SYSTEM and key.company_id is None:
        return NO_COMPANY
    if request.method not in permissions.SAFE_METHODS and key.scope != ApiKey.Scope.WRITE:
        return READ_ONLY
    return ""


class _KeyKind(permissions.BasePermission):
    kind = ""
    message = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey) or key.kind != self.kind:
            return False
        refusal = _refusal(request, key)
        if refusal:
            self.message = refusal
        return not refusal


class SupplierKey(_KeyKind):
    kind = ApiKey.Kind.SUPPLIER
    message = "This endpoint is for supplier API keys."


class SystemKey(_KeyKind):
    kind = ApiKey.Kind.SYSTEM
    message = "This endpoint is for system API keys (ERP, WMS, MES)."


class AnyKey(permissions.BasePermission):
    message = "An API key is required."

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        refusal = _refusal(request, key)
        if refusal:
            self.message = refusal
        return not refusal
