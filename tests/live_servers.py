"""Real ASGI web processes (uvicorn) on free ports, sharing only the test database and Redis, for the live streams.

A pytest plugin (tests/conftest.py): the fixtures `asgi_servers` and `static_root`, and helpers to start more.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.kube_server import free_port
from tests.workers import poll, test_database_url

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def server_env(static_root: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": test_database_url(), "DEBUG": "false", "SECURE_COOKIES": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "STATIC_ROOT": str(static_root),
        # Fast enough that a test sees a logout end its stream in about a second.
        "WARROOM_LIVE_HEARTBEAT_SECONDS": "1", "WARROOM_LIVE_RECHECK_SECONDS": "1",
        **extra,
    }


def collect_static(static_root: Path) -> None:
    env = server_env(static_root)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
                   env=env, cwd=ROOT, check=True)


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def start_server(log_dir: Path, static_root: Path, *, port: int | None = None, **extra: str) -> Server:
    """uvicorn with one worker, as production runs it (README, Deployment), on 127.0.0.1:<port>."""
    port = port or free_port()
    log = log_dir / f"uvicorn-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "warroom.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--lifespan", "off", "--timeout-graceful-shutdown", "1"],
        env=server_env(static_root, **extra), cwd=ROOT,
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    server = Server(port, process, log)
    try:
        poll(lambda: process.poll() is not None or _answers(port), timeout=30, what="uvicorn start")
    except AssertionError:
        server.stop()
        raise
    if process.poll() is not None:
        raise RuntimeError(f"uvicorn exited: see {log}")
    return server


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("static")
    collect_static(root)
    return root


@pytest.fixture(scope="session")
def asgi_servers(django_db_setup, django_db_blocker, static_root, tmp_path_factory):
    """Two web processes on different ports. Pages poll only every 10 minutes there: an update that shows up
    came through the stream."""
    log_dir = tmp_path_factory.mktemp("uvicorn")
    servers = [start_server(log_dir, static_root, WARROOM_LIVE_POLL_SECONDS="600") for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()


def session_cookie(user: User) -> str:
    """A signed-in session in the shared database, as the login form would leave it."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class EventStream:
    """A raw HTTP client for one Server-Sent Events stream: what a watcher's browser receives."""

    def __init__(self, server: Server, path: str, *, session: str | None = None, last_event_id: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
        headers = {"Accept": "text/event-stream"}
        if session:
            headers["Cookie"] = f"sessionid={session}"
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", path, headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status

    def next_event(self, *, skip_pings: bool = True) -> dict[str, str] | None:
        """The next event's fields (id, event, data), or None when the server closed the stream."""
        event: dict[str, str] = {}
        while True:
            line = self.response.readline()
            if not line:
                return None
            text = line.decode().rstrip("\n")
            if not text:
                if event.get("event") == "ping" and skip_pings:
                    event = {}
                    continue
                if event:
                    return event
                continue
            name, _, value = text.partition(": ")
            event[name] = value

    def close(self) -> None:
        self.conn.close()
