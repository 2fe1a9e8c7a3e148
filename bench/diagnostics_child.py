"""The Django side of the diagnostics bench: a child process of bench/run.py, like bench/seed.py.

    setup HTTP_URL [KUBE_URL NAMESPACE/DEPLOYMENT]   targets, an open incident to triage, an API token
    cleanup                                          remove them, so that the seeded counts and pages stay as seeded
    cost RUNS                                        what each PostgreSQL and Redis check costs its target

Runs with DATABASE_URL set to the bench database. Prints one JSON line on stdout.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/13"  # the bench's broker database: the checks only read server-wide figures
PREFIX = "bench-"  # the bench's targets
TITLE = "Bench: triage"  # the bench's scratch incident
POSTGRES_CHECKS = ("postgres.connections", "postgres.active_queries", "postgres.locks")
REDIS_CHECKS = ("redis.memory", "redis.slowlog", "redis.clients")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warroom.settings")
    import django

    django.setup()
    command, *args = sys.argv[1:]
    print(json.dumps({"setup": setup, "cleanup": cleanup, "cost": cost}[command](*args)))


def setup(http_url: str, kube_url: str = "", deployment: str = "") -> dict:
    """Triage runs every check of the runbook's triage on every enabled target: make those the bench's own."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from incidents.models import Severity
    from incidents.services import incident_declare
    from targets.models import Target

    cleanup()
    others = list(Target.objects.filter(enabled=True).values_list("name", flat=True))
    if others:
        sys.exit(f"the bench database has other enabled targets ({', '.join(others)}): triage would run them too")
    targets = [Target(name=f"{PREFIX}postgres", kind="postgres", url=POSTGRES_URL),
               Target(name=f"{PREFIX}redis", kind="redis", url=REDIS_URL),
               Target(name=f"{PREFIX}http", kind="http", url=http_url)]
    if kube_url:
        namespace, name = deployment.split("/")
        targets.append(Target(name=f"{PREFIX}kubernetes", kind="kubernetes", url=kube_url, namespace=namespace,
                              deployment=name))
    for target in targets:
        target.full_clean()
        target.save()
    user = User.objects.get(username="bench")
    incident = incident_declare(by=user, title=TITLE, severity=Severity.objects.get(name="SEV2"),
                                service_affected="checkout-api")
    token = Token.objects.create(user=user)  # a fresh one each run, deleted by cleanup: nothing to leak
    return {"incident": incident.pk, "token": token.key, "targets": {t.name: t.kind for t in targets}}


def cleanup() -> dict:
    """Delete what setup made and the runs on it: seed.py would otherwise count one open incident too many.

    Before that, read how long each run's end took to reach the timeline after its finished_at: the run's new
    status commits with that entry, so this is how late a poll can see it.
    """
    from django.db import connection, transaction
    from django.db.models import Q
    from rest_framework.authtoken.models import Token

    from diagnostics.apps import CHECK_ENTRY
    from diagnostics.models import Run
    from incidents.models import Entry, Incident
    from targets.models import Target

    incidents = Incident.objects.filter(title=TITLE)
    ended = dict(Run.objects.filter(incident__in=incidents).values_list("pk", "finished_at"))
    lags = sorted((entry.created_at - ended[entry.data["run"]]).total_seconds() * 1000
                  for entry in Entry.objects.filter(incident__in=incidents, kind=CHECK_ENTRY,
                                                    data__event="finished"))
    runs, _ = Run.objects.filter(Q(incident__in=incidents) | Q(target__name__startswith=PREFIX)).delete()
    # Timelines are append-only (a trigger); this one is the bench's own scratch data in its own database.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE incidents_entry DISABLE TRIGGER incidents_entry_append_only")
        Entry.objects.filter(incident__in=incidents).delete()
        cursor.execute("ALTER TABLE incidents_entry ENABLE TRIGGER incidents_entry_append_only")
    incidents.delete()
    Target.objects.filter(name__startswith=PREFIX).delete()
    Token.objects.filter(user__username="bench").delete()
    return {"runs deleted": runs, "commit lag ms": lags}


def cost(runs: str) -> dict:
    """Each check `runs` times, in this process, as the worker would run it; the target says what that cost it."""
    import psycopg
    import redis

    from targets.models import Target

    runs = int(runs)
    postgres = Target(name=f"{PREFIX}postgres", kind="postgres", url=POSTGRES_URL)
    cache = Target(name=f"{PREFIX}redis", kind="redis", url=REDIS_URL)
    # Watch from another database: pg_stat_database covers them all, and this session is not counted in `postgres`.
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as watch:
        plugin = watch.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'").fetchone()
        results = [postgres_cost(name, postgres, runs, watch) for name in POSTGRES_CHECKS]
    client = redis.Redis.from_url(REDIS_URL)
    try:
        results += [redis_cost(name, cache, runs, client) for name in REDIS_CHECKS]
    finally:
        client.close()
    return {"runs": runs, "pg_stat_statements": bool(plugin[0]), "checks": results}


def timed(name: str, target) -> tuple[float, object]:
    from diagnostics.checks import REGISTRY

    check = REGISTRY[name]
    started = time.perf_counter()
    result = check.run(target, check.clean_params({}))
    return (time.perf_counter() - started) * 1000, result


def postgres_cost(name: str, target, runs: int, watch) -> dict:
    """Sessions the server counted (pg_stat_database.sessions, PostgreSQL ≥ 14) and the statements the check sent.

    pg_stat_statements is not loaded here, so statements are counted at the client: psycopg's Cursor.execute,
    through which Connection.execute goes too, wrapped for the duration.
    """
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    def sessions() -> int:
        row = watch.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [target_db]).fetchone()
        return row[0]

    target_db = conninfo_to_dict(target.url)["dbname"]
    timed(name, target)  # warm-up: imports, first connection
    before = settled(sessions, 0)
    executes, ms, statements = psycopg.Cursor.execute, [], []
    calls = 0

    def counted(cursor, *args, **kwargs):
        nonlocal calls
        calls += 1
        return executes(cursor, *args, **kwargs)

    psycopg.Cursor.execute = counted
    try:
        for _ in range(runs):
            calls = 0
            took, result = timed(name, target)
            ms.append(took)
            statements.append(calls)
    finally:
        psycopg.Cursor.execute = executes
    opened = settled(sessions, before + runs) - before
    return {"check": name, "connections": opened / runs, "statements": [min(statements), max(statements)],
            "median_ms": statistics.median(ms), "verdict": result.verdict, "summary": result.summary}


def settled(read, at_least: int) -> int:
    """A backend reports its session to the statistics as it exits, a moment after the client has closed:
    wait (at most 5 s) for at least `at_least`, and for the figure to stop moving."""
    deadline = time.monotonic() + 5
    value = read()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        again = read()
        if again == value and value >= at_least:
            break
        value = again
    return value


def redis_cost(name: str, target, runs: int, client) -> dict:
    """Connections accepted, commands processed and error replies, from INFO stats before and after each run.

    Error replies are commands the server rejected, e.g. redis-py's CLIENT SETINFO on Redis < 7.2: not processed,
    yet a round trip each.
    """

    def stats() -> tuple[int, int, int]:
        info = client.info("stats")
        return info["total_connections_received"], info["total_commands_processed"], info["total_error_replies"]

    timed(name, target)  # warm-up
    first, second = stats(), stats()
    own = second[1] - first[1]  # the bench's own INFO between two readings
    ms, connections, commands, errors = [], [], [], []
    for _ in range(runs):
        before = stats()
        took, result = timed(name, target)
        after = stats()
        ms.append(took)
        connections.append(after[0] - before[0])
        commands.append(after[1] - before[1] - own)
        errors.append(after[2] - before[2])
    return {"check": name, "connections": sum(connections) / runs, "statements": [min(commands), max(commands)],
            "errors": [min(errors), max(errors)], "median_ms": statistics.median(ms), "verdict": result.verdict,
            "summary": result.summary}


if __name__ == "__main__":
    main()
