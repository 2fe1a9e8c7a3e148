"""The public status page under load: 8 anonymous readers against gunicorn on 127.0.0.1 for a few seconds each.

A fresh database gets two components and one public incident with two updates; then each of /status/,
/status/api/v2/summary.json and /status/history.atom is read as fast as the readers can for --seconds.
Every response carries X-Query-Count (WARROOM_QUERY_COUNT_HEADER): after the first request of each
worker fills the cache, the rest must cost 0 queries. Prints requests/s, p50/p99 and the queries seen
(docs/performance.md, "Public status page"). Bounded: 127.0.0.1 only, at most 30 s per URL.
"""

import argparse
import http.client
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from common import BIN, ROOT, BenchError, percentile, run, stop
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from run import free_port, wait_healthy

DATABASE_URL = os.environ.get("BENCH_STATUS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/warroom_bench_status")
URLS = ["/status/", "/status/api/v2/summary.json", "/status/history.atom"]
TARGET_RATE = 1000  # requests/s, the "1,000 anonymous requests a second"
SEED = """
from django.contrib.auth.models import Group, User
from incidents import services as incidents
from incidents.models import Severity
from status import services
from status.models import Component
commander = User.objects.create_user("bench-commander")
commander.groups.add(Group.objects.get(name="commander"))
checkout = Component.objects.create(name="Checkout", position=1)
Component.objects.create(name="Search", position=2)
incident = incidents.incident_declare(by=commander, title="internal: bench", severity=Severity.objects.get(name="SEV2"))
for status in ("investigating", "identified"):
    services.status_update_post(incident=incident, title="Checkout errors", body="Card payments fail for some users.",
                                impact="major", status=status, components=[checkout], by=commander)
"""


def fresh_database(url: str) -> None:
    params = conninfo_to_dict(url)
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(params["dbname"])))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["dbname"])))


def read(port: int, path: str, until: float, out: dict, lock: threading.Lock) -> None:
    latencies, queries, errors = [], 0, 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.monotonic() < until:
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
        except OSError:
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            errors += 1
        queries += int(response.getheader("X-Query-Count", "0"))
        if response.getheader("Connection", "").lower() == "close" or response.will_close:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.close()
    with lock:
        out["latencies"] += latencies
        out["queries"] += queries
        out["errors"] += errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per URL (at most 30)")
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    args = parser.parse_args()
    seconds = min(args.seconds, 30.0)
    fresh_database(DATABASE_URL)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(40),
               "WARROOM_QUERY_COUNT_HEADER": "true", "ALLOWED_HOSTS": "127.0.0.1",
               "STATIC_ROOT": str(Path(tmp) / "static"), "WARROOM_VAR_DIR": str(Path(tmp) / "var")}
        run(env, str(BIN / "python"), "manage.py", "migrate", "--no-input", "-v", "0")
        run(env, str(BIN / "python"), "manage.py", "collectstatic", "--no-input", "-v", "0")
        run(env, str(BIN / "python"), "manage.py", "shell", "-c", SEED)
        log = (Path(tmp) / "gunicorn.log").open("w")
        server = subprocess.Popen([str(BIN / "gunicorn"), "warroom.wsgi", "-w", str(args.workers), "-k", "gthread",
                                   "--threads", "4", "-b", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_healthy(server, f"http://127.0.0.1:{port}")
            print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, gunicorn gthread -w {args.workers} "
                  f"--threads 4, {args.readers} readers, {seconds:g} s per URL, load average "
                  f"{os.getloadavg()[0]:.1f}")
            print(f"{'path':<30} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'queries':>7} errors")
            for path in URLS:
                out, lock = {"latencies": [], "queries": 0, "errors": 0}, threading.Lock()
                until = time.monotonic() + seconds
                readers = [threading.Thread(target=read, args=(port, path, until, out, lock))
                           for _ in range(args.readers)]
                for t in readers:
                    t.start()
                for t in readers:
                    t.join()
                n = len(out["latencies"])
                if not n:
                    raise BenchError(f"no answer from {path}")
                print(f"{path:<30} {n:>9,} {n / seconds:>7,.0f} {percentile(out['latencies'], 50) * 1000:>7.1f} "
                      f"{percentile(out['latencies'], 99) * 1000:>7.1f} {out['queries']:>7} {out['errors']}")
        finally:
            stop(server, group=True)
    print(f"target: {TARGET_RATE:,} req/s with 0 queries after each worker's first request")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench could not run: {exc}", file=sys.stderr)
        sys.exit(2)
