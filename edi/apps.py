from django.apps import AppConfig


class EdiConfig(AppConfig):
    name = "edi"
    verbose_name = "EDI"

    def ready(self) -> None:
        from procurement.services import document_replayer_register

        from . import outbound, replays

        outbound.file_renderers_register()
        document_replayer_register("edi", replays.EDI_REPLAYER)
