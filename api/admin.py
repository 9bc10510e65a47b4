"""Buyers manage API keys and see webhook subscriptions here. A new key's secret is shown once."""

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from .models import ApiKey, IdempotencyRecord, WebhookSubscription


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["kind", "supplier", "system_name", "company", "name", "scope", "expires_at"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean() returns; its stubs allow None, which it never is
        if data.get("kind") == ApiKey.Kind.SYSTEM and not data.get("company"):
            self.add_error("company", "A system key acts for one company: choose it.")
        if data.get("kind") == ApiKey.Kind.SUPPLIER:
            if not data.get("supplier"):
                self.add_error("supplier", "A supplier key acts for one supplier: choose it.")
            if data.get("company"):
                self.add_error("company", "A supplier key reads its supplier's data; it belongs to no company.")
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = (
        "prefix",
        "name",
        "kind",
        "supplier",
        "system_name",
        "company",
        "scope",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("kind", "scope")
    search_fields = ("prefix", "name", "supplier__code", "system_name")
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at", "replaced_by")
    actions = ["rotate", "revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        fields = {f: form.cleaned_data[f] for f in ApiKeyForm.Meta.fields}
        key, secret = ApiKey.issue(created_by=request.user, **fields)
        obj.pk = key.pk
        obj.__dict__.update(key.__dict__)
        self.message_user(request, f"New API key (copy it now, it is not shown again): {secret}", messages.WARNING)

    @admin.action(description="Rotate: issue a replacement; the old key keeps working for 7 days")
    def rotate(self, request, queryset):
        for old in queryset.usable():
            new, secret = ApiKey.issue(
                kind=old.kind,
                supplier=old.supplier,
                system_name=old.system_name,
                company=old.company,
                name=old.name,
                scope=old.scope,
                created_by=request.user,
            )
            ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() + dt.timedelta(days=7), replaced_by=new)
            self.message_user(request, f"Replacement for {old.prefix}… (copy it now): {secret}", messages.WARNING)

    @admin.action(description="Revoke now")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "url",
        "api_key_kind",
        "supplier",
        "system_name",
        "active",
        "consecutive_failures",
        "disabled_at",
    )
    list_filter = ("active", "api_key_kind")
    readonly_fields = ("salt",)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ("key", "api_key", "method", "path", "status_code", "created_at", "expires_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
