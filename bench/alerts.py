"""`make bench` (alerts): 8 concurrent senders post Alertmanager webhooks to gunicorn on PostgreSQL for 30 s.

Each payload carries 10 alerts; the mix is new groups (half critical, which open incidents; half warnings,
recorded only), repeats of firing groups, and resolutions. Senders work in pairs on the same groups, so
one group's deliveries really do arrive at once. Afterwards the database must hold exactly the alerts sent
(by fingerprint and start), resolved where a resolution was sent, and one incident per critical group.
Prints alerts/s accepted and p50/p99 latency against the targets (docs/performance.md, "Alerts").
"""

import argparse
import hashlib
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import gunicorn.config
import psycopg
from common import BIN, ROOT, BenchError, percentile, run, stop
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from run import cpu_seconds, free_port, wait_healthy

DATABASE_URL = os.environ.get("BENCH_ALERTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/warroom_bench_alerts")
SENDERS = 8
ALERTS_PER_PAYLOAD = 10
WORKERS = 4
TARGET_RATE = 1000  # alerts/s accepted
TARGET_P99_MS = 250
# Of every 10 payloads a sender posts: 3 open new groups, 5 repeat a firing group, 2 resolve one.
MIX = ["new", "repeat", "new", "repeat", "resolve", "new", "repeat", "repeat", "resolve", "repeat"]


def fresh_database(url: str) -> None:
    """A new, empty database each run: the counts afterwards are the run's alone."""
    params = conninfo_to_dict(url)
    name = params["dbname"]
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def alert(group: str, n: int, status: str, severity: str) -> dict:
    return {
        "status": status,
        "labels": {"alertname": f"Bench{group}", "severity": severity, "service": "checkout",
                   "instance": f"api-{n}:9090", "group": group},
        "annotations": {"summary": f"Bench alert {group}/{n}", "description": "5xx above 5% for 5 minutes",
                        "runbook_url": "https://runbooks.example.com/bench"},
        "startsAt": "2026-12-01T20:00:00Z",
        "endsAt": "2026-12-01T20:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
        "fingerprint": hashlib.sha256(f"{group}/{n}".encode()).hexdigest()[:16],
    }


def payload(group: str, status: str, severity: str) -> bytes:
    return json.dumps({
        "version": "4", "groupKey": f'{{}}:{{group="{group}"}}', "truncatedAlerts": 0, "status": status,
        "receiver": "warroom", "groupLabels": {"group": group}, "commonLabels": {"group": group},
        "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": [alert(group, n, status, severity) for n in range(ALERTS_PER_PAYLOAD)],
    }).encode()


class Sender(threading.Thread):
    """Posts until the deadline; the pair (0, 1), (2, 3) … walk the same groups, in the same order."""

    def __init__(self, index: int, port: int, token: str, deadline: float, record: dict):
        super().__init__(daemon=True)
        self.index, self.port, self.token, self.deadline, self.record = index, port, token, deadline, record
        self.latencies: list[float] = []
        self.accepted_alerts = 0
        self.errors: list[str] = []

    def post(self, body: bytes) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.perf_counter()
        try:
            connection.request("POST", "/api/alerts/alertmanager/", body,
                               {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
            response = connection.getresponse()
            text = response.read()
        finally:
            connection.close()
        self.latencies.append((time.perf_counter() - started) * 1000)
        if response.status == 200:
            self.accepted_alerts += ALERTS_PER_PAYLOAD
        elif len(self.errors) < 5:
            self.errors.append(f"{response.status}: {text[:200]!r}")

    def run(self) -> None:
        pair = self.index // 2
        firing: list[tuple[str, str]] = []
        step = 0
        while time.monotonic() < self.deadline:
            kind = MIX[step % len(MIX)]
            if kind == "new" or not firing:
                group = f"p{pair}-g{step}"
                severity = "critical" if step % 2 else "warning"
                firing.append((group, severity))
                self.record["sent"].add(group)
                if severity == "critical":
                    self.record["critical"].add(group)
                self.post(payload(group, "firing", severity))
            elif kind == "repeat":
                group, severity = firing[step % len(firing)]
                self.post(payload(group, "firing", severity))
            else:
                group, severity = firing.pop(0)
                self.record["resolved"].add(group)
                self.post(payload(group, "resolved", severity))
            step += 1


def postgres_cpu_seconds() -> float:
    """CPU used so far by the PostgreSQL backends serving the bench database (gunicorn's, kept open by
    CONN_MAX_AGE, so about all of them since the run began); readable when PostgreSQL runs on this machine."""
    with psycopg.connect(DATABASE_URL) as conn:
        pids = [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                               "AND pid <> pg_backend_pid()")]
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(stat[11]) + int(stat[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine() -> str:
    with psycopg.connect(DATABASE_URL) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    return f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, PostgreSQL {version.split()[0]}"


def check_database(record: dict) -> list[str]:
    """Stored == sent, resolutions applied, one incident per critical group and none twice."""
    problems = []
    expected = len(record["sent"]) * ALERTS_PER_PAYLOAD
    with psycopg.connect(DATABASE_URL) as conn:
        stored = conn.execute("SELECT count(*) FROM alerts_alert").fetchone()[0]
        resolved = conn.execute("SELECT count(*) FROM alerts_alert WHERE status = 'resolved'").fetchone()[0]
        incidents = conn.execute("SELECT count(*) FROM incidents_incident").fetchone()[0]
        per_group = conn.execute("SELECT max(n) FROM (SELECT count(DISTINCT incident_id) AS n FROM alerts_alertgroup "
                                 "WHERE incident_id IS NOT NULL GROUP BY key_hash) AS g").fetchone()[0] or 0
        open_groups = conn.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM alerts_alertgroup WHERE is_open "
                                   "GROUP BY source_id, key_hash) AS g").fetchone()[0] or 0
    figures = {"stored": stored, "expected": expected, "resolved": resolved,
               "expected_resolved": len(record["resolved"]) * ALERTS_PER_PAYLOAD, "incidents": incidents,
               "expected_incidents": len(record["critical"])}
    print(f"alerts stored {stored:,} (sent {expected:,} distinct), resolved {resolved:,} "
          f"(sent {figures['expected_resolved']:,}), incidents {incidents:,} (critical groups "
          f"{figures['expected_incidents']:,}), most incidents for one group {per_group}, "
          f"most open rows for one group {open_groups}")
    if stored != expected:
        problems.append(f"stored {stored} alerts, sent {expected}")
    if resolved != figures["expected_resolved"]:
        problems.append(f"{resolved} alerts resolved, {figures['expected_resolved']} resolutions sent")
    if incidents != figures["expected_incidents"] or per_group > 1 or open_groups > 1:
        problems.append(f"{incidents} incidents for {figures['expected_incidents']} critical groups "
                        f"(at most {per_group} per group)")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--senders", type=int, default=SENDERS)
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn sync workers (default 4)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    fresh_database(DATABASE_URL)
    with tempfile.TemporaryDirectory(prefix="warroom-bench-alerts-") as tmp:
        env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(40),
               "ALLOWED_HOSTS": "127.0.0.1", "SECURE_COOKIES": "false", "STATIC_ROOT": str(Path(tmp) / "static"),
               "WARROOM_VAR_DIR": str(Path(tmp) / "var"),
               "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        run(env, str(BIN / "python"), "manage.py", "migrate", "--no-input", "-v", "0")
        token = run(env, str(BIN / "python"), "manage.py", "alert_source", "bench").strip()
        port = free_port()
        log = (Path(tmp) / "gunicorn.log").open("w")
        command = [str(BIN / "gunicorn"), "warroom.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                   "--backlog", "64"]
        if "control_socket_disable" in gunicorn.config.Config().settings:
            command.append("--no-control-socket")
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(server, f"http://127.0.0.1:{port}")
            record: dict = {"sent": set(), "critical": set(), "resolved": set()}
            deadline = time.monotonic() + args.seconds
            started, (busy, ours) = time.monotonic(), cpu_seconds(server.pid)
            senders = [Sender(i, port, token, deadline, record) for i in range(args.senders)]
            for s in senders:
                s.start()
            for s in senders:
                s.join()
            elapsed = time.monotonic() - started
            busy_after, ours_after = cpu_seconds(server.pid)
            database_cpu = postgres_cpu_seconds()
        except BenchError as exc:
            print(f"bench (alerts): FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            stop(server)
            log.close()
    latencies = [ms for s in senders for ms in s.latencies]
    accepted = sum(s.accepted_alerts for s in senders)
    errors = [e for s in senders for e in s.errors]
    rate = accepted / elapsed
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"\nalerts: {args.senders} senders × {args.seconds:.0f} s, {ALERTS_PER_PAYLOAD} alerts a payload, "
          f"gunicorn -w {args.workers} (sync), DEBUG off, PostgreSQL on loopback")
    print(f"payloads {len(latencies):,}, accepted alerts {accepted:,}: {rate:,.0f} alerts/s "
          f"(target ≥ {TARGET_RATE:,}) {'ok' if rate >= TARGET_RATE else 'MISSED'}")
    print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms (target ≤ {TARGET_P99_MS} ms) "
          f"{'ok' if p99 <= TARGET_P99_MS else 'MISSED'}")
    cpu_ours = ours_after - ours
    elsewhere = (busy_after - busy - cpu_ours) / elapsed
    print(f"CPU a payload: gunicorn and the senders {cpu_ours / len(latencies) * 1000:.1f} ms, PostgreSQL "
          f"{database_cpu / len(latencies) * 1000:.1f} ms; busy meanwhile: ours {cpu_ours / elapsed:.2f} CPUs, "
          f"PostgreSQL {database_cpu / elapsed:.2f}, everything else {elsewhere - database_cpu / elapsed:.2f}")
    problems = check_database(record) + [f"refused: {e}" for e in errors]
    print(f"machine: {machine()}")
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
        return 1
    print("stored == sent, no duplicate incidents.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
