"""Responders and commanders may run checks; viewers see the results."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    create_permissions(global_apps.get_app_config("diagnostics"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    run_check = Permission.objects.get(content_type__app_label="diagnostics", codename="run_check")
    view = Permission.objects.filter(content_type__app_label="diagnostics", codename__in=["view_run", "view_target"])
    for name in ("viewer", "responder", "commander"):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*view)
        if name != "viewer":
            group.permissions.add(run_check)


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0001_initial"), ("incidents", "0002_runbook_severities_and_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
