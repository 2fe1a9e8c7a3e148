"""Beat's reaper: a notification left sending by a lost worker, or queued and never taken, ends as failed, with a
reason on the timeline, at the moment asked for; one still within its time is left alone."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from people.models import Notification
from people.notifications import notification_claim, notifications_reap, notifications_request, send_time_limit
from tests.workers import messages_sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def notification(make_incident, notify_directory, notify_email):
    incident = make_incident(severity="SEV3", acknowledge=True)
    [row] = notifications_request(incident=incident, event="SEV3:L1:reap", level=1, round=0,
                                  contacts=[notify_directory.cto], now=incident.declared_at)
    messages_sent(row.queued_at)
    return row


def test_a_send_whose_worker_was_lost_is_ended_as_failed_at_the_moment_asked(notification):
    start = notification.created_at
    assert notification_claim(notification.pk, now=start)
    lost_after = timedelta(seconds=send_time_limit() + 30)
    assert notifications_reap(now=start + lost_after) == 0  # not yet past the limit
    later = start + lost_after + timedelta(microseconds=1)
    assert notifications_reap(now=later) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.finished_at) == ("failed", later)
    assert "may or may not have arrived" in notification.last_error
    assert notification.incident.entries.filter(kind="notification", text__contains="worker was lost").count() == 1
    assert notifications_reap(now=later + timedelta(hours=1)) == 0


def test_a_notification_no_worker_took_fails_saying_so(notification):
    wait = timedelta(seconds=django_settings.NOTIFY_QUEUE_TIMEOUT)
    assert notifications_reap(now=notification.queued_at + wait) == 0
    assert notifications_reap(now=notification.queued_at + wait + timedelta(microseconds=1)) == 1
    notification.refresh_from_db()
    assert notification.status == "failed" and notification.attempts == 0
    assert f"is a Celery worker consuming the '{django_settings.NOTIFY_QUEUE}' queue?" in notification.last_error
    assert not notification_claim(notification.pk)  # its late task finds nothing to send


def test_a_retry_waiting_in_the_queue_counts_from_its_requeue(notification):
    notification_claim(notification.pk, now=notification.created_at)
    requeued = notification.created_at + timedelta(minutes=10)
    Notification.objects.filter(pk=notification.pk).update(status="queued", queued_at=requeued)
    wait = timedelta(seconds=django_settings.NOTIFY_QUEUE_TIMEOUT)
    assert notifications_reap(now=requeued + wait - timedelta(seconds=1)) == 0
