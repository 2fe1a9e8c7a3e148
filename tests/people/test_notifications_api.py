"""GET /api/incidents/{id}/notifications/ and the incident page's panel: who was told, how it went, who is next and
when; readable by whoever may view incidents; never a secret; a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from people.models import Notification
from people.notifications import notification_send, notifications_request
from tests.people.notify_fixtures import (
    MINUTE,
    SLACK_TOKEN_PATH,
    hook_server,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(make_incident, notify_directory, notify_email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        incident = make_incident(severity="SEV2")
    for callback in callbacks:
        callback()  # the declaration's escalation: Alice, level 1
    return incident


def test_the_api_lists_who_was_told_and_who_is_next(api, viewer, incident):
    notification_send(Notification.objects.get().pk)
    body = api(viewer).get(f"/api/incidents/{incident.pk}/notifications/").json()
    [row] = body["notifications"]
    assert {k: row[k] for k in ("contact", "channel", "status", "event", "level", "round", "attempts")} == {
        "contact": "Alice", "channel": "email", "status": "sent", "event": "SEV2:L1", "level": 1, "round": 0,
        "attempts": 1}
    assert "email" not in str(row.get("contact")) and "alice@example.com" not in str(body)
    assert body["next"]["level"] == 1 and body["next"]["round"] == 1 and body["next"]["contacts"] == ["Alice"]
    assert 0 < body["next"]["seconds_left"] <= 5 * 60


def test_nobody_is_next_once_acknowledged(api, viewer, incident, commander):
    from incidents.services import incident_acknowledge

    incident_acknowledge(incident=incident, by=commander)
    assert api(viewer).get(f"/api/incidents/{incident.pk}/notifications/").json()["next"] is None


@pytest.mark.parametrize(("who", "status"), [("outsider", 403), ("anonymous", 401)])
def test_only_people_who_may_view_incidents_read_it(api, people, incident, who, status):
    assert api(people[who]).get(f"/api/incidents/{incident.pk}/notifications/").status_code == status


def test_an_unknown_incident_is_a_404_in_the_api_shape(api, viewer, incident):
    response = api(viewer).get("/api/incidents/999999/notifications/")
    assert response.status_code == 404 and set(response.json()) == {"detail", "errors"}


def test_a_token_a_peer_echoes_back_is_in_neither_the_api_nor_the_page(api, client, viewer, incident, notify_directory,
                                                                       settings):
    with hook_server() as http:
        settings.SLACK_WEBHOOK_URL, settings.EMAIL_HOST = http.url + SLACK_TOKEN_PATH, ""
        http.script[SLACK_TOKEN_PATH] = [(403, f"invalid_token {http.url}{SLACK_TOKEN_PATH}")]
        [row] = notifications_request(incident=incident, event="SEV2:L1:slack", level=1, round=0,
                                      contacts=[notify_directory.cto], now=incident.declared_at)
        assert notification_send(row.pk).status == "failed"
    body = api(viewer).get(f"/api/incidents/{incident.pk}/notifications/").content.decode()
    client.force_login(viewer)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    timeline = api(viewer).get(f"/api/incidents/{incident.pk}/timeline/").content.decode()
    for text in (body, page, timeline):
        assert "invalid_token" in text or text is timeline
        assert "slack-secret-token-XYZ" not in text and "/slack/T0000" not in text


def test_the_panel_shows_each_notification_and_the_countdown_to_the_next_level(client, viewer, incident):
    Notification.objects.filter(event="SEV2:L1").update(status="failed", last_error="HTTP 500 from mail",
                                                          finished_at=incident.declared_at)
    client.force_login(viewer)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="notifications"' in page
    assert "1 notification could not be sent" in page and 'class="notify-failed"' in page
    assert "HTTP 500 from mail" in page
    panel = page[page.index('id="notifications"'):]
    panel = " ".join(panel[:panel.index("</section>")].split())
    assert "Next: SEV2 escalation level 1, reminder 1 of 2 — Alice" in panel
    assert f'data-countdown="{(incident.declared_at + 5 * MINUTE).isoformat()}"' in panel


def _queries(client, incident) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/incidents/{incident.pk}/").status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_with_more_notifications(client, viewer, incident, notify_directory):
    client.force_login(viewer)
    notifications_request(incident=incident, event="SEV2:L1:x", level=1, round=0, contacts=[notify_directory.cto],
                          now=incident.declared_at)
    few = _queries(client, incident)
    for n in range(6):
        notifications_request(incident=incident, event=f"SEV2:L1:y{n}", level=1, round=0,
                              contacts=[notify_directory.vp, notify_directory.manager], now=incident.declared_at)
    assert Notification.objects.count() == 14
    assert _queries(client, incident) == few


@pytest.mark.parametrize("configured", [True, False])
def test_the_panel_says_why_nobody_was_told_when_no_channel_is_set_up(client, viewer, make_incident, settings,
                                                                      notify_directory, configured):
    settings.EMAIL_HOST = "127.0.0.1" if configured else ""
    settings.SLACK_WEBHOOK_URL = settings.NOTIFY_WEBHOOK_URL = ""
    incident = make_incident(severity="SEV4")  # listeners not run: nobody told either way
    client.force_login(viewer)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Nobody has been notified yet." in page
    assert ("No channel is set up" in page) is not configured
