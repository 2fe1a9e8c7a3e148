"""The webhooks with real Alertmanager and Grafana bodies: firing, resolved, grouped, re-sent, truncated."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert, AlertGroup
from incidents.models import Entry, Incident, Source
from tests.alerts.conftest import GRAFANA_URL, am_alert, am_payload, grafana_payload, resolved

pytestmark = pytest.mark.django_db


def test_a_firing_alert_is_stored_with_its_raw_payload_and_opens_an_incident(sender):
    body = am_payload()
    response = sender(body)
    assert response.status_code == 200, response.content
    assert response.json() | {"group": 0, "incident": 0} == {"group": 0, "incident": 0, "incident_opened": True,
                                                            "new": 1, "updated": 0, "resolved": 0, "unchanged": 0}
    alert = Alert.objects.get()
    assert alert.raw == body["alerts"][0]
    assert (alert.name, alert.status, alert.severity, alert.fingerprint) == (
        "HighErrorRate", "firing", "critical", "c5f0a7e1b2d3e4f5")
    assert alert.ends_at is None  # Go's zero time means "still firing"
    assert alert.starts_at.isoformat() == "2026-12-01T20:00:00.123456+00:00"
    incident = Incident.objects.get()
    assert (incident.source, incident.severity.name, incident.service_affected) == (
        Source.MONITORING_ALERT, "SEV2", "checkout")
    assert incident.title == "HighErrorRate: HighErrorRate on checkout"
    assert "5xx above 5%" in incident.summary
    assert alert.group.incident == incident
    assert incident.entries.filter(kind="alert").get().text == (
        "Alerts from prod-alertmanager: 1 firing: HighErrorRate.")


def test_the_same_delivery_twice_changes_nothing_the_second_time(sender):
    body = am_payload(am_alert(), am_alert("Latency", fingerprint="aa01"))
    sender(body)
    before = list(Alert.objects.order_by("pk").values())
    entries = Entry.objects.count()
    again = sender(copy.deepcopy(body))
    assert again.json()["unchanged"] == 2 and again.json()["new"] == 0
    assert again.json()["incident_opened"] is False
    after = list(Alert.objects.order_by("pk").values())
    assert [{k: v for k, v in a.items() if k != "last_seen"} for a in after] == [
        {k: v for k, v in a.items() if k != "last_seen"} for a in before]
    assert Incident.objects.count() == 1 and Entry.objects.count() == entries
    assert AlertGroup.objects.count() == 1


def test_a_re_sent_firing_alert_updates_last_seen_and_annotations_not_a_new_alert(sender):
    sender(am_payload())
    first = Alert.objects.get()
    changed = am_alert()
    changed["annotations"]["description"] = "5xx above 9% now"
    response = sender(am_payload(changed))
    assert response.json()["updated"] == 1
    alert = Alert.objects.get()
    assert alert.annotations["description"] == "5xx above 9% now"
    assert alert.last_seen > first.last_seen and alert.first_seen == first.first_seen


def test_alerts_of_one_group_attach_to_its_open_incident(sender):
    sender(am_payload(am_alert(instance="api-1")))
    response = sender(am_payload(am_alert(instance="api-2", fingerprint="bbbb0002")))
    assert response.json()["new"] == 1 and response.json()["incident_opened"] is False
    assert Incident.objects.count() == 1
    assert Alert.objects.filter(group__incident=Incident.objects.get()).count() == 2


def test_another_group_opens_another_incident(sender):
    sender(am_payload())
    sender(am_payload(am_alert("DiskFull", fingerprint="dd01"), group_key='{}:{alertname="DiskFull"}'))
    assert Incident.objects.count() == 2


def test_a_resolved_alert_is_marked_and_put_on_the_timeline_but_the_incident_stays_open(sender):
    firing = am_alert()
    sender(am_payload(firing, am_alert("Latency", fingerprint="aa01")))
    incident = Incident.objects.get()
    response = sender(am_payload(resolved(firing)))
    assert response.json()["resolved"] == 1
    alert = Alert.objects.get(fingerprint=firing["fingerprint"])
    assert alert.status == "resolved" and alert.ends_at.isoformat() == "2026-12-01T20:30:00+00:00"
    incident.refresh_from_db()
    assert incident.is_open
    assert incident.entries.filter(kind="alert").last().text == (
        "Alerts from prod-alertmanager: 1 resolved: HighErrorRate.")
    sender(am_payload(resolved(am_alert("Latency", fingerprint="aa01"))))
    assert incident.entries.filter(kind="alert").last().text.endswith("All alerts resolved.")
    incident.refresh_from_db()
    assert incident.is_open


def test_a_resolution_delivered_twice_is_recorded_once(sender):
    firing = am_alert()
    sender(am_payload(firing))
    sender(am_payload(resolved(firing)))
    entries = Entry.objects.count()
    with CaptureQueriesContext(connection) as queries:
        again = sender(am_payload(resolved(firing)))
    assert again.json()["unchanged"] == 1
    # Known as ended before any insert is tried (the unique index on its start would refuse it, but at the cost
    # of a failed insert and a row-by-row retry).
    assert not [q for q in queries if q["sql"].startswith('INSERT INTO "alerts_alert"')]
    assert Entry.objects.count() == entries and Alert.objects.count() == 1


def test_a_late_firing_delivery_after_the_resolution_does_not_fire_it_again(sender):
    firing = am_alert()
    sender(am_payload(firing))
    sender(am_payload(resolved(firing)))
    assert sender(am_payload(firing)).json()["unchanged"] == 1
    assert Alert.objects.get().status == "resolved"


def test_a_new_firing_of_the_same_alert_after_it_resolved_is_a_new_alert(sender):
    firing = am_alert()
    sender(am_payload(firing))
    sender(am_payload(resolved(firing)))
    sender(am_payload(am_alert(starts="2026-12-01T21:00:00Z")))
    assert list(Alert.objects.order_by("pk").values_list("status", flat=True)) == ["resolved", "firing"]
    assert Incident.objects.count() == 1  # the incident is still open: the group's new alert joins it


def test_after_people_resolve_the_incident_the_group_opens_a_new_one(sender, commander):
    from incidents import services as incident_services

    firing = am_alert()
    sender(am_payload(firing))
    first = Incident.objects.get()
    incident_services.incident_acknowledge(incident=first, by=commander)
    for step in ("investigating", "mitigating", "monitoring", "resolved"):
        incident_services.incident_transition(incident=first, to=step, by=commander, reason="fixed")
    response = sender(am_payload(firing))  # Alertmanager's repeat: still firing
    assert response.json()["incident_opened"] is True
    assert Incident.objects.count() == 2
    assert AlertGroup.objects.filter(is_open=True).count() == 1
    assert Alert.objects.get().group.incident_id == response.json()["incident"]
    second = Incident.objects.get(pk=response.json()["incident"])
    assert second.entries.filter(kind="alert").get().text == "Alerts from prod-alertmanager: 1 firing: HighErrorRate."


def test_a_resolved_alert_never_seen_firing_is_stored_and_opens_nothing(sender):
    response = sender(am_payload(resolved(am_alert())))
    assert response.json()["new"] == 1
    assert Alert.objects.get().status == "resolved"
    assert not Incident.objects.exists()


def test_a_truncated_delivery_says_how_many_were_left_out(sender):
    sender(am_payload(am_alert(), truncated=42))
    assert AlertGroup.objects.get().truncated_alerts == 42
    assert "left out 42 more (truncatedAlerts)" in Entry.objects.filter(kind="alert").get().text


def test_grafana_firing_and_resolved(sender):
    response = sender(grafana_payload(), GRAFANA_URL)
    assert response.status_code == 200, response.content
    alert = Alert.objects.get()
    assert alert.dashboard_url == "https://grafana.example.com/d/db?orgId=1"
    assert alert.panel_url.endswith("viewPanel=3")
    assert alert.raw["valueString"].startswith("[ var='B'")
    assert Incident.objects.get().service_affected == "db"
    sender(grafana_payload("resolved", ends="2026-12-01T20:10:00Z"), GRAFANA_URL)
    assert Alert.objects.get().status == "resolved"


def test_grafana_without_a_group_key_groups_by_its_labels(sender):
    body = grafana_payload()
    del body["groupKey"]
    assert sender(body, GRAFANA_URL).status_code == 200
    assert AlertGroup.objects.get().group_key.startswith("grafana:")


def test_a_warning_is_only_recorded_by_the_default_rules(sender):
    response = sender(am_payload(am_alert(severity="warning")))
    assert response.json()["new"] == 1 and response.json()["incident"] is None
    assert not Incident.objects.exists()


def test_a_grouped_delivery_opens_one_incident_at_its_most_severe_rule(sender):
    response = sender(am_payload(am_alert(severity="info", fingerprint="a1"), am_alert(fingerprint="a2"),
                                 am_alert(severity="warning", fingerprint="a3")))
    assert response.json()["new"] == 3
    incident = Incident.objects.get()
    assert incident.severity.name == "SEV2"  # the critical one; info → default SEV3, warning → record
    assert "3 firing" in incident.entries.filter(kind="alert").get().text


def test_an_alert_with_a_blank_name_still_opens_a_titled_incident(sender):
    blank = am_alert(" ")
    blank["annotations"]["summary"] = "  "
    assert sender(am_payload(blank)).status_code == 200
    assert Incident.objects.get().title == "Monitoring alert"
