"""API → queue → a real Celery worker → the result on the incident, live."""

import socket
import time

import pytest

from diagnostics.models import Run
from targets.models import Target
from tests.workers import poll

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def incident(make_incident):
    return make_incident(title="Checkout slow", severity="SEV2", acknowledge=True)


@pytest.fixture
def black_hole():
    """A port that accepts connections and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def test_check_requested_over_the_api_runs_on_the_worker_and_lands_on_the_incident(
        celery_worker, api, client, responder, incident):
    Target.objects.create(name="local-postgres", kind="postgres", url="postgres://postgres@127.0.0.1:5432/postgres")
    client.force_login(responder)
    live = f"/incidents/{incident.pk}/live/?v={incident.version}"

    response = api(responder).post(f"/api/incidents/{incident.pk}/runs/",
                                   {"check": "postgres.connections", "target": "local-postgres"}, format="json")
    assert response.status_code == 202
    run_id = response.json()["id"]

    run = poll(lambda: Run.objects.filter(pk=run_id).exclude(status__in=["queued", "running"]).first(),
               what="the worker's result")
    assert run.status == "succeeded" and run.verdict in ("ok", "warn", "critical")
    assert api(responder).get(f"/api/runs/{run_id}/").json()["rows"]
    page = client.get(live)
    assert page.status_code == 200 and run.summary in page.content.decode()
    assert incident.entries.filter(data__run=run_id, data__event="finished").exists()


def test_triage_runs_in_parallel_on_the_workers(celery_worker, api, responder, incident):
    Target.objects.create(name="local-postgres", kind="postgres", url="postgres://postgres@127.0.0.1:5432/postgres")
    Target.objects.create(name="local-redis", kind="redis", url="redis://127.0.0.1:6379/14")
    response = api(responder).post(f"/api/incidents/{incident.pk}/triage/")
    assert response.status_code == 202
    ids = [r["id"] for r in response.json()["runs"]]
    poll(lambda: Run.objects.filter(pk__in=ids, status="succeeded").count() == len(ids), what="triage results")


def test_a_black_holed_target_fails_within_its_timeout_and_the_page_stays_fast(
        celery_worker, api, client, responder, incident, black_hole):
    Target.objects.create(name="black-hole", kind="redis", url=f"redis://127.0.0.1:{black_hole}/0",
                          timeout_seconds=2)
    response = api(responder).post(f"/api/incidents/{incident.pk}/runs/",
                                   {"check": "redis.memory", "target": "black-hole"}, format="json")
    run_id = response.json()["id"]

    client.force_login(responder)
    started = time.monotonic()
    assert client.get(f"/incidents/{incident.pk}/").status_code == 200
    assert time.monotonic() - started < 1.0  # the page never waits for a target

    run = poll(lambda: Run.objects.filter(pk=run_id, status__in=["failed", "timed_out"]).first(), timeout=15,
               what="the failure")
    assert run.status == "failed" and run.error
    assert (run.finished_at - run.started_at).total_seconds() < 2 + 1.5
