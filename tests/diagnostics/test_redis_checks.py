"""Redis checks against this machine's real server: slow log, memory, clients, and failure modes."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import redis

from diagnostics.checks import REGISTRY, CheckError, ParamError
from diagnostics.checks.base import CRITICAL, OK, WARN, Result
from diagnostics.checks.redis import MB, clients_verdict, human_bytes, memory_verdict
from targets.models import Target

DB = 14  # keys written by these tests live here, away from the app's and Celery's databases
REDIS_URL = f"redis://127.0.0.1:6379/{DB}"
BUSY_LUA = "local t0 = redis.call('TIME') repeat local t = redis.call('TIME') " \
           "until (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) >= 120000 return 1"


def rd(url: str = REDIS_URL, timeout: int = 3, **kwargs: Any) -> Target:
    return Target(kind="redis", url=url, timeout_seconds=timeout, **kwargs)


def run(name: str, target: Target, **params: Any) -> Result:
    check = REGISTRY[name]
    return check.run(target, check.clean_params(params))


def column(result: Result, name: str) -> list:
    index = result.columns.index(name)
    return [row[index] for row in result.rows]


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    with redis.Redis.from_url(REDIS_URL, decode_responses=True) as conn:
        yield conn


@pytest.fixture
def key(client: redis.Redis) -> Iterator[str]:
    name = f"warroom-test:{uuid.uuid4().hex}"
    try:
        yield name
    finally:
        client.delete(name)


@pytest.fixture
def log_everything(client: redis.Redis) -> Iterator[None]:
    """Log every command in the slow log for the test, then put the server's setting back."""
    previous = client.config_get("slowlog-log-slower-than")["slowlog-log-slower-than"]
    client.config_set("slowlog-log-slower-than", 0)
    try:
        yield
    finally:
        client.config_set("slowlog-log-slower-than", previous)


# --- slow log ------------------------------------------------------------------------------------------------------


def test_a_logged_command_appears_with_decoded_client_fields(client, key, log_everything):
    client.client_setname("warroom-test-slowlog")
    client.set(key, "é")
    result = run("redis.slowlog", rd(), count=128)

    commands = column(result, "command")
    row = result.rows[commands.index(f"SET {key} é")]
    entry = dict(zip(result.columns, row, strict=True))
    assert entry["client name"] == "warroom-test-slowlog"
    assert entry["client address"].startswith("127.0.0.1:")  # str, not b'127.0.0.1:…'
    assert isinstance(entry["duration µs"], int) and entry["duration ms"] == round(entry["duration µs"] / 1000, 3)
    assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0
    assert abs(datetime.fromisoformat(entry["time"]).timestamp() - time.time()) < 60
    assert result.summary.startswith(f"{len(result.rows)} of ")


def test_a_command_over_100_ms_is_a_warning(client):
    tag = f"warroom-test-{uuid.uuid4().hex[:12]}"  # other test runs on this server send the same script
    client.eval(f"-- {tag}\n{BUSY_LUA}", 0)  # blocks the server ~120 ms: over the default 10 ms slow-log threshold
    result = run("redis.slowlog", rd(), count=128)
    ours = [row for row in result.rows if row[result.columns.index("command")].startswith(f"EVAL -- {tag}")]
    assert len(ours) == 1, result.rows
    assert ours[0][result.columns.index("duration ms")] >= 100
    assert result.verdict == WARN


def test_long_commands_are_capped(client, key, log_everything):
    client.set(key, "v" * 2000)  # Redis itself keeps 128 characters of an argument
    result = run("redis.slowlog", rd(), count=128)
    command = next(c for c in column(result, "command") if c.startswith(f"SET {key} "))
    assert len(command) <= 501


@pytest.mark.parametrize(("params", "message"), [
    ({"count": 0}, "count must be between 1 and 128"),
    ({"count": 129}, "count must be between 1 and 128"),
    ({"count": "10"}, "count must be int"),
    ({"count": None}, "count must be between 1 and 128"),
    ({"pattern": "*"}, "takes no parameter pattern"),
])
def test_slowlog_bad_params(params, message):
    with pytest.raises(ParamError, match=message):
        REGISTRY["redis.slowlog"].clean_params(params)


# --- memory --------------------------------------------------------------------------------------------------------


def test_memory_parses_into_sane_values(client):
    result = run("redis.memory", rd())
    values = {row[0]: row[1] for row in result.rows}
    human = {row[0]: row[2] for row in result.rows}
    info = client.info("memory")
    assert 0 < values["used"] < 64 * 1024 * MB and values["peak"] > 0
    assert human["used"][-1] in "BKMG" and human["peak"][-1] in "BKMG"
    assert values["maxmemory"] == info["maxmemory"]
    assert values["fragmentation ratio"] > 0
    assert values["evicted keys"] == client.info("stats")["evicted_keys"]
    assert human["maxmemory policy"] == info["maxmemory_policy"]
    expected, _ = memory_verdict(values["used"], values["maxmemory"], values["evicted keys"],
                                 values["fragmentation ratio"])
    assert result.verdict == expected
    assert result.summary.startswith(f"{human['used']} used")
    assert "used_memory:" in result.text


@pytest.mark.parametrize(("used", "maxmemory", "evicted", "fragmentation", "verdict"), [
    (50 * MB, 0, 0, 1.0, OK),  # no maxmemory: no percentage
    (74 * MB, 100 * MB, 0, 1.0, OK),
    (75 * MB, 100 * MB, 0, 1.0, WARN),
    (90 * MB, 100 * MB, 0, 1.0, CRITICAL),
    (10 * MB, 0, 1, 1.0, WARN),  # any eviction
    (50 * MB, 0, 0, 4.5, OK),  # fragmentation on a small heap is noise
    (200 * MB, 0, 0, 1.6, WARN),
    (95 * MB, 100 * MB, 3, 1.0, CRITICAL),
])
def test_memory_verdicts(used, maxmemory, evicted, fragmentation, verdict):
    assert memory_verdict(used, maxmemory, evicted, fragmentation)[0] == verdict


def test_human_bytes():
    assert [human_bytes(n) for n in (512, 1536, 3 * MB, 5 * 1024 * MB)] == ["512B", "1.50K", "3.00M", "5.00G"]


# --- clients -------------------------------------------------------------------------------------------------------


def test_clients_are_grouped_by_name_and_host():
    name = f"warroom-test-{uuid.uuid4().hex[:8]}"
    named = [redis.Redis.from_url(REDIS_URL, decode_responses=True) for _ in range(2)]
    try:
        for conn in named:
            conn.client_setname(name)
        result = run("redis.clients", rd())
        rows = {(row[0], row[1]): row for row in result.rows}
        assert rows[("by name", name)][2] == 2
        assert rows[("by name", name)][5] == "hosts: 127.0.0.1"
        assert rows[("by host", "127.0.0.1")][2] >= 3
        assert name in rows[("by host", "127.0.0.1")][5]
        assert 1 <= sum(row[0] == "oldest" for row in result.rows) <= 5
        assert 1 <= sum(row[0] == "most idle" for row in result.rows) <= 5
        maxclients = int(named[0].config_get("maxclients")["maxclients"])
        assert f"of {maxclients} maxclients" in result.summary
        assert result.verdict == clients_verdict(int(result.summary.split()[0]), maxclients)
        assert f"name={name}" in result.text
    finally:
        for conn in named:
            conn.close()


@pytest.mark.parametrize(("count", "maxclients", "verdict"), [
    (10, 10000, OK), (79, 100, OK), (80, 100, WARN), (95, 100, CRITICAL), (5, None, OK),
])
def test_clients_verdicts(count, maxclients, verdict):
    assert clients_verdict(count, maxclients) == verdict


# --- failures ------------------------------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("name", ["redis.memory", "redis.slowlog", "redis.clients"])
def test_a_down_server_is_a_check_error_naming_the_target(name, monkeypatch):
    monkeypatch.setenv("WARROOM_TARGET_TEST_REDIS_PASSWORD", "redis-hunter2")
    target = rd(f"redis://127.0.0.1:{closed_port()}/0", timeout=2, secret_env="WARROOM_TARGET_TEST_REDIS_PASSWORD")
    start = time.monotonic()
    with pytest.raises(CheckError, match="is unreachable") as raised:
        run(name, target)
    assert time.monotonic() - start < 2  # no retries with backoff
    assert target.display_url in str(raised.value) and "redis-hunter2" not in str(raised.value)


def test_a_black_holed_server_times_out_within_the_timeout():
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(16)
        target = rd(f"redis://127.0.0.1:{hole.getsockname()[1]}/0", timeout=1)
        start = time.monotonic()
        with pytest.raises(CheckError, match="did not answer within 1 s"):
            run("redis.memory", target)
        assert time.monotonic() - start < 2


def test_a_wrong_password_is_denied(monkeypatch):
    monkeypatch.setenv("WARROOM_TARGET_TEST_REDIS_PASSWORD", "redis-hunter2")
    target = rd(f"redis://warroom-no-such-user@127.0.0.1:6379/{DB}", secret_env="WARROOM_TARGET_TEST_REDIS_PASSWORD")
    with pytest.raises(CheckError, match="denied access") as raised:
        run("redis.memory", target)
    assert "redis-hunter2" not in str(raised.value)
