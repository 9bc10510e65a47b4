from django.apps import AppConfig


class MaterialsConfig(AppConfig):
    name = "materials"
    label = "materials"
    verbose_name = "Materials"

    def ready(self) -> None:
        # Requirements rank supplier deviations by what they put at risk; procurement asks before saving.
        from materials.services.requirements import po_lines_replan
        from materials.severity import drafts_assess
        from procurement.services.severity import severity_assessor_register, supply_listener_register

        severity_assessor_register(drafts_assess)
        supply_listener_register(po_lines_replan)
