"""Target moves here from diagnostics with its table (diagnostics_target) and rows untouched: state only.

Its content type moves with it, so the permissions groups hold on targets (view_target) stay theirs."""

from django.db import migrations, models


def move_content_type(apps, schema_editor, source="diagnostics", dest="targets"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=dest, model="target").exists():
        ContentType.objects.filter(app_label=source, model="target").update(app_label=dest)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="targets", dest="diagnostics")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("diagnostics", "0004_secret_references"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Target",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.SlugField(max_length=60, unique=True)),
                        ("kind", models.CharField(choices=[("postgres", "PostgreSQL server"), ("redis", "Redis server"), ("kubernetes", "Kubernetes deployment"), ("http", "HTTP health URL")], max_length=20)),
                        ("description", models.CharField(blank=True, max_length=200)),
                        ("url", models.CharField(blank=True, help_text="postgres://user@host:5432/db, redis://host:6379/0, https://host/health, or the Kubernetes API server URL (blank: from the kubeconfig). No password here: name it in secret_env or secret_file.", max_length=500)),
                        ("extra_urls", models.TextField(blank=True, help_text="HTTP targets: more health URLs, one per line")),
                        ("secret_env", models.CharField(blank=True, help_text="Environment variable holding the password or token; its name must start with WARROOM_TARGET_", max_length=100)),
                        ("secret_file", models.CharField(blank=True, help_text="File holding the password or token, inside WARROOM_SECRET_DIR (a relative path is taken from there)", max_length=300)),
                        ("kubeconfig", models.CharField(blank=True, help_text="Path; blank: as kubectl, the files in $KUBECONFIG, else ~/.kube/config", max_length=300)),
                        ("kube_context", models.CharField(blank=True, help_text="Blank: the kubeconfig's current context", max_length=100)),
                        ("in_cluster", models.BooleanField(default=False, help_text="Use the pod's service account")),
                        ("namespace", models.CharField(blank=True, default="default", max_length=100)),
                        ("deployment", models.CharField(blank=True, help_text="e.g. bharatcart-api", max_length=100)),
                        ("timeout_seconds", models.PositiveSmallIntegerField(default=5, help_text="Connect and per-call timeout")),
                        ("min_replicas", models.PositiveIntegerField(default=1, help_text="Kubernetes: scaling never goes below this")),
                        ("max_replicas", models.PositiveIntegerField(default=20, help_text="Kubernetes: scaling never goes above this")),
                        ("enabled", models.BooleanField(default=True)),
                    ],
                    options={
                        "db_table": "diagnostics_target",
                        "ordering": ["kind", "name"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
