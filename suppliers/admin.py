from django.contrib import admin

from .models import Supplier, SupplierMembership, TradingPartner


class MembershipInline(admin.TabularInline):
    model = SupplierMembership
    extra = 0


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tier", "channel", "active")
    list_filter = ("tier", "channel", "active")
    search_fields = ("code", "name")
    inlines = [MembershipInline]


@admin.register(TradingPartner)
class TradingPartnerAdmin(admin.ModelAdmin):
    list_display = ("supplier", "isa_qualifier", "isa_id", "gs_id", "version", "ack_kind", "usage", "folder", "active")
    list_filter = ("version", "usage", "active")
