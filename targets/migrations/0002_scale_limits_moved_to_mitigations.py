"""min_replicas and max_replicas now live in mitigations.ScaleLimits (copied there by mitigations 0006)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("targets", "0001_initial"),
        ("mitigations", "0006_scale_limits"),
    ]

    operations = [
        migrations.RemoveField(model_name="target", name="max_replicas"),
        migrations.RemoveField(model_name="target", name="min_replicas"),
    ]
