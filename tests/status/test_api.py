"""POST /api/incidents/{id}/status-updates/: the same service as the page, the API's error shape for bad input."""

import pytest

from incidents.models import Entry
from status.models import Component, ComponentStatus, PublicUpdate

pytestmark = pytest.mark.django_db
GOOD = {"title": "Checkout errors", "status": "investigating", "impact": "minor", "body": "Looking into it."}


@pytest.fixture
def incident(make_incident):
    return make_incident(title="Internal: pg failover", acknowledge=True)


def test_commander_posts_and_viewer_reads(api, commander, viewer, incident):
    Component.objects.create(name="Checkout")
    url = f"/api/incidents/{incident.pk}/status-updates/"
    response = api(commander).post(url, {**GOOD, "components": ["Checkout"], "component_status": "major_outage"},
                                   format="json")
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Checkout errors"
    assert Component.objects.get().status == ComponentStatus.MAJOR_OUTAGE
    rows = api(viewer).get(url).json()
    assert [(r["status"], r["body"]) for r in rows] == [("investigating", "Looking into it.")]
    assert "by" not in rows[0]


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"), ({"title": "x" * 201}, "title"), ({"body": ""}, "body"), ({"body": "x" * 2001}, "body"),
    ({"impact": "huge"}, "impact"), ({"status": "postmortem"}, "status"), ({"components": ["Nope"]}, "components"),
    ({"components": "Checkout"}, "components"), ({"component_status": "on_fire"}, "component_status"),
])
def test_bad_input_is_a_400_in_the_api_shape(api, commander, incident, change, field):
    Component.objects.create(name="Checkout")
    entries = Entry.objects.count()
    response = api(commander).post(f"/api/incidents/{incident.pk}/status-updates/", {**GOOD, **change}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and field in body["errors"] and body["detail"]
    assert not PublicUpdate.objects.exists() and Entry.objects.count() == entries


def test_a_responder_may_read_but_not_post(api, responder, incident):
    url = f"/api/incidents/{incident.pk}/status-updates/"
    assert api(responder).get(url).status_code == 200
    assert api(responder).post(url, GOOD, format="json").status_code == 403
    assert not PublicUpdate.objects.exists()


def test_unknown_incident_is_a_404(api, commander):
    assert api(commander).post("/api/incidents/999999/status-updates/", GOOD, format="json").status_code == 404
