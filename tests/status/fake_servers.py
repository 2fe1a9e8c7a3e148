"""A local provider: a Statuspage v2 summary.json and an RSS/Atom feed, on 127.0.0.1, in a daemon thread.

Each path answers what the test put in `server.routes[path] = (status, content_type, body)`; the path "/slow…"
holds its answer until the test ends (`server.release` is set on shutdown), so a reader's timeout is what
ends the request — no sleep anywhere. Every request's path is recorded in `server.received`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.serving import serving


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self.server.received.append(self.path)
        if self.path.startswith("/slow"):
            self.server.release.wait(30)  # until the test ends; the client gives up long before
            return
        status, content_type, body = self.server.routes.get(self.path, (404, "text/plain", b"not here"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ProviderServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.received: list[str] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def summary(self, prefix: str, body: dict | bytes) -> str:
        """Serve a Statuspage v2 summary under prefix; returns the page's base URL."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.routes[f"{prefix}/api/v2/summary.json"] = (200, "application/json", raw)
        return self.url + prefix

    def feed(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> str:
        self.routes[path] = (200, content_type, body)
        return self.url + path


@contextmanager
def provider_server() -> Iterator[ProviderServer]:
    server = ProviderServer()
    with serving(server, release=server.release):
        yield server


def summary_body(indicator: str = "none", components: dict[str, str] | None = None,
                 incidents: list[dict] | None = None) -> dict:
    """A Statuspage v2 summary.json as the field notes describe it."""
    return {
        "page": {"id": "p1", "name": "Provider", "url": "https://status.example.com", "time_zone": "Etc/UTC",
                 "updated_at": "2026-12-01T20:00:00Z"},
        "status": {"indicator": indicator,
                   "description": {"none": "All Systems Operational", "minor": "Minor Service Outage",
                                   "major": "Partial System Outage", "critical": "Major Service Outage"}[indicator]},
        "components": [{"id": f"c{i}", "name": name, "status": status, "position": i}
                       for i, (name, status) in enumerate((components or {"API": "operational"}).items())],
        "incidents": incidents or [],
        "scheduled_maintenances": [],
    }


def rss(items: list[tuple[str, str]]) -> bytes:
    """RSS 2.0 with (title, RFC 822 date) items, as AWS's health feed publishes."""
    body = "".join(f"<item><title>{title}</title><pubDate>{date}</pubDate><guid>{i}</guid></item>"
                   for i, (title, date) in enumerate(items))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Health</title>{body}</channel></rss>'.encode()


def atom(items: list[tuple[str, str]]) -> bytes:
    """Atom with (title, RFC 3339 date) entries."""
    body = "".join(f"<entry><id>urn:{i}</id><title>{title}</title><updated>{date}</updated></entry>"
                   for i, (title, date) in enumerate(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><id>urn:f</id>'
            f"<title>Status</title><updated>2026-12-01T00:00:00Z</updated>{body}</feed>").encode()
