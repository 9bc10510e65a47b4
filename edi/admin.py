from django.contrib import admin

from .models import EdiIdentity, FunctionalGroup, Interchange, TradingPartner


class GroupInline(admin.TabularInline):
    model = FunctionalGroup
    fk_name = "interchange"
    extra = 0
    can_delete = False
    fields = ("gs01", "gs06", "gs08", "set_ids", "ack_state", "ack_code", "ack_due_at")
    readonly_fields = fields


@admin.register(Interchange)
class InterchangeAdmin(admin.ModelAdmin):
    list_display = ("id", "direction", "partner", "isa13", "isa15", "version", "duplicate", "rejected", "created_at")
    list_filter = ("direction", "duplicate", "rejected", "partner")
    search_fields = ("isa13", "sender_id", "receiver_id")
    inlines = [GroupInline]
    exclude = ("content",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TradingPartner)
class TradingPartnerAdmin(admin.ModelAdmin):
    list_display = (
        "supplier",
        "company",
        "isa_qualifier",
        "isa_id",
        "gs_id",
        "gs_aliases",
        "version",
        "ack_kind",
        "usage",
        "folder",
        "active",
    )
    list_filter = ("company", "version", "usage", "active")


@admin.register(EdiIdentity)
class EdiIdentityAdmin(admin.ModelAdmin):
    list_display = ("company", "isa_qualifier", "isa_id", "gs_id", "isa_aliases", "gs_aliases")
