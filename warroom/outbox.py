"""The one way work goes to the Celery workers: `enqueue(task, args, queue=..., eta=...)`.

The message is a row (warroom.models.Outbox) written in the caller's transaction and published once that commits,
so a request and its work are stored together or not at all. Publishing tries once, with short socket timeouts:
when the broker (Redis) is down it fails in milliseconds (refused) or about a second (unanswered), never hangs the
request, and the row waits. Pages then say "workers unreachable" (`unreachable()`), and the relay that runs in every
worker process (`start_relay`, from warroom/celery.py) publishes what waits once the broker answers again.

A message published twice is harmless: every task claims its row with a conditional UPDATE before doing anything.
The reapers' "nobody picked it up" clock starts when a message really went out (`held`), not when it was requested.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from warroom.models import Outbox

log = logging.getLogger(__name__)

# A row younger than this that has not failed yet is its own request's to publish, on commit: the relay leaves it.
GRACE = timedelta(seconds=5)
# Sent rows are kept this long (what went out, when), then the relay deletes them.
KEEP = timedelta(days=1)
# After a failed publish, this process leaves publishing to the relay for this long (a blackholed broker would
# otherwise cost every request its connect timeout).
BACKOFF_SECONDS = 5.0

_down_until = 0.0  # time.monotonic()


def _name(task: Any) -> str:
    return task if isinstance(task, str) else task.name


def enqueue(task: Any, args: Sequence[Any] = (), *, queue: str = "", eta: datetime | None = None,
            countdown: float | None = None) -> Outbox:
    """Write the message now, publish it once the caller's transaction commits (at once outside one)."""
    if countdown is not None:
        eta = timezone.now() + timedelta(seconds=countdown)
    row = Outbox.objects.create(task=_name(task), args=list(args), queue=queue, eta=eta)
    transaction.on_commit(lambda: _publish_committed(row))
    return row


def _publish_committed(row: Outbox) -> None:
    if time.monotonic() < _down_until:
        _failed([row.pk], "the broker was unreachable moments ago; the workers' relay will send it")
        return
    publish([row])


def _failed(pks: list[int], error: str) -> None:
    Outbox.objects.filter(pk__in=pks, sent_at__isnull=True).update(attempts=F("attempts") + 1,
                                                                   last_error=error[:500])


def publish(rows: Iterable[Outbox]) -> int:
    """Send each row once, in order; stop at the first failure (the rest would fail too). How many went out."""
    global _down_until
    from warroom.celery import app  # the Celery app loads settings and the tasks; import it when first used

    rows = list(rows)
    sent = 0
    try:
        # max_retries=0: one connection attempt; kombu would otherwise retry for seconds before giving up.
        with app.connection_for_write(transport_options={"max_retries": 0}) as conn:
            for row in rows:
                options: dict[str, Any] = {"retry": False, "connection": conn}
                if row.queue:
                    options["queue"] = row.queue
                if row.eta:
                    options["eta"] = row.eta
                app.tasks[row.task].apply_async(row.args, **options)
                Outbox.objects.filter(pk=row.pk).update(sent_at=timezone.now())
                sent += 1
    except Exception as exc:  # kombu's OperationalError, a socket error or timeout, a task no longer known
        _down_until = time.monotonic() + BACKOFF_SECONDS
        _failed([row.pk for row in rows[sent:]], f"{type(exc).__name__}: {exc}")
        log.warning("outbox: %d message(s) wait for the broker: %s", len(rows) - sent, exc)
    else:
        _down_until = 0.0
    return sent


def relay(*, limit: int = 500) -> int:
    """Publish what waits (oldest first); the workers call this every OUTBOX_RELAY_SECONDS. How many went out."""
    now = timezone.now()
    with transaction.atomic():
        # Two workers relaying at once each take different rows.
        rows = list(Outbox.objects.select_for_update(skip_locked=True).filter(sent_at__isnull=True).filter(
            Q(attempts__gt=0) | Q(created_at__lt=now - GRACE)).order_by("created_at", "pk")[:limit])
        sent = publish(rows) if rows else 0
    Outbox.objects.filter(sent_at__lt=now - KEEP).delete()
    if sent:
        log.info("outbox: relayed %d message(s)", sent)
    return sent


def waiting(*, now: datetime | None = None) -> int:
    """How many messages wait because publishing failed (or took longer than GRACE): 0 while the broker answers."""
    now = now or timezone.now()
    return Outbox.objects.filter(sent_at__isnull=True).filter(
        Q(attempts__gt=0) | Q(created_at__lt=now - GRACE)).count()


def unreachable() -> dict[str, Any] | None:
    """What the pages' "workers unreachable" notice says, or None when nothing waits."""
    count = waiting()
    if not count:
        return None
    return {"waiting": count, "text": f"Workers unreachable: {count} queued job{'s' if count != 1 else ''} "
            "(checks, mitigations, notifications, Slack) will go out as soon as the broker is back. "
            "Nothing requested is lost."}


def held(task: Any, *, since: datetime) -> list[int]:
    """The first argument (a row's id) of `task`'s messages still unsent or sent after `since`: the reapers give
    these their whole queue timeout from the moment the message went out."""
    args = Outbox.objects.filter(task=_name(task)).filter(
        Q(sent_at__isnull=True) | Q(sent_at__gt=since)).values_list("args", flat=True)
    return [a[0] for a in args if a]


# --- the relay thread in each worker process ------------------------------------------------------------------

_relay_thread: threading.Thread | None = None
_relay_stop = threading.Event()


def _relay_forever(stop: threading.Event) -> None:
    while not stop.wait(settings.OUTBOX_RELAY_SECONDS):
        try:
            close_old_connections()
            relay()
        except Exception:  # the database blinked: try again next round
            log.exception("outbox: relay failed")
        finally:
            connection.close()  # hold no connection between rounds (prefork children are forked from this process)


def start_relay() -> threading.Event:
    """Start the relay in this process (once); set the returned event to stop it."""
    global _relay_thread
    if _relay_thread is None or not _relay_thread.is_alive():
        _relay_stop.clear()
        _relay_thread = threading.Thread(target=_relay_forever, args=(_relay_stop,), name="outbox-relay",
                                         daemon=True)
        _relay_thread.start()
    return _relay_stop
