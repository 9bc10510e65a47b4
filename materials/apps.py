from django.apps import AppConfig


class MaterialsConfig(AppConfig):
    name = "materials"
    label = "materials"
    verbose_name = "Materials"

    def ready(self) -> None:
        # Requirements rank supplier deviations by what they put at risk; procurement asks before saving.
        from materials.services.holds import held_releases_retry_for_new_items
        from materials.services.requirements import po_lines_replan
        from materials.severity import drafts_assess
        from procurement.services.items import items_created_listener_register
        from procurement.services.severity import severity_assessor_register, supply_listener_register

        severity_assessor_register(drafts_assess)
        supply_listener_register(po_lines_replan)
        # A PO may create an item a held BOM release waits for.
        items_created_listener_register(held_releases_retry_for_new_items)
        # Inventory variances are ranked by the projection too: is the disputed stock needed soon?
        from materials.variance_severity import variance_drafts_assess

        severity_assessor_register(variance_drafts_assess)
