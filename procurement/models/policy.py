from django.db import models
from django.db.models import F


class ToleranceRuleQuerySet(models.QuerySet):
    """Bulk edits (the admin's "delete selected") bump the companies' policy versions too."""

    def delete(self):
        companies = set(self.values_list("company_id", flat=True))
        result = super().delete()
        _bump(companies)
        return result

    def update(self, **kwargs) -> int:
        companies = set(self.values_list("company_id", flat=True))
        count = super().update(**kwargs)
        _bump(companies)
        return count


def _bump(company_ids) -> None:
    from .organisation import Company

    if company_ids:
        Company.objects.filter(pk__in=company_ids).update(policy_version=F("policy_version") + 1)


class ToleranceRule(models.Model):
    """How far an answer may deviate from the PO before it becomes an exception.

    A rule belongs to a company and may be narrowed to a supplier, an item, or both; the
    narrowest rule for a check wins. Each side (over, under) has a percentage and an absolute
    limit; a deviation must stay within every limit that is set. Zero allows no deviation; an
    empty limit does not constrain. With no rule at all, a check allows no deviation.
    """

    class Check(models.TextChoices):
        PRICE = "price", "Acknowledged price vs PO price (per unit)"
        QUANTITY = "quantity", "Acknowledged quantity vs ordered quantity"
        DATE = "date", "Promised date vs need-by date (days)"
        ASN_QUANTITY = "asn_quantity", "Shipped quantity vs confirmed quantity"
        INVOICE_PRICE = "invoice_price", "Invoiced price vs PO price (per unit)"
        INVOICE_QUANTITY = "invoice_quantity", "Invoiced quantity vs ordered / received"

    company = models.ForeignKey("procurement.Company", on_delete=models.CASCADE, related_name="tolerances")
    supplier = models.ForeignKey(
        "suppliers.Supplier", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    item = models.ForeignKey("procurement.Item", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    check_kind = models.CharField("check", max_length=20, choices=Check.choices)
    over_percent = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    over_amount = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    under_percent = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    under_amount = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    auto_accept = models.BooleanField(
        default=False, help_text="Accept a supplier's proposal within this tolerance without a buyer."
    )

    objects = ToleranceRuleQuerySet.as_manager()

    class Meta:
        # One rule per scope and check; NULL means "any", so each scope shape gets its own constraint.
        constraints = [
            models.UniqueConstraint(
                fields=["company", "check_kind"],
                condition=models.Q(supplier__isnull=True, item__isnull=True),
                name="tolerance_company_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "supplier", "check_kind"],
                condition=models.Q(supplier__isnull=False, item__isnull=True),
                name="tolerance_supplier_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "item", "check_kind"],
                condition=models.Q(supplier__isnull=True, item__isnull=False),
                name="tolerance_item_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "supplier", "item", "check_kind"],
                condition=models.Q(supplier__isnull=False, item__isnull=False),
                name="tolerance_supplier_item_unique",
            ),
        ]

    def __str__(self) -> str:
        scope = "/".join(str(x) for x in (self.company.code, self.supplier_id or "*", self.item_id or "*"))
        return f"{self.check_kind} @ {scope}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._bump_policy_version()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._bump_policy_version()
        return result

    def _bump_policy_version(self) -> None:
        _bump({self.company_id})
