# A trading partner names the buying company it trades with. Exceptions from its files were filed
# under the company of the supplier's latest PO, or the first company in the database: partners
# made before keep exactly that company, now stated.

import django.db.models.deletion
from django.db import migrations, models


def company_as_before(apps, schema_editor):
    Company = apps.get_model("procurement", "Company")
    PurchaseOrder = apps.get_model("procurement", "PurchaseOrder")
    TradingPartner = apps.get_model("edi", "TradingPartner")
    first = Company.objects.order_by("pk").first()
    for partner in TradingPartner.objects.filter(company__isnull=True):
        latest = PurchaseOrder.objects.filter(supplier_id=partner.supplier_id).order_by("-pk").first()
        company_id = latest.company_id if latest else (first.pk if first else None)
        if company_id is None:
            raise RuntimeError(
                f"trading partner {partner.pk} needs a company and there is none: create the buying company first"
            )
        TradingPartner.objects.filter(pk=partner.pk).update(company_id=company_id)


class Migration(migrations.Migration):

    dependencies = [
        ("edi", "0003_tradingpartner_moves_here"),
        ("procurement", "0005_companymembership"),
    ]

    operations = [
        migrations.AddField(
            model_name="tradingpartner",
            name="company",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="trading_partners", to="procurement.company"),
        ),
        migrations.RunPython(company_as_before, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="tradingpartner",
            name="company",
            field=models.ForeignKey(help_text="The buying company this partner trades with: its exceptions are filed there.", on_delete=django.db.models.deletion.PROTECT, related_name="trading_partners", to="procurement.company"),
        ),
    ]
