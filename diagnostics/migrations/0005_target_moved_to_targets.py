"""Target now lives in the targets app (same table): runs point there, and diagnostics forgets it. State only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("diagnostics", "0004_secret_references"),
        ("targets", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="run",
                    name="target",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="runs", to="targets.target"),
                ),
                migrations.DeleteModel(name="Target"),
            ],
            database_operations=[],
        ),
    ]
