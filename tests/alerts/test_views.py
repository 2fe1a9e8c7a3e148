"""The alerts page, declaring from an alert, and the incident page's alerts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts import services
from alerts.models import Alert, AlertGroup
from alerts.payloads import parse
from incidents.models import Incident, Source
from tests.alerts.conftest import am_alert, am_payload, resolved

pytestmark = pytest.mark.django_db


def receive(source, *alerts, **kwargs):
    return services.alerts_receive(source=source, delivery=parse(am_payload(*alerts, **kwargs)))


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def grow(source, groups: int, per_group: int, offset: int = 0) -> None:
    for g in range(offset, offset + groups):
        receive(source, *[am_alert(f"Alert{g}", fingerprint=f"{g:08x}{n:08x}", severity=("critical", "warning")[g % 2])
                          for n in range(per_group)], group_key=f"group-{g}")


# --- the alerts page --------------------------------------------------------------------------------------------

def test_people_need_a_login_and_to_see_incidents(client, source, outsider):
    assert client.get("/alerts/").status_code == 302
    client.force_login(outsider)
    assert client.get("/alerts/").status_code == 403


def test_firing_first_each_linking_to_its_incident(client, viewer, source):
    old = am_alert("OldOne", fingerprint="01")
    receive(source, old, group_key="g1")
    receive(source, am_alert("Quiet", fingerprint="02", severity="warning"), group_key="g2")
    receive(source, resolved(old), group_key="g1")
    client.force_login(viewer)
    page = client.get("/alerts/")
    names = [a.name for a in page.context["page"]]
    assert names == ["Quiet", "OldOne"]
    html = page.content.decode()
    incident = Incident.objects.get()
    assert f'href="/incidents/{incident.pk}/"' in html
    assert "Declare from alert" not in html  # a viewer cannot declare


def test_a_commander_sees_declare_from_alert_only_for_alerts_without_an_incident(client, commander, source):
    receive(source, am_alert("Paged", fingerprint="01"), group_key="g1")
    receive(source, am_alert("Quiet", fingerprint="02", severity="warning"), group_key="g2")
    client.force_login(commander)
    html = client.get("/alerts/").content.decode()
    quiet = Alert.objects.get(name="Quiet")
    paged = Alert.objects.get(name="Paged")
    assert f"/alerts/{quiet.pk}/declare/" in html and f"/alerts/{paged.pk}/declare/" not in html


@pytest.mark.parametrize(("query", "expected"), [
    ("state=firing", {"A", "B"}),
    ("state=resolved", {"C"}),
    ("severity=warning", {"B"}),
    ("label=team%3Ddb", {"A"}),
    ("label=team%3D", set()),
    ("label=zone%3Deu-1", {"B", "C"}),
    ("source=prod-alertmanager", {"A", "B", "C"}),
    ("source=prod-alertmanager&state=firing&label=zone%3Deu-1", {"B"}),
])
def test_filters(client, viewer, source, query, expected):
    receive(source, am_alert("A", fingerprint="0a", team="db"), group_key="a")
    receive(source, am_alert("B", fingerprint="0b", severity="warning", zone="eu-1"), group_key="b")
    c = am_alert("C", fingerprint="0c", zone="eu-1")
    receive(source, c, group_key="c")
    receive(source, resolved(c), group_key="c")
    client.force_login(viewer)
    response = client.get(f"/alerts/?{query}")
    assert response.status_code == 200
    assert {a.name for a in response.context["page"]} == expected


def test_another_sources_alerts_are_filtered_out(client, viewer, source):
    other, _ = services.source_create(name="grafana", by=None)
    receive(source, am_alert("Mine", fingerprint="01"))
    services.alerts_receive(source=other, delivery=parse(am_payload(am_alert("Theirs", fingerprint="02"))))
    client.force_login(viewer)
    assert [a.name for a in client.get("/alerts/?source=grafana").context["page"]] == ["Theirs"]


@pytest.mark.parametrize("query", ["label=novalue", "label=%3Dx", "source=nope", "state=pending", "page=9",
                                   "page=x", "label=a%00b"])
def test_bad_filters_are_400_with_a_message(client, viewer, source, query):
    client.force_login(viewer)
    response = client.get(f"/alerts/?{query}")
    assert response.status_code == 400
    assert 'class="error' in response.content.decode() or "errorlist" in response.content.decode()


def test_the_alerts_page_query_count_is_constant(client, viewer, source):
    client.force_login(viewer)
    grow(source, groups=2, per_group=1)
    small = queries(client, "/alerts/")
    grow(source, groups=30, per_group=5, offset=2)
    assert Alert.objects.count() == 152
    assert queries(client, "/alerts/") == small <= 8
    assert queries(client, "/alerts/?label=service%3Dcheckout&state=firing") == small


# --- declaring from an alert ------------------------------------------------------------------------------------

def test_declare_from_alert_is_prefilled(client, commander, source):
    quiet = am_alert("DiskFilling", fingerprint="01", severity="warning")
    receive(source, quiet)
    client.force_login(commander)
    alert = Alert.objects.get()
    form = client.get(f"/alerts/{alert.pk}/declare/").context["form"]
    assert form.initial == {"title": "DiskFilling: DiskFilling on checkout", "severity": "SEV4",
                            "service_affected": "checkout", "summary": "DiskFilling on checkout\n\n"
                                                                       "5xx above 5% for 5 minutes"}


def test_declaring_from_an_alert_links_it_and_its_group(client, commander, source):
    receive(source, am_alert("DiskFilling", fingerprint="01", severity="warning"))
    alert = Alert.objects.get()
    client.force_login(commander)
    response = client.post(f"/alerts/{alert.pk}/declare/", {"title": "Disk filling on db-1", "severity": "SEV3",
                                                            "summary": "s", "service_affected": "db"})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.source, incident.severity.name, incident.declared_by) == (Source.MONITORING_ALERT, "SEV3",
                                                                               commander)
    assert AlertGroup.objects.get().incident == incident
    assert "Declared from alert DiskFilling" in incident.entries.filter(kind="alert").get().text
    # the group's later alerts join it
    receive(source, am_alert("DiskFilling", fingerprint="02", severity="warning", instance="db-2"))
    assert Alert.objects.filter(group__incident=incident).count() == 2
    assert Incident.objects.count() == 1


def test_an_alert_already_on_an_incident_goes_there_instead(client, commander, source):
    receive(source, am_alert(fingerprint="01"))
    alert = Alert.objects.get()
    client.force_login(commander)
    response = client.post(f"/alerts/{alert.pk}/declare/", {"title": "Again", "severity": "SEV3"})
    assert response["Location"] == f"/incidents/{alert.group.incident_id}/"
    assert Incident.objects.count() == 1


def test_the_service_refuses_a_second_incident_for_a_group(commander, source, sev):
    receive(source, am_alert(fingerprint="01"))
    with pytest.raises(services.AlertError, match="already on incident"):
        services.alert_declare_incident(alert=Alert.objects.get(), by=commander, title="x", severity=sev["SEV3"])


def test_a_bad_declare_form_is_400_and_declares_nothing(client, commander, source):
    receive(source, am_alert(fingerprint="01", severity="warning"))
    client.force_login(commander)
    response = client.post(f"/alerts/{Alert.objects.get().pk}/declare/", {"title": " ", "severity": "SEV9"})
    assert response.status_code == 400 and not Incident.objects.exists()


def test_only_those_who_run_incidents_declare(client, responder, source, sev):
    receive(source, am_alert(fingerprint="01", severity="warning"))
    client.force_login(responder)
    assert client.post(f"/alerts/{Alert.objects.get().pk}/declare/", {"title": "x", "severity": "SEV3"}
                       ).status_code == 403
    from django.core.exceptions import PermissionDenied
    with pytest.raises(PermissionDenied):
        services.alert_declare_incident(alert=Alert.objects.get(), by=responder, title="x", severity=sev["SEV3"])
    assert not Incident.objects.exists()


# --- the incident page ------------------------------------------------------------------------------------------

def test_the_incident_page_lists_its_alerts_with_their_links(client, viewer, source):
    firing = am_alert(fingerprint="01")
    firing["annotations"]["runbook_url"] = "javascript:alert(1)"
    grafana_like = am_alert("Latency", fingerprint="02")
    grafana_like["dashboardURL"] = "https://grafana.example.com/d/x"
    grafana_like["panelURL"] = "data:text/html,boo"
    receive(source, firing, grafana_like)
    incident = Incident.objects.get()
    client.force_login(viewer)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="alerts"' in html and "2 alerts, 2 still firing" in html
    assert "HighErrorRate on checkout" in html and "5xx above 5% for 5 minutes" in html  # summary, description
    assert "severity=critical" in html  # labels
    assert 'href="http://prometheus:9090/graph?g0.expr=rate%28http_5xx%5B5m%5D%29"' in html
    assert 'href="https://grafana.example.com/d/x"' in html
    assert 'href="https://runbooks.example.com/high-error-rate"' in html  # the other alert's runbook
    assert "javascript:" not in html and "data:text/html" not in html
    assert "All alerts resolved" not in html


def test_the_incident_page_says_all_alerts_resolved(client, viewer, source):
    firing = am_alert(fingerprint="01")
    receive(source, firing)
    receive(source, resolved(firing))
    incident = Incident.objects.get()
    client.force_login(viewer)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "All alerts resolved" in html and "Resolved" in html and "1 alert, none firing" in html
    incident.refresh_from_db()
    assert incident.is_open


def test_an_incident_without_alerts_has_no_alerts_section(client, viewer, make_incident):
    incident = make_incident()
    client.force_login(viewer)
    assert 'id="alerts"' not in client.get(f"/incidents/{incident.pk}/").content.decode()


def test_the_incident_page_query_count_does_not_grow_with_its_alerts(client, viewer, source):
    receive(source, am_alert(fingerprint="01"), group_key="g")
    incident = Incident.objects.get()
    client.force_login(viewer)
    small = queries(client, f"/incidents/{incident.pk}/")
    for batch in range(4):
        receive(source, *[am_alert(fingerprint=f"{batch:04x}{n:04x}") for n in range(20)], group_key="g")
    assert Alert.objects.filter(group__incident=incident).count() == 81
    assert queries(client, f"/incidents/{incident.pk}/") == small


def test_demo_adds_a_source_and_recorded_alerts_once(settings, runbook, capsys):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("demo")
    assert "2 recorded alerts" in capsys.readouterr().out
    call_command("demo")
    assert Alert.objects.count() == 2 and Alert.objects.filter(status="firing").count() == 1
    assert AlertGroup.objects.get().incident is None  # warnings are only recorded: Declare from alert
