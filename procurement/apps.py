from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    name = "procurement"
    verbose_name = "Procurement"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from procurement.kpis import sqlite_percentile_register

        # The KPIs' percentiles: PostgreSQL has percentile_cont built in, the embedded SQLite does not.
        connection_created.connect(sqlite_percentile_register, dispatch_uid="procurement.sqlite_percentile")
