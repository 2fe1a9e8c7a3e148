"""Checks for Redis targets: the runbook's INFO memory, SLOWLOG GET and CLIENT LIST, with verdicts."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from diagnostics.checks.base import (
    CRITICAL,
    OK,
    QUERY_CAP,
    WARN,
    Check,
    CheckError,
    ParamError,
    Result,
    Verdict,
    register,
    worst,
)
from targets.deadline import ReplyDeadline
from warroom.durations import human_seconds

if TYPE_CHECKING:
    from targets.models import Target

MB = 1024 * 1024


def human_bytes(n: int) -> str:
    """Redis's own style (1.68M), for values Redis does not humanise itself."""
    value = float(n)
    for unit in ("B", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.2f}{unit}"
        value /= 1024
    return f"{n}B"  # pragma: no cover - unreachable


def _text(value: Any) -> str:
    """SLOWLOG fields come back as bytes even with decode_responses (FIELD-NOTES)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _cut(text: str, limit: int = QUERY_CAP) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _error(exc: redis.RedisError, target: Target) -> CheckError:
    where, message = target.display_url, " ".join(target.scrub(str(exc)).split())
    if isinstance(exc, redis.TimeoutError):
        return CheckError(f"Redis at {where} did not answer within {target.timeout_seconds} s ({message})")
    if isinstance(exc, redis.AuthenticationError | redis.exceptions.AuthorizationError
                  | redis.exceptions.NoPermissionError):
        return CheckError(f"Redis at {where} denied access: {message}")
    if isinstance(exc, redis.ConnectionError):
        return CheckError(f"Redis at {where} is unreachable: {message}")
    return CheckError(f"Redis at {where} refused the command: {message}")


@functools.cache
def _reply_deadline(connection_class: type) -> type:
    """The URL's connection class (TCP, TLS, Unix socket), its every reply bounded by the timeout as a whole: a server
    dripping a byte a second would otherwise reset the socket's timeout at each byte."""

    class Bounded(connection_class):
        def _connect(self) -> ReplyDeadline:
            return ReplyDeadline(super()._connect())

    return Bounded


@contextmanager
def connect(target: Target) -> Iterator[redis.Redis]:
    """One client per run with no retries, so a dead server fails within the target's timeout, not 4× it."""
    timeout = target.timeout_seconds
    try:
        client = redis.Redis.from_url(target.url, password=target.secret() or None, socket_connect_timeout=timeout,
                                      socket_timeout=timeout, decode_responses=True, retry=Retry(NoBackoff(), 0))
    except ValueError as exc:
        raise CheckError(f"{target.display_url} is not a Redis URL: {target.scrub(str(exc))}") from exc
    pool = client.connection_pool
    pool.connection_class = _reply_deadline(pool.connection_class)
    try:
        yield client
    except redis.RedisError as exc:
        raise _error(exc, target) from exc
    finally:
        client.close()


def memory_verdict(used: int, maxmemory: int, evicted: int, fragmentation: float) -> tuple[Verdict, list[str]]:
    """Near maxmemory means failed writes or evictions soon; fragmentation only matters on a big heap."""
    verdict, why = OK, []
    if maxmemory:
        percent = 100 * used / maxmemory
        if percent >= 75:
            verdict = CRITICAL if percent >= 90 else WARN
            why.append(f"{percent:.0f} % of maxmemory used")
    if evicted > 0:
        verdict = worst(verdict, WARN)
        why.append(f"{evicted} keys evicted since start")
    if fragmentation > 1.5 and used > 100 * MB:
        verdict = worst(verdict, WARN)
        why.append(f"fragmentation {fragmentation:.2f}")
    return verdict, why


def clients_verdict(count: int, maxclients: int | None) -> Verdict:
    """New connections are refused at maxclients: warn at 80 %, critical at 95 %."""
    if not maxclients:
        return OK
    percent = 100 * count / maxclients
    return CRITICAL if percent >= 95 else WARN if percent >= 80 else OK


@register
class Memory(Check):
    """Used memory against maxmemory, evictions and fragmentation: why writes fail or keys vanish."""

    name = "redis.memory"
    kind = "redis"
    title = "Memory"
    runbook = "redis-cli INFO memory"

    def run(self, target: Target, params: dict) -> Result:
        with connect(target) as client:
            memory = client.info("memory")
            stats = client.info("stats")
        used, peak, limit = (int(memory.get(k, 0)) for k in ("used_memory", "used_memory_peak", "maxmemory"))
        rss = int(memory.get("used_memory_rss", 0))
        fragmentation = float(memory.get("mem_fragmentation_ratio", 0) or 0)
        evicted = int(stats.get("evicted_keys", 0))
        policy = memory.get("maxmemory_policy", "")
        percent = 100 * used / limit if limit else None
        verdict, why = memory_verdict(used, limit, evicted, fragmentation)

        rows = [
            ["used", used, memory.get("used_memory_human") or human_bytes(used)],
            ["peak", peak, memory.get("used_memory_peak_human") or human_bytes(peak)],
            ["maxmemory", limit, (memory.get("maxmemory_human") or human_bytes(limit)) if limit else "no limit"],
            ["used % of maxmemory", round(percent, 1) if percent is not None else None, ""],
            ["rss", rss, memory.get("used_memory_rss_human") or human_bytes(rss)],
            ["fragmentation ratio", fragmentation, ""],
            ["evicted keys", evicted, ""],
            ["maxmemory policy", None, policy],
        ]
        of = f" of {rows[2][2]} ({percent:.0f} %)" if percent is not None else " (no maxmemory)"
        summary = f"{rows[0][2]} used{of}, peak {rows[1][2]}" + (f"; {'; '.join(why)}" if why else "")
        text = "\n".join(f"{k}:{v}" for k, v in memory.items())
        return Result(verdict, summary, ["metric", "value", "human"], rows, text)


@register
class SlowLog(Check):
    """The last slow commands: which call blocked the single-threaded server, and who sent it."""

    name = "redis.slowlog"
    kind = "redis"
    title = "Slow commands"
    runbook = "redis-cli SLOWLOG GET 10"
    params = {"count": (int, 10)}
    slow_ms = 100

    def clean_params(self, raw: dict | None) -> dict:
        params = super().clean_params(raw)
        if params["count"] is None or not 1 <= params["count"] <= 128:
            raise ParamError(f"{self.name}: count must be between 1 and 128")
        return params

    def run(self, target: Target, params: dict) -> Result:
        with connect(target) as client:
            entries = client.slowlog_get(params["count"])
            length = client.slowlog_len()
        rows, verdict = [], OK
        for entry in entries:
            micros = int(entry["duration"])
            if micros >= self.slow_ms * 1000:
                verdict = WARN
            when = datetime.fromtimestamp(int(entry["start_time"]), tz=UTC).isoformat()
            rows.append([entry["id"], when, micros, round(micros / 1000, 3), _cut(_text(entry.get("command"))),
                         _text(entry.get("client_address")), _text(entry.get("client_name"))])
        if not rows:
            summary = "Slow log is empty"
        else:
            slowest = max(rows, key=lambda r: r[2])
            summary = (f"{len(rows)} of {length} slow-log entries; slowest {slowest[3]} ms: "
                       f"{_cut(slowest[4], 80)}")
        columns = ["id", "time", "duration µs", "duration ms", "command", "client address", "client name"]
        return Result(verdict, summary, columns, rows)


@register
class Clients(Check):
    """Connected clients against maxclients, grouped by host and name: who is leaking connections."""

    name = "redis.clients"
    kind = "redis"
    title = "Clients"
    runbook = "redis-cli CLIENT LIST"
    top = 5  # oldest and most idle clients listed
    groups = 20  # hosts and names listed

    def run(self, target: Target, params: dict) -> Result:
        with connect(target) as client:
            clients = client.client_list()
            maxclients = client.info("clients").get("maxclients")
            if maxclients is None:  # Redis < 7 does not report it in INFO
                try:
                    maxclients = client.config_get("maxclients").get("maxclients")
                except redis.ResponseError:  # CONFIG is often renamed or denied on managed Redis
                    maxclients = None
        maxclients = int(maxclients) if maxclients else None
        count = len(clients)
        percent = 100 * count / maxclients if maxclients else None
        verdict = clients_verdict(count, maxclients)

        def host(c: dict) -> str:
            return c.get("addr", "").rsplit(":", 1)[0] or "?"

        def name(c: dict) -> str:
            return c.get("name") or "(no name)"

        def age(c: dict) -> int:
            return int(c.get("age", 0))

        def idle(c: dict) -> int:
            return int(c.get("idle", 0))

        rows: list[list[Any]] = []
        for view, group_key, other_key, label in (("by host", host, name, "names"), ("by name", name, host, "hosts")):
            groups: dict[str, list[dict]] = defaultdict(list)
            for c in clients:
                groups[group_key(c)].append(c)
            for key, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[: self.groups]:
                others = sorted({other_key(c) for c in members})
                rows.append([view, key, len(members), human_seconds(max(map(age, members))),
                             human_seconds(max(map(idle, members))),
                             f"{label}: {', '.join(others[:5])}" + (f" and {len(others) - 5} more" if len(others) > 5
                                                                    else "")])
        for view, sort_key in (("oldest", age), ("most idle", idle)):
            for c in sorted(clients, key=sort_key, reverse=True)[: self.top]:
                rows.append([view, c.get("addr", ""), 1, human_seconds(age(c)), human_seconds(idle(c)),
                             f"id {c.get('id')}, name {c.get('name') or '-'}, db {c.get('db')}, "
                             f"last command {c.get('cmd')}, flags {c.get('flags')}"])

        of = f" of {maxclients} maxclients ({percent:.0f} %)" if percent is not None else " (maxclients unknown)"
        summary = f"{count} clients{of}" + (f"; most from {rows[0][1]} ({rows[0][2]})" if rows else "")
        text = "\n".join(" ".join(f"{k}={c.get(k, '')}" for k in ("id", "addr", "name", "age", "idle", "db", "cmd"))
                         for c in clients)
        return Result(verdict, summary, ["view", "key", "clients", "oldest", "most idle", "detail"], rows, text)
