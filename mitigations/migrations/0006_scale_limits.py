"""Scale limits are a mitigation setting: each Kubernetes target's min/max replicas are copied from the target
into its own ScaleLimits row (targets 0002 then drops the columns). Backwards, they are copied back."""

import django.db.models.deletion
from django.db import migrations, models


def copy_from_targets(apps, schema_editor):
    Target = apps.get_model("targets", "Target")
    ScaleLimits = apps.get_model("mitigations", "ScaleLimits")
    ScaleLimits.objects.bulk_create(
        ScaleLimits(target_id=pk, min_replicas=low, max_replicas=high)
        for pk, low, high in Target.objects.filter(kind="kubernetes").values_list("pk", "min_replicas",
                                                                                  "max_replicas"))


def copy_to_targets(apps, schema_editor):
    Target = apps.get_model("targets", "Target")
    ScaleLimits = apps.get_model("mitigations", "ScaleLimits")
    for limits in ScaleLimits.objects.all():
        Target.objects.filter(pk=limits.target_id).update(min_replicas=limits.min_replicas,
                                                          max_replicas=limits.max_replicas)


class Migration(migrations.Migration):

    dependencies = [
        ("mitigations", "0005_target_moved_to_targets"),
        ("targets", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScaleLimits",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("min_replicas", models.PositiveIntegerField(default=1, help_text="Scaling never goes below this")),
                ("max_replicas", models.PositiveIntegerField(default=20, help_text="Scaling never goes above this")),
                ("target", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="scale_limits", to="targets.target")),
            ],
            options={
                "verbose_name": "scale limits",
                "verbose_name_plural": "scale limits",
            },
        ),
        migrations.RunPython(copy_from_targets, copy_to_targets),
    ]
