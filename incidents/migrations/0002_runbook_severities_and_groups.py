"""Seed the runbook's four severities and the viewer / responder / commander groups."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

SEVERITIES = [
    dict(name="SEV1", level=1, label="Critical", definition="Complete service outage, data loss",
         response="within", response_minutes=0, escalation="CTO, VP Engineering",
         examples="Site down, database corruption"),
    dict(name="SEV2", level=2, label="High", definition="Major feature broken, significant users affected",
         response="within", response_minutes=15, escalation="Engineering Manager",
         examples="Payment processing down, login broken"),
    dict(name="SEV3", level=3, label="Medium", definition="Minor feature issues, workaround available",
         response="within", response_minutes=120, escalation="",
         examples="Slow page load, email delays"),
    dict(name="SEV4", level=4, label="Low", definition="Cosmetic issues, no user impact",
         response="next_business_day", response_minutes=0, escalation="",
         examples="UI glitches, logging errors"),
]

GROUP_PERMISSIONS = {
    "viewer": ["view_incident", "view_severity", "view_entry"],
    "responder": ["view_incident", "view_severity", "view_entry", "add_note"],
    "commander": ["view_incident", "view_severity", "view_entry", "add_note", "manage_incident"],
}


def seed(apps, schema_editor):
    Severity = apps.get_model("incidents", "Severity")
    for row in SEVERITIES:
        Severity.objects.update_or_create(name=row["name"], defaults=row)

    # Permissions are normally created after all migrations; the groups need them now.
    create_permissions(global_apps.get_app_config("incidents"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="incidents", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
