"""Issue an API key from the command line (onboarding, demos); the secret is printed once."""

from django.core.management.base import BaseCommand, CommandError

from api.models import ApiKey
from procurement.models import Company
from suppliers.models import Supplier


class Command(BaseCommand):
    help = (
        "Issue an API key for a supplier (--supplier CODE) or a company's system (--system ERP [--company CODE]). "
        "Prints the key once."
    )

    def add_arguments(self, parser) -> None:
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--supplier", help="supplier code")
        owner.add_argument("--system", help="system name: ERP, WMS, MES, PLM")
        parser.add_argument("--company", help="for --system: the company code (may be left out when there is one)")
        parser.add_argument("--name", default="issued from the command line")
        parser.add_argument("--scope", choices=ApiKey.Scope.values, default=ApiKey.Scope.WRITE)

    def handle(self, *args, supplier=None, system=None, company=None, name="", scope="write", **options) -> None:
        if supplier:
            owner = Supplier.objects.filter(code=supplier).first()
            if owner is None:
                raise CommandError(f"no supplier with code {supplier!r}")
            _key, secret = ApiKey.issue(kind=ApiKey.Kind.SUPPLIER, supplier=owner, name=name, scope=scope)
        else:
            _key, secret = ApiKey.issue(
                kind=ApiKey.Kind.SYSTEM, system_name=system, company=_company(company), name=name, scope=scope
            )
        self.stdout.write(secret)


def _company(code: str | None) -> Company:
    """The company a system key acts for: the one named, or the only one there is."""
    if code:
        found = Company.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"no company with code {code!r}")
        return found
    companies = list(Company.objects.order_by("code")[:2])
    if len(companies) != 1:
        names = ", ".join(c.code for c in Company.objects.order_by("code")) or "none yet"
        raise CommandError(f"name the company the system belongs to with --company (companies: {names})")
    return companies[0]
