"""Through a real Celery worker (its own, whose environment points at a local SMTP and HTTP server): declaring
sends by email, Slack and the signed webhook; beat's tick, driven here with a given `now`, escalates; a flaky peer
is retried to exactly one delivery; a silent one ends as failed, in red on the incident page; a task delivered
twice sends once; and the page never waits for any of it."""

import hashlib
import hmac
import time

import pytest

from incidents import services
from people.escalation import escalations_tick
from people.models import ContactChannels, Notification
from people.tasks import send_notification
from tests.people.notify_fixtures import (
    MINUTE,
    SLACK_TOKEN_PATH,
    WEBHOOK_SECRET,
    received_on,
)
from tests.workers import poll
from warroom.celery import app

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def ended(**filters):
    def check():
        rows = list(Notification.objects.filter(**filters))
        return rows if rows and all(n.is_done for n in rows) else None

    return check


def test_declaring_over_the_api_notifies_on_every_channel_once(notify, notify_directory, api, commander):
    started = time.monotonic()
    response = api(commander).post("/api/incidents/", {"title": "Checkout down", "severity": "SEV2"}, format="json")
    assert response.status_code == 201
    assert time.monotonic() - started < 1.0  # nothing is sent while the request waits
    incident_id = response.json()["id"]

    rows = poll(ended(incident_id=incident_id), what="the notifications to be sent")
    assert sorted((n.contact.name, n.channel, n.status) for n in rows) == [
        ("Alice", "email", "sent"), ("Alice", "slack", "sent"), ("Alice", "webhook", "sent")]
    [mail] = notify.smtp.handler.messages
    assert mail.rcpt_tos == ["alice@example.com"] and b"[SEV2] Production Incident: Checkout down" in mail.content
    [slack] = received_on(notify.http, SLACK_TOKEN_PATH)
    assert slack.json()["text"].startswith("@alice *[SEV2] Production Incident*")
    [hook] = received_on(notify.http, "/hook")
    digest = hmac.new(WEBHOOK_SECRET.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["X-Warroom-Signature"] == f"sha256={digest}"
    assert hook.json()["incident"]["url"] == f"https://warroom.example.com/incidents/{incident_id}/"


def test_a_missed_deadline_escalates_on_the_beat_and_acknowledging_stops_it(notify, notify_directory, make_incident,
                                                                           commander):
    incident = make_incident(severity="SEV2")
    poll(ended(incident=incident), what="level 1 to be sent")

    escalations_tick(now=incident.declared_at + 15 * MINUTE)  # beat's tick, at the moment level 2 is due
    rows = poll(ended(incident=incident, contact__name="Bob"), what="level 2 to be sent")
    assert {(n.event, n.status) for n in rows} == {("SEV2:L2", "sent")}
    assert [m.rcpt_tos for m in notify.smtp.handler.messages].count(["bob@example.com"]) == 1

    services.incident_acknowledge(incident=incident, by=commander)
    assert escalations_tick(now=incident.declared_at + 60 * MINUTE) == 0
    assert Notification.objects.filter(incident=incident).count() == 3 * 4  # L1, its two reminders, L2


def test_a_webhook_that_fails_twice_is_retried_and_delivered_exactly_once(notify, notify_directory, make_incident,
                                                                        settings):
    settings.EMAIL_HOST = settings.SLACK_WEBHOOK_URL = ""  # only the webhook, here
    notify.http.script["/hook"] = [503, (502, "bad gateway")]
    incident = make_incident(severity="SEV3")

    [notification] = poll(ended(incident=incident), timeout=30, what="the retried webhook")
    assert (notification.status, notification.attempts) == ("sent", 3)
    hits = received_on(notify.http, "/hook")
    assert len(hits) == 3 and len({h.headers["X-Warroom-Signature"] for h in hits}) >= 1
    texts = list(incident.entries.filter(kind="notification").values_list("text", flat=True))
    assert [t for t in texts if "Trying again" in t] == [
        f"Could not notify Alice by webhook (attempt 1): HTTP 503 from 127.0.0.1:{notify.http.server_address[1]}: "
        "ok. Trying again.",
        f"Could not notify Alice by webhook (attempt 2): HTTP 502 from 127.0.0.1:{notify.http.server_address[1]}: "
        "bad gateway. Trying again."]
    assert texts[-1] == "Notified Alice by webhook about SEV3 (level 1)."


def test_a_slack_webhook_that_never_answers_ends_failed_and_red_on_the_page(notify, notify_directory, make_incident,
                                                                          settings, client, commander):
    settings.EMAIL_HOST = settings.NOTIFY_WEBHOOK_URL = ""
    ContactChannels.objects.create(contact=notify_directory.oncall,
                                   slack_webhook_url=notify.http.url + "/silent/dm-token")
    notify.http.script["/silent/dm-token"] = ["hang", "hang", "hang"]
    incident = make_incident(severity="SEV3")

    [notification] = poll(ended(incident=incident), timeout=40, what="the timeouts to end it")
    assert (notification.status, notification.attempts) == ("failed", 3)  # the first try and two retries
    assert notification.last_error == f"no answer from 127.0.0.1:{notify.http.server_address[1]} within 1 s"
    client.force_login(commander)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'<tr class="notify-failed" data-notification="{notification.pk}">' in page
    assert "1 notification could not be sent" in page
    assert "dm-token" not in page


def _idle(hostname_prefix: str):
    """The worker has nothing running, reserved or waiting for a retry."""
    inspect = app.control.inspect(timeout=1)
    busy = [inspect.active(), inspect.reserved(), inspect.scheduled()]
    if any(reply is None for reply in busy):
        return False
    return all(not tasks for reply in busy for host, tasks in reply.items() if host.startswith(hostname_prefix))


def test_the_same_task_delivered_three_times_sends_once(notify, notify_directory, make_incident, settings):
    settings.EMAIL_HOST = settings.SLACK_WEBHOOK_URL = ""
    incident = make_incident(severity="SEV3")  # queues the send on commit
    notification = Notification.objects.get(incident=incident)
    for _ in range(2):  # redeliveries (a lost acknowledgement, a restarted worker), racing the first on 2 processes
        send_notification.apply_async((notification.pk,), queue=notify.queue)
    poll(ended(incident=incident), what="the delivery to end")
    poll(lambda: _idle("notify-") or None, timeout=15, what="the copies to find nothing to claim")
    assert len(received_on(notify.http, "/hook")) == 1
    assert Notification.objects.get(pk=notification.pk).attempts == 1
