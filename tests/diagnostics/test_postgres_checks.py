"""PostgreSQL checks against this machine's real server: locks, slow queries, connections, and failure modes."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from diagnostics.checks import REGISTRY, CheckError, ParamError
from diagnostics.checks.base import CRITICAL, OK, WARN, Result
from diagnostics.checks.postgres import ACTIVE_SQL, Locks, connect, human_seconds, locks_result
from targets.models import Target
from tests.workers import poll

PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def pg(url: str = PG_URL, timeout: int = 3, **kwargs: Any) -> Target:
    return Target(kind="postgres", url=url, timeout_seconds=timeout, **kwargs)


def run(name: str, target: Target, **params: Any) -> Result:
    check = REGISTRY[name]
    return check.run(target, check.clean_params(params))


class Background:
    """Runs one statement on its own connection in a thread; keeps whatever it raised."""

    def __init__(self, query: sql.Composable | str, application_name: str = "warroom-test"):
        self.conn = psycopg.connect(PG_URL, autocommit=True, application_name=application_name,
                                    options="-c lock_timeout=30000 -c statement_timeout=60000")
        self.pid = self.conn.info.backend_pid
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(query,), daemon=True)
        self.thread.start()

    def _run(self, query: sql.Composable | str) -> None:
        try:
            self.conn.execute(query)
        except BaseException as exc:  # kept for the test to inspect
            self.error = exc

    def stop(self) -> None:
        if self.thread.is_alive():
            self.conn.cancel_safe(timeout=5)
        self.thread.join(10)
        self.conn.close()
        assert not self.thread.is_alive()


@pytest.fixture
def admin() -> Iterator[psycopg.Connection]:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        yield conn


@pytest.fixture
def scratch(admin: psycopg.Connection) -> Iterator[sql.Composed]:
    """A throwaway table in its own schema, dropped afterwards whatever happened."""
    schema = sql.Identifier(f"warroom_diag_{uuid.uuid4().hex[:10]}")
    admin.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
    table = sql.SQL("{}.t").format(schema)
    admin.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY)").format(table))
    admin.execute(sql.SQL("INSERT INTO {} VALUES (1)").format(table))
    try:
        yield table
    finally:
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(schema))


def activity(admin: psycopg.Connection, pid: int) -> tuple | None:
    return admin.execute("SELECT state, wait_event_type, query FROM pg_stat_activity WHERE pid = %s",
                         [pid]).fetchone()


def row_for(result: Result, column: str, value: Any) -> list | None:
    index = result.columns.index(column)
    return next((row for row in result.rows if row[index] == value), None)


def cell(result: Result, row: list, column: str) -> Any:
    return row[result.columns.index(column)]


# --- locks ---------------------------------------------------------------------------------------------------------


def test_locks_names_the_waiter_its_blocker_and_the_blockers_query(admin, scratch):
    holder = psycopg.connect(PG_URL)
    waiter = None
    try:
        holder.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(scratch))
        waiter = Background(sql.SQL("SELECT count(*) FROM {}").format(scratch))
        poll(lambda: (activity(admin, waiter.pid) or (None, None))[1] == "Lock", what="the waiter to wait on a lock")

        result = run("postgres.locks", pg())
        row = row_for(result, "waiting pid", waiter.pid)
        assert row is not None, result.rows
        assert result.verdict in (WARN, CRITICAL)
        assert cell(result, row, "lock type") == "relation"
        assert cell(result, row, "mode") == "AccessShareLock"
        assert cell(result, row, "relation").endswith(".t")
        assert cell(result, row, "blocking pids").split(", ") == [str(holder.info.backend_pid)]
        assert cell(result, row, "blocker query").startswith("LOCK TABLE")
        assert cell(result, row, "waiting query").startswith("SELECT count(*)")
        assert f"pid {holder.info.backend_pid}: idle in transaction" in result.text
        assert str(holder.info.backend_pid) in result.summary

        # Waiting longer than critical_seconds is critical.
        # The check sees the whole server, so another database's waiter may already be critical: wait for ours.
        def ours_past_one_second():
            r = run("postgres.locks", pg(), critical_seconds=1)
            mine = row_for(r, "waiting pid", waiter.pid)
            return r if mine is not None and cell(r, mine, "seconds") > 1 else None  # shown rounded to 0.1 s

        critical = poll(ours_past_one_second, what="the wait to pass one second")
        assert critical.verdict == CRITICAL
    finally:
        holder.rollback()  # releases the lock: the waiter finishes
        if waiter:
            waiter.thread.join(10)
            waiter.stop()
            assert waiter.error is None
        holder.close()


@pytest.mark.parametrize(("seconds", "verdict"), [(0.0, WARN), (59.9, WARN), (60.0, CRITICAL), (3600.0, CRITICAL)])
def test_any_wait_warns_and_a_long_one_is_critical(seconds, verdict):
    waiting = [(101, "relation", "AccessShareLock", "shop.orders", seconds, [202], "SELECT 1")]
    result = locks_result(waiting, {202: ("idle in transaction", 75.0, "LOCK TABLE shop.orders")}, 60)
    assert result.verdict == verdict
    assert result.rows[0][6:8] == ["202", "LOCK TABLE shop.orders"]
    assert result.summary.startswith("1 waiting on locks, longest ")


def test_no_waiting_lock_is_ok():
    # Decided on rows, not on this shared server, where other sessions may be waiting at any moment.
    assert locks_result([], {}, 60) == Result(OK, "No session is waiting on a lock", Locks.columns, [], "")


# --- slow queries --------------------------------------------------------------------------------------------------


def test_a_sleeping_query_shows_up_with_its_pid_longest_first(admin):
    tag = f"warroom-test-{uuid.uuid4().hex[:12]}"  # this test's own query, among whatever else the server runs
    sleeper = Background(f"SELECT pg_sleep(60) /* {tag} */", application_name=tag)

    def ours_for_a_second():
        result = run("postgres.active_queries", pg(), warn_seconds=1, limit=200)
        row = row_for(result, "pid", sleeper.pid)
        # The column is rounded to 0.1 s: over 1.0 there means at least 1.05 s, past warn_seconds for sure.
        return row is not None and cell(result, row, "seconds") > 1 and (result, row)

    try:
        result, row = poll(ours_for_a_second, what="this test's pg_sleep to run for a second")
        assert cell(result, row, "state") == "active"
        assert cell(result, row, "wait event") == "Timeout: PgSleep"
        assert cell(result, row, "query") == f"SELECT pg_sleep(60) /* {tag} */"
        assert cell(result, row, "application") == tag
        assert cell(result, row, "duration").endswith("s")
        assert result.verdict != OK  # ours alone is over warn_seconds
        seconds = [r[result.columns.index("seconds")] for r in result.rows]
        assert seconds == sorted(seconds, reverse=True)

        critical = run("postgres.active_queries", pg(), warn_seconds=1, critical_seconds=1, limit=200)
        assert row_for(critical, "pid", sleeper.pid) is not None and critical.verdict == CRITICAL
        assert len(run("postgres.active_queries", pg(), limit=1).rows) == 1
    finally:
        sleeper.stop()
    assert isinstance(sleeper.error, errors.QueryCanceled)


def test_the_checks_own_session_is_not_listed():
    with connect(pg()) as conn:
        own = conn.info.backend_pid
        found = conn.execute(ACTIVE_SQL, {"cap": 100, "limit": 200}).fetchall()
        everyone = conn.execute("SELECT pid FROM pg_stat_activity WHERE state <> 'idle'").fetchall()
    assert (own,) in everyone  # active while it asks: the WHERE clause is what leaves it out
    assert own not in [row[0] for row in found]


def test_long_queries_are_truncated(admin):
    long_query = "SELECT pg_sleep(60) /* " + "x" * 1000 + " */"
    sleeper = Background(long_query)
    try:
        poll(lambda: (activity(admin, sleeper.pid) or (None,))[0] == "active", what="the long query to run")
        result = run("postgres.active_queries", pg(), limit=200)
        query = cell(result, row_for(result, "pid", sleeper.pid), "query")
        assert query.startswith("SELECT pg_sleep(60) /* xxx") and query.endswith("…") and len(query) == 501
    finally:
        sleeper.stop()


# --- connections ---------------------------------------------------------------------------------------------------


def test_connections_grouped_by_application_and_user_with_the_headroom(admin):
    leak = [psycopg.connect(PG_URL, autocommit=True, application_name="leaky-worker") for _ in range(3)]
    other = psycopg.connect(PG_URL, autocommit=True, application_name="checkout")
    try:
        result = run("postgres.connections", pg(), group="application")
        assert result.columns == ["application", "user", "connections", "active", "idle", "idle in transaction"]
        rows = {(r[0], r[1]): r for r in result.rows}
        assert rows["leaky-worker", "postgres"][2:] == [3, 0, 3, 0]
        assert rows["checkout", "postgres"][2] == 1
        max_connections, reserved = admin.execute(
            "SELECT current_setting('max_connections')::int, "
            "current_setting('superuser_reserved_connections')::int").fetchone()
        total = sum(r[2] for r in result.rows)
        headroom = max_connections - reserved - total
        assert f"headroom {headroom}" in result.summary
        assert f"Headroom for ordinary users: {max_connections} − {reserved} − {total} = {headroom}." in result.text
        assert f"of which {reserved} reserved for superusers (superuser_reserved_connections)" in result.text
    finally:
        for conn in [*leak, other]:
            conn.close()



def test_connections_are_counted_by_state():
    idle = [psycopg.connect(PG_URL, autocommit=True) for _ in range(2)]
    in_transaction = psycopg.connect(PG_URL)
    try:
        in_transaction.execute("SELECT 1")  # opens a transaction and leaves it open
        result = run("postgres.connections", pg())
        counts = {row[0]: row[1] for row in result.rows}
        assert counts["idle"] >= 2 and counts["idle in transaction"] >= 1 and counts["active"] >= 1
        total = sum(counts.values())
        assert result.summary.startswith(f"{total} of 100 connections")
        assert "max_connections = 100" in result.text
        expected = CRITICAL if total >= 95 else WARN if total >= 80 else OK
        assert result.verdict == expected

        assert run("postgres.connections", pg(), warn_percent=1, critical_percent=100).verdict == WARN
        assert run("postgres.connections", pg(), warn_percent=1, critical_percent=2).verdict == CRITICAL
    finally:
        for conn in [*idle, in_transaction]:
            conn.close()


# --- the session itself --------------------------------------------------------------------------------------------


def test_the_session_is_read_only_time_boxed_and_closed(scratch):
    with connect(pg()) as conn:
        settings = dict(conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('statement_timeout', 'lock_timeout', "
            "'idle_in_transaction_session_timeout', 'default_transaction_read_only', 'transaction_read_only', "
            "'application_name')").fetchall())
        assert conn.autocommit is False and conn.read_only is True
    assert conn.closed
    assert settings == {"statement_timeout": "3000", "lock_timeout": "3000",
                        "idle_in_transaction_session_timeout": "3000", "default_transaction_read_only": "on",
                        "transaction_read_only": "on", "application_name": "warroom"}

    with pytest.raises(CheckError, match="read-only transaction") as raised, connect(pg()) as conn:
        conn.execute(sql.SQL("INSERT INTO {} VALUES (2)").format(scratch))
    assert isinstance(raised.value.__cause__, errors.ReadOnlySqlTransaction)
    assert conn.closed


def test_statement_timeout_stops_a_slow_query():
    start = time.monotonic()
    with pytest.raises(CheckError, match="timed out after 1 s"), connect(pg(timeout=1)) as conn:
        conn.execute("SELECT pg_sleep(10)")
    assert time.monotonic() - start < 2.5


# --- failures ------------------------------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def black_hole() -> Iterator[int]:
    """Accepts TCP connections (the kernel does) and never says a word."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield s.getsockname()[1]


@pytest.mark.parametrize("name", ["postgres.connections", "postgres.active_queries", "postgres.locks"])
def test_a_down_server_is_a_check_error_naming_the_target(name, monkeypatch):
    monkeypatch.setenv("WARROOM_TARGET_TEST_PG_PASSWORD", "pg-hunter2")
    target = pg(f"postgres://postgres@127.0.0.1:{closed_port()}/postgres", timeout=2,
                secret_env="WARROOM_TARGET_TEST_PG_PASSWORD")
    start = time.monotonic()
    with pytest.raises(CheckError, match="refused the connection") as raised:
        run(name, target)
    assert time.monotonic() - start < 2
    assert target.display_url in str(raised.value) and "pg-hunter2" not in str(raised.value)


def test_a_black_holed_server_times_out_within_the_timeout(black_hole):
    target = pg(f"postgres://postgres@127.0.0.1:{black_hole}/postgres", timeout=2)
    start = time.monotonic()
    with pytest.raises(CheckError, match="did not answer within 2 s"):
        run("postgres.connections", target)
    assert time.monotonic() - start < 3


def test_an_unknown_role_is_denied():
    target = pg("postgres://warroom_no_such_role@127.0.0.1:5432/postgres")
    with pytest.raises(CheckError, match="denied the login"):
        run("postgres.connections", target)


# --- params and helpers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "params", "message"), [
    ("postgres.connections", {"warn_percent": 0}, "warn_percent must be between 1 and 100"),
    ("postgres.connections", {"warn_percent": 96}, "warn_percent must not be above critical_percent"),
    ("postgres.connections", {"critical_percent": "95"}, "critical_percent must be int"),
    ("postgres.connections", {"group": "database"}, "group must be one of state, application"),
    ("postgres.active_queries", {"limit": 0}, "limit must be between 1 and 200"),
    ("postgres.active_queries", {"limit": 201}, "limit must be between 1 and 200"),
    ("postgres.active_queries", {"warn_seconds": 400}, "warn_seconds must not be above critical_seconds"),
    ("postgres.active_queries", {"limit": True}, "limit must be int"),
    ("postgres.active_queries", {"limit": None}, "limit must be between 1 and 200"),
    ("postgres.locks", {"critical_seconds": 0}, "critical_seconds must be between 1 and 86400"),
    ("postgres.locks", {"sql": "DROP TABLE x"}, "takes no parameter sql"),
])
def test_bad_params_are_param_errors(name, params, message):
    with pytest.raises(ParamError, match=message):
        REGISTRY[name].clean_params(params)


def test_defaults():
    assert REGISTRY["postgres.connections"].clean_params({}) == {"warn_percent": 80, "critical_percent": 95,
                                                                 "group": "state"}
    assert REGISTRY["postgres.active_queries"].clean_params({}) == {"warn_seconds": 30, "critical_seconds": 300,
                                                                    "limit": 50}
    assert REGISTRY["postgres.locks"].clean_params({}) == {"critical_seconds": 60}


@pytest.mark.parametrize(("seconds", "text"), [
    (None, ""), (0, "0 s"), (2.345, "2.3 s"), (42.9, "42 s"), (60, "1 min"), (125, "2 min 5 s"),
    (3600 * 2 + 300, "2 h 5 min"), (86400 * 3 + 3600, "3 d 1 h"),
])
def test_human_seconds(seconds, text):
    assert human_seconds(seconds) == text
