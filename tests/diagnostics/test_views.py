"""The diagnostics panel on the incident page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diagnostics import services
from diagnostics.models import Run

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def incident(make_incident):
    return make_incident(title="Checkout slow", severity="SEV2", acknowledge=True)


def test_panel_shows_triage_clock_playbooks_and_dashboards(client, responder, incident, pg_target, settings):
    settings.GRAFANA_DASHBOARDS = [("API", "https://grafana.example.com/d/api?orgId=1")]
    client.force_login(responder)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Run triage checks" in html and "Database connection pool exhausted" in html
    assert "Triage (runbook: 5 minutes)" in html
    assert "https://grafana.example.com/d/api?orgId=1&amp;from=" in html


def test_viewer_sees_results_but_no_buttons(client, viewer, incident, pg_target, responder):
    services.run_request(incident=incident, check="postgres.connections", target=pg_target, by=responder)
    client.force_login(viewer)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "postgres.connections on local-postgres" in html
    assert "Run triage checks" not in html
    assert client.post(f"/incidents/{incident.pk}/triage/").status_code == 403


def test_run_button_queues_and_answers_with_the_live_fragment(client, responder, incident, pg_target):
    client.force_login(responder)
    response = client.post(f"/incidents/{incident.pk}/runs/",
                           {"check": "postgres.locks", "target": "local-postgres"}, **HTMX)
    assert response.status_code == 200
    assert 'class="spinner"' in response.content.decode()
    assert Run.objects.get().status == Run.Status.QUEUED


@pytest.mark.parametrize("data", [{"check": "nope", "target": "local-postgres"},
                                  {"check": "postgres.locks", "target": "ghost"},
                                  {"check": "postgres.locks", "target": "local-postgres", "params": "{oops"},
                                  {"check": "redis.memory", "target": "local-postgres"}])
def test_bad_run_input_is_400_with_a_message(client, responder, incident, pg_target, data):
    client.force_login(responder)
    response = client.post(f"/incidents/{incident.pk}/runs/", data, **HTMX)
    assert response.status_code == 400
    assert 'class="error-box"' in response.content.decode()
    assert not Run.objects.exists()


def test_logs_pattern_from_the_form_becomes_a_param(client, responder, incident, db):
    from targets.models import Target

    Target.objects.create(name="k8s", kind="kubernetes", url="http://127.0.0.1:1", deployment="bharatcart-api")
    client.force_login(responder)
    client.post(f"/incidents/{incident.pk}/runs/",
                {"check": "kubernetes.logs", "target": "k8s", "pattern": "timeout"}, **HTMX)
    assert Run.objects.get().params["pattern"] == "timeout"


def test_incident_page_query_count_does_not_grow_with_runs(client, responder, incident, pg_target):
    client.force_login(responder)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/incidents/{incident.pk}/").status_code == 200
        return len(captured)

    services.run_request(incident=incident, check="postgres.connections", target=pg_target, by=responder)
    few = count()
    for _ in range(30):
        services.run_request(incident=incident, check="postgres.locks", target=pg_target, by=responder)
    assert count() == few
