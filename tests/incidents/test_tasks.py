"""Celery tasks run by a real worker process, writing back onto the incident."""

import datetime as dt

import pytest
from django.utils import timezone

from incidents.models import Entry, Incident
from incidents.tasks import record_sla_breaches
from tests.workers import poll

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_records_sla_breach_and_open_pages_see_it(celery_worker, client, viewer, make_incident):
    incident = make_incident(title="Nobody picked this up", severity="SEV2")
    Incident.objects.filter(pk=incident.pk).update(response_due_at=timezone.now() - dt.timedelta(minutes=2))
    client.force_login(viewer)
    live = f"/incidents/{incident.pk}/live/?v={incident.version}"
    assert client.get(live).status_code == 204

    record_sla_breaches.delay()

    entry = poll(lambda: Entry.objects.filter(incident=incident, kind=Entry.Kind.SLA_BREACHED).first(),
                 what="the worker's SLA breach entry")
    assert entry.author is None
    page = client.get(live)
    assert page.status_code == 200 and "Response SLA breached" in page.content.decode()


def test_a_redelivered_task_records_the_breach_once(celery_worker, make_incident):
    incident = make_incident(severity="SEV2")
    Incident.objects.filter(pk=incident.pk).update(response_due_at=timezone.now() - dt.timedelta(minutes=2))
    results = [record_sla_breaches.delay() for _ in range(4)]
    assert len(results) == 4
    poll(lambda: Entry.objects.filter(incident=incident, kind=Entry.Kind.SLA_BREACHED).exists(), what="breach")
    # A later task through the same queue: by the time it has run, the four were taken too.
    marker = make_incident(title="marker", severity="SEV2")
    Incident.objects.filter(pk=marker.pk).update(response_due_at=timezone.now() - dt.timedelta(minutes=1))
    record_sla_breaches.delay()
    poll(lambda: Entry.objects.filter(incident=marker, kind=Entry.Kind.SLA_BREACHED).exists(), what="marker")
    assert Entry.objects.filter(incident=incident, kind=Entry.Kind.SLA_BREACHED).count() == 1
