"""What the notification tests share: a small escalation directory, local SMTP and HTTP servers that record what
they receive (and misbehave on request), and a Celery worker whose environment points at them.

A pytest plugin (tests/conftest.py lists it in pytest_plugins), so that tests/people/conftest.py stays the people
directory's own; every fixture's name starts with notify_.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from people.models import (
    Contact,
    EscalationLevel,
    EscalationPolicy,
    Override,
    Role,
    Rotation,
    RotationMember,
)
from tests.serving import serving
from tests.workers import poll, test_database_url
from warroom.celery import app

SLACK_TOKEN_PATH = "/slack/T0000/B0000/slack-secret-token-XYZ"
WEBHOOK_SECRET = "webhook-secret-0123456789abcdef"
MINUTE = timedelta(minutes=1)


# --- the directory ----------------------------------------------------------------------------------------------

@dataclass
class Directory:
    oncall: Contact
    manager: Contact
    cto: Contact
    vp: Contact
    rotation: Rotation
    roles: dict[str, Role] = field(default_factory=dict)


def build_directory() -> Directory:
    """alice is always on call; bob is the engineering manager, carol the CTO, dave the VP.

    SEV1: level 1 = on-call + CTO + VP (again every 5 min, 3 times). SEV2: level 1 = on-call (again every 5 min,
    twice), level 2 = the manager after 15 min. SEV3: level 1 = on-call, no repeat. The runbook's seeded
    placeholders are removed first so that every test starts from exactly this."""
    EscalationPolicy.objects.all().delete()
    Role.objects.all().delete()
    Override.objects.all().delete()
    RotationMember.objects.all().delete()
    Rotation.objects.all().delete()
    Contact.objects.filter(notifications__isnull=True).delete()
    people = {name: Contact.objects.create(name=name.title(), email=f"{name}@example.com", slack_handle=f"@{name}",
                                           phone="+1-555-0100")
              for name in ("alice", "bob", "carol", "dave")}
    rotation = Rotation.objects.create(name="Primary", start_date=date(2026, 1, 5))
    RotationMember.objects.create(rotation=rotation, contact=people["alice"], position=1)
    roles = {"oncall": Role.objects.create(name="On-Call Engineer", kind=Role.Kind.ROTATION, rotation=rotation)}
    for key, name, holder in (("manager", "Engineering Manager", "bob"), ("cto", "CTO", "carol"),
                              ("vp", "VP Engineering", "dave")):
        roles[key] = Role.objects.create(name=name)
        roles[key].holders.add(people[holder])
    from incidents.models import Severity

    sev = {s.name: s for s in Severity.objects.all()}

    def level(policy, number, names, after, every=None, repeats=0):
        row = EscalationLevel.objects.create(policy=policy, number=number, after=after, repeat_every=every,
                                             max_repeats=repeats, how="Slack and email")
        row.roles.add(*(roles[n] for n in names))

    sev1 = EscalationPolicy.objects.create(severity=sev["SEV1"])
    level(sev1, 1, ["oncall", "cto", "vp"], 0 * MINUTE, 5 * MINUTE, 3)
    sev2 = EscalationPolicy.objects.create(severity=sev["SEV2"])
    level(sev2, 1, ["oncall"], 0 * MINUTE, 5 * MINUTE, 2)
    level(sev2, 2, ["manager"], 15 * MINUTE)
    sev3 = EscalationPolicy.objects.create(severity=sev["SEV3"])
    level(sev3, 1, ["oncall"], 0 * MINUTE)
    return Directory(people["alice"], people["bob"], people["carol"], people["dave"], rotation, roles)


@pytest.fixture
def notify_directory(runbook) -> Directory:
    return build_directory()


@pytest.fixture
def notify_email(settings):
    """Email on (Django's locmem outbox, as pytest-django sets it), Slack and the webhook off."""
    settings.EMAIL_HOST = "smtp.invalid"
    settings.SLACK_WEBHOOK_URL = ""
    settings.NOTIFY_WEBHOOK_URL = ""
    settings.NOTIFY_WEBHOOK_SECRET = ""
    settings.BASE_URL = "https://warroom.example.com"
    return settings


# --- a local SMTP server ----------------------------------------------------------------------------------------

class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []  # aiosmtpd envelopes: mail_from, rcpt_tos, content

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Controller]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd); controller.handler.messages holds what it accepted."""
    # aiosmtpd 1.4 connects to its own port to check that it started, so it needs a real one, not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(_Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def smtp_port(controller: Controller) -> int:
    return controller.port


# --- a local HTTP server for Slack and the webhook --------------------------------------------------------------

@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _HookHandler(BaseHTTPRequestHandler):
    """POST (or GET) anywhere: answers what server.script[path] says next — a status code, (status, body) or
    (status, body, headers), "hang" to never answer, "hold" to answer once server.release is set — then 200 once
    the script runs out. Every request is recorded in server.received, in order."""

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server = self.server
        with server.lock:
            script = server.script.get(self.path, [])
            step = script.pop(0) if script else 200
            server.received.append(Received(self.path, dict(self.headers), body))
        if step == "hang":
            server.release.wait(30)  # never answers before the client's timeout; freed when the server stops
            return
        if step == "hold":
            server.held.set()
            server.release.wait(30)  # answers once the test says so
            step = 200
        status, text, *extra = (step, "ok") if isinstance(step, int) else step
        data = text.encode()
        self.send_response(status)
        for name, value in (extra[0] if extra else {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def hook_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HookHandler)
    server.daemon_threads = True
    server.received = []
    server.script = {}
    server.lock = threading.Lock()
    server.release = threading.Event()
    server.held = threading.Event()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    with serving(server, release=server.release):
        yield server


def reset(server: ThreadingHTTPServer) -> None:
    with server.lock:
        server.received.clear()
        server.script.clear()
    server.release.clear()
    server.held.clear()


def received_on(server: ThreadingHTTPServer, path: str) -> list[Received]:
    with server.lock:
        return [r for r in server.received if r.path == path]


# --- a worker pointed at them -----------------------------------------------------------------------------------

@dataclass
class NotifyWorld:
    """The servers and the settings both this process and the worker use."""

    smtp: Controller
    http: ThreadingHTTPServer
    queue: str
    env: dict[str, str]

    def settings_for(self, settings) -> None:
        """The same channel configuration in this process (which decides the channels) as in the worker."""
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = smtp_port(self.smtp)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.SLACK_WEBHOOK_URL = self.env["WARROOM_SLACK_WEBHOOK_URL"]
        settings.NOTIFY_WEBHOOK_URL = self.env["WARROOM_NOTIFY_WEBHOOK_URL"]
        settings.NOTIFY_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.NOTIFY_QUEUE = self.queue
        settings.NOTIFY_TIMEOUT = 1
        settings.BASE_URL = "https://warroom.example.com"


def _start_worker(env: dict[str, str], queue: str, log_dir: Path) -> subprocess.Popen:
    hostname = f"notify-{os.getpid()}@localhost"
    with app.connection_for_write() as conn:
        conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
        conn.default_channel.queue_purge(queue)
    log = open(log_dir / "notify-worker.log", "w")  # noqa: SIM115 - closed with the process
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "warroom", "worker", "--pool=prefork", "--concurrency=2",
         "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle", "-Q", queue,
         f"--hostname={hostname}"],
        env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parent.parent.parent)
    try:
        poll(lambda: worker.poll() is not None or app.control.ping(destination=[hostname], timeout=0.5),
             timeout=30, what="notification worker start")
    except AssertionError:
        worker.kill()
        raise
    if worker.poll() is not None:
        raise RuntimeError(f"the notification worker exited: see {log_dir / 'notify-worker.log'}")
    return worker


@pytest.fixture(scope="module")
def notify_world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[NotifyWorld]:
    """SMTP + HTTP servers and a worker of its own (on its own queue) whose environment points at them."""
    with smtp_server() as smtp, hook_server() as http:
        queue = f"notify-test-{os.getpid()}"
        env = {
            "DATABASE_URL": test_database_url(),
            "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port(smtp)),
            "WARROOM_SLACK_WEBHOOK_URL": http.url + SLACK_TOKEN_PATH,
            "WARROOM_NOTIFY_WEBHOOK_URL": http.url + "/hook",
            "WARROOM_NOTIFY_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "WARROOM_NOTIFY_TIMEOUT": "1", "WARROOM_NOTIFY_MAX_RETRIES": "2", "WARROOM_NOTIFY_RETRY_BACKOFF": "1",
            "WARROOM_NOTIFY_QUEUE": queue, "WARROOM_BASE_URL": "https://warroom.example.com",
        }
        worker = _start_worker(env, queue, tmp_path_factory.mktemp("notify"))
        try:
            yield NotifyWorld(smtp, http, queue, env)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()


@pytest.fixture
def notify(notify_world, settings) -> NotifyWorld:
    notify_world.settings_for(settings)
    reset(notify_world.http)
    notify_world.smtp.handler.messages.clear()
    return notify_world
