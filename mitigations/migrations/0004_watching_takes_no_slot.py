"""Watching is not acting: following a rollout no longer takes the deployment's one-action slot."""

from django.db import migrations, models

READ_ONLY = ["kubernetes.rollout_status"]


def free_the_slot(apps, schema_editor):
    Mitigation = apps.get_model("mitigations", "Mitigation")
    Mitigation.objects.filter(action__in=READ_ONLY).update(lock_key="")


class Migration(migrations.Migration):
    dependencies = [("mitigations", "0003_mitigation_cancelled_by")]

    operations = [
        migrations.AlterField(
            model_name="mitigation",
            name="lock_key",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.RemoveConstraint(model_name="mitigation", name="one_active_mitigation_per_deployment"),
        migrations.RunPython(free_the_slot, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="mitigation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("queued", "running")), models.Q(("lock_key", ""), _negated=True)),
                fields=("lock_key",), name="one_active_mitigation_per_deployment"),
        ),
    ]
