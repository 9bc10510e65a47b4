# The outbox moves here from procurement. Its tables keep their names (db_table), so this only
# tells Django's state where the models now live; no table is created, renamed or copied.

import django.db.models.deletion
from django.db import migrations, models


def content_types_follow(apps, schema_editor, old="procurement", new="notifications"):
    """Keep permissions and admin history attached to the models: their content types move too."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("outboundmessage", "deliveryattempt"):
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_return(apps, schema_editor):
    content_types_follow(apps, schema_editor, old="notifications", new="procurement")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("procurement", "0003_po_supplier_sync_index"),
        ("suppliers", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboundMessage",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("file", "File"), ("http", "HTTP"), ("email", "E-mail")], max_length=8)),
                        ("event", models.CharField(help_text="po.published, po.changed, exception.raised, …", max_length=40)),
                        ("destination", models.CharField(max_length=500)),
                        ("payload", models.JSONField()),
                        ("idempotency_key", models.CharField(max_length=120, unique=True)),
                        ("state", models.CharField(choices=[("pending", "Pending"), ("sending", "Sending"), ("delivered", "Delivered"), ("dead", "Dead letter")], default="pending", max_length=12)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("max_attempts", models.PositiveIntegerField()),
                        ("next_attempt_at", models.DateTimeField()),
                        ("locked_until", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("correlation_id", models.CharField(blank=True, max_length=64)),
                        ("subscription_ref", models.PositiveBigIntegerField(blank=True, db_index=True, help_text="The webhook subscription a delivery belongs to.", null=True)),
                        ("created_at", models.DateTimeField()),
                        ("delivered_at", models.DateTimeField(blank=True, null=True)),
                        ("po", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="outbound", to="procurement.purchaseorder")),
                        ("supplier", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="suppliers.supplier")),
                    ],
                    options={
                        "db_table": "procurement_outboundmessage",
                        "indexes": [models.Index(fields=["state", "next_attempt_at"], name="procurement_state_a10f99_idx")],
                    },
                ),
                migrations.CreateModel(
                    name="DeliveryAttempt",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("number", models.PositiveIntegerField()),
                        ("attempted_at", models.DateTimeField()),
                        ("succeeded", models.BooleanField()),
                        ("detail", models.TextField(blank=True)),
                        ("duration_ms", models.PositiveIntegerField(default=0)),
                        ("message", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="attempt_log", to="notifications.outboundmessage")),
                    ],
                    options={
                        "db_table": "procurement_deliveryattempt",
                        "ordering": ["message", "number"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
