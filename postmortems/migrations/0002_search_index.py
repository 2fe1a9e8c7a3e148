"""The full-text index: a GIN index on the weighted vector, on PostgreSQL only (SQLite searches with icontains)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS postmortem_search_vector_gin "
            "ON postmortems_postmortem USING gin (search_vector)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS postmortem_search_vector_gin")


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
