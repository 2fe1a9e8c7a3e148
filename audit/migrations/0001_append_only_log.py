"""The audit log, append-only in the database too, and the auditor group that may read it.

A trigger refuses UPDATE and DELETE on audit_auditevent (PostgreSQL, and its SQLite twin for `make run`), whoever
asks: the ORM, raw SQL, the admin, another app. TRUNCATE (how test databases are flushed) fires no row trigger.
The pattern is incidents/migrations/0005_entry_append_only.py's.
"""

import django.db.models.deletion
import django.utils.timezone
from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

MESSAGE = "The audit log is append-only"

POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'restrict_violation'; END;
        $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
        FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_auditevent_append_only()",
]
SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_{op.lower()} BEFORE {op} ON audit_auditevent
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {op} refused'); END"""
    for op in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS audit_auditevent_no_{op}" for op in ("update", "delete")]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, None)  # None: the % in the trigger is not a placeholder

    return run


def grant(apps, schema_editor):
    """Auditors read the log; superusers may anyway. Nobody gets add, change or delete (the admin refuses them)."""
    create_permissions(global_apps.get_app_config("audit"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="auditor")
    group.permissions.add(Permission.objects.get(content_type__app_label="audit", codename="view_auditevent"))


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('actor_name', models.CharField(blank=True, max_length=150)),
                ('action', models.CharField(choices=[('auth.login', 'Signed in'), ('auth.login_failed', 'Sign-in refused'), ('auth.logout', 'Signed out'), ('admin.add', 'Admin: added'), ('admin.change', 'Admin: changed'), ('admin.delete', 'Admin: deleted'), ('admin.action', 'Admin: action run'), ('mitigation.prepare', 'Mitigation prepared'), ('mitigation.change', 'Mitigation parameters changed'), ('mitigation.approve', 'Mitigation approved'), ('mitigation.execute', 'Mitigation confirmed for execution'), ('mitigation.cancel', 'Mitigation cancelled')], max_length=40)),
                ('target_type', models.CharField(blank=True, max_length=100)),
                ('target_id', models.CharField(blank=True, max_length=64)),
                ('target_repr', models.CharField(blank=True, max_length=200)),
                ('ip', models.GenericIPAddressField(blank=True, null=True)),
                ('user_agent', models.CharField(blank=True, max_length=400)),
                ('details', models.JSONField(blank=True, default=dict)),
                ('actor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-at', '-pk'],
                'indexes': [models.Index(fields=['-at', '-id'], name='audit_at'), models.Index(fields=['action', '-at'], name='audit_action_at'), models.Index(fields=['actor_name', '-at'], name='audit_actor_at'), models.Index(fields=['target_type', '-at'], name='audit_target_at'), models.Index(fields=['ip', '-at'], name='audit_ip_at')],
            },
        ),
        migrations.RunPython(_run({"postgresql": POSTGRES, "sqlite": SQLITE}),
                             _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE})),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
