"""http.health against a real local HTTP server: healthy, failing, slow, hanging, redirecting and missing URLs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from diagnostics.checks import REGISTRY, CheckError
from diagnostics.checks.base import CRITICAL, OK, WARN, Result
from targets.models import Target
from tests.serving import serving

RELEASE = threading.Event()  # set at teardown so the hanging handler lets go
LONG_BODY = "ok   \n\n  " + "database: up\t" * 40


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/hang":
            RELEASE.wait(30)  # never answers: the client has long given up
            return None
        if path == "/slow":
            time.sleep(1.2)
            return self.reply(200, "slow but fine")
        if path == "/redirect":
            return self.reply(302, "", location="/ok")
        if path == "/loop":
            return self.reply(302, "", location="/loop")
        replies = {"/ok": (200, LONG_BODY), "/down": (503, "<h1>Service   Unavailable</h1>\n  db pool exhausted"),
                   "/missing": (404, "not found")}
        self.reply(*replies.get(path, (404, "no such page")))

    def reply(self, status: int, body: str, location: str | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def server() -> Iterator[str]:
    RELEASE.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    with serving(httpd, release=RELEASE):
        yield f"http://127.0.0.1:{httpd.server_address[1]}"


def web(urls: list[str], timeout: int = 2) -> Target:
    return Target(kind="http", url=urls[0], extra_urls="\n".join(urls[1:]), timeout_seconds=timeout)


def run(target: Target) -> Result:
    check = REGISTRY["http.health"]
    return check.run(target, check.clean_params({}))


def rows_by_url(result: Result) -> dict[str, dict[str, Any]]:
    return {row[0]: dict(zip(result.columns, row, strict=True)) for row in result.rows}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_each_url_gets_a_row_and_the_worst_verdict_wins(server):
    paths = ["/ok", "/down", "/slow", "/hang", "/missing", "/redirect", "/loop"]
    start = time.monotonic()
    result = run(web([server + p for p in paths], timeout=2))
    elapsed = time.monotonic() - start

    assert elapsed < 3  # URLs are probed in parallel, each within the timeout
    assert result.columns == ["url", "status", "latency ms", "verdict", "body excerpt", "note"]
    assert [row[0] for row in result.rows] == [server + p for p in paths]
    rows = {url.removeprefix(server): row for url, row in rows_by_url(result).items()}

    ok = rows["/ok"]
    assert (ok["status"], ok["verdict"], ok["note"]) == (200, OK, "")
    assert ok["body excerpt"].startswith("ok database: up database: up") and len(ok["body excerpt"]) == 200
    assert 0 <= ok["latency ms"] < 1000

    assert (rows["/down"]["status"], rows["/down"]["verdict"]) == (503, CRITICAL)
    assert rows["/down"]["body excerpt"] == "<h1>Service Unavailable</h1> db pool exhausted"

    assert (rows["/slow"]["status"], rows["/slow"]["verdict"]) == (200, WARN)
    assert rows["/slow"]["latency ms"] >= 1000 and "slow" in rows["/slow"]["note"]

    assert (rows["/hang"]["status"], rows["/hang"]["verdict"]) == (None, CRITICAL)
    assert rows["/hang"]["note"] == "no response within 2 s"

    assert (rows["/missing"]["status"], rows["/missing"]["verdict"]) == (404, WARN)

    assert (rows["/redirect"]["status"], rows["/redirect"]["verdict"]) == (200, OK)
    assert rows["/redirect"]["note"] == f"after 1 redirect to {server}/ok"

    assert (rows["/loop"]["status"], rows["/loop"]["verdict"]) == (302, WARN)
    assert rows["/loop"]["note"] == "still redirecting after 3 redirects"

    assert result.verdict == CRITICAL
    assert result.summary == f"7 URLs: 2 ok, 3 warn, 2 critical; {server}/down: 503"


def test_a_healthy_url_is_ok(server):
    result = run(web([server + "/ok"]))
    assert result.verdict == OK
    assert result.summary == "1 URL: 1 ok"


def test_a_slow_url_is_a_warning(server):
    result = run(web([server + "/ok", server + "/slow"], timeout=3))
    assert result.verdict == WARN
    assert result.summary.startswith(f"2 URLs: 1 ok, 1 warn; {server}/slow: 200, slow: ")


def test_one_unreachable_url_among_several_is_a_critical_row(server):
    dead = f"http://127.0.0.1:{closed_port()}/health"
    result = run(web([server + "/ok", dead]))
    assert result.verdict == CRITICAL
    row = rows_by_url(result)[dead]
    assert (row["status"], row["verdict"], row["note"]) == (None, CRITICAL, "connection refused")


def test_every_url_unreachable_is_a_check_error(server):
    dead = f"http://127.0.0.1:{closed_port()}/health"
    start = time.monotonic()
    with pytest.raises(CheckError, match="unreachable") as raised:
        run(web([dead, server + "/hang"], timeout=1))
    assert time.monotonic() - start < 2
    message = str(raised.value)
    assert dead in message and "connection refused" in message and "no response within 1 s" in message


def test_a_single_down_url_is_a_check_error():
    dead = f"http://127.0.0.1:{closed_port()}/health"
    with pytest.raises(CheckError, match=f"{dead} unreachable: {dead}: connection refused"):
        run(web([dead]))


def test_passwords_in_health_urls_are_masked(server):
    port = server.rsplit(":", 1)[1]
    result = run(web([server + "/ok", f"http://probe:hunter2@127.0.0.1:{port}/ok"]))
    assert f"http://probe:****@127.0.0.1:{port}/ok" in rows_by_url(result)
    assert "hunter2" not in str(result)


def test_a_non_http_url_is_a_critical_row(server):
    result = run(web([server + "/ok", "ftp://127.0.0.1/health"]))
    row = rows_by_url(result)["ftp://127.0.0.1/health"]
    assert (row["verdict"], row["note"]) == (CRITICAL, "not an http(s) URL")
