# Entry.kind's choices become a callable (incidents' kinds + the ones other apps register in
# incidents.extensions), so a plug-in's kind needs no migration here. No database change: choices
# were never a database constraint; timeline_record refuses an unregistered kind.

from django.db import migrations, models

import incidents.models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0005_entry_append_only'),
    ]

    operations = [
        migrations.AlterField(
            model_name='entry',
            name='kind',
            field=models.CharField(choices=incidents.models.entry_kinds, max_length=20),
        ),
    ]
