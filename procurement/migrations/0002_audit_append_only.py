"""Refuse changes to audit events at the database too.

PostgreSQL refuses UPDATE and DELETE. SQLite (the embedded default) refuses UPDATE; its test
database is emptied row by row between tests, so DELETE stays allowed there.
"""

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


SQLITE_CREATE = """
CREATE TRIGGER procurement_auditevent_append_only
BEFORE UPDATE ON procurement_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS procurement_auditevent_append_only;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("procurement", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
