"""bench/live.py's load: N raw Server-Sent Events clients on one incident and M on the dashboard, to 127.0.0.1 only.

    python bench/live_watchers.py PORT SESSION INCIDENT_PK WATCHERS DASHBOARDS SECONDS OUT.json

Connects them all (at most 50 connecting at once), prints "connected N" once every stream said its first event,
then records when each incident watcher receives each version (time.time(), the bench's clock too) until it is sent
SIGTERM or SECONDS pass (a hard bound). Writes {"connected", "failed", "received": {version: [times]},
"dashboard_events", "ended"} to OUT.json.
"""

import asyncio
import contextlib
import json
import resource
import signal
import sys
import time
from collections import defaultdict


async def watch(port: int, session: str, path: str, ready: asyncio.Event, stats: dict, received, gate) -> None:
    try:
        async with gate:  # at most 50 connecting at once; held only until the answer's headers are in
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                         f"Cookie: sessionid={session}\r\n\r\n".encode())
            await writer.drain()
            status = await asyncio.wait_for(reader.readline(), 60)
            if b" 200 " not in status:
                stats["failed"] += 1
                return
            while (await reader.readline()) not in (b"\r\n", b""):
                pass  # headers
        first = True
        event, data = "", ""
        while True:
            line = await reader.readline()
            if not line:
                stats["ended"] += 1
                stats["ends"]["closed"] = stats["ends"].get("closed", 0) + 1
                return
            text = line.decode().rstrip("\r\n")
            # chunked transfer: size lines are hex alone on a line; SSE lines always contain ":"
            if ":" not in text:
                if not text and event:
                    now = time.time()
                    if first:
                        first = False
                        stats["connected"] += 1
                        if stats["connected"] >= stats["expected"]:
                            ready.set()
                    elif event == "version":
                        received[data].append(now)
                    elif event == "change":
                        stats["dashboard_events"] += 1
                    elif event == "end":
                        stats["ended"] += 1
                        stats["ends"][data] = stats["ends"].get(data, 0) + 1
                        return
                    event, data = "", ""
                continue
            name, _, value = text.partition(": ")
            if name == "event":
                event = value
            elif name == "data":
                data = value
    except (OSError, TimeoutError):
        stats["failed"] += 1


async def main() -> None:
    port, session, pk = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    watchers, dashboards, seconds, out = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    stats = {"connected": 0, "failed": 0, "ended": 0, "dashboard_events": 0, "ends": {},
             "expected": watchers + dashboards}
    received: dict[str, list[float]] = defaultdict(list)
    ready, stop = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    gate = asyncio.Semaphore(50)
    tasks = [asyncio.create_task(watch(port, session, f"/incidents/{pk}/live/stream/", ready, stats, received, gate))
             for _ in range(watchers)]
    tasks += [asyncio.create_task(watch(port, session, "/live/stream/", ready, stats, received, gate))
              for _ in range(dashboards)]
    started = time.monotonic()

    async def say_ready() -> None:
        await ready.wait()
        print(f"connected {stats['connected']} in {time.monotonic() - started:.1f} s", flush=True)

    announcer = asyncio.create_task(say_ready())
    with contextlib.suppress(TimeoutError):  # the hard bound
        await asyncio.wait_for(stop.wait(), seconds)
    announcer.cancel()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    with open(out, "w") as f:
        json.dump({**stats, "received": received}, f)


if __name__ == "__main__":
    asyncio.run(main())
