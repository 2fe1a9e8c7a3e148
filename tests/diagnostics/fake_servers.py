"""Small servers on 127.0.0.1 that echo the credentials they are sent, so scrubbing is tested where it can fail.

Each speaks just enough of its protocol to take a password and answer with an error quoting it, as a
misconfigured proxy or a chatty server might. Each runs in a daemon thread and records what it received.
"""

from __future__ import annotations

import socket
import socketserver
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from tests.serving import serving

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.received: list[Any] = []  # what clients sent: the password, the command, the header


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


class _PostgresHandler(socketserver.BaseRequestHandler):
    """Refuses SSL, asks for a cleartext password, then answers FATAL 28P01 quoting the password it got."""

    def handle(self) -> None:
        sock = self.request
        try:
            while True:  # SSLRequest / GSSENCRequest come first, each answered "N" (not supported)
                length, code = struct.unpack("!ii", _read_exactly(sock, 8))
                if code in (SSL_REQUEST, GSSENC_REQUEST):
                    sock.sendall(b"N")
                    continue
                _read_exactly(sock, length - 8)  # the startup message's parameters
                break
            sock.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
            _message_type, length = struct.unpack("!ci", _read_exactly(sock, 5))
            password = _read_exactly(sock, length - 4).rstrip(b"\0").decode()
            self.server.received.append(password)
            fields = b"".join(tag + text.encode() + b"\0" for tag, text in [
                (b"S", "FATAL"), (b"V", "FATAL"), (b"C", "28P01"),
                (b"M", f'password authentication failed for user "probe": got "{password}"')]) + b"\0"
            sock.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)
        except ConnectionError:
            pass


@contextmanager
def fake_postgres() -> Iterator[_Server]:
    """A PostgreSQL server whose login error echoes the password: server.server_address[1] is its port."""
    with serving(_Server(_PostgresHandler)) as server:
        yield server


class _RedisHandler(socketserver.StreamRequestHandler):
    """Answers AUTH (or HELLO … AUTH user password, as redis-py 8 logs in) with an error quoting the password,
    anything else with +OK."""

    def handle(self) -> None:
        while True:
            line = self.rfile.readline()
            if not line.startswith(b"*"):
                return
            args = []
            for _ in range(int(line[1:])):
                size = int(self.rfile.readline()[1:])
                args.append(self.rfile.read(size + 2)[:-2].decode())
            self.server.received.append(args)
            if "AUTH" in (arg.upper() for arg in args):
                self.wfile.write(f"-WRONGPASS invalid username-password pair: got {args[-1]}\r\n".encode())
            else:
                self.wfile.write(b"+OK\r\n")


@contextmanager
def fake_redis() -> Iterator[_Server]:
    """A Redis server whose AUTH error echoes the password."""
    with serving(_Server(_RedisHandler)) as server:
        yield server


class _EchoHandler(BaseHTTPRequestHandler):
    """/echo: 500 quoting the Authorization header. /redirect: 302 to /login?token=<the token>, which answers 401
    quoting it. /away?to=URL: 302 to another server. Every request's path and Authorization header is recorded."""

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        self.server.received.append((self.path, auth))
        path, query = urlsplit(self.path).path, parse_qs(urlsplit(self.path).query)
        token = auth.removeprefix("Bearer ")
        if path == "/echo":
            return self._reply(500, f"upstream refused Authorization: {auth}")
        if path == "/redirect":
            return self._reply(302, "", location=f"/login?token={quote(token)}")
        if path == "/login":
            return self._reply(401, f"bad token {query.get('token', [''])[0]}")
        if path == "/away":
            return self._reply(302, "", location=query["to"][0])
        return self._reply(200, "ok")

    def _reply(self, status: int, body: str, location: str | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def fake_http() -> Iterator[ThreadingHTTPServer]:
    """An HTTP server echoing the bearer token in an error body and a redirect; server.url is its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    server.received = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    with serving(server) as running:
        yield running
