from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The supplier portal: the pages a supplier's people use to see and answer purchase orders."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = "Supplier portal"

    def ready(self) -> None:
        from procurement.services import document_replayer_register

        from .replays import PORTAL_REPLAYER

        document_replayer_register("portal", PORTAL_REPLAYER)
