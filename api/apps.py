from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from . import (
            schema,  # noqa: F401 - registers the authentication scheme with the schema generator
            webhooks,
        )

        webhooks.outbox_hooks_register()

        from procurement.services import document_replayer_register

        from .replays import API_REPLAYER

        document_replayer_register("api", API_REPLAYER)
