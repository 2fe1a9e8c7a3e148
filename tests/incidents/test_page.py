"""What the incident page says, as text: the same numbers as the rules, newest entries first."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(("window", "left", "said"), [
    (30, dt.timedelta(minutes=12, seconds=30, microseconds=500), "13 min"),
    (90, dt.timedelta(minutes=75, seconds=30), "1 h 16 min"),
])
def test_resolve_form_and_monitoring_gate_name_the_same_minutes_left(as_commander, make_incident, settings,
                                                                     window, left, said):
    settings.MONITORING_MINUTES = window
    incident = make_incident(status="monitoring")
    started = timezone.now() - dt.timedelta(minutes=window) + left
    Incident.objects.filter(pk=incident.pk).update(monitoring_at=started)

    page = as_commander.get(f"/incidents/{incident.pk}/").content.decode()
    refusal = as_commander.post(f"/incidents/{incident.pk}/transition/", {"status": "resolved"}, **HTMX)
    assert refusal.status_code == 409
    form_says = re.search(r"Monitoring has (.+?) to go", page).group(1)
    gate_says = re.search(r"\((.+?) to go\)", refusal.content.decode()).group(1)
    assert form_says == gate_says == said


def test_timeline_lists_the_newest_entry_first(as_commander, make_incident, commander):
    incident = make_incident(acknowledge=True)
    services.timeline_note(incident=incident, by=commander, text="First look: 502s from the gateway")
    services.timeline_note(incident=incident, by=commander, text="Second look: the pool is exhausted")
    for html in (as_commander.get(f"/incidents/{incident.pk}/").content.decode(),
                 as_commander.get(f"/incidents/{incident.pk}/live/", {"v": 0}, **HTMX).content.decode()):
        assert html.index("Second look") < html.index("First look") < html.index('class="entry entry-declared"')


def test_the_live_update_redraws_the_announcement_with_the_rest(as_commander, make_incident, commander):
    incident = make_incident(acknowledge=True)
    services.incident_update(incident=incident, by=commander, users_affected=4200)
    live = as_commander.get(f"/incidents/{incident.pk}/live/", {"v": 0}, **HTMX).content.decode()
    assert '<div id="announcement" hx-swap-oob="true">' in live and "4,200 users affected" in live


def test_a_confirmation_is_marked_to_hide_itself_once_read(as_commander):
    response = as_commander.post("/incidents/declare/", {"title": "Login broken", "severity": "SEV2",
                                                          "source": "user_report"}, follow=True)
    html = response.content.decode()
    assert re.search(r'<li class="message success" role="status" data-autohide>.*Declared SEV2', html)
    assert 'data-dismiss aria-label="Dismiss"' in html


@pytest.mark.parametrize(("action", "data", "said"), [
    ("details", {"title": "Checkout down", "users_affected": "lots"}, "Users affected: Enter a whole number."),
    ("roles", {"role": "cto", "user": ""}, "Role: Select a valid choice."),
])
def test_a_refused_form_names_its_fields_as_people_read_them(as_commander, make_incident, action, data, said):
    incident = make_incident(acknowledge=True)
    response = as_commander.post(f"/incidents/{incident.pk}/{action}/", data, **HTMX)
    assert response.status_code == 400
    box = re.search(r'<p class="error-box" role="alert">(.*?)</p>', response.content.decode()).group(1)
    assert box.startswith(said) and "_" not in box
