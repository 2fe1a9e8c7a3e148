"""The foreign keys now name targets.Target: the same table, so state only (no column or constraint changes)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("mitigations", "0004_watching_takes_no_slot"),
        ("targets", "0001_initial"),
    ]
    # diagnostics drops Target from its state next; nothing may still point at diagnostics.Target by then.
    run_before = [("diagnostics", "0005_target_moved_to_targets")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="maintenancemanifest",
                    name="target",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="manifests", to="targets.target"),
                ),
                migrations.AlterField(
                    model_name="mitigation",
                    name="target",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="mitigations", to="targets.target"),
                ),
            ],
            database_operations=[],
        ),
    ]
