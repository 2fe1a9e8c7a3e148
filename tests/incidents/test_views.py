"""The pages: what a commander sees and clicks, with and without JavaScript."""

import pytest

from incidents.models import Entry, Incident

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_login_page_and_login_required(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/"
    assert client.get("/accounts/login/").status_code == 200


def test_dashboard_lists_open_incidents_sev1_first_then_oldest(as_commander, make_incident):
    make_incident(title="Old SEV2", severity="SEV2")
    make_incident(title="Newer SEV1", severity="SEV1", acknowledge=True)
    make_incident(title="Newest SEV2", severity="SEV2")
    make_incident(title="Done", severity="SEV1", status="resolved")
    html = as_commander.get("/").content.decode()
    assert html.index("Newer SEV1") < html.index("Old SEV2") < html.index("Newest SEV2")
    assert "Done" not in html
    assert "SLA met" in html and "Ack due in" in html
    assert 'hx-trigger="every 1s, live-changed"' in html  # live.js skips polls while streaming


def test_empty_dashboard_says_so(as_commander):
    assert "No open incidents" in as_commander.get("/").content.decode()


def test_declare_form_shows_each_severity_definition_response_and_escalation(as_commander):
    html = as_commander.get("/incidents/declare/").content.decode()
    for text in ("Complete service outage, data loss", "Immediate", "CTO, VP Engineering",
                 "Major feature broken, significant users affected", "15 minutes", "Engineering Manager",
                 "2 hours", "Next business day"):
        assert text in html


def test_declare_creates_and_redirects_to_the_incident(as_commander, commander):
    response = as_commander.post("/incidents/declare/", {"title": "Login broken", "severity": "SEV2",
                                                          "source": "user_report", "acknowledge": "on"})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    assert incident.status == "triage" and incident.commander == commander


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "severity": "SEV2", "source": "user_report"},
        {"title": "x", "severity": "SEV9", "source": "user_report"},
        {"title": "x", "severity": "SEV2", "source": "pager"},
        {"title": "x", "severity": "SEV2", "source": "user_report", "users_affected": "lots"},
    ],
)
def test_declare_with_bad_input_is_400_and_stores_nothing(as_commander, data):
    response = as_commander.post("/incidents/declare/", data)
    assert response.status_code == 400
    assert b'class="error"' in response.content or b"errorlist" in response.content
    assert not Incident.objects.exists()


def test_incident_page_shows_next_step_roles_announcement_and_timeline(as_commander, make_incident):
    incident = make_incident(title="Checkout down", severity="SEV1")
    html = as_commander.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Acknowledge" in html and "Change severity" in html and "Assign" in html
    assert "**[SEV1] Production Incident**" in html
    assert "Declared SEV1" in html
    assert "Add a note" in html


def test_viewer_sees_the_incident_without_controls(client, viewer, make_incident):
    incident = make_incident()
    client.force_login(viewer)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Change severity" not in html and "Add a note" not in html and "next-step" not in html


def test_htmx_action_answers_with_the_live_fragment(as_commander, make_incident):
    incident = make_incident()
    response = as_commander.post(f"/incidents/{incident.pk}/acknowledge/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="live"' in html and 'hx-swap-oob="true"' in html and "Triage" in html
    assert "Start investigating" in html


def test_htmx_refused_move_shows_the_reason_with_409(as_commander, make_incident):
    incident = make_incident(status="monitoring")
    response = as_commander.post(f"/incidents/{incident.pk}/transition/", {"status": "resolved"}, **HTMX)
    assert response.status_code == 409
    assert "Monitor for 30 minutes" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == "monitoring"


def test_plain_post_redirects_and_refusal_renders_the_page_with_409(as_commander, make_incident):
    incident = make_incident(acknowledge=True)
    ok = as_commander.post(f"/incidents/{incident.pk}/transition/", {"status": "investigating"})
    assert ok.status_code == 302
    refused = as_commander.post(f"/incidents/{incident.pk}/transition/", {"status": "resolved"})
    assert refused.status_code == 409
    assert "Cannot move from investigating to resolved" in refused.content.decode()


def test_resolve_with_override_reason_from_the_page(as_commander, make_incident):
    incident = make_incident(status="monitoring")
    page = as_commander.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Override reason" in page
    response = as_commander.post(f"/incidents/{incident.pk}/transition/",
                                 {"status": "resolved", "reason": "Verified by the payments team"}, **HTMX)
    assert response.status_code == 200
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("transition", {"status": "nope"}),
        ("severity", {"severity": "SEV0"}),
        ("roles", {"role": "commander", "user": "ghost"}),
        ("roles", {"role": "janitor", "user": ""}),
        ("timeline", {"text": ""}),
    ],
)
def test_bad_action_input_is_400_with_a_message(as_commander, make_incident, url, data):
    incident = make_incident()
    entries = incident.entries.count()
    response = as_commander.post(f"/incidents/{incident.pk}/{url}/", data, **HTMX)
    assert response.status_code == 400
    assert 'class="error-box"' in response.content.decode()
    assert incident.entries.count() == entries


def test_note_severity_and_role_from_the_page(as_commander, make_incident, responder):
    incident = make_incident(severity="SEV3")
    as_commander.post(f"/incidents/{incident.pk}/timeline/", {"text": "Grafana shows 5xx spike"}, **HTMX)
    as_commander.post(f"/incidents/{incident.pk}/severity/", {"severity": "SEV2", "reason": "wider"}, **HTMX)
    as_commander.post(f"/incidents/{incident.pk}/roles/", {"role": "scribe", "user": "responder"}, **HTMX)
    incident.refresh_from_db()
    assert incident.severity.name == "SEV2" and incident.scribe == responder
    assert list(incident.entries.values_list("kind", flat=True)) == ["declared", "note", "severity", "role"]


def test_edit_details_from_the_page_updates_the_announcement(as_commander, make_incident):
    incident = make_incident(title="Checkout slow")
    response = as_commander.post(f"/incidents/{incident.pk}/details/",
                                 {"title": "Checkout down", "summary": "", "users_affected": "4200",
                                  "service_affected": "checkout"}, **HTMX)
    assert response.status_code == 200
    assert "4,200 users affected (checkout)" in response.content.decode()
    assert incident.entries.latest("pk").kind == Entry.Kind.EDITED
    bad = as_commander.post(f"/incidents/{incident.pk}/details/", {"title": "", "users_affected": "-3"}, **HTMX)
    assert bad.status_code == 400
    assert Incident.objects.get(pk=incident.pk).title == "Checkout down"


def test_live_endpoint_is_204_until_something_changes(as_commander, make_incident, commander):
    from incidents import services

    incident = make_incident()
    url = f"/incidents/{incident.pk}/live/?v={incident.version}"
    assert as_commander.get(url).status_code == 204
    services.timeline_note(incident=incident, by=commander, text="changed elsewhere")
    changed = as_commander.get(url)
    assert changed.status_code == 200
    assert "changed elsewhere" in changed.content.decode()
    assert f"v={incident.version + 1}" in changed.content.decode()


def test_dashboard_live_endpoint_is_204_until_something_changes(as_commander, make_incident):
    first = as_commander.get("/")
    token = first.context["token"]
    assert as_commander.get("/live/", {"v": token}).status_code == 204
    make_incident(title="Brand new outage")
    changed = as_commander.get("/live/", {"v": token})
    assert changed.status_code == 200 and "Brand new outage" in changed.content.decode()


def test_history_filters_and_paginates(as_commander, make_incident):
    for n in range(30):
        make_incident(title=f"Past {n:02}", severity="SEV3", status="resolved")
    make_incident(title="Big one", severity="SEV1", status="resolved")
    first = as_commander.get("/incidents/history/")
    assert "31 incidents" in first.content.decode() and "Older" in first.content.decode()
    sev1 = as_commander.get("/incidents/history/", {"severity": "SEV1", "status": "resolved"}).content.decode()
    assert "Big one" in sev1 and "Past 01" not in sev1
    assert "Big one" in as_commander.get("/incidents/history/", {"q": "big"}).content.decode()


@pytest.mark.parametrize("query", [{"since": "yesterday"}, {"severity": "SEV8"},
                                   {"since": "2026-11-10", "until": "2026-11-01"}])
def test_history_bad_filter_is_400_with_a_message(as_commander, query):
    response = as_commander.get("/incidents/history/", query)
    assert response.status_code == 400
    assert b"error" in response.content


def test_timeline_entries_are_read_only_in_the_admin(client, make_incident, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin)
    incident = make_incident()
    assert client.get(f"/admin/incidents/incident/{incident.pk}/change/").status_code == 200
    assert client.post(f"/admin/incidents/incident/{incident.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Entry.objects.filter(incident=incident).exists()


def test_healthz_answers_without_login(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "workers": "ok"}


def test_live_endpoint_for_an_incident_that_does_not_exist_is_404(as_commander):
    # selectors.incident_version() is None for a missing incident, and "None" must not match ?v=None.
    assert as_commander.get("/incidents/999999/live/", {"v": "None"}).status_code == 404
    assert as_commander.get("/incidents/999999/live/").status_code == 404


def test_resolved_incident_details_are_closed_on_the_page(as_commander, make_incident):
    incident = make_incident(title="Checkout down", status="resolved")
    response = as_commander.post(f"/incidents/{incident.pk}/details/", {"title": "Renamed"}, **HTMX)
    assert response.status_code == 409
    assert "details are closed" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).title == "Checkout down"


def test_role_picker_lists_only_people_who_can_take_a_role(as_commander, make_incident, responder, viewer):
    page = as_commander.get(f"/incidents/{make_incident().pk}/").content.decode()
    assert '<option value="responder">' in page
    assert '<option value="viewer">' not in page


def test_viewer_cannot_be_made_scribe_from_the_page(as_commander, make_incident, viewer):
    incident = make_incident()
    response = as_commander.post(f"/incidents/{incident.pk}/roles/", {"role": "scribe", "user": "viewer"}, **HTMX)
    assert response.status_code == 400
    assert "viewer cannot add notes, so cannot be scribe" in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).scribe is None
