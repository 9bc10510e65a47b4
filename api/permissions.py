"""Roles only: which kind of key may call an endpoint, and whether it may write. Data scoping is in selectors."""

from rest_framework import permissions

from .models import ApiKey


class _KeyKind(permissions.BasePermission):
    kind = ""
    message = ""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey) or key.kind != self.kind:
            return False
        if request.method not in permissions.SAFE_METHODS and key.scope != ApiKey.Scope.WRITE:
            self.message = "This API key may only read."
            return False
        return True


class SupplierKey(_KeyKind):
    kind = ApiKey.Kind.SUPPLIER
    message = "This endpoint is for supplier API keys."


class SystemKey(_KeyKind):
    kind = ApiKey.Kind.SYSTEM
    message = "This endpoint is for system API keys (ERP, WMS, MES)."


class AnyKey(permissions.BasePermission):
    message = "An API key is required."

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        if request.method not in permissions.SAFE_METHODS and key.scope != ApiKey.Scope.WRITE:
            self.message = "This API key may only read."
            return False
        return True
