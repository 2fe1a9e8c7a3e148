"""Routing out of the box: critical alerts open SEV2 incidents, warnings are only recorded, anything else opens
SEV3 (the default rule); and, on PostgreSQL, a GIN index for the alerts page's label filter."""

from django.db import migrations


def seed(apps, schema_editor):
    Severity = apps.get_model("incidents", "Severity")
    RoutingRule = apps.get_model("alerts", "RoutingRule")
    severities = {s.name: s for s in Severity.objects.all()}
    if RoutingRule.objects.exists() or not {"SEV2", "SEV3", "SEV4"} <= set(severities):
        return
    RoutingRule.objects.create(position=10, name="Critical", matchers='severity="critical"',
                               severity=severities["SEV2"], action="open_incident")
    RoutingRule.objects.create(position=20, name="Warnings", matchers='severity="warning"',
                               severity=severities["SEV4"], action="record")
    RoutingRule.objects.create(position=1000, name="Default", matchers="", severity=severities["SEV3"],
                               action="open_incident", is_default=True)


def index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE INDEX IF NOT EXISTS alerts_alert_labels_gin "
                              "ON alerts_alert USING gin (labels jsonb_path_ops)")


def unindex(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS alerts_alert_labels_gin")


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial"), ("incidents", "0002_runbook_severities_and_groups")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop), migrations.RunPython(index, unindex)]
