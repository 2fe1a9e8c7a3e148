"""A socket whose every reply must arrive whole within its timeout.

A socket timeout bounds each read, not the answer: a peer that drips one byte a second resets it at every byte
and holds a check for ever. Here the clock starts at the first read after a write and covers every read until
the next write, so a reply (Redis's, or an HTTP response from a Kubernetes API server) gets the timeout once.
"""

from __future__ import annotations

import io
import socket
import time
from typing import Any


class ReplyDeadline:
    """Wraps a connected socket (plain or TLS); anything not defined here is the socket's own."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout = sock.gettimeout()
        self._deadline: float | None = None

    def settimeout(self, value: float | None) -> None:
        self._timeout = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._timeout

    def _arm(self) -> None:
        if self._timeout is None:
            return  # the caller asked to wait for ever
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._timeout
        remaining = self._deadline - now
        if remaining <= 0:
            raise TimeoutError("timed out")  # what the socket itself raises (socket.timeout)
        self._sock.settimeout(min(remaining, self._timeout))

    def recv(self, *args: Any) -> bytes:
        self._arm()
        return self._sock.recv(*args)

    def recv_into(self, *args: Any) -> int:
        self._arm()
        return self._sock.recv_into(*args)

    def send(self, *args: Any) -> int:
        self._deadline = None
        return self._sock.send(*args)

    def sendall(self, *args: Any) -> None:
        self._deadline = None
        self._sock.sendall(*args)

    def makefile(self, mode: str = "r", buffering: int | None = None, **kwargs: Any) -> Any:
        """http.client reads a response through a file: make it read through this object, not the bare socket."""
        if mode != "rb":
            return self._sock.makefile(mode, buffering, **kwargs)  # type: ignore[call-overload]
        self._sock._io_refs += 1  # type: ignore[attr-defined]  # as socket.makefile does: closed with its files
        return io.BufferedReader(socket.SocketIO(self, "rb"),  # type: ignore[arg-type]
                                 buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)
