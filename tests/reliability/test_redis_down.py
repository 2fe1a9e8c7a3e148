"""Redis stopped (the Celery broker and the live channel): pages serve, people declare, acknowledge and write notes,
requested work waits in the outbox under a "workers unreachable" notice, and all of it goes out once Redis is back.

Against a Redis server of the test's own (tests/reliability/redis_server.py: stopped with SHUTDOWN NOSAVE and started
again on the same port), a real Celery worker pointed at it, local SMTP and webhook servers and a fake Slack.
"""

from __future__ import annotations

import time

import pytest

from chat.models import Operation
from diagnostics.models import Run
from incidents import live
from incidents.models import Incident
from people.models import Notification
from targets.models import Target
from tests.chat.fake_slack import TOKEN, fake_slack
from tests.people.notify_fixtures import WEBHOOK_SECRET, hook_server, received_on, smtp_server
from tests.reliability.redis_server import OwnRedis
from tests.workers import poll, start_worker
from warroom import outbox
from warroom.celery import app
from warroom.middleware import WORKERS_HEADER
from warroom.models import Outbox

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NOTICE = "Workers unreachable"
FAST = 2.0  # seconds: no request may wait on the dead broker longer than this


def _point_celery_at(url: str) -> None:
    """This process's Celery app publishes to `url` from now on (its pools were made for the old broker)."""
    app.conf.update(broker_write_url=url, broker_read_url=url)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def own_redis(settings, tmp_path):
    """The test's own Redis as the broker and the live channel, in this process and (by env) in its worker."""
    server = OwnRedis(tmp_path)
    server.start()
    old = app.conf.broker_write_url
    settings.CELERY_BROKER_URL = settings.LIVE_REDIS_URL = server.url
    _point_celery_at(server.url)
    live._client = None
    try:
        yield server
    finally:
        server.stop()
        _point_celery_at(old)
        live._client = None
        outbox._down_until = 0.0


def timed(call):
    started = time.monotonic()
    response = call()
    elapsed = time.monotonic() - started
    assert elapsed < FAST, f"{elapsed:.1f} s: a request waited on the dead broker"
    return response


def test_with_redis_stopped_people_keep_working_and_every_request_goes_out_once_it_is_back(
        own_redis, settings, client, api, commander, notify_directory, tmp_path):
    with smtp_server() as smtp, hook_server() as http, fake_slack() as slack:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.SLACK_WEBHOOK_URL = ""
        settings.NOTIFY_WEBHOOK_URL, settings.NOTIFY_WEBHOOK_SECRET = http.url + "/hook", WEBHOOK_SECRET
        settings.NOTIFY_QUEUE = settings.SLACK_QUEUE = "celery"
        settings.SLACK_BOT_TOKEN, settings.SLACK_API_URL = TOKEN, slack.api_url
        settings.BASE_URL = "https://warroom.example.com"
        worker = start_worker(tmp_path, concurrency=1, env={
            "CELERY_BROKER_URL": own_redis.url, "WARROOM_OUTBOX_RELAY_SECONDS": "1",
            "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port),
            "WARROOM_NOTIFY_WEBHOOK_URL": http.url + "/hook", "WARROOM_NOTIFY_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "WARROOM_SLACK_WEBHOOK_URL": "", "WARROOM_NOTIFY_TIMEOUT": "2",
            "WARROOM_SLACK_BOT_TOKEN": TOKEN, "WARROOM_SLACK_API_URL": slack.api_url, "WARROOM_SLACK_TIMEOUT": "2",
            "WARROOM_BASE_URL": "https://warroom.example.com"})
        try:
            _redis_down_then_back(own_redis, client, api, commander, smtp, http, slack)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except Exception:
                worker.kill()


def _redis_down_then_back(own_redis, client, api, commander, smtp, http, slack):
    Target.objects.create(name="local-postgres", kind="postgres", url="postgres://postgres@127.0.0.1:5432/postgres")
    client.force_login(commander)
    own_redis.stop()

    # Pages serve; a person declares (the escalation writes its notifications, Slack its room), writes a note.
    assert timed(lambda: client.get("/")).status_code == 200
    declared = timed(lambda: client.post("/incidents/declare/", {
        "title": "Checkout down while Redis is down", "severity": "SEV3", "source": "monitoring_alert"}))
    assert declared.status_code == 302
    incident = Incident.objects.get(title="Checkout down while Redis is down")
    seen = incident.version
    page = timed(lambda: client.get(f"/incidents/{incident.pk}/"))
    assert page.status_code == 200 and NOTICE in page.content.decode()
    assert timed(lambda: client.post(f"/incidents/{incident.pk}/timeline/", {"text": "Failing over the cache"})
                 ).status_code == 302
    # The live channel is down too: the page's poll still brings the note.
    polled = timed(lambda: client.get(f"/incidents/{incident.pk}/live/?v={seen}"))
    assert polled.status_code == 200 and "Failing over the cache" in polled.content.decode()

    # A check requested over the API waits, and the API says why.
    requested = timed(lambda: api(commander).post(f"/api/incidents/{incident.pk}/runs/",
                                                  {"check": "postgres.connections", "target": "local-postgres"},
                                                  format="json"))
    assert requested.status_code == 202 and requested[WORKERS_HEADER].startswith("unreachable; waiting=")
    run = Run.objects.get(pk=requested.json()["id"])

    # Another incident, declared over the API, acknowledged and noted on its page.
    other = timed(lambda: api(commander).post("/api/incidents/", {"title": "Second one", "severity": "SEV4"},
                                              format="json"))
    assert other.status_code == 201
    other_pk = other.json()["id"]
    assert timed(lambda: client.post(f"/incidents/{other_pk}/acknowledge/")).status_code == 302
    assert timed(lambda: client.post(f"/incidents/{other_pk}/timeline/", {"text": "Noted"})).status_code == 302
    assert Incident.objects.get(pk=other_pk).status == "triage"

    # Everything requested is stored and waiting; the dashboard and /healthz say so.
    notifications = list(Notification.objects.filter(incident=incident))
    rooms = list(Operation.objects.filter(incident=incident))
    assert notifications and rooms
    assert all(n.status == "queued" for n in notifications), [
        (n.status, n.channel, n.last_error) for n in notifications]
    assert run.status == "queued"
    waiting = Outbox.objects.filter(sent_at__isnull=True)
    assert {row.task for row in waiting} >= {"diagnostics.tasks.execute_run", "people.tasks.send_notification",
                                             "chat.tasks.run_operation"}
    assert all(row.attempts >= 1 and row.last_error for row in waiting)
    assert NOTICE in timed(lambda: client.get("/")).content.decode()
    health = timed(lambda: client.get("/healthz"))
    assert health.status_code == 200 and health.json()["workers"] == "unreachable"

    # Redis is back (same port, empty): the workers' relay sends what waited, and it all happens.
    own_redis.start()
    poll(lambda: not Outbox.objects.filter(sent_at__isnull=True).exists(), timeout=30, what="the relay")
    poll(lambda: Run.objects.get(pk=run.pk).status == "succeeded", timeout=30, what="the check")
    # (both incidents' notifications: the second one's were queued before its acknowledgement)
    poll(lambda: all(n.status == "sent" for n in Notification.objects.all()), timeout=30, what="the notifications")
    poll(lambda: all(o.status == "done" for o in Operation.objects.all()), timeout=30, what="Slack")
    emails, hooks = len(smtp.handler.messages), len(received_on(http, "/hook"))
    assert emails == hooks == Notification.objects.count() / 2 >= 2  # each person by email and by the webhook
    assert slack.methods().count("conversations.create") == 2  # one war room per incident
    page = client.get(f"/incidents/{incident.pk}/")
    assert NOTICE not in page.content.decode()
    assert client.get("/healthz").json()["workers"] == "ok"

    # A message sent twice is harmless: everything again, then one more check behind it on the one worker process.
    assert outbox.publish(Outbox.objects.order_by("pk")) == Outbox.objects.count()
    behind = api(commander).post(f"/api/incidents/{incident.pk}/runs/",
                                 {"check": "postgres.connections", "target": "local-postgres"}, format="json")
    poll(lambda: Run.objects.get(pk=behind.json()["id"]).status == "succeeded", timeout=30, what="the last check")
    assert (len(smtp.handler.messages), len(received_on(http, "/hook"))) == (emails, hooks)
    assert slack.methods().count("conversations.create") == 2
    assert incident.entries.filter(data__run=run.pk, data__event="finished").count() == 1
