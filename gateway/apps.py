import logging

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "gateway"
    verbose_name = "Gateway"

    def ready(self) -> None:
        # Python's warnings go through logging (py.warnings), so they too are lines in the chosen
        # format (JSON in production) rather than bare text on stderr.
        logging.captureWarnings(True)
