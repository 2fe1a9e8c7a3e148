"""An incident that an alert opens is declared like any other: the timeline names the alert, and the incident
events reach the people app, which tells whoever is on call (the escalation's level 1). The webhook only answers:
who to tell is decided on a worker, after the commit."""

import time

import pytest

from incidents.models import Entry, Incident
from people.models import Notification
from people.tasks import escalate_incident
from tests.alerts.conftest import am_payload
from tests.workers import poll


@pytest.mark.django_db
def test_the_declared_line_names_the_alert_and_its_source(sender):
    assert sender(am_payload()).status_code == 200
    declared = Incident.objects.get().entries.get(kind=Entry.Kind.DECLARED)
    assert declared.text.startswith("Declared SEV2 by monitoring alert HighErrorRate from prod-alertmanager. ")
    assert declared.author is None and "nobody" not in declared.text


@pytest.mark.django_db
def test_the_webhook_leaves_who_to_tell_to_a_worker(sender, notify_directory, notify_email,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert sender(am_payload()).status_code == 200
    incident = Incident.objects.get()
    assert not Notification.objects.exists()  # queued for a worker (here, a queue nobody consumes)

    escalate_incident(incident.pk, incident.declared_at.isoformat())  # what the worker runs
    escalate_incident(incident.pk, incident.declared_at.isoformat())  # delivered twice: told once
    # SEV2's level 1 is the on-call engineer (Alice); the manager comes 15 minutes later if nobody acknowledges.
    assert list(Notification.objects.values_list("contact__name", "event")) == [("Alice", "SEV2:L1")]
    assert incident.entries.filter(kind="notification", text__contains="telling Alice").count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_incident_opened_by_an_alert_tells_the_on_call_through_a_worker(notify, notify_directory, sender):
    started = time.monotonic()
    assert sender(am_payload()).status_code == 200
    assert sender(am_payload()).status_code == 200  # the same delivery again: nobody is told twice
    assert time.monotonic() - started < 2.0
    incident = Incident.objects.get()

    def sent():
        rows = list(Notification.objects.filter(incident=incident))
        return rows if rows and all(n.is_done for n in rows) else None

    rows = poll(sent, what="the on-call to be told")
    assert sorted((n.contact.name, n.channel, n.status) for n in rows) == [
        ("Alice", "email", "sent"), ("Alice", "slack", "sent"), ("Alice", "webhook", "sent")]
    [mail] = notify.smtp.handler.messages
    assert mail.rcpt_tos == ["alice@example.com"] and b"HighErrorRate" in mail.content
