from django.contrib import admin

from .models import Supplier, SupplierMembership


class MembershipInline(admin.TabularInline):
    model = SupplierMembership
    extra = 0


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tier", "channel", "active")
    list_filter = ("tier", "channel", "active")
    search_fields = ("code", "name")
    inlines = [MembershipInline]
