"""PostgreSQL unreachable: a real web server (uvicorn, as production runs it) whose database connections go through a
proxy the test cuts answers a clear 503 — a page, JSON under /api/, and /healthz naming the database — within a couple
of seconds, and serves again once the database is back, without a restart."""

from __future__ import annotations

import http.client
import json
import time

import pytest

from tests import workers
from tests.live_servers import session_cookie, start_server
from tests.reliability.pg_proxy import PgProxy
from tests.workers import poll

pytestmark = pytest.mark.django_db(transaction=True)

SENTENCE = "Warroom cannot reach its database right now"


def get(port: int, path: str, session: str) -> tuple[int, http.client.HTTPMessage, str, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    conn.request("GET", path, headers={"Cookie": f"sessionid={session}", "Accept": "text/html"})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, response.headers, body, time.monotonic() - started


def test_an_unreachable_database_is_a_clear_503_and_the_server_recovers_by_itself(
        commander, static_root, tmp_path):
    session = session_cookie(commander)
    proxy = PgProxy()
    proxy.start()
    server = start_server(tmp_path, static_root, DATABASE_URL=proxy.url(workers.test_database_url()))
    try:
        port = server.port
        assert get(port, "/", session)[0] == 200  # and its connection is kept (CONN_MAX_AGE) through the proxy
        proxy.cut()

        status, headers, body, took = get(port, "/", session)
        assert status == 503 and took < 4, (status, took)
        assert SENTENCE in body and "retry" in body and "Traceback" not in body and "<h1>" in body
        assert headers["Retry-After"] == "10"

        status, headers, body, took = get(port, "/api/incidents/", session)
        assert status == 503 and took < 4 and headers["Content-Type"].startswith("application/json")
        assert json.loads(body) == {"detail": json.loads(body)["detail"], "errors": {}}
        assert json.loads(body)["detail"].startswith(SENTENCE)

        status, _, body, took = get(port, "/healthz", session)
        assert status == 503 and took < 4
        assert json.loads(body)["database"] == "unreachable" and json.loads(body)["status"] == "unavailable"

        proxy.start()  # the database is back: the same process serves again
        poll(lambda: get(port, "/", session)[0] == 200, timeout=15, interval=0.5, what="recovery")
        assert get(port, "/api/incidents/", session)[0] == 200
        assert json.loads(get(port, "/healthz", session)[2])["database"] == "ok"
        assert server.process.poll() is None
    finally:
        server.stop()
        proxy.cut()
