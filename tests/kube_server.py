"""A real HTTP server speaking the Kubernetes API (kmock's emulator), usable from synchronous tests.

kmock is asyncio-only and its own pytest fixture clashes with Playwright's event loop (FIELD-NOTES), so the
emulator runs here on 127.0.0.1 in a background thread with its own event loop. Everything that touches kmock's
state (objects, reactions, recorded requests) is run inside that loop's thread.
Also here: a port with nothing listening, and a black hole that accepts connections but never answers.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import kmock
import pytest

T = TypeVar("T")
FIXTURES = Path(__file__).parent / "fixtures" / "k8s"

# Where kubectl's resources live, for objects given by their kind.
RESOURCES = {
    "Deployment": "apps/v1/deployments",
    "ReplicaSet": "apps/v1/replicasets",
    "Pod": "v1/pods",
    "PodMetrics": "metrics.k8s.io/v1beta1/pods",
}


def fixture(name: str) -> Any:
    """A JSON fixture from tests/fixtures/k8s/."""
    return json.loads((FIXTURES / name).read_text())


def deployment(**changes) -> dict:
    """The api Deployment fixture with status fields changed."""
    dep = fixture("deployment_api.json")
    dep["status"].update(changes)
    return dep


def api_pods() -> list[dict]:
    return fixture("pods_api.json")["items"]


def web_pods() -> list[dict]:
    return fixture("pods_web.json")["items"]


class KubeServer:
    """kmock's KubernetesEmulator on a free 127.0.0.1 port, served by its own event loop in a daemon thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kmock", daemon=True)
        self.emulator: kmock.KubernetesEmulator | None = None
        self._server: kmock.Server | None = None
        self.url = ""

    def __enter__(self) -> KubeServer:
        self._thread.start()
        self.emulator, self._server = self._run(self._start())
        self.url = str(self._server.url).rstrip("/")
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self._run(self._stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()

    async def _start(self) -> tuple[kmock.KubernetesEmulator, kmock.Server]:
        emulator = kmock.KubernetesEmulator()
        await emulator.__aenter__()
        server = kmock.Server(emulator)
        await server.__aenter__()
        return emulator, server

    async def _stop(self) -> None:
        assert self._server is not None and self.emulator is not None
        await self._server.__aexit__(None, None, None)
        await self.emulator.__aexit__(None, None, None)

    def _run(self, coro) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    def call(self, fn: Callable[[kmock.KubernetesEmulator], T]) -> T:
        """Run fn(emulator) in the server's loop thread, where kmock's state may be touched safely."""

        async def inside() -> T:
            return fn(self.emulator)

        return self._run(inside())

    def add(self, *objects: dict) -> None:
        """Store objects as the API would hold them, each under its kind's resource, namespace and name."""

        def store(emulator: kmock.KubernetesEmulator) -> None:
            for obj in objects:
                meta = obj["metadata"]
                emulator.objects[RESOURCES[obj["kind"]], meta.get("namespace"), meta["name"]] = obj

        self.call(store)

    def declare(self, *resources: str) -> None:
        """Make resources known while holding no objects, so listing them answers an empty list, not a 404."""

        def known(emulator: kmock.KubernetesEmulator) -> None:
            for resource in resources:
                emulator.resources[resource] = {}

        self.call(known)

    def react(self, criteria: Any, *payload: Any) -> None:
        """Register a reaction, e.g. react("get /api/v1/namespaces/ns/pods/p/log", kmock.headers(...), fn)."""

        def register(emulator: kmock.KubernetesEmulator) -> None:
            reaction = emulator[criteria]
            for item in payload:
                reaction = reaction << item

        self.call(register)

    def requests(self) -> list[kmock.Request]:
        """Every request the server has seen so far, in order."""
        return self.call(lambda emulator: list(emulator))


def free_port() -> int:
    """A local port with nothing listening on it (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def black_hole() -> Iterator[str]:
    """An http:// URL whose socket completes TCP handshakes (the kernel's backlog) but never reads nor answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def kube_server() -> Iterator[KubeServer]:
    """A fresh emulator per test: import this fixture, or use KubeServer directly."""
    with KubeServer() as server:
        yield server
