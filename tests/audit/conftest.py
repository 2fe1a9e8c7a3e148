"""People who read the audit log, and a client that says where it comes from."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User

from tests.mitigations.conftest import cluster, k8s_target  # noqa: F401  (fixtures, for the mitigation events)

FROM = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "Mozilla/5.0 (Audit test) Firefox/140.0"}


@pytest.fixture
def auditor(runbook):
    importlib.import_module("audit.migrations.0001_append_only_log").grant(apps, None)
    user = User.objects.create_user(username="auditor", password="auditor-password")
    user.groups.add(Group.objects.get(name="auditor"))
    return user


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", password="root-password", email="root@example.com")
