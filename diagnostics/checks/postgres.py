"""Checks for PostgreSQL targets: the runbook's connections, slow queries and locks, read-only and time-boxed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict

from diagnostics.checks.base import (
    CRITICAL,
    OK,
    QUERY_CAP,
    WARN,
    Check,
    CheckError,
    ParamError,
    Result,
    register,
    worst,
)
from warroom.durations import human_seconds

if TYPE_CHECKING:
    from targets.models import Target

APPLICATION_NAME = "warroom"
_DENIED = ("password authentication failed", "does not exist", "no pg_hba.conf entry", "permission denied",
           "authentication failed", "not permitted")


def short_query(query: str | None) -> str:
    """A query cut to QUERY_CAP: enough to recognise it, not a page of SQL."""
    query = query or ""
    return query if len(query) <= QUERY_CAP else query[:QUERY_CAP] + "…"


def _scrub(message: str, target: Target) -> str:
    """One line, with the target's secret masked (targets.secrets.scrub, through the target)."""
    return " ".join(target.scrub(message).split())


def _connect_error(exc: psycopg.Error, target: Target) -> CheckError:
    where = target.display_url
    message = _scrub(str(exc), target)
    if isinstance(exc, errors.ConnectionTimeout) or "timeout expired" in message:
        return CheckError(f"PostgreSQL at {where} did not answer within {target.timeout_seconds} s ({message})")
    if "refused" in message.lower():
        return CheckError(f"PostgreSQL at {where} refused the connection: is it running? ({message})")
    if any(hint in message.lower() for hint in _DENIED):
        return CheckError(f"PostgreSQL at {where} denied the login: {message}")
    return CheckError(f"Cannot connect to PostgreSQL at {where}: {message}")


def _query_error(exc: psycopg.Error, target: Target) -> CheckError:
    where = target.display_url
    message = _scrub(str(exc), target)
    if isinstance(exc, ReplyTimeout):
        return CheckError(f"PostgreSQL at {where} did not answer within {target.timeout_seconds} s ({message})")
    if isinstance(exc, errors.QueryCanceled | errors.LockNotAvailable):
        return CheckError(f"PostgreSQL at {where} timed out after {target.timeout_seconds} s: {message}")
    if isinstance(exc, errors.InsufficientPrivilege):
        return CheckError(f"PostgreSQL at {where} denied the query (grant the role pg_monitor): {message}")
    if isinstance(exc, psycopg.OperationalError):
        return CheckError(f"Lost the connection to PostgreSQL at {where}: {message}")
    return CheckError(f"PostgreSQL at {where} failed the query: {message}")


class _TimeBoxed(psycopg.Connection):
    """libpq bounds the login (connect_timeout) and the server bounds a statement (statement_timeout), but nothing
    bounds the wait for a reply: a server, or a proxy, that drips a byte a second would hold the check for ever.
    Here every exchange gets the target's timeout and one second more (the server's own limit speaks first)."""

    reply_timeout: float = 5.0

    def wait(self, gen, interval=0.1, timeout=None):  # type: ignore[no-untyped-def]
        try:
            return super().wait(gen, interval=interval, timeout=self.reply_timeout if timeout is None else timeout)
        except errors.OperationalError as exc:
            if "wait timeout" in str(exc):  # psycopg's own limit, above (errors._WaitTimeout)
                raise ReplyTimeout(f"no reply within {self.reply_timeout:g} s") from exc
            raise


class ReplyTimeout(psycopg.OperationalError):
    """The server stopped answering in the middle of a reply."""


@contextmanager
def connect(target: Target) -> Iterator[psycopg.Connection]:
    """One read-only, time-boxed session: a diagnostic must never write, wait on a lock, or hang the war room."""
    try:
        params: dict[str, Any] = conninfo_to_dict(target.url)
    except psycopg.Error as exc:
        raise CheckError(f"{target.display_url} is not a PostgreSQL URL: {_scrub(str(exc), target)}") from exc
    ms = int(target.timeout_seconds) * 1000
    ours = (f"-c statement_timeout={ms} -c lock_timeout={ms} -c default_transaction_read_only=on"
            f" -c idle_in_transaction_session_timeout={ms}")
    params["options"] = f"{params['options']} {ours}" if params.get("options") else ours
    params.update(connect_timeout=int(target.timeout_seconds), application_name=APPLICATION_NAME)
    if secret := target.secret():
        params["password"] = secret
    try:
        conn = _TimeBoxed.connect(**params, autocommit=False)
    except psycopg.Error as exc:
        raise _connect_error(exc, target) from exc
    conn.reply_timeout = target.timeout_seconds + 1
    try:
        conn.read_only = True
        yield conn
    except psycopg.Error as exc:
        raise _query_error(exc, target) from exc
    finally:
        conn.close()  # never commits: the server rolls back whatever was open


def _bounded(name: str, params: dict, key: str, low: float, high: float) -> None:
    if params[key] is None or not low <= params[key] <= high:
        raise ParamError(f"{name}: {key} must be between {low:g} and {high:g}")


def _ordered(name: str, params: dict, low_key: str, high_key: str) -> None:
    if params[low_key] > params[high_key]:
        raise ParamError(f"{name}: {low_key} must not be above {high_key}")


CONNECTIONS_SQL = """
SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n
FROM pg_stat_activity
WHERE backend_type = 'client backend'
GROUP BY 1
ORDER BY 2 DESC, 1
"""
# Who holds the connections (the runbook's "fix connection leaks"): per application name and user, by state.
BY_APPLICATION_SQL = """
SELECT coalesce(nullif(application_name, ''), '(none)') AS application, coalesce(usename, '(none)') AS usename,
       count(*)::int AS n,
       count(*) FILTER (WHERE state = 'active')::int AS active,
       count(*) FILTER (WHERE state = 'idle')::int AS idle,
       count(*) FILTER (WHERE state LIKE 'idle in transaction%%')::int AS idle_in_transaction
FROM pg_stat_activity
WHERE backend_type = 'client backend'
GROUP BY 1, 2
ORDER BY 3 DESC, 1, 2
"""
GROUPS = ("state", "application")
SETTINGS_SQL = """
SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,
       (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type <> 'client backend')
"""


@register
class Connections(Check):
    """Client connections by state against max_connections: the runbook's "connection pool exhausted" question."""

    name = "postgres.connections"
    kind = "postgres"
    title = "Connections"
    runbook = "SELECT count(*) FROM pg_stat_activity;"
    params = {"warn_percent": (int, 80), "critical_percent": (int, 95), "group": (str, "state")}

    def clean_params(self, raw: dict | None) -> dict:
        params = super().clean_params(raw)
        _bounded(self.name, params, "warn_percent", 1, 100)
        _bounded(self.name, params, "critical_percent", 1, 100)
        _ordered(self.name, params, "warn_percent", "critical_percent")
        if params["group"] not in GROUPS:
            raise ParamError(f"{self.name}: group must be one of {', '.join(GROUPS)} (got {params['group']!r})")
        return params

    def run(self, target: Target, params: dict) -> Result:
        by_application = params.get("group") == "application"
        with connect(target) as conn:
            rows_in = conn.execute(BY_APPLICATION_SQL if by_application else CONNECTIONS_SQL).fetchall()
            settings = conn.execute(SETTINGS_SQL).fetchone()
        if settings is None:  # one row of settings always comes back; a server answering none is not PostgreSQL
            raise CheckError(f"PostgreSQL at {target.display_url} returned no settings")
        max_connections, reserved, background = settings
        counts = [row[2] for row in rows_in] if by_application else [row[1] for row in rows_in]
        total = sum(counts)
        percent = 100 * total / max_connections
        headroom = max_connections - reserved - total
        verdict = (CRITICAL if percent >= params["critical_percent"]
                   else WARN if percent >= params["warn_percent"] else OK)
        text = (f"max_connections = {max_connections}, of which {reserved} reserved for superusers "
                f"(superuser_reserved_connections).\n"
                f"Headroom for ordinary users: {max_connections} − {reserved} − {total} = {headroom}.\n"
                f"{background} background processes (autovacuum, WAL writer, …) are not counted.")
        if by_application:
            rows = [list(row) for row in rows_in]
            top = rows[0] if rows else None
            holder = f"; most held by {top[0]} as {top[1]} ({top[2]})" if top else ""
            summary = (f"{total} of {max_connections} connections ({percent:.0f} %), headroom {headroom}"
                       f"{holder}")
            return Result(verdict, summary, ["application", "user", "connections", "active", "idle",
                                             "idle in transaction"], rows, text)
        rows = [[state, n, round(100 * n / max_connections, 1)] for state, n in rows_in]
        states = ", ".join(f"{n} {state}" for state, n in rows_in)
        summary = f"{total} of {max_connections} connections ({percent:.0f} %): {states}"
        return Result(verdict, summary, ["state", "connections", "% of max_connections"], rows, text)


ACTIVE_SQL = """
SELECT pid,
       extract(epoch FROM now() - CASE WHEN state = 'active' THEN query_start
                                       ELSE coalesce(xact_start, query_start) END)::float8 AS seconds,
       state, wait_event_type, wait_event, usename, datname, application_name,
       left(query, %(cap)s) AS query,
       count(*) OVER ()::int AS total
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND state IS NOT NULL AND state <> 'idle' AND pid <> pg_backend_pid()
ORDER BY seconds DESC NULLS LAST, pid
LIMIT %(limit)s
"""


@register
class ActiveQueries(Check):
    """Queries running (or transactions left open) now, longest first: the runbook's "slow queries"."""

    name = "postgres.active_queries"
    kind = "postgres"
    title = "Slow queries"
    runbook = "SELECT pid, now() - query_start as duration, query FROM pg_stat_activity WHERE state = 'active'"
    params = {"warn_seconds": (int, 30), "critical_seconds": (int, 300), "limit": (int, 50)}

    def clean_params(self, raw: dict | None) -> dict:
        params = super().clean_params(raw)
        _bounded(self.name, params, "warn_seconds", 1, 86400)
        _bounded(self.name, params, "critical_seconds", 1, 86400)
        _ordered(self.name, params, "warn_seconds", "critical_seconds")
        _bounded(self.name, params, "limit", 1, 200)
        return params

    def run(self, target: Target, params: dict) -> Result:
        with connect(target) as conn:
            found = conn.execute(ACTIVE_SQL, {"cap": QUERY_CAP + 1, "limit": params["limit"]}).fetchall()
        rows, verdict, hidden = [], OK, 0
        for pid, seconds, state, wait_type, wait_event, user, db, app, query, _ in found:
            seconds = max(seconds or 0.0, 0.0)
            verdict = worst(verdict, CRITICAL if seconds >= params["critical_seconds"]
                            else WARN if seconds >= params["warn_seconds"] else OK)
            hidden += query == "<insufficient privilege>"
            wait = f"{wait_type}: {wait_event}" if wait_type else ""
            rows.append([pid, round(seconds, 1), human_seconds(seconds), state, wait, user, db, app,
                         short_query(query)])
        total = found[0][-1] if found else 0
        if not rows:
            summary = "No query running"
        else:
            summary = (f"{total} running, longest {rows[0][2]} (pid {rows[0][0]})"
                       + (f"; showing {len(rows)}" if total > len(rows) else ""))
        text = ("Some queries are hidden: grant this role pg_monitor to see other users' queries."
                if hidden else "")
        columns = ["pid", "seconds", "duration", "state", "wait event", "user", "database", "application", "query"]
        return Result(verdict, summary, columns, rows, text)


LOCKS_SQL = """
SELECT w.pid, w.locktype, w.mode,
       CASE WHEN w.relation IS NOT NULL THEN w.relation::regclass::text END AS relation,
       extract(epoch FROM now() - {since})::float8 AS seconds,
       pg_blocking_pids(w.pid) AS blockers,
       left(a.query, %(cap)s) AS query
FROM pg_locks w
LEFT JOIN pg_stat_activity a ON a.pid = w.pid
WHERE NOT w.granted
ORDER BY seconds DESC NULLS LAST, w.pid
"""
LOCKS_SQL_14 = LOCKS_SQL.format(since="coalesce(w.waitstart, a.query_start)")  # waitstart: PostgreSQL 14+
LOCKS_SQL_OLD = LOCKS_SQL.format(since="a.query_start")
BLOCKERS_SQL = """
SELECT pid, state, extract(epoch FROM now() - xact_start)::float8, left(query, %(cap)s)
FROM pg_stat_activity WHERE pid = ANY(%(pids)s)
"""


@register
class Locks(Check):
    """Who waits on a lock, for how long, and who holds it: the runbook's pg_locks, with the blocker named."""

    name = "postgres.locks"
    kind = "postgres"
    title = "Waiting locks"
    runbook = "SELECT * FROM pg_locks WHERE NOT granted;"
    params = {"critical_seconds": (int, 60)}
    columns = ["waiting pid", "lock type", "mode", "relation", "seconds", "waiting for", "blocking pids",
               "blocker query", "waiting query"]

    def clean_params(self, raw: dict | None) -> dict:
        params = super().clean_params(raw)
        _bounded(self.name, params, "critical_seconds", 1, 86400)
        return params

    def run(self, target: Target, params: dict) -> Result:
        with connect(target) as conn:
            sql = LOCKS_SQL_14 if conn.info.server_version >= 140000 else LOCKS_SQL_OLD
            waiting = conn.execute(sql, {"cap": QUERY_CAP + 1}).fetchall()
            pids = sorted({pid for row in waiting for pid in row[5] or []})
            blockers = {row[0]: row[1:] for row in
                        conn.execute(BLOCKERS_SQL, {"cap": QUERY_CAP + 1, "pids": pids}).fetchall()} if pids else {}
        return locks_result(waiting, blockers, params["critical_seconds"])


def locks_result(waiting: list[tuple], blockers: dict[int, tuple], critical_seconds: int) -> Result:
    """The table from LOCKS_SQL's rows and BLOCKERS_SQL's by pid: any wait warns, a long one is critical."""
    pids = sorted({pid for row in waiting for pid in row[5] or []})
    rows, verdict = [], OK
    for pid, locktype, mode, relation, seconds, blocked_by, query in waiting:
        seconds = max(seconds or 0.0, 0.0)
        verdict = worst(verdict, CRITICAL if seconds >= critical_seconds else WARN)
        blocked_by = blocked_by or []
        blocker_queries = [short_query(blockers[b][2]) if b in blockers else "" for b in blocked_by]
        blocker_query = (blocker_queries[0] if len(blocked_by) == 1 else
                         "\n".join(f"[{b}] {q}" for b, q in zip(blocked_by, blocker_queries, strict=True)))
        rows.append([pid, locktype, mode, relation or "", round(seconds, 1), human_seconds(seconds),
                     ", ".join(map(str, blocked_by)), blocker_query, short_query(query)])
    if not rows:
        return Result(OK, "No session is waiting on a lock", Locks.columns, [], "")
    roots = sorted(set(pids) - {row[0] for row in rows})
    summary = (f"{len(rows)} waiting on locks, longest {rows[0][5]} (pid {rows[0][0]})"
               + (f"; blocked by {', '.join(map(str, roots))}" if roots else ""))
    text = "\n".join(
        f"pid {pid}: {state or 'gone'}, transaction open {human_seconds(xact) or '?'}: {short_query(q)}"
        for pid, (state, xact, q) in sorted(blockers.items()))
    return Result(verdict, summary, Locks.columns, rows, f"Blockers:\n{text}" if text else "")
