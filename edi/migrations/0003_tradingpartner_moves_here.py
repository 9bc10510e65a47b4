# TradingPartner moves here from suppliers: the EDI channel is what uses it. Its table keeps its
# name (db_table), so this only tells Django's state where the model now lives.

import django.db.models.deletion
from django.db import migrations, models


def content_type_follows(apps, schema_editor, old="suppliers", new="edi"):
    """Keep permissions and admin history attached to the model: its content type moves too."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=new, model="tradingpartner").exists():
        ContentType.objects.filter(app_label=old, model="tradingpartner").update(app_label=new)


def content_type_returns(apps, schema_editor):
    content_type_follows(apps, schema_editor, old="edi", new="suppliers")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("edi", "0002_outbound_message_in_notifications"),
        ("suppliers", "0002_tradingpartner"),
    ]

    run_before = [
        ("suppliers", "0003_tradingpartner_moves_to_edi"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='TradingPartner',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('isa_qualifier', models.CharField(default='ZZ', max_length=2, verbose_name='ISA qualifier')),
                        ('isa_id', models.CharField(help_text='ISA06 on what the partner sends, ISA08 on ours.', max_length=15, verbose_name='ISA id')),
                        ('gs_id', models.CharField(help_text='GS02 on what the partner sends.', max_length=15, verbose_name='GS id')),
                        ('version', models.CharField(default='004010', help_text='GS08 of what we send: 004010, 005010, …', max_length=12)),
                        ('element_separator', models.CharField(default='*', max_length=1)),
                        ('component_separator', models.CharField(default='>', max_length=1)),
                        ('segment_terminator', models.CharField(default='~', max_length=1)),
                        ('repetition_separator', models.CharField(default='^', max_length=1)),
                        ('line_break', models.BooleanField(default=True, help_text='A line break after each segment we send.')),
                        ('ack_kind', models.CharField(choices=[('auto', '997 for 004010, 999 for 005010 and later'), ('997', 'Always 997'), ('999', 'Always 999')], default='auto', max_length=4)),
                        ('ta1_requested', models.BooleanField(default=False, help_text='Answer every interchange with a TA1.')),
                        ('expects_997', models.BooleanField(default=True, help_text='The partner answers what we send with a 997/999.')),
                        ('fa_due_hours', models.PositiveIntegerField(default=24, help_text="Hours within which the partner's 997 is due.")),
                        ('usage', models.CharField(choices=[('P', 'Production'), ('T', 'Test')], default='P', help_text='Checked against ISA15 of every interchange.', max_length=1)),
                        ('code_maps', models.JSONField(blank=True, default=dict, help_text='The partner\'s own code habits, e.g. {"BAK02": {"AP": "ACCEPTED"}, "ACK01": {"IW": "HOLD"}}.')),
                        ('folder', models.SlugField(help_text='Folder name under the EDI root.', max_length=40, unique=True)),
                        ('active', models.BooleanField(default=True)),
                        ('supplier', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='trading_partner', to='suppliers.supplier')),
                    ],
                    options={
                        'db_table': 'suppliers_tradingpartner',
                        'constraints': [models.UniqueConstraint(fields=('isa_qualifier', 'isa_id'), name='partner_isa_unique')],
                    },
                ),
                migrations.AlterField(
                    model_name="controlcounter",
                    name="partner",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="counters", to="edi.tradingpartner"),
                ),
                migrations.AlterField(
                    model_name="interchange",
                    name="partner",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="interchanges", to="edi.tradingpartner"),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_follows, content_type_returns),
    ]
