"""The diagnostics API: targets, checks, playbooks, runs, triage."""

import pytest

from diagnostics.models import Run
from targets.models import Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(make_incident):
    return make_incident(title="Checkout slow", severity="SEV2", acknowledge=True)


def test_targets_show_where_but_no_credentials(api, viewer, monkeypatch):
    Target.objects.create(name="prod-db", kind="postgres", url="postgres://app@db.internal:5432/shop",
                          secret_env="WARROOM_TARGET_PROD_DB")
    body = api(viewer).get("/api/targets/").json()
    assert body == [{"name": "prod-db", "kind": "postgres", "description": "", "namespace": "default",
                     "where": "postgres://app@db.internal:5432/shop", "deployment": "", "timeout_seconds": 5,
                     "enabled": True}]
    assert "WARROOM_TARGET_PROD_DB" not in str(body)


def test_checks_list_every_runbook_check(api, viewer):
    names = {c["name"] for c in api(viewer).get("/api/checks/").json()}
    assert names == {"http.health", "kubernetes.rollout_history", "postgres.connections", "postgres.active_queries",
                     "postgres.locks", "redis.memory", "redis.slowlog", "redis.clients", "kubernetes.pods",
                     "kubernetes.top", "kubernetes.logs"}


def test_playbooks_list_the_common_issues(api, viewer):
    playbooks = {p["slug"]: p for p in api(viewer).get("/api/playbooks/").json()}
    assert set(playbooks) == {"api-timeout", "high-memory", "db-pool-exhausted"}
    assert playbooks["api-timeout"]["solution"] == "Scale up or optimize queries."


def test_post_run_is_202_with_the_queued_run(api, responder, incident, pg_target):
    response = api(responder).post(f"/api/incidents/{incident.pk}/runs/",
                                   {"check": "postgres.locks", "target": "local-postgres"}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["check"] == "postgres.locks" and body["requested_by"] == "responder"
    assert api(responder).get(f"/api/runs/{body['id']}/").json()["id"] == body["id"]
    assert [r["id"] for r in api(responder).get(f"/api/incidents/{incident.pk}/runs/").json()] == [body["id"]]


@pytest.mark.parametrize(
    "payload",
    [{"check": "postgres.locks"}, {"check": "nope", "target": "local-postgres"},
     {"check": "redis.memory", "target": "local-postgres"}, {"check": "postgres.locks", "target": "ghost"},
     {"check": "postgres.locks", "target": "local-postgres", "params": {"x": 1}},
     {"check": "postgres.locks", "target": "local-postgres", "params": "not a dict"}],
)
def test_bad_run_requests_are_400_with_a_message(api, responder, incident, pg_target, payload):
    response = api(responder).post(f"/api/incidents/{incident.pk}/runs/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Run.objects.exists()


def test_viewer_reads_runs_but_cannot_start_them(api, viewer, incident, pg_target):
    assert api(viewer).get(f"/api/incidents/{incident.pk}/runs/").status_code == 200
    response = api(viewer).post(f"/api/incidents/{incident.pk}/runs/",
                                {"check": "postgres.locks", "target": "local-postgres"}, format="json")
    assert response.status_code == 403
    assert api(viewer).post(f"/api/incidents/{incident.pk}/triage/").status_code == 403


def test_outsider_sees_nothing(api, outsider, incident):
    for url in ("/api/targets/", "/api/checks/", "/api/playbooks/", f"/api/incidents/{incident.pk}/runs/"):
        assert api(outsider).get(url).status_code == 403


def test_triage_and_playbook_are_202(api, responder, incident, pg_target, redis_target):
    triage = api(responder).post(f"/api/incidents/{incident.pk}/triage/")
    assert triage.status_code == 202
    assert {r["check"] for r in triage.json()["runs"]} == {"postgres.connections", "redis.memory"}
    playbook = api(responder).post(f"/api/incidents/{incident.pk}/playbooks/high-memory/")
    assert playbook.status_code == 202
    assert playbook.json()["solution"] == "Restart pods or fix the memory leak."
    assert api(responder).post(f"/api/incidents/{incident.pk}/playbooks/aliens/").status_code == 404


def test_resolved_incident_refuses_new_runs_with_409(api, responder, make_incident, pg_target):
    incident = make_incident(status="resolved")
    response = api(responder).post(f"/api/incidents/{incident.pk}/runs/",
                                   {"check": "postgres.locks", "target": "local-postgres"}, format="json")
    assert response.status_code == 409


def test_unknown_run_and_incident_are_404(api, responder):
    assert api(responder).get("/api/runs/424242/").status_code == 404
    assert api(responder).post("/api/incidents/424242/triage/").status_code == 404
