"""Two workers running the same notification at the same moment, on the real PostgreSQL: the conditional UPDATE
lets one claim it, and only that one sends."""

import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import pytest
from django.db import connection

from people.models import Notification
from people.notifications import notification_send, notifications_request
from tests.people.notify_fixtures import WEBHOOK_SECRET, hook_server, received_on

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def http(settings):
    with hook_server() as server:
        settings.EMAIL_HOST = settings.SLACK_WEBHOOK_URL = ""
        settings.NOTIFY_WEBHOOK_URL, settings.NOTIFY_WEBHOOK_SECRET = server.url + "/hook", WEBHOOK_SECRET
        settings.NOTIFY_TIMEOUT = 10
        yield server


def test_two_workers_running_the_same_notification_send_it_once(http, notify_directory, make_incident):
    incident = make_incident(severity="SEV3", acknowledge=True)
    Notification.objects.all().delete()  # what declaring queued: this test runs the sends itself
    [notification] = notifications_request(incident=incident, event="SEV3:L1:test", level=1, round=0,
                                           contacts=[notify_directory.cto], now=incident.declared_at)
    http.script["/hook"] = ["hold"]  # the winner's request waits in the server until the loser has tried
    start = threading.Barrier(2)

    def run() -> str:
        start.wait()
        try:
            return notification_send(notification.pk).status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.submit(run), pool.submit(run)
        assert http.held.wait(10)
        done, waiting = wait([first, second], timeout=10, return_when=FIRST_COMPLETED)
        assert len(done) == 1 and len(waiting) == 1  # one returned while the other is still sending
        outcomes = [done.pop().result()]  # it claimed nothing, so sent nothing
        http.release.set()
        outcomes.append(waiting.pop().result(timeout=10))

    assert outcomes == ["sending", "sent"]
    assert len(received_on(http, "/hook")) == 1
    assert Notification.objects.get(pk=notification.pk).attempts == 1
