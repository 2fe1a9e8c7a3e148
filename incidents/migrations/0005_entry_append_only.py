"""Timeline entries are append-only in the database too: UPDATE and DELETE on them are refused by a trigger.

Entry.save() already refuses an update; the trigger also stops a queryset .update()/.delete(), raw SQL
and any other app. TRUNCATE (how test databases are flushed) does not fire row triggers.
"""

from django.db import migrations

MESSAGE = "Timeline entries are append-only"

POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION incidents_entry_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'restrict_violation'; END;
        $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER incidents_entry_append_only BEFORE UPDATE OR DELETE ON incidents_entry
        FOR EACH ROW EXECUTE FUNCTION incidents_entry_append_only()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS incidents_entry_append_only ON incidents_entry",
    "DROP FUNCTION IF EXISTS incidents_entry_append_only()",
]
SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS incidents_entry_no_{op.lower()} BEFORE {op} ON incidents_entry
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {op} refused'); END"""
    for op in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS incidents_entry_no_{op}" for op in ("update", "delete")]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, None)  # None: the % in the trigger is not a placeholder

    return run


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_entry_kind_mitigation")]

    operations = [
        migrations.RunPython(_run({"postgresql": POSTGRES, "sqlite": SQLITE}),
                             _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE})),
    ]
