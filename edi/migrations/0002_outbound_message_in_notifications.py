# The outbox moved to notifications with its table unchanged: only Django's state of this foreign
# key changes. It must run before procurement drops the model from its state.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("edi", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    run_before = [
        ("procurement", "0004_outbox_moves_to_notifications"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interchange",
                    name="outbound_message",
                    field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="interchange", to="notifications.outboundmessage"),
                ),
            ],
            database_operations=[],
        ),
    ]
