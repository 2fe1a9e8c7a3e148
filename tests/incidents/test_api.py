"""Every API endpoint, with good and bad input."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from incidents.models import Entry, Incident

pytestmark = pytest.mark.django_db


def test_severities_list_the_runbook_table(api, viewer):
    response = api(viewer).get("/api/severities/")
    assert response.status_code == 200
    by_name = {s["name"]: s for s in response.json()}
    assert list(by_name) == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert by_name["SEV1"]["response_time"] == "Immediate"
    assert by_name["SEV1"]["escalation"] == "CTO, VP Engineering"
    assert by_name["SEV2"]["response_time"] == "15 minutes"
    assert by_name["SEV3"]["response_time"] == "2 hours"
    assert by_name["SEV4"]["response_time"] == "Next business day"
    assert by_name["SEV4"]["definition"] == "Cosmetic issues, no user impact"


def test_create_incident_stays_detected_and_carries_the_contract_fields(api, commander):
    response = api(commander).post("/api/incidents/", {"title": "Payments down", "severity": "SEV1",
                                                        "source": "monitoring_alert", "users_affected": 800},
                                   format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for field in ("id", "title", "severity", "status", "source", "declared_at", "acknowledged_at",
                  "response_due_at", "sla_breached", "war_room", "commander"):
        assert field in body
    assert body["severity"] == "SEV1" and body["status"] == "detected" and body["acknowledged_at"] is None
    assert body["sla_breached"] is True  # SEV1 is due at once: overdue until someone acknowledges
    assert body["war_room"].startswith("#incident-")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"severity": "SEV2"}, "title"),
        ({"title": "x", "severity": "SEV9"}, "severity"),
        ({"title": "x"}, "severity"),
        ({"title": "x", "severity": "SEV2", "source": "twitter"}, "source"),
        ({"title": "x", "severity": "SEV2", "users_affected": -1}, "users_affected"),
        ({"title": "   ", "severity": "SEV2"}, "title"),
    ],
)
def test_create_with_bad_input_is_400_with_a_human_message(api, commander, payload, field):
    response = api(commander).post("/api/incidents/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"]
    assert field in body["detail"] and len(body["detail"]) > 10
    assert not Incident.objects.exists()


def test_unknown_severity_message_names_the_choices(api, commander):
    response = api(commander).post("/api/incidents/", {"title": "x", "severity": "SEV9"}, format="json")
    assert "Unknown severity SEV9; choose one of SEV1, SEV2, SEV3, SEV4." in response.json()["detail"]


def test_list_filters_by_status_severity_and_open(api, viewer, make_incident):
    make_incident(title="a", severity="SEV1")
    make_incident(title="b", severity="SEV2", status="investigating")
    make_incident(title="c", severity="SEV2", status="resolved")
    client = api(viewer)
    titles = lambda query: sorted(i["title"] for i in client.get(f"/api/incidents/{query}").json()["results"])  # noqa: E731
    assert titles("") == ["a", "b", "c"]
    assert titles("?severity=SEV2") == ["b", "c"]
    assert titles("?status=investigating") == ["b"]
    assert titles("?open=true") == ["a", "b"]
    assert titles("?open=false") == ["c"]


@pytest.mark.parametrize("query", ["?status=exploded", "?severity=SEV7", "?open=maybe"])
def test_list_with_bad_filter_is_400(api, viewer, query):
    response = api(viewer).get(f"/api/incidents/{query}")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_patch_edits_details_and_severity(api, commander, make_incident):
    incident = make_incident(severity="SEV3")
    response = api(commander).patch(f"/api/incidents/{incident.pk}/",
                                    {"title": "Checkout down everywhere", "severity": "SEV1",
                                     "users_affected": 20000, "reason": "All regions"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["title"] == "Checkout down everywhere" and body["severity"] == "SEV1"
    assert body["users_affected"] == 20000
    assert set(incident.entries.values_list("kind", flat=True)) >= {"severity", "edited"}


@pytest.mark.parametrize("payload", [{"status": "resolved"}, {"war_room": "#mine"}, {"severity": "SEV0"}])
def test_patch_refuses_fields_it_cannot_edit(api, commander, make_incident, payload):
    incident = make_incident()
    response = api(commander).patch(f"/api/incidents/{incident.pk}/", payload, format="json")
    assert response.status_code == 400
    assert Incident.objects.get(pk=incident.pk).war_room == incident.war_room


def test_put_and_delete_on_incidents_answer_405(api, commander, make_incident):
    incident = make_incident()
    client = api(commander)
    assert client.put(f"/api/incidents/{incident.pk}/", {}, format="json").status_code == 405
    assert client.delete(f"/api/incidents/{incident.pk}/").status_code == 405
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_acknowledge_and_acknowledge_again(api, commander, make_incident):
    incident = make_incident()
    client = api(commander)
    response = client.post(f"/api/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["status"] == "triage" and response.json()["commander"] == "commander"
    again = client.post(f"/api/incidents/{incident.pk}/acknowledge/")
    assert again.status_code == 409
    assert "Already acknowledged" in again.json()["detail"]


def test_transition_moves_and_refuses_with_409(api, commander, make_incident):
    incident = make_incident(acknowledge=True)
    client = api(commander)
    url = f"/api/incidents/{incident.pk}/transition/"
    assert client.post(url, {"status": "investigating"}, format="json").json()["status"] == "investigating"
    refused = client.post(url, {"status": "resolved"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Cannot move from investigating to resolved")
    assert client.post(url, {"status": "bogus"}, format="json").status_code == 400
    assert client.post(url, {}, format="json").status_code == 400


def test_resolve_early_needs_override_reason(api, commander, make_incident):
    incident = make_incident(status="monitoring")
    url = f"/api/incidents/{incident.pk}/transition/"
    early = api(commander).post(url, {"status": "resolved"}, format="json")
    assert early.status_code == 409 and "Monitor for 30 minutes" in early.json()["detail"]
    ok = api(commander).post(url, {"status": "resolved", "reason": "Verified by customer"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "resolved"


def test_resolve_after_monitoring_window_needs_no_reason(api, commander, make_incident):
    incident = make_incident(status="monitoring")
    Incident.objects.filter(pk=incident.pk).update(monitoring_at=timezone.now() - dt.timedelta(minutes=30, seconds=1))
    response = api(commander).post(f"/api/incidents/{incident.pk}/transition/", {"status": "resolved"}, format="json")
    assert response.status_code == 200


def test_roles_assign_by_username(api, commander, responder, make_incident):
    incident = make_incident()
    url = f"/api/incidents/{incident.pk}/roles/"
    response = api(commander).post(url, {"role": "communications_lead", "user": "responder"}, format="json")
    assert response.status_code == 200 and response.json()["communications_lead"] == "responder"
    assert api(commander).post(url, {"role": "commander", "user": "nobody"}, format="json").status_code == 400
    assert api(commander).post(url, {"role": "janitor", "user": "responder"}, format="json").status_code == 400
    cleared = api(commander).post(url, {"role": "communications_lead", "user": None}, format="json")
    assert cleared.json()["communications_lead"] is None


def test_timeline_lists_and_takes_notes_but_never_edits(api, responder, make_incident):
    incident = make_incident()
    client = api(responder)
    url = f"/api/incidents/{incident.pk}/timeline/"
    created = client.post(url, {"text": "Error rate back to baseline"}, format="json")
    assert created.status_code == 201
    assert created.json()["author"] == "responder" and created.json()["kind"] == "note"
    entries = client.get(url).json()["results"]
    assert [e["kind"] for e in entries] == ["declared", "note"]
    assert client.post(url, {"text": ""}, format="json").status_code == 400
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(url, {}, format="json").status_code == 405
    assert Entry.objects.filter(incident=incident).count() == 2


def test_announcement_is_the_runbook_template(api, viewer, make_incident):
    incident = make_incident(title="Payment processing down", severity="SEV2", users_affected=1500,
                             service_affected="payments", acknowledge=True)
    text = api(viewer).get(f"/api/incidents/{incident.pk}/announcement/").json()["text"]
    assert text.splitlines() == [
        "**[SEV2] Production Incident**",
        "- **What**: Payment processing down",
        "- **Impact**: 1,500 users affected (payments)",
        "- **Status**: Triage",
        "- **Incident Commander**: @commander",
        f"- **War Room**: {incident.war_room}",
    ]


def test_unknown_incident_is_404(api, viewer):
    assert api(viewer).get("/api/incidents/999999/").status_code == 404


def test_token_authentication(commander, make_incident):
    from rest_framework.test import APIClient

    token = Token.objects.create(user=commander)
    client = APIClient()
    assert client.get("/api/incidents/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/incidents/").status_code == 200


def test_openapi_schema_and_docs_are_served_to_people_logged_in(client, viewer):
    client.force_login(viewer)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/incidents/{id}/transition/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


@pytest.mark.parametrize(
    "payload",
    [{"title": "Renamed"}, {"summary": "Rewritten"}, {"users_affected": 5}, {"service_affected": "billing"}],
)
def test_patch_on_a_resolved_incident_is_409(api, commander, make_incident, payload):
    incident = make_incident(title="Checkout down", status="resolved")
    response = api(commander).patch(f"/api/incidents/{incident.pk}/", payload, format="json")
    assert response.status_code == 409
    assert "details are closed" in response.json()["detail"]
    assert Incident.objects.get(pk=incident.pk).title == "Checkout down"


def test_roles_refuse_a_viewer_as_commander_with_a_reason(api, commander, viewer, make_incident):
    incident = make_incident()
    response = api(commander).post(f"/api/incidents/{incident.pk}/roles/", {"role": "commander", "user": "viewer"},
                                   format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"user": [
        "viewer cannot run incidents, so cannot be incident commander. "
        "Ask an admin to add them to a group that can."]}
