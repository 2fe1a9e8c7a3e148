"""Live pages at scale (issue 14): 1,000 open incident pages on one SEV1 and 100 dashboards while a commander works.

    .venv/bin/python bench/live.py [--watchers 1000] [--dashboards 100] [--changes 100] [--idle 30]

On the bench database (bench/run.py seeds it): uvicorn with 2 workers and Redis pub/sub, a new SEV1 declared
through the API. First the commander's actions (acknowledge, then notes, and a transition every tenth change) and
page loads are timed with nobody watching; then WATCHERS + DASHBOARDS raw Server-Sent Events clients connect
(bench/live_watchers.py, to 127.0.0.1, bounded by count and by a hard time limit), the server idles for 10 s
(CPU, PostgreSQL transactions), and CHANGES changes are made through the API, each followed by a page load of
the incident page and of the dashboard. A headless Chromium watches the incident page: propagation is from
sending the API request to the page showing the new version (its <div id="live" data-version>, swapped in with
the rest of the page). See docs/performance.md.
"""

import argparse
import contextlib
import json
import os
import re
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg
from common import BIN, ROOT, BenchError, percentile, run, stop
from run import DATABASE_URL, Browser, children, ensure_database, free_port, machine, only_run, prepare

BROKER_URL = "redis://127.0.0.1:6379/11"
WORKERS = 2
DEADLINE_SECONDS = 600  # the whole load's hard bound


def api(base: str, token: str, method: str, path: str, body: dict | None = None) -> tuple[dict, float]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.loads(response.read() or b"{}")
    return payload, (time.perf_counter() - started) * 1000


def rss_kib(master: int) -> float:
    total = 0
    for pid in children(master):
        with contextlib.suppress(OSError):
            found = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
            total += int(found.group(1)) if found else 0
    return total


def cpu(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(stat[11]) + int(stat[12])
    return total / os.sysconf("SC_CLK_TCK")


def transactions() -> int:
    with psycopg.connect(DATABASE_URL) as conn:
        return conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                            "WHERE datname = current_database()").fetchone()[0]


class Commander:
    """The one person acting: acknowledge first, then notes, a transition every tenth change."""

    def __init__(self, base: str, token: str, pk: int):
        self.base, self.token, self.pk, self.n, self.status = base, token, pk, 0, "detected"

    def act(self) -> tuple[str, float]:
        self.n += 1
        path = f"/api/incidents/{self.pk}"
        if self.status == "detected":
            self.status = "triage"
            return "acknowledge", api(self.base, self.token, "POST", f"{path}/acknowledge/")[1]
        if self.n % 10 == 0:
            self.status = {"triage": "investigating", "investigating": "mitigating",
                           "mitigating": "investigating"}[self.status]
            return "transition", api(self.base, self.token, "POST", f"{path}/transition/",
                                     {"status": self.status, "reason": ""})[1]
        return "note", api(self.base, self.token, "POST", f"{path}/timeline/", {"text": f"bench change {self.n}"})[1]


def pages(browser: Browser, pk: int) -> dict[str, float]:
    timed = {}
    for name, path in (("incident page", f"/incidents/{pk}/"), ("dashboard", "/")):
        response = browser.get(path)
        if response.status != 200:
            raise BenchError(f"GET {path} answered {response.status}")
        timed[name] = response.ms
    return timed


WATCH_JS = """() => {
  window.__seen = {};
  const note = () => { const el = document.getElementById('live');
    if (el && !(el.dataset.version in window.__seen)) window.__seen[el.dataset.version] = Date.now(); };
  new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
  note();
}"""


def measure(args, tmp: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(40),
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_COOKIES": "false", "STATIC_ROOT": str(tmp / "static"),
           "WARROOM_VAR_DIR": str(tmp / "var"), "CELERY_BROKER_URL": BROKER_URL}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    password = secrets.token_urlsafe(16)
    seeded = prepare(env, password, reseed=False)
    token = re.search(r"Generated token (\w+)", run(env, str(BIN / "python"), "manage.py", "drf_create_token", "-r",
                                                    seeded["username"])).group(1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp / "uvicorn.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "python"), "-m", "uvicorn", "warroom.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(WORKERS), "--no-access-log", "--timeout-graceful-shutdown", "3"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    watchers = None
    pk = None
    figures: dict = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(base + "/healthz", timeout=2).status == 200:
                    break
            if server.poll() is not None:
                raise BenchError("uvicorn exited during start-up")
            time.sleep(0.2)
        else:
            raise BenchError("uvicorn did not answer /healthz within 60 s")
        browser = Browser(base)
        browser.log_in(seeded["username"], password)
        session = _session_of(browser)
        declared, _ = api(base, token, "POST", "/api/incidents/", {
            "title": "Checkout down for everyone (bench)", "severity": "SEV1", "source": "monitoring_alert"})
        pk = declared["id"]
        commander = Commander(base, token, pk)

        # Idle: nobody watching.
        idle = {"acknowledge": [], "note": [], "transition": [], "incident page": [], "dashboard": []}
        for _ in range(args.idle):
            kind, ms = commander.act()
            idle[kind].append(ms)
            for name, page_ms in pages(browser, pk).items():
                idle[name].append(page_ms)
        figures["idle"] = idle

        # Chromium on the incident page, then the crowd.
        from playwright.sync_api import sync_playwright
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            context = chromium.new_context()
            context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
            page = context.new_page()
            page.goto(f"{base}/incidents/{pk}/")
            page.wait_for_function("document.documentElement.dataset.live === 'stream'", timeout=20000)
            page.evaluate(WATCH_JS)

            rss_before = rss_kib(server.pid)
            out = tmp / "watchers.json"
            watchers = subprocess.Popen(
                [str(BIN / "python"), str(ROOT / "bench" / "live_watchers.py"), str(port), session, str(pk),
                 str(args.watchers), str(args.dashboards), str(DEADLINE_SECONDS), str(out)],
                stdout=subprocess.PIPE, text=True, cwd=ROOT)
            started = time.monotonic()
            line = watchers.stdout.readline()
            if not line.startswith("connected"):
                raise BenchError(f"the watchers did not all connect: {line!r}")
            figures["connect_seconds"] = time.monotonic() - started
            time.sleep(2)  # let the last connections' set-up settle before measuring idle
            pids = children(server.pid)
            figures["rss_kib"] = (rss_before, rss_kib(server.pid))
            cpu0, tx0, t0 = cpu(pids), transactions(), time.monotonic()
            time.sleep(args.idle_seconds)
            figures["idle_cpu"] = (cpu(pids) - cpu0) / (time.monotonic() - t0)
            figures["idle_tx_per_s"] = (transactions() - tx0 - 1) / (time.monotonic() - t0)

            loaded = {"acknowledge": [], "note": [], "transition": [], "incident page": [], "dashboard": []}
            sent: dict[int, float] = {}
            version = api(base, token, "GET", f"/api/incidents/{pk}/")[0]["version"]
            chromium_ms = []
            for _ in range(args.changes):
                sent_at = time.time()
                kind, ms = commander.act()
                version += 1
                sent[version] = sent_at
                loaded[kind].append(ms)
                page.wait_for_function(f"String({version}) in window.__seen", timeout=10000)
                chromium_ms.append(page.evaluate(f"window.__seen[{version}]") - sent_at * 1000)
                for name, page_ms in pages(browser, pk).items():
                    loaded[name].append(page_ms)
            figures["loaded"], figures["chromium_ms"] = loaded, chromium_ms
            time.sleep(1)
            watchers.send_signal(signal.SIGTERM)
            watchers.wait(timeout=30)
            crowd = json.loads(out.read_text())
            lags = [(t - sent[int(v)]) * 1000 for v, times in crowd["received"].items() if int(v) in sent
                    for t in times]
            figures["crowd"] = {k: crowd[k] for k in ("connected", "failed", "ended", "ends", "dashboard_events")}
            log.flush()
            figures["log"] = [line for line in (tmp / "uvicorn.log").read_text().splitlines()
                              if "live:" in line or "Error" in line][-10:]
            figures["crowd_ms"] = lags
            figures["crowd_expected"] = args.watchers * args.changes
            chromium.close()
        return figures
    except BenchError:
        log.flush()
        print((tmp / "uvicorn.log").read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        if watchers is not None and watchers.poll() is None:
            watchers.kill()
        stop(server, group=True)
        log.close()
        run(env, str(BIN / "python"), "manage.py", "shell", "-c", CLEANUP.format(pk=pk, user=seeded["username"]))


# The bench's own SEV1 goes, so that bench/run.py's seeded counts stay right. Timelines are append-only (a
# trigger); this is the bench's scratch data in its own database, as bench/diagnostics_child.py does.
CLEANUP = """
from django.db import connection
from incidents.models import Entry, Incident
from rest_framework.authtoken.models import Token
pk = {pk!r}
if pk is not None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE incidents_entry DISABLE TRIGGER incidents_entry_append_only")
        Entry.objects.filter(incident_id=pk).delete()
        cursor.execute("ALTER TABLE incidents_entry ENABLE TRIGGER incidents_entry_append_only")
    Incident.objects.filter(pk=pk).delete()
Token.objects.filter(user__username={user!r}).delete()
"""


def _session_of(browser: Browser) -> str:
    for handler in browser.opener.handlers:
        jar = getattr(handler, "cookiejar", None)
        if jar is not None:
            for cookie in jar:
                if cookie.name == "sessionid":
                    return cookie.value
    raise BenchError("no session cookie after logging in")


def show(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<24} {'—':>8}"
    p50, p95 = percentile(values, 50), percentile(values, 95)
    return f"{name:<24} {p50:>8.1f} {p95:>8.1f} {max(values):>8.1f} {len(values):>6}"


def report(f: dict, args) -> None:
    print(f"\nlive pages: uvicorn --workers {WORKERS}, {args.watchers} incident watchers + {args.dashboards} "
          f"dashboards (raw SSE), 1 headless Chromium\n")
    print(f"{'ms':<24} {'p50':>8} {'p95':>8} {'max':>8} {'n':>6}")
    for phase in ("idle", "loaded"):
        for kind, values in f[phase].items():
            print(show(f"{kind}, {phase}", values))
    print(show("propagation, Chromium", f["chromium_ms"]))
    print(show("propagation, SSE crowd", f["crowd_ms"]))
    c = f["crowd"]
    print(f"\ncrowd: {c['connected']} connected in {f['connect_seconds']:.1f} s, {c['failed']} failed, {c['ended']} "
          f"ended early; {len(f['crowd_ms'])} of {f['crowd_expected']} version events received; "
          f"{c['dashboard_events']} dashboard events; ended: {c['ends']}")
    for line in f["log"]:
        print(f"  uvicorn: {line}")
    before, after = f["rss_kib"]
    connections = args.watchers + args.dashboards
    print(f"web workers' RSS: {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB with {connections} open: "
          f"{(after - before) / connections:.1f} KiB a connection")
    print(f"idle with everyone connected ({args.idle_seconds} s): {f['idle_cpu']:.3f} CPUs in the web workers, "
          f"{f['idle_tx_per_s']:.1f} PostgreSQL transactions/s (the streams' permission re-checks)")
    for kind in ("note", "incident page", "dashboard"):
        idle, loaded = f["idle"][kind], f["loaded"][kind]
        if idle and loaded:
            ratio = percentile(loaded, 95) / percentile(idle, 95)
            print(f"{kind}: p95 loaded / idle = {ratio:.2f}  target ≤ 2  {'ok' if ratio <= 2 else 'MISSED'}")
    for name in ("chromium_ms", "crowd_ms"):
        if f[name]:
            p95 = percentile(f[name], 95)
            print(f"{name}: p95 {p95:.0f} ms  target ≤ 1000  {'ok' if p95 <= 1000 else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--dashboards", type=int, default=100)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--idle", type=int, default=30, help="changes and page loads timed before anyone watches")
    parser.add_argument("--idle-seconds", type=int, default=10, help="seconds everyone stays connected, idle")
    args = parser.parse_args()
    if not (0 < args.watchers <= 5000 and 0 <= args.dashboards <= 1000 and 0 < args.changes <= 1000):
        parser.error("bounded: 1–5000 watchers, 0–1000 dashboards, 1–1000 changes")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))  # inherited by uvicorn
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with tempfile.TemporaryDirectory(prefix="warroom-bench-live-") as tmp:
            ensure_database(DATABASE_URL)
            with only_run(DATABASE_URL):
                figures = measure(args, Path(tmp))
    except BenchError as exc:
        print(f"bench: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; uvicorn and the watchers stopped", file=sys.stderr)
        return 130
    report(figures, args)
    print(f"\nmachine: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
