"""Peers on 127.0.0.1 that misbehave on purpose: one that drips its answer a byte a second, and a TCP proxy in front
of the real PostgreSQL that holds its first connection (a check caught mid-way) and forwards the others."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.serving import serving

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, handler, **attrs) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.stop = threading.Event()
        self.connections = 0
        self.lock = threading.Lock()
        self.__dict__.update(attrs)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def count(self) -> int:
        with self.lock:
            self.connections += 1
            return self.connections


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def postgres_login(sock: socket.socket) -> None:
    """Take a PostgreSQL client's start-up (refusing SSL) and let it in at once, as a trusting server does."""
    while True:
        length, code = struct.unpack("!ii", sock.recv(8, socket.MSG_WAITALL))
        if code in (SSL_REQUEST, GSSENC_REQUEST):
            sock.sendall(b"N")
            continue
        sock.recv(length - 8, socket.MSG_WAITALL)
        break
    params = [("server_version", "16.0"), ("client_encoding", "UTF8"), ("server_encoding", "UTF8"),
              ("standard_conforming_strings", "on"), ("DateStyle", "ISO, MDY"), ("integer_datetimes", "on"),
              ("TimeZone", "UTC")]
    sock.sendall(_message(b"R", struct.pack("!i", 0))  # AuthenticationOk
                 + b"".join(_message(b"S", f"{k}\0{v}\0".encode()) for k, v in params)
                 + _message(b"K", struct.pack("!ii", 1, 2)) + _message(b"Z", b"I"))


# What each peer starts to answer, a byte a second, after the client's first request: never the whole of it.
POSTGRES_DRIP = b"T" + struct.pack("!i", 100_000) + b"\0\1" + b"n" * 1000  # a RowDescription that never ends
REDIS_DRIP = b"$100000\r\n" + b"x" * 1000  # a bulk string that never ends
HTTP_DRIP = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"x" * 1000


class _DripHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server = self.server
        server.count()
        sock = self.request
        try:
            if server.login:
                server.login(sock)
            if not sock.recv(65536):  # the client's request
                return
            for byte in server.payload:
                sock.sendall(bytes([byte]))
                if server.stop.wait(server.every):  # pacing the drip; set when the test ends
                    return
        except OSError:
            pass  # the client gave up: what it should do


@contextmanager
def drip(payload: bytes, *, login=None, every: float = 1.0) -> Iterator[_Server]:
    """A server that reads a request and answers `payload` one byte every `every` seconds."""
    server = _Server(_DripHandler, payload=payload, login=login, every=every)
    with serving(server, release=server.stop):
        yield server


class _HoldFirstHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server = self.server
        if server.count() == 1:
            server.stop.wait(60)  # caught mid-check: never answered, until the test ends
            return
        with socket.create_connection(server.upstream, timeout=10) as up:
            pipe = threading.Thread(target=_pipe, args=(up, self.request), daemon=True)
            pipe.start()
            _pipe(self.request, up)
            pipe.join(10)


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


@contextmanager
def hold_first(upstream: tuple[str, int]) -> Iterator[_Server]:
    """A TCP proxy to upstream that holds its first connection without a word and forwards every later one."""
    server = _Server(_HoldFirstHandler, upstream=upstream)
    with serving(server, release=server.stop):
        yield server
