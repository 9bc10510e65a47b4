# OutboundMessage and DeliveryAttempt now belong to notifications (notifications 0001 takes them over
# in Django's state; edi 0002 repoints its foreign key first). Their tables stay as they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("procurement", "0003_po_supplier_sync_index"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DeliveryAttempt"),
                migrations.DeleteModel(name="OutboundMessage"),
            ],
            database_operations=[],
        ),
    ]
