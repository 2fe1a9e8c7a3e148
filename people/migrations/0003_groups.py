"""Everyone who may view incidents may read contacts, rotations and the escalation table."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    create_permissions(global_apps.get_app_config("people"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view_contacts = Permission.objects.get(content_type__app_label="people", codename="view_contacts")
    for name in ("viewer", "responder", "commander"):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(view_contacts)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_runbook_contacts_and_escalation"), ("incidents", "0002_runbook_severities_and_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
