"""Issue an API key from the command line (onboarding, demos); the secret is printed once."""

from django.core.management.base import BaseCommand, CommandError

from api.models import ApiKey
from suppliers.models import Supplier


class Command(BaseCommand):
    help = "Issue an API key for a supplier (--supplier CODE) or a system (--system ERP). Prints the key once."

    def add_arguments(self, parser) -> None:
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--supplier", help="supplier code")
        owner.add_argument("--system", help="system name: ERP, WMS, MES, PLM")
        parser.add_argument("--name", default="issued from the command line")
        parser.add_argument("--scope", choices=ApiKey.Scope.values, default=ApiKey.Scope.WRITE)

    def handle(self, *args, supplier=None, system=None, name="", scope="write", **options) -> None:
        if supplier:
            owner = Supplier.objects.filter(code=supplier).first()
            if owner is None:
                raise CommandError(f"no supplier with code {supplier!r}")
            _key, secret = ApiKey.issue(kind=ApiKey.Kind.SUPPLIER, supplier=owner, name=name, scope=scope)
        else:
            _key, secret = ApiKey.issue(kind=ApiKey.Kind.SYSTEM, system_name=system, name=name, scope=scope)
        self.stdout.write(secret)
