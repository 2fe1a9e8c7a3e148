"""The diagnostics half of `make bench`: what a check costs its target, and triage's wall time on a real worker.

The targets come from the diagnostics issue: triage runs its checks in parallel, so the bundle takes no longer
than its slowest check + 0.5 s; and a check costs its target one connection and a fixed set of statements.
bench/run.py calls measure() while its gunicorn serves the API. See docs/performance.md, "Diagnostics".
"""

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import redis
from celery import Celery
from common import BIN, ROOT, BenchError, last_json, percentile, stop

BROKER_URL = "redis://127.0.0.1:6379/13"  # the bench's own database: the tests use 14 and 15
CONCURRENCY = 6
WORKER_STARTUP_SECONDS = 30
ROUND_SECONDS = 60  # a round that takes longer means a lost or stuck worker: the bench fails
POLL_SECONDS = 0.02
SLACK_MS = 500  # the target: wall ≤ slowest check + 0.5 s
DEPLOYMENT = "default/bharatcart-api"  # in tests/fixtures/k8s/, which the kmock cluster serves
ENDED = {"succeeded", "failed", "timed_out"}
CHILD = "bench/diagnostics_child.py"


def measure(env: dict, base: str, tmp: Path, rounds: int, check_runs: int) -> dict:
    """Check cost first, while no worker talks to Redis; then triage through the API, one cold round and `rounds`."""
    cost = last_json(env, CHILD, "cost", str(check_runs))
    with kube_cluster() as kube_url:
        scratch = last_json(env, CHILD, "setup", f"{base}/healthz", *([kube_url, DEPLOYMENT] if kube_url else []))
        try:
            with celery_worker(env, tmp / "celery.log"):
                api = Api(base, scratch["token"])
                cold = triage_round(api, scratch["incident"])
                timed = [triage_round(api, scratch["incident"]) for _ in range(rounds)]
        finally:
            cleaned = last_json(env, CHILD, "cleanup")
    return {"cost": cost, "targets": scratch["targets"], "cold": cold, "rounds": timed,
            "commit lag": cleaned["commit lag ms"]}


@contextlib.contextmanager
def kube_cluster():
    """kmock's Kubernetes API in a thread of this process, holding the objects the Kubernetes checks' tests use.

    Yields its URL, or "" (no Kubernetes target) where kmock cannot be loaded.
    """
    sys.path.insert(0, str(ROOT))
    try:
        from tests.kube_server import KubeServer, fixture
    except ImportError as exc:
        print(f"bench: no Kubernetes target: {exc}")
        yield ""
        return
    with KubeServer() as server:
        server.add(fixture("deployment_api.json"), fixture("deployment_web.json"),
                   *fixture("replicasets.json")["items"], *fixture("pods_api.json")["items"],
                   *fixture("pods_web.json")["items"])
        yield server.url


@contextlib.contextmanager
def celery_worker(env: dict, log_path: Path):
    """The Celery worker as production starts it; env's CELERY_BROKER_URL is BROKER_URL. Stopped however we end."""
    with redis.Redis.from_url(BROKER_URL) as broker:
        broker.flushdb()  # purge: whatever a killed run left queued would run first
    log = log_path.open("w")
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "warroom", "worker", "--pool=prefork", f"--concurrency={CONCURRENCY}",
         "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)  # its own process group: Ctrl-C reaches it through us, and a kill reaches its pool
    try:
        wait_ready(worker)
        print(f"bench: Celery worker (pid {worker.pid}, prefork ×{CONCURRENCY}) up; triage")
        yield worker
    except BenchError:
        log.flush()
        print(log_path.read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        stop(worker, group=True)
        log.close()


def wait_ready(worker: subprocess.Popen) -> None:
    """Ping over the broker until the worker answers, it dies, or the deadline passes."""
    pinger = Celery("bench", broker=BROKER_URL)
    try:
        deadline = time.monotonic() + WORKER_STARTUP_SECONDS
        while not pinger.control.ping(timeout=0.5):
            if worker.poll() is not None:
                raise BenchError(f"the Celery worker exited with {worker.returncode} during start-up")
            if time.monotonic() > deadline:
                raise BenchError(f"the Celery worker did not answer a ping within {WORKER_STARTUP_SECONDS} s")
    finally:
        pinger.close()


class Api:
    """Warroom's REST API with the bench user's token, as a script or a chat bot calls it."""

    def __init__(self, base: str, token: str):
        self.base, self.headers = base, {"Authorization": f"Token {token}", "Accept": "application/json"}

    def call(self, path: str, method: str = "GET", expect: int = 200) -> dict:
        data = b"" if method == "POST" else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                status, body = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        except urllib.error.URLError as exc:
            raise BenchError(f"{method} {path}: {exc.reason}") from exc
        if status != expect:
            raise BenchError(f"{method} {path} answered {status}, expected {expect}: {body[:300]!r}")
        return json.loads(body)


def triage_round(api: Api, incident: int) -> dict:
    """POST triage, poll each run until all have ended; time it by the client's clock and by the runs' own."""
    sent = time.perf_counter()
    pending = {run["id"] for run in api.call(f"/api/incidents/{incident}/triage/", "POST", expect=202)["runs"]}
    accepted = time.perf_counter()
    ended, seen, seen_at = [], sent, datetime.now(UTC)
    while pending:
        if time.perf_counter() - sent > ROUND_SECONDS:
            raise BenchError(f"triage runs {sorted(pending)} had not ended after {ROUND_SECONDS} s")
        time.sleep(POLL_SECONDS)
        for pk in sorted(pending):
            run = api.call(f"/api/runs/{pk}/")
            if run["status"] in ENDED:
                pending.discard(pk)
                ended.append(run)
                seen, seen_at = time.perf_counter(), datetime.now(UTC)

    def at(run: dict, key: str) -> datetime:
        return datetime.fromisoformat(run[key])

    runs = [{"check": r["check"], "target": r["target"], "status": r["status"], "verdict": r["verdict"],
             "summary": r["summary"], "ms": ms(at(r, "finished_at") - at(r, "started_at"))} for r in ended]
    first, last = min(at(r, "created_at") for r in ended), max(at(r, "finished_at") for r in ended)
    slowest = max(runs, key=lambda r: r["ms"])
    return {"client": (seen - sent) * 1000, "accepted": (accepted - sent) * 1000, "server": ms(last - first),
            "seen after": ms(seen_at - last),  # the same machine's clock: how late the poll saw the last end
            "last start": ms(max(at(r, "started_at") for r in ended) - first),
            "slowest": slowest["ms"], "slowest check": slowest["check"], "sum": sum(r["ms"] for r in runs),
            "runs": runs}


def ms(delta) -> float:
    return delta.total_seconds() * 1000


def report(figures: dict) -> list[str]:
    """Print the check-cost and triage tables; return the targets missed."""
    return report_cost(figures["cost"]) + report_triage(figures)


def report_cost(cost: dict) -> list[str]:
    missed = []
    statements = "pg_stat_statements" if cost["pg_stat_statements"] else "psycopg's Cursor.execute calls"
    print(f"\nCost on the target: each check run {cost['runs']} times in-process after an untimed one. PostgreSQL: "
          f"sessions from pg_stat_database, statements = {statements}; Redis: INFO stats deltas\n")
    print(f"{'check':<24} {'connections/run':>15} {'statements/run':>14} {'rejected':>8} {'median ms':>9}  "
          f"{'target: 1 connection, fixed':<28} result")
    for c in cost["checks"]:
        low, high = c["statements"]
        ok = c["connections"] == 1 and low == high
        if not ok:
            missed.append(f"{c['check']}: {c['connections']:.2f} connections, {low}–{high} statements per run")
        errors = "–".join(map(str, sorted(set(c["errors"])))) if "errors" in c else ""
        print(f"{c['check']:<24} {c['connections']:>15.2f} {low if low == high else f'{low}–{high}':>14} "
              f"{errors:>8} {c['median_ms']:>9.1f}  {'ok' if ok else 'MISSED':<28} "
              f"{c['verdict']}: {c['summary'][:60]}")
    return missed


def report_triage(figures: dict) -> list[str]:
    rounds, targets = figures["rounds"], figures["targets"]
    checks = sorted({r["check"] for r in figures["cold"]["runs"]})
    print(f"\nTriage through the API: {', '.join(checks)} on {len(targets)} targets ({', '.join(sorted(targets))}): "
          f"{len(figures['cold']['runs'])} runs a round, Celery prefork ×{CONCURRENCY}; "
          f"1 cold round, then {len(rounds)}.\nclient wall: POST sent → last run seen ended, by the client's clock; "
          "202 after: the POST answered; by the runs' timestamps: server wall = first created → last finished, last "
          "start = first created → last started,\nseen after = last finished → the client saw it (polling every "
          f"{POLL_SECONDS * 1000:.0f} ms); slowest and sum of all: the runs' own durations (finished − started)\n")
    keys = ("client", "accepted", "server", "last start", "seen after", "slowest", "sum")
    titles = ("client wall", "202 after", "server wall", "last start", "seen after", "slowest", "sum of all")
    print(f"{'ms':<6} " + " ".join(f"{t:>12}" for t in titles) + f"  wall ≤ slowest + {SLACK_MS}")
    held = 0
    for n, r in [("cold", figures["cold"]), *enumerate(rounds, 1)]:
        ok = r["client"] <= r["slowest"] + SLACK_MS
        held += ok and n != "cold"
        print(f"{n!s:<6} " + " ".join(f"{r[key]:>12.0f}" for key in keys)
              + f"  {'ok' if ok else 'no':<3} (slowest: {r['slowest check']})")
    print("p50    " + " ".join(f"{percentile([r[key] for r in rounds], 50):>12.0f}" for key in keys))
    server = sum(r["server"] <= r["slowest"] + SLACK_MS for r in rounds)
    print(f"\nwall ≤ slowest check + {SLACK_MS} ms: {held} of {len(rounds)} rounds by the client's clock, "
          f"{server} of {len(rounds)} by the runs' timestamps")
    per_check: dict[str, list[float]] = {}
    for r in rounds:
        for run in r["runs"]:
            per_check.setdefault(run["check"], []).append(run["ms"])
    print("each check's own duration, p50 ms: "
          + ", ".join(f"{name} {percentile(values, 50):.0f}" for name, values in sorted(per_check.items())))
    lag = figures["commit lag"]
    if lag:
        print(f"a run's end reached the timeline (and committed) {percentile(lag, 50):.0f} ms after its finished_at "
              f"at p50, {percentile(lag, 95):.0f} ms at p95, {max(lag):.0f} ms at most")
    failed = [run for r in [figures["cold"], *rounds] for run in r["runs"] if run["status"] != "succeeded"]
    print(f"runs that did not succeed: {len(failed)}"
          + "".join(f"\n  {run['check']} on {run['target']}: {run['status']}, {run['summary']}" for run in failed[:5]))
    missed = []
    if held < len(rounds):
        missed.append(f"triage: wall > slowest check + {SLACK_MS} ms in {len(rounds) - held} of {len(rounds)} rounds")
    if failed:
        missed.append(f"triage: {len(failed)} runs did not succeed")
    return missed
