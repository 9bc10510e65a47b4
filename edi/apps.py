from django.apps import AppConfig


class EdiConfig(AppConfig):
    name = "edi"
    verbose_name = "EDI"

    def ready(self) -> None:
        from . import outbound

        outbound.file_renderers_register()
