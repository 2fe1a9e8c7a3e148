"""A local fake of Slack's Web API on 127.0.0.1, written like tests/diagnostics/fake_servers.py.

It speaks the methods Warroom calls (conversations.create / setTopic / invite, chat.postMessage,
chat.postEphemeral, pins.add, users.lookupByEmail, users.info) over real HTTP, for slack_sdk's WebClient
with base_url pointed here; it keeps a small workspace (channels, messages, pins, people) and records every
call with its headers. `script[method]` makes the next calls misbehave: an error code ("name_taken"),
("ratelimited", seconds) for an HTTP 429 with Retry-After, 500 for a server error, "echo" for invalid_auth
quoting the Authorization header back, or "hang" for no answer before the client's timeout.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.serving import serving

TOKEN = "xoxb-test-bot-token-SECRET-0123456789"


@dataclass
class Call:
    method: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class Workspace:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {"email": …}
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {"name", "topic", "members"}
    messages: list[dict[str, Any]] = field(default_factory=list)  # {"channel", "text", "ts"}
    pins: list[tuple[str, str]] = field(default_factory=list)  # (channel, ts)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)  # {"channel", "user", "text"}

    def add_user(self, user_id: str, email: str) -> None:
        self.users[user_id] = {"email": email}

    def channel_named(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.channels.values() if c["name"] == name), None)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        method = self.path.rsplit("/", 1)[-1]
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params = {k: str(v) for k, v in (json.loads(body or "{}")).items()}
        else:
            params = {k: v[0] for k, v in parse_qs(body).items()}
        with server.lock:
            server.calls.append(Call(method, params, dict(self.headers)))
            script = server.script.get(method, [])
            step = script.pop(0) if script else None
        if step == "echo":  # a chatty server quoting the request's credentials back
            return self._send(200, {"ok": False, "error": "invalid_auth",
                                    "detail": f"got Authorization: {self.headers.get('Authorization')}"})
        if step == "hang":
            server.release.wait(30)
            return
        if isinstance(step, int):
            return self._send(step, {"ok": False, "error": "internal_error"})
        if isinstance(step, tuple):  # ("ratelimited", seconds)
            return self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(step[1])})
        if isinstance(step, str):
            return self._send(200, {"ok": False, "error": step})
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(200, {"ok": False, "error": "invalid_auth"})
        with server.lock:
            answer = self._answer(server.workspace, method, params)
        self._send(200, answer)

    def _answer(self, ws: Workspace, method: str, p: dict[str, str]) -> dict[str, Any]:
        if method == "conversations.create":
            if ws.channel_named(p["name"]):
                return {"ok": False, "error": "name_taken"}
            channel_id = f"C{len(ws.channels) + 1:08d}"
            ws.channels[channel_id] = {"name": p["name"], "topic": "", "members": []}
            return {"ok": True, "channel": {"id": channel_id, "name": p["name"]}}
        if method in ("conversations.setTopic", "conversations.invite", "chat.postMessage", "pins.add"):
            channel = ws.channels.get(p.get("channel", ""))
            if channel is None:
                return {"ok": False, "error": "channel_not_found"}
            if method == "conversations.setTopic":
                channel["topic"] = p["topic"]
                return {"ok": True}
            if method == "conversations.invite":
                channel["members"].extend(p["users"].split(","))
                return {"ok": True, "channel": {"id": p["channel"]}}
            if method == "chat.postMessage":
                ts = f"1700000000.{len(ws.messages) + 1:06d}"
                ws.messages.append({"channel": p["channel"], "text": p["text"], "ts": ts})
                return {"ok": True, "channel": p["channel"], "ts": ts}
            ws.pins.append((p["channel"], p["timestamp"]))
            return {"ok": True}
        if method == "chat.postEphemeral":
            ws.ephemeral.append({"channel": p["channel"], "user": p["user"], "text": p["text"]})
            return {"ok": True, "message_ts": "1700000000.000001"}
        if method == "users.lookupByEmail":
            for user_id, user in ws.users.items():
                if user["email"].lower() == p.get("email", "").lower():
                    return {"ok": True, "user": {"id": user_id, "profile": {"email": user["email"]}}}
            return {"ok": False, "error": "users_not_found"}
        if method == "users.info":
            user = ws.users.get(p.get("user", ""))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": p["user"], "profile": {"email": user["email"]}}}
        return {"ok": False, "error": "unknown_method"}

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeSlack(ThreadingHTTPServer):
    daemon_threads = True
    url: str
    api_url: str
    calls: list[Call]
    script: dict[str, list[Any]]
    workspace: Workspace

    def methods(self) -> list[str]:
        with self.lock:
            return [c.method for c in self.calls]

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.script.clear()
            self.workspace = Workspace()
        self.release.clear()


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack(("127.0.0.1", 0), _Handler)
    server.calls, server.script, server.workspace = [], {}, Workspace()
    server.lock = threading.Lock()
    server.release = threading.Event()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.api_url = server.url + "/api/"
    with serving(server, release=server.release):
        yield server
