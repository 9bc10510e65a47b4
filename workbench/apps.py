from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    """Pages for buyers and planners: the materials views now, the exception queue and KPIs to come."""

    name = "workbench"
    verbose_name = "Buyer workbench"
