# TradingPartner moved to edi with its table unchanged: it leaves this app's state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("suppliers", "0002_tradingpartner"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="TradingPartner")],
            database_operations=[],
        ),
    ]
