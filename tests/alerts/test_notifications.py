"""An incident that an alert opens is declared like any other: the timeline names the alert, and the incident
events reach the people app, which tells whoever is on call (the escalation's level 1)."""

import pytest

from incidents.models import Entry, Incident
from people.models import Notification
from tests.alerts.conftest import am_payload

pytestmark = pytest.mark.django_db


def test_the_declared_line_names_the_alert_and_its_source(sender):
    assert sender(am_payload()).status_code == 200
    declared = Incident.objects.get().entries.get(kind=Entry.Kind.DECLARED)
    assert declared.text.startswith("Declared SEV2 by monitoring alert HighErrorRate from prod-alertmanager. ")
    assert declared.author is None and "nobody" not in declared.text


def test_an_incident_opened_by_an_alert_tells_the_on_call(sender, notify_directory, notify_email,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert sender(am_payload()).status_code == 200
    incident = Incident.objects.get()
    # SEV2's level 1 is the on-call engineer (Alice); the manager comes 15 minutes later if nobody acknowledges.
    assert list(Notification.objects.filter(incident=incident).values_list("contact__name", "event")) == [
        ("Alice", "SEV2:L1")]
    assert incident.entries.filter(kind="notification", text__contains="telling Alice").exists()


def test_a_repeated_delivery_tells_nobody_again(sender, notify_directory, notify_email,
                                                django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert sender(am_payload()).status_code == 200
    assert Notification.objects.count() == 1
