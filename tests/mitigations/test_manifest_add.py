"""Maintenance-manifest versions: numbered by manifest_add, also when two admins save at the same moment."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from mitigations import services
from mitigations.models import MaintenanceManifest

YAML = "apiVersion: v1\\nkind: ConfigMap\\n"


@pytest.mark.django_db
def test_versions_follow_on_per_target(down_k8s_target, commander):
    first = services.manifest_add(target=down_k8s_target, yaml=YAML, note="first", by=commander)
    second = services.manifest_add(target=down_k8s_target, yaml=YAML, by=commander)
    assert (first.version, second.version) == (1, 2)
    assert second.created_by == commander


@pytest.mark.django_db(transaction=True)
def test_saves_at_the_same_moment_get_consecutive_versions(down_k8s_target, commander):
    """On the real PostgreSQL: without the lock on the target, two threads read the same latest version."""
    writers = 6
    start = threading.Barrier(writers)

    def add(n):
        start.wait()
        try:
            return services.manifest_add(target=down_k8s_target, yaml=YAML, note=f"writer {n}", by=commander).version
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=writers) as pool:
        versions = list(pool.map(add, range(writers)))
    assert sorted(versions) == list(range(1, writers + 1))
    assert MaintenanceManifest.objects.filter(target=down_k8s_target).count() == writers


@pytest.mark.django_db
def test_the_admin_saves_through_the_service(admin_client, down_k8s_target):
    services.manifest_add(target=down_k8s_target, yaml=YAML, by=None)
    response = admin_client.post("/admin/mitigations/maintenancemanifest/add/",
                                 {"target": down_k8s_target.pk, "yaml": YAML, "note": "from the admin"})
    assert response.status_code == 302, response.content[:500]
    manifest = MaintenanceManifest.objects.get(note="from the admin")
    assert manifest.version == 2 and manifest.created_by.is_superuser
