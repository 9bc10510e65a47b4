"""Ship notices and invoices carry their buying company, filled for those received before.

A ship notice's company is its first line's PO's (the write path refuses lines of several
companies' POs), an invoice's its PO's: one ``UPDATE … FROM`` each, on PostgreSQL and SQLite alike.
"""

import django.db.models.deletion
from django.db import migrations, models

SHIPMENTS = """
    UPDATE procurement_shipment SET company_id = po.company_id
    FROM procurement_shipmentline sl
    JOIN procurement_poline l ON l.id = sl.po_line_id
    JOIN procurement_purchaseorder po ON po.id = l.po_id
    WHERE sl.shipment_id = procurement_shipment.id
      AND sl.id = (SELECT MIN(first.id) FROM procurement_shipmentline first
                   WHERE first.shipment_id = procurement_shipment.id)
"""
INVOICES = """
    UPDATE procurement_invoice SET company_id = po.company_id
    FROM procurement_purchaseorder po
    WHERE po.id = procurement_invoice.po_id
"""


def backfill(apps, schema_editor):
    """Fill the company of the notices and invoices already received."""
    postgres = schema_editor.connection.vendor == "postgresql"
    # Checked at once, so that the invoice column can be made NOT NULL in the same transaction
    # (PostgreSQL refuses to alter a table with deferred foreign-key checks pending).
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(SHIPMENTS)
    schema_editor.execute(INVOICES)
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("procurement", "0018_shipment_bill_of_lading"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipment",
            name="company",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="procurement.company",
            ),
        ),
        migrations.AddField(
            model_name="invoice",
            name="company",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="procurement.company"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="invoice",
            name="company",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="procurement.company"
            ),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["company", "received_at"], name="invoice_company_received"),
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(fields=["company", "received_at"], name="shipment_company_received"),
        ),
    ]
