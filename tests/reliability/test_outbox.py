"""The outbox's rules, against a broker that is not there (a free port: connections refused) and PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from diagnostics.models import Run
from diagnostics.services import runs_reap
from diagnostics.tasks import execute_run
from targets.models import Target
from tests.kube_server import free_port
from warroom import outbox
from warroom.celery import app
from warroom.models import Outbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_broker(settings):
    url = f"redis://127.0.0.1:{free_port()}/0"
    old = app.conf.broker_write_url
    app.conf.update(broker_write_url=url, broker_read_url=url)
    try:
        yield url
    finally:
        app.conf.update(broker_write_url=old, broker_read_url=old)
        outbox._down_until = 0.0


def test_a_rolled_back_request_leaves_no_message(dead_broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(execute_run, [1])
        raise RuntimeError("the request failed")
    assert not Outbox.objects.exists()


def test_a_dead_broker_costs_a_request_milliseconds_and_the_message_waits_saying_why(
        dead_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        started = time.monotonic()
        row = outbox.enqueue(execute_run, [7], queue="checks")
    assert time.monotonic() - started < 1.0
    row.refresh_from_db()
    assert (row.sent_at, row.attempts, row.task, row.args, row.queue) == (
        None, 1, "diagnostics.tasks.execute_run", [7], "checks")
    assert "Connection refused" in row.last_error
    assert outbox.waiting() == 1 and "Workers unreachable: 1 queued job " in outbox.unreachable()["text"]
    # The next requests in this process leave it to the relay for a moment (no connection tried), and still say so.
    with django_capture_on_commit_callbacks(execute=True):
        second = outbox.enqueue(execute_run, [8])
    second.refresh_from_db()
    assert second.attempts == 1 and "relay" in second.last_error and outbox.waiting() == 2


def test_the_relay_takes_failed_messages_at_once_and_fresh_ones_only_after_the_grace(dead_broker):
    now = timezone.now()
    failed = Outbox.objects.create(task="diagnostics.tasks.execute_run", args=[1], attempts=1)
    fresh = Outbox.objects.create(task="diagnostics.tasks.execute_run", args=[2], created_at=now)
    old = Outbox.objects.create(task="diagnostics.tasks.execute_run", args=[3],
                                created_at=now - outbox.GRACE - timedelta(seconds=1))
    assert outbox.relay() == 0  # the broker is still down: each tried once, in order, until the first failure
    failed.refresh_from_db(), fresh.refresh_from_db(), old.refresh_from_db()
    assert (failed.attempts, old.attempts, fresh.attempts) == (2, 1, 0)
    assert outbox.waiting(now=now) == 2  # the fresh one is its request's to send


def test_sent_messages_are_kept_a_day(dead_broker):
    now = timezone.now()
    kept = Outbox.objects.create(task="t", sent_at=now - outbox.KEEP + timedelta(minutes=1))
    Outbox.objects.create(task="t", sent_at=now - outbox.KEEP - timedelta(minutes=1))
    outbox.relay()
    assert list(Outbox.objects.all()) == [kept]


def test_the_reaper_counts_a_run_s_wait_from_when_its_message_went_out(settings, commander):
    """A run requested while the broker was down is not failed as "no worker picked it up" before it was sent."""
    target = Target.objects.create(name="pg", kind="postgres", url="postgres://postgres@127.0.0.1:5432/postgres")
    run = Run.objects.create(check_name="postgres.connections", target=target, params={}, requested_by=commander)
    wait = timedelta(seconds=settings.DIAGNOSTICS_QUEUE_TIMEOUT)
    Run.objects.filter(pk=run.pk).update(created_at=timezone.now() - 3 * wait)
    row = Outbox.objects.create(task=execute_run.name, args=[run.pk], attempts=5)
    assert runs_reap() == 0  # never sent
    Outbox.objects.filter(pk=row.pk).update(sent_at=timezone.now() - wait + timedelta(seconds=5))
    assert runs_reap() == 0  # sent, but less than its wait ago
    Outbox.objects.filter(pk=row.pk).update(sent_at=timezone.now() - wait - timedelta(seconds=1))
    assert runs_reap() == 1
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and "No worker picked this up" in run.error
