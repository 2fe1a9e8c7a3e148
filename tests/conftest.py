"""Shared fixtures: named people, a factory for incidents, API clients."""

import importlib
import os
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Severity

pytest_plugins = ["tests.people.notify_fixtures",  # the notification tests' servers, worker and directory
                  "tests.live_servers"]  # uvicorn processes for the live streams



def pytest_configure(config):
    """Under pytest-xdist (`make test` runs two processes) each process gets a broker database of its own.

    The Celery worker a test process starts must never take another process's tasks: it would write them into that
    process's test database. pytest-django separates PostgreSQL (test_<name>_gw0, _gw1, …) and the live channels are
    named after it; this separates the broker. gw0 keeps the given database, gwN takes the one N below it, skipping
    13 and 14 (the bench's broker and the diagnostics' Redis target). It runs before any task is sent; the workers
    and web servers the tests start inherit it from the environment.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = settings.CELERY_BROKER_URL
    match = re.fullmatch(r"(rediss?://[^/]*)/(\d+)", url)
    if worker == "gw0" or match is None:
        return
    taken = {13, 14}
    free = [db for db in range(int(match[2]) - 1, -1, -1) if db not in taken]
    url = f"{match[1]}/{free[int(worker[2:]) - 1]}"
    os.environ["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL = url
    if settings.LIVE_REDIS_URL.startswith(match[0]):
        os.environ["WARROOM_LIVE_REDIS_URL"] = settings.LIVE_REDIS_URL = url
    from warroom.celery import app

    app.conf.update(broker_url=url, broker_write_url=url, broker_read_url=url)


# Playwright's sync API runs an event loop in the test thread; the ORM calls beside it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Real hashing costs ~0.3 s a user; tests create many."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _notifications_wait_unsent(settings):
    """Declaring queues notifications; the suite's shared worker knows none of a test's mail or webhook servers, so
    they go to a queue nobody consumes. The notification tests' own worker (notify_fixtures) sets its queue."""
    settings.NOTIFY_QUEUE = f"unconsumed-{os.getpid()}"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rendered timelines are cached per incident version; each test starts without any."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _static_without_collectstatic(settings):
    """Production serves a collected, hashed manifest; tests serve the source files."""
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def runbook(db):
    """The severities and groups migration 0002 seeds; re-seeded because transactional tests flush them."""
    importlib.import_module("incidents.migrations.0002_runbook_severities_and_groups").seed(apps, None)
    importlib.import_module("diagnostics.migrations.0002_run_check_permission").grant(apps, None)
    importlib.import_module("mitigations.migrations.0002_groups").grant(apps, None)
    importlib.import_module("postmortems.migrations.0003_groups").grant(apps, None)
    importlib.import_module("people.migrations.0002_runbook_contacts_and_escalation").seed(apps, None)
    importlib.import_module("people.migrations.0003_groups").grant(apps, None)
    importlib.import_module("alerts.migrations.0002_default_rules").seed(apps, None)
    importlib.import_module("status.migrations.0002_runbook_providers").seed(apps, None)
    importlib.import_module("audit.migrations.0001_append_only_log").grant(apps, None)


def _person(username: str, group: str | None) -> User:
    user = User.objects.create_user(username=username, password=f"{username}-password")
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def commander(runbook):
    return _person("commander", "commander")


@pytest.fixture
def second_commander(runbook):
    return _person("deputy", "commander")


@pytest.fixture
def responder(runbook):
    return _person("responder", "responder")


@pytest.fixture
def viewer(runbook):
    return _person("viewer", "viewer")


@pytest.fixture
def outsider(runbook):
    """Logged in, but in no group: sees nothing."""
    return _person("outsider", None)


@pytest.fixture
def people(commander, responder, viewer, outsider):
    return {"commander": commander, "responder": responder, "viewer": viewer, "outsider": outsider, "anonymous": None}


@pytest.fixture
def sev(runbook):
    return {s.name: s for s in Severity.objects.all()}


@pytest.fixture
def make_incident(commander, sev):
    def make(title="Checkout API timing out", severity="SEV2", acknowledge=False, status=None, **kwargs):
        incident = services.incident_declare(by=commander, title=title, severity=sev[severity],
                                             acknowledge=acknowledge or status is not None, **kwargs)
        path = ["investigating", "mitigating", "monitoring", "resolved"]
        if status:
            for step in path[: path.index(status) + 1]:
                incident = services.incident_transition(incident=incident, to=step, by=commander,
                                                        reason="test override" if step == "resolved" else "")
        return incident

    return make


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One real worker process for the session, consuming from the test broker into the test database."""
    from tests.workers import start_worker

    worker = start_worker(tmp_path_factory.mktemp("celery"))
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except Exception:
        worker.kill()


@pytest.fixture
def api():
    def client(user=None) -> APIClient:
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c

    return client


@pytest.fixture
def as_commander(client, commander):
    """The test client, signed in as the commander."""
    client.force_login(commander)
    return client
