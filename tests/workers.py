"""A real Celery worker process against the test database and the test broker, for tests that need one."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from warroom.celery import app


def poll(check, *, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    """Call check() until it returns something truthy, or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)  # pacing the poll, not waiting for work
    raise AssertionError(f"{what} not reached within {timeout} s")


def test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(log_dir: Path, *, env: dict[str, str] | None = None, queue: str = "", name: str = "",
                 concurrency: int = 4, session: bool = False, loglevel: str = "INFO") -> subprocess.Popen:
    """A worker on the test database. With a queue, it consumes only that queue (emptied first), so the session's
    worker cannot take the tasks sent there; with a name, start-up waits for that worker's own answer; with
    session, it leads its own process group, which a test may kill whole (os.killpg)."""
    if queue:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
            conn.default_channel.queue_purge(queue)
    else:
        app.control.purge()
    # No relay unless a test asks for one (WARROOM_OUTBOX_RELAY_SECONDS): the tests' workers on different brokers
    # share one test database, and a relay would send another test's waiting messages to its own broker.
    env = {**os.environ, "DATABASE_URL": test_database_url(), "WARROOM_OUTBOX_RELAY_SECONDS": "0", **(env or {})}
    hostname = f"{name}-{os.getpid()}@localhost" if name else f"test-{os.getpid()}@%h"
    log = open(log_dir / f"celery-worker{'-' + name if name else ''}.log", "w")  # noqa: SIM115 - closed with the process
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "warroom", "worker", "--pool=prefork", f"--concurrency={concurrency}",
         f"--loglevel={loglevel}", "--without-heartbeat", "--without-gossip", "--without-mingle",
         f"--hostname={hostname}", *(["-Q", queue] if queue else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent,
        start_new_session=session,
    )
    destination = {"destination": [hostname]} if name else {}
    try:
        poll(lambda: worker.poll() is not None or app.control.ping(timeout=0.5, **destination), timeout=30,
             what="worker start")
    except AssertionError:
        worker.kill()
        raise
    if worker.poll() is not None:
        raise RuntimeError(f"Celery worker exited: see {log.name}")
    return worker


def worker_tasks(callbacks: list) -> list:
    """The on-commit callbacks that queue work, without what incidents does after every change (event listeners,
    publishing the new version to live pages)."""
    return [c for c in callbacks if not getattr(c, "func", c).__module__.startswith("incidents.")]


def messages_sent(at) -> None:
    """What the on-commit publish records, for tests whose transaction never commits: every waiting outbox message
    went out `at` (the reapers' "nobody picked it up" wait counts from then)."""
    from warroom.models import Outbox

    Outbox.objects.filter(sent_at__isnull=True).update(sent_at=at)
