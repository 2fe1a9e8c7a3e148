"""Responders and commanders write post-mortems; viewers read the published ones (with view_incident)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    create_permissions(global_apps.get_app_config("postmortems"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="postmortems")}
    grants = {"responder": ["write_postmortem"], "commander": ["write_postmortem"]}
    for name, codenames in grants.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*(perms[c] for c in codenames))


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0002_search_index"), ("incidents", "0002_runbook_severities_and_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
