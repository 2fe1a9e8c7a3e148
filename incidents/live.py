"""Push instead of poll: a committed change is published on Redis; open pages hear it over Server-Sent Events.

The event is only a trigger carrying the incident's version (or the dashboard's token): the page then fetches
its existing live partial, so permissions and rendering stay in one place (the poll views) and no user's forms or
CSRF token ever travel through Redis. Where there is no Redis, no ASGI server, or a proxy that buffers, the page
keeps polling (static/warroom/live.js).

Each web process holds one Redis connection for all its streams (`_Hub`): a stream is a coroutine waiting on an
`asyncio.Event`, so an idle watcher costs no query and holds no database connection, only a timer for its
heartbeat. The hub also re-checks every open stream's session and permission in one batch (two queries for the
whole process, on one worker thread) every LIVE_RECHECK_SECONDS, and ends the streams that failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.db import connection, transaction

log = logging.getLogger(__name__)

DASHBOARD = "dashboard"


def enabled() -> bool:
    return bool(settings.LIVE_REDIS_URL)


def channel(name: str) -> str:
    """Pub/sub channels are not per Redis database: prefix them with the deployment's name."""
    prefix = settings.LIVE_CHANNEL_PREFIX or f"warroom:{connection.settings_dict['NAME']}"
    return f"{prefix}:{name}"


def incident_channel(pk: int) -> str:
    return channel(f"incident:{pk}")


# ---- Publishing (sync, from services) ------------------------------------------------------------------------

_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.LIVE_REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _client


def _publish(pk: int, version: int) -> None:
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.publish(incident_channel(pk), str(version))
        pipe.publish(channel(DASHBOARD), f"{pk}:{version}")
        pipe.execute()
    except redis.RedisError as exc:  # the write is committed; pages still catch up by polling or on reconnect
        log.warning("live: could not publish incident %s version %s: %s", pk, version, exc)


# Inside a request, publishing waits until the response has gone: the fan-out to a thousand streams then never
# delays the answer to the person who made the change (the commander), only follows it by a few milliseconds.
# A thread-local, not a ContextVar: under ASGI, Django sends request_started and request_finished from tasks of
# their own (a ContextVar set there would not reach the view), but every sync step of one request - the signals,
# the view, its on_commit callbacks, response.close() - runs on the request's one thread (thread_sensitive).
_after_response = threading.local()


def _publish_or_defer(pk: int, version: int) -> None:
    pending: list[tuple[int, int]] | None = getattr(_after_response, "pending", None)
    if pending is None:  # a worker, a command, a shell: nobody is waiting for a response
        _publish(pk, version)
    else:
        pending.append((pk, version))


def publish_on_commit(pk: int, version: int) -> None:
    """Tell the open pages once the change is visible to their fetch, never before (nor on a rollback)."""
    if enabled():
        transaction.on_commit(partial(_publish_or_defer, pk, version))


def request_started(**kwargs: object) -> None:
    _after_response.pending = []


def request_finished(**kwargs: object) -> None:
    """Sent by Django once the response is written (WSGI and ASGI alike), or when a stream ends."""
    pending = getattr(_after_response, "pending", None)
    _after_response.pending = None
    for pk, version in pending or ():
        _publish(pk, version)


# ---- One subscriber per web process --------------------------------------------------------------------------

Watcher = tuple[int, str | None]
Check = Callable[[list[Watcher]], Awaitable[set[Watcher]]]


class Listener:
    """What one stream waits on: the latest message of its channel (older ones are superseded, not queued)."""

    __slots__ = ("channel", "forbidden", "latest", "lost", "ready", "watcher", "woken")

    def __init__(self, name: str, watcher: Watcher | None = None):
        self.channel = name
        self.watcher = watcher  # (user id, session key) re-checked by the hub
        self.forbidden = False
        self.latest: bytes | None = None
        self.ready = asyncio.Event()  # Redis confirmed the subscription: nothing published after this is missed
        self.woken = asyncio.Event()
        self.lost = False


class _Hub:
    def __init__(self, url: str):
        self.client = aioredis.Redis.from_url(url)
        self.pubsub = self.client.pubsub()
        self.listeners: dict[str, set[Listener]] = {}
        self.confirmed: set[str] = set()  # channels Redis has confirmed
        self.reader: asyncio.Task | None = None
        self.dead = False
        self.watched: set[Listener] = set()  # streams whose session and permission the hub re-checks
        self.check: Check | None = None
        self.checker: asyncio.Task | None = None

    def watch(self, listener: Listener, check: Check) -> None:
        self.watched.add(listener)
        self.check = check
        if self.checker is None or self.checker.done():
            self.checker = asyncio.create_task(self._recheck())

    async def _recheck(self) -> None:
        """One batched check for all of this process's open streams, then end those that failed."""
        while self.watched:
            await asyncio.sleep(settings.LIVE_RECHECK_SECONDS)
            listeners = [listener for listener in self.watched if listener.watcher is not None]
            if not listeners or self.check is None:
                continue
            try:
                allowed = await self.check(list({listener.watcher for listener in listeners if listener.watcher}))
            except Exception as exc:  # the database blinked: try again next round, streams stay open
                log.warning("live: re-check failed: %s", exc)
                continue
            for listener in listeners:
                if listener.watcher not in allowed:
                    listener.forbidden = True
                    listener.woken.set()

    async def add(self, listener: Listener) -> None:
        group = self.listeners.setdefault(listener.channel, set())
        group.add(listener)
        if listener.channel in self.confirmed:
            listener.ready.set()
        elif len(group) == 1:
            await self.pubsub.subscribe(listener.channel)
            if self.reader is None:  # only once the pub/sub connection exists: reading starts on it
                self.reader = asyncio.create_task(self._read())

    async def remove(self, listener: Listener) -> None:
        self.watched.discard(listener)
        group = self.listeners.get(listener.channel)
        if group is None:
            return
        group.discard(listener)
        if not group:
            del self.listeners[listener.channel]
            self.confirmed.discard(listener.channel)
            if not self.dead:
                with contextlib.suppress(redis.RedisError, OSError):
                    await self.pubsub.unsubscribe(listener.channel)

    async def _read(self) -> None:
        try:
            while True:
                message = await self.pubsub.get_message(timeout=None)
                if message is None:
                    continue
                name = message["channel"].decode()
                group = self.listeners.get(name, ())
                if message["type"] == "subscribe" and group:
                    self.confirmed.add(name)
                    for listener in group:
                        listener.ready.set()
                elif message["type"] == "message":
                    for listener in group:
                        listener.latest = message["data"]
                        listener.woken.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis went away: every stream ends, its page reconnects or polls
            log.warning("live: lost Redis: %s", exc)
        self.dead = True
        if _hubs.get(asyncio.get_running_loop()) is self:
            del _hubs[asyncio.get_running_loop()]
        for group in self.listeners.values():
            for listener in group:
                listener.lost = True
                listener.ready.set()
                listener.woken.set()


_hubs: dict[asyncio.AbstractEventLoop, _Hub] = {}


def _hub() -> _Hub:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = _Hub(settings.LIVE_REDIS_URL)
    return hub


# ---- The stream ------------------------------------------------------------------------------------------------

def _event(name: str, data: str, event_id: str | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {data}\n\n".encode()


async def stream(
    name: str,
    *,
    current: Callable[[], Awaitable[str]],
    watcher: Watcher,
    check: Check,
    with_id: bool,
) -> AsyncIterator[bytes]:
    """Subscribe, say the current state (the page catches up if it moved), then one event per change.

    `current()` reads the version or token once, after the subscription is confirmed, so a change committed in
    between is either in it or published after it. The hub checks `watcher` (user id, session key) with `check`,
    batched with the process's other streams, every LIVE_RECHECK_SECONDS; when it fails the stream says `end`.
    """
    hub = _hub()
    listener = Listener(name, watcher)
    try:
        await hub.add(listener)
        await asyncio.wait_for(listener.ready.wait(), timeout=5)
        if listener.lost:
            yield _event("end", "unavailable")
            return
        now = await current()
        yield f"retry: {settings.LIVE_RETRY_MS}\n".encode() + _event("version", now, now if with_id else None)
        hub.watch(listener, check)
        while True:
            try:
                await asyncio.wait_for(listener.woken.wait(), timeout=settings.LIVE_HEARTBEAT_SECONDS)
            except TimeoutError:
                yield _event("ping", "")
                continue
            listener.woken.clear()
            if listener.forbidden:
                yield _event("end", "forbidden")
                return
            if listener.lost:
                yield _event("end", "unavailable")
                return
            data = (listener.latest or b"").decode()
            if with_id:
                yield _event("version", data, data)
            else:
                yield _event("change", data)
    except TimeoutError:
        yield _event("end", "unavailable")
    except (redis.RedisError, OSError) as exc:
        log.warning("live: stream %s failed: %s", name, exc)
        yield _event("end", "unavailable")
    finally:
        await hub.remove(listener)
