"""On PostgreSQL, refuse UPDATE and DELETE on audit events at the database too."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION procurement_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER procurement_auditevent_append_only
    BEFORE UPDATE OR DELETE ON procurement_auditevent
    FOR EACH ROW EXECUTE FUNCTION procurement_auditevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS procurement_auditevent_append_only ON procurement_auditevent;
DROP FUNCTION IF EXISTS procurement_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("procurement", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
