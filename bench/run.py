"""`make bench`: time Warroom's pages as production serves them, against 10,000 past incidents.

Creates and migrates a dedicated PostgreSQL database, seeds it (bench/seed.py),
starts gunicorn with DEBUG off and collected static files, logs in as a
commander and times sequential requests. Prints p50/p95 latency, SQL queries
per request and the workers' memory against the targets. Then the diagnostics
(bench/diagnostics_bench.py): what each check costs its target, and triage's
wall time on a real Celery worker. Missing a target is reported, not fatal:
the exit status says only whether the bench could run. See docs/performance.md.
"""

import argparse
import contextlib
import datetime as dt
import html
import http.cookiejar
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import diagnostics_bench
import gunicorn.config
import psycopg
from common import BIN, ROOT, BenchError, last_json, percentile, run, stop
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/warroom_bench")
HISTORY = "/incidents/history/?severity=SEV2&status=resolved&page=3"
LIBRARY = "/postmortems/?page=3"
SEARCH = "/postmortems/?q=connection+pool"  # one post-mortem in twenty is about it (bench/seed_postmortems.py)
P95_TARGET_MS = {"dashboard": 50, "incident page": 80, "history": 80, "post-mortems": 80, "post-mortem search": 80}
P95_TARGET_MS["metrics, two years"] = 150  # post-mortems: metrics (issue 9)
RSS_TARGET_MIB = 150
STARTUP_SECONDS = 30
BUSY_CPUS = 0.4  # a quiet machine shows 0.2–0.3: PostgreSQL answering the bench, and the kernel
LOCK_KEY = 0x5741_5252  # pg_try_advisory_lock key: "WARR"


@dataclass
class Response:
    status: int
    ms: float
    queries: int | None
    body: str


class Browser:
    """A logged-in session without a browser: a cookie jar, the login form's CSRF token, no redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)

    def get(self, path: str, form: dict | None = None) -> Response:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data), timeout=30) as resp:
                status, headers, body = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:  # 3xx/4xx/5xx: still a measurement
            status, headers, body = exc.code, exc.headers, exc.read()
        except urllib.error.URLError as exc:
            raise BenchError(f"GET {path}: {exc.reason}") from exc
        ms = (time.perf_counter() - started) * 1000
        count = headers.get("X-Query-Count")
        return Response(status, ms, int(count) if count else None, body.decode(errors="replace"))

    def log_in(self, username: str, password: str) -> None:
        page = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if page.status != 200 or not token:
            raise BenchError(f"/accounts/login/ answered {page.status} without a CSRF token")
        done = self.get("/accounts/login/", {"username": username, "password": password,
                                             "csrfmiddlewaretoken": token.group(1), "next": "/"})
        if done.status != 302:
            raise BenchError(f"logging in as {username} failed: {done.status} (expected a redirect)")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect (e.g. to the login page) must show up as such, not as the page it leads to."""

    def redirect_request(self, *args, **kwargs):
        return None


def live_url(browser: Browser, path: str) -> str:
    """The page's idle poll, as htmx finds it: the hx-get of <div id="live">."""
    page = browser.get(path)
    if page.status != 200:
        raise BenchError(f"GET {path} answered {page.status}")
    found = re.search(r'<div id="live"[^>]*?\shx-get="([^"]+)"', page.body)
    if not found:
        raise BenchError(f'GET {path}: no <div id="live" hx-get=…> in the page')
    return html.unescape(found.group(1))


def ensure_database(url: str) -> None:
    params = conninfo_to_dict(url)
    name = params["dbname"]
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"bench: created database {name}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(server: subprocess.Popen, base: str) -> None:
    """Poll /healthz until it answers 200, gunicorn dies, or the deadline passes."""
    deadline = time.monotonic() + STARTUP_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited with {server.returncode} during start-up")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError as exc:  # refused while booting, or an HTTPError such as a 500
            last = str(exc)
        time.sleep(0.1)
    raise BenchError(f"/healthz did not answer 200 within {STARTUP_SECONDS} s (last: {last})")


def children(parent: int) -> list[int]:
    """The processes whose parent is `parent`: gunicorn's workers."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):  # the process ended while we looked
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
    return found


def worker_rss(master: int) -> dict[int, float]:
    """VmRSS in MiB of each gunicorn worker."""
    rss = {}
    for pid in children(master):
        with contextlib.suppress(OSError):
            found = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
            if found:
                rss[pid] = int(found.group(1)) / 1024
    return rss


def cpu_seconds(master: int) -> tuple[float, float]:
    """CPU time used so far by the whole machine, and by the bench itself (this client, gunicorn and its workers)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    machine = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
    ours = 0
    for pid in [os.getpid(), master, *children(master)]:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ours += int(stat[11]) + int(stat[12])  # utime, stime
    tick = os.sysconf("SC_CLK_TCK")
    return machine / tick, ours / tick


def measure(browser: Browser, pages: dict[str, tuple[str, int]], warmup: int, count: int) -> dict[str, dict]:
    """Sequential requests, round-robin over the pages, so that a slow spell of the machine hits all of them alike."""
    samples: dict[str, list[Response]] = {name: [] for name in pages}
    for n in range(warmup + count):
        for name, (path, _) in pages.items():
            response = browser.get(path)
            if n >= warmup:
                samples[name].append(response)
    return {name: summarize(path, expect, samples[name]) for name, (path, expect) in pages.items()}


def summarize(path: str, expect: int, samples: list[Response]) -> dict:
    wrong = [s.status for s in samples if s.status != expect]
    if wrong:
        raise BenchError(f"{path} answered {wrong[0]} ({len(wrong)} of {len(samples)} requests), expected {expect}")
    counts = [s.queries for s in samples if s.queries is not None]
    if not counts:
        raise BenchError(f"{path} sent no X-Query-Count header (is WARROOM_QUERY_COUNT_HEADER honoured?)")
    low, high = min(counts), max(counts)
    ms = [s.ms for s in samples]
    return {"path": path, "status": expect, "p50": percentile(ms, 50), "p95": percentile(ms, 95),
            "queries": str(low) if low == high else f"{low}–{high}", "kb": len(samples[-1].body.encode()) / 1024}


def report(results: dict[str, dict], rss: dict[int, float], args) -> list[str]:
    """Print the table; return the targets missed."""
    missed = []
    print(f"\n{args.requests} sequential requests per page (round-robin) after {args.warmup} warm-up rounds; "
          "gunicorn -w 2, DEBUG off, PostgreSQL on loopback\n")
    print(f"{'page':<22} {'path':<58} {'status':>6} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'KiB':>6}  target")
    for name, r in results.items():
        target = P95_TARGET_MS.get(name)
        verdict = ""
        if target is not None:
            ok = r["p95"] <= target
            verdict = f"p95 ≤ {target} ms  {'ok' if ok else 'MISSED'}"
            if not ok:
                missed.append(f"{name}: p95 {r['p95']:.1f} ms > {target} ms")
        print(f"{name:<22} {r['path'][:58]:<58} {r['status']:>6} {r['p50']:>7.1f} {r['p95']:>7.1f} "
              f"{r['queries']:>7} {r['kb']:>6.1f}  {verdict}")
    print()
    for pid, mib in sorted(rss.items()):
        ok = mib <= RSS_TARGET_MIB
        verdict = "ok" if ok else "MISSED"
        print(f"gunicorn worker {pid}: VmRSS {mib:6.1f} MiB   target ≤ {RSS_TARGET_MIB} MiB  {verdict}")
        if not ok:
            missed.append(f"worker {pid}: RSS {mib:.1f} MiB > {RSS_TARGET_MIB} MiB")
    if len(rss) != 2:
        missed.append(f"expected 2 gunicorn workers, found {len(rss)}")
    return missed


@contextlib.contextmanager
def only_run(url: str):
    """Refuse to run beside another bench: it would share the CPUs and reset the bench user's password."""
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]:
            raise BenchError("another bench run is using the bench database")
        yield


def bench(args, tmp: Path) -> dict:
    ensure_database(DATABASE_URL)
    with only_run(DATABASE_URL):
        return serve_and_measure(args, tmp)


def prepare(env: dict, password: str, reseed: bool) -> dict:
    """Migrate, seed if the counts are wrong, collect static files: what a deployment does before it serves."""
    run(env, str(BIN / "python"), "manage.py", "migrate", "--no-input", "-v", "0")
    seed_env = {**env, "BENCH_PASSWORD": password, "BENCH_RESEED": "1" if reseed else "0"}
    seeded = last_json(seed_env, "bench/seed.py")
    print(f"bench: {'seeded' if seeded['seeded'] else 'seed data already there,'} 10,000 resolved + 20 open "
          f"incidents, {seeded['entries']:,} timeline entries, {seeded['postmortems']:,} post-mortems "
          f"({seeded['seconds']} s)")
    run(env, str(BIN / "python"), "manage.py", "collectstatic", "--no-input", "-v", "0")
    return seeded


def serve_and_measure(args, tmp: Path) -> dict:
    """The pages, then the diagnostics (whose API and HTTP target this gunicorn serves): whichever `--only` keeps."""
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(40),
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_COOKIES": "false", "WARROOM_QUERY_COUNT_HEADER": "true",
           "STATIC_ROOT": str(tmp / "static"), "WARROOM_VAR_DIR": str(tmp / "var"),
           "CELERY_BROKER_URL": diagnostics_bench.BROKER_URL}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # always warroom.settings, whatever the shell says
    password = secrets.token_urlsafe(16)
    seeded = prepare(env, password, args.reseed)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp / "gunicorn.log").open("w")
    command = [str(BIN / "gunicorn"), "warroom.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"]
    if "control_socket_disable" in gunicorn.config.Config().settings:
        command.append("--no-control-socket")  # gunicorn ≥ 25.1 would otherwise share ~/.gunicorn/gunicorn.ctl
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    figures = {}
    try:
        wait_healthy(server, base)
        print(f"bench: gunicorn (pid {server.pid}) up on {base}; measuring")
        if args.only != "diagnostics":
            figures["pages"] = measure_pages(args, server, base, seeded, password)
        if args.only != "pages":
            figures["diagnostics"] = diagnostics_bench.measure(env, base, tmp, args.rounds, args.check_runs)
        return figures
    except BenchError:
        log.flush()
        print((tmp / "gunicorn.log").read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        stop(server)
        log.close()


def metrics_url(today: dt.date) -> str:
    """The metrics page over the two years up to today: about 7,300 of the seeded incidents."""
    return f"/postmortems/metrics/?from={today - dt.timedelta(days=730)}&to={today}"


def measure_pages(args, server: subprocess.Popen, base: str, seeded: dict, password: str) -> tuple:
    """Latency and queries per page, then the workers' memory, then how busy the rest of the machine was."""
    browser = Browser(base)
    browser.log_in(seeded["username"], password)
    incident = f"/incidents/{seeded['incident']}/"
    pages = {
        "dashboard": ("/", 200),
        "incident page": (incident, 200),
        "history": (HISTORY, 200),
        "post-mortems": (LIBRARY, 200),
        "post-mortem search": (SEARCH, 200),
        "metrics, two years": (metrics_url(dt.datetime.now(dt.UTC).date()), 200),
        "dashboard poll, idle": (live_url(browser, "/"), 204),
        "incident poll, idle": (live_url(browser, incident), 204),
        "healthz": ("/healthz", 200),
    }
    started, (machine, ours) = time.monotonic(), cpu_seconds(server.pid)
    results = measure(browser, pages, args.warmup, args.requests)
    machine_after, ours_after = cpu_seconds(server.pid)
    # Other processes busy during the run (PostgreSQL answering our queries included) make figures noisy.
    elsewhere = (machine_after - machine - (ours_after - ours)) / (time.monotonic() - started)
    return results, worker_rss(server.pid), elsewhere


def machine() -> str:
    """What the figures depend on, for docs/performance.md."""
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    memory = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    with psycopg.connect(DATABASE_URL) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    return (f"{os.cpu_count()} CPUs ({cpu.group(1) if cpu else 'unknown model'}), "
            f"{int(memory.group(1)) / 1024**2:.1f} GiB RAM, {platform.platform()}, "
            f"Python {platform.python_version()}, PostgreSQL {version.split()[0]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first (default 20)")
    parser.add_argument("--reseed", action="store_true", help="reseed even if the counts look right")
    parser.add_argument("--only", choices=["pages", "diagnostics"], help="measure only these (default: both)")
    parser.add_argument("--rounds", type=int, default=10, help="timed triage rounds (default 10)")
    parser.add_argument("--check-runs", type=int, default=20, help="runs of each check for its cost (default 20)")
    args = parser.parse_args()
    if args.requests < 1 or args.warmup < 0 or args.rounds < 1 or args.check_runs < 1:
        parser.error("--requests, --rounds and --check-runs must be at least 1, --warmup at least 0")
    # `kill` as well as Ctrl-C unwinds through the finally blocks that stop gunicorn and the Celery worker.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
            figures = bench(args, Path(tmp))
    except BenchError as exc:
        print(f"bench: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; gunicorn and the Celery worker stopped", file=sys.stderr)
        return 130
    missed = []
    if "pages" in figures:
        results, rss, elsewhere = figures["pages"]
        missed += report(results, rss, args)
    if "diagnostics" in figures:
        missed += diagnostics_bench.report(figures["diagnostics"])
    print(f"\nmachine: {machine()}")
    if "pages" in figures:
        print(f"CPU used outside the bench and gunicorn during the pages (PostgreSQL included): {elsewhere:.2f} CPUs")
        if elsewhere > BUSY_CPUS:
            print(f"WARNING: more than {BUSY_CPUS} CPUs busy elsewhere: the figures are not reliable. Rerun.")
    if missed:
        print("\nMISSED targets:\n  " + "\n  ".join(missed))
    else:
        print("\nAll targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
