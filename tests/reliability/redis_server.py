"""A Redis server of the test's own, on a free port, that the test may stop and start again (never the shared one)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import redis

from tests.kube_server import free_port
from tests.workers import poll


class OwnRedis:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.dir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        log = (self.dir / "redis.log").open("a")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=log, stderr=subprocess.STDOUT)
        poll(lambda: self.process.poll() is not None or self._answers(), timeout=10, what="redis-server start")
        assert self.process.poll() is None, (self.dir / "redis.log").read_text()

    def stop(self) -> None:
        """Killed (SIGKILL): a crash, nothing kept. (SHUTDOWN NOSAVE took ~3 s here, for the same result.)"""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.kill()
        self.process.wait(timeout=10)
