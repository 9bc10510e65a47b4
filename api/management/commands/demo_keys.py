"""Fresh demo API keys for `make run`: one for the API supplier GEARS, one for the ERP. Old demo keys are revoked."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from api.models import ApiKey
from procurement.models import Company
from suppliers.models import Supplier

DEMO_NAME = "demo (make run)"


class Command(BaseCommand):
    help = "Revoke earlier demo API keys and print new ones (supplier GEARS, system ERP)."

    def handle(self, *args, **options) -> None:
        ApiKey.objects.filter(name=DEMO_NAME, revoked_at__isnull=True).update(revoked_at=timezone.now())
        gears = Supplier.objects.filter(code="GEARS").first()
        if gears is None:
            self.stderr.write("No supplier GEARS: load the demo data first (manage.py demo_seed).")
            return
        _, supplier_secret = ApiKey.issue(kind=ApiKey.Kind.SUPPLIER, supplier=gears, name=DEMO_NAME)
        acme = Company.objects.get(code="ACME")
        _, system_secret = ApiKey.issue(kind=ApiKey.Kind.SYSTEM, system_name="ERP", company=acme, name=DEMO_NAME)
        self.stdout.write(f"SUPPLIER_KEY={supplier_secret}\nSYSTEM_KEY={system_secret}\n")
