"""Admin for materials settings a company's administrators keep by hand: inventory tolerances."""

from django.contrib import admin

from materials.models import InventoryTolerance


@admin.register(InventoryTolerance)
class InventoryToleranceAdmin(admin.ModelAdmin):
    list_display = ("company", "category", "percent", "amount")
    list_filter = ("company",)
