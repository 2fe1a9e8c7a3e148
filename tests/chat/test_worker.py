"""Through a real Celery worker (its own process, queue and environment pointing at the fake Slack): declaring
opens the room once, whatever redelivers the task; a rate limit is waited out for Slack's Retry-After."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chat.models import Operation
from chat.tasks import run_operation
from incidents import services as incident_services
from tests.chat.fake_slack import TOKEN
from tests.workers import poll
from tests.workers import test_database_url as database_url  # not collected as a test
from warroom.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def slack_worker(slack_server, django_db_setup, django_db_blocker, tmp_path_factory):
    queue = f"slack-test-{os.getpid()}"
    env = {"DATABASE_URL": database_url(), "WARROOM_SLACK_BOT_TOKEN": TOKEN,
           "WARROOM_SLACK_SIGNING_SECRET": "worker-signing-secret", "WARROOM_SLACK_API_URL": slack_server.api_url,
           "WARROOM_SLACK_QUEUE": queue, "WARROOM_SLACK_TIMEOUT": "1", "WARROOM_SLACK_RETRY_BACKOFF": "1",
           "WARROOM_BASE_URL": "https://warroom.example.com"}
    hostname = f"slack-{os.getpid()}@localhost"
    with app.connection_for_write() as conn:
        conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
        conn.default_channel.queue_purge(queue)
    log_path = tmp_path_factory.mktemp("slack") / "slack-worker.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "warroom", "worker", "--pool=prefork", "--concurrency=2",
         "--loglevel=DEBUG", "--without-heartbeat", "--without-gossip", "--without-mingle", "-Q", queue,
         f"--hostname={hostname}"],
        env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parent.parent.parent)
    try:
        poll(lambda: worker.poll() is not None or app.control.ping(destination=[hostname], timeout=0.5),
             timeout=30, what="Slack worker start")
        assert worker.poll() is None, log_path.read_text()
        yield {"queue": queue, "log": log_path}
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


@pytest.fixture
def on_worker(slack_worker, slack, settings):
    settings.SLACK_QUEUE = slack_worker["queue"]
    return slack_worker


def finished(operation_id):
    def check():
        op = Operation.objects.get(pk=operation_id)
        return op if op.is_done else None

    return check


def test_declaring_opens_the_room_on_the_worker_once_whatever_redelivers_it(on_worker, slack, commander, sev):
    incident = incident_services.incident_declare(by=commander, title="Worker", severity=sev["SEV2"])
    room = Operation.objects.rooms().get(incident=incident)
    for _ in range(3):  # redelivery: the same message again, while and after the first runs
        run_operation.apply_async((room.pk,), queue=on_worker["queue"])
    op = poll(finished(room.pk), timeout=30, what="the room")
    assert op.status == Operation.Status.DONE and op.attempts == 1
    poll(lambda: len([m for m in slack.methods() if m == "pins.add"]) >= 1, what="the pin")
    assert slack.methods().count("conversations.create") == 1
    assert slack.methods().count("chat.postMessage") == 1
    assert incident.entries.filter(kind="slack", text__contains="is open in Slack").count() == 1
    worker_log = on_worker["log"].read_text()
    assert "Sending a request" in worker_log and TOKEN not in worker_log  # slack_sdk logs its headers at DEBUG


def test_a_rate_limit_is_retried_after_retry_after(on_worker, slack, commander, sev):
    slack.script["conversations.create"] = [("ratelimited", 2)]
    incident = incident_services.incident_declare(by=commander, title="Limited", severity=sev["SEV3"])
    room = Operation.objects.rooms().get(incident=incident)
    op = poll(finished(room.pk), timeout=30, what="the room after its retry")
    assert op.status == Operation.Status.DONE and op.attempts == 2
    creates = slack.calls_to("conversations.create")
    assert len(creates) == 2
    lines = list(incident.entries.filter(kind="slack").values_list("text", flat=True))
    assert "Slack asked us to wait 2 s" in lines[0] and "is open in Slack" in lines[-1]
    assert op.not_before is not None and op.started_at >= op.not_before  # claimed again only after Retry-After
