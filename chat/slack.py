"""Talking to Slack: the Web API through slack_sdk, and checking that a request really comes from Slack.

Configured from WARROOM_SLACK_BOT_TOKEN, WARROOM_SLACK_SIGNING_SECRET (each also from *_FILE) and
WARROOM_SLACK_API_URL. Every failure becomes a SlackError fit for the timeline: Slack's error code or the HTTP
status, never the token. slack_sdk retries nothing here (the Celery task does, with backoff and Retry-After).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from typing import Any

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from warroom.redact import MASK, mask_url_credentials

# Slack's error codes worth another attempt; anything else (name_taken, not_allowed…) will not change by waiting.
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
REPLAY_WINDOW = 5 * 60  # seconds: Slack's own advice for X-Slack-Request-Timestamp
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class SlackError(Exception):
    """A call that did not work; `transient` ones are retried, after `retry_after` seconds when Slack said so."""

    def __init__(self, message: str, *, code: str = "", transient: bool = False, retry_after: int | None = None):
        super().__init__(message)
        self.code, self.transient, self.retry_after = code, transient, retry_after


def configured() -> bool:
    """Slack is on when a bot token is set; without one nothing is sent and the incident page says so."""
    return bool(settings.SLACK_BOT_TOKEN)


def commands_configured() -> bool:
    """Slash commands and shortcuts need the signing secret too: without it no request can be trusted."""
    return bool(settings.SLACK_SIGNING_SECRET)


class _Scrub(logging.Filter):
    """slack_sdk logs each request's headers at DEBUG (the token is one): take it out of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        cleaned = scrub(text)
        if cleaned != text:
            record.msg, record.args = cleaned, ()
        return True


_sdk_log = logging.getLogger("chat.slack_sdk")
_sdk_log.addFilter(_Scrub())


def scrub(text: str) -> str:
    for secret in (settings.SLACK_BOT_TOKEN, settings.SLACK_SIGNING_SECRET):
        if secret:
            text = text.replace(secret, MASK)
    return mask_url_credentials(text)


def client(timeout: float | None = None) -> WebClient:
    # slack_sdk's annotation says int; urllib, which it hands the timeout to, takes seconds as a float.
    seconds: Any = timeout or settings.SLACK_TIMEOUT
    return WebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL, timeout=seconds,
                     logger=_sdk_log, retry_handlers=[])


def call(method: str, *, timeout: float | None = None, **params: Any) -> dict[str, Any]:
    """One Web API call (e.g. "conversations.create"); its data, or a SlackError naming what went wrong."""
    web = client(timeout)
    try:
        response = web.api_call(method, data=params)  # form-encoded: every method takes it
        return dict(response.data) if isinstance(response.data, dict) else {}
    except SlackApiError as exc:
        status = exc.response.status_code
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        code = str(data.get("error") or f"HTTP {status}")
        retry_after = _retry_after(exc.response.headers)
        transient = status == 429 or status >= 500 or code in TRANSIENT_ERRORS
        said = "rate limited" if status == 429 else code
        wait = f"; Slack asked us to wait {retry_after} s" if retry_after is not None else ""
        raise SlackError(scrub(f"Slack's {method} answered {said}{wait}"), code=code, transient=transient,
                         retry_after=retry_after) from None
    except (SlackClientError, OSError) as exc:  # unreachable, timed out, not JSON
        raise SlackError(scrub(f"could not reach Slack for {method} ({type(exc).__name__})"), transient=True) \
            from None


def _retry_after(headers: Any) -> int | None:
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(0, int(str(value).strip()))
            except ValueError:
                return None
    return None


def sign(body: bytes, timestamp: str, secret: str) -> str:
    """X-Slack-Signature: v0= + HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}")."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(body: bytes, timestamp: str | None, signature: str | None, *, now: float | None = None) -> str:
    """"" when the request is Slack's; otherwise why not (for the log, never the secret)."""
    secret = settings.SLACK_SIGNING_SECRET
    if not secret:
        return "Slack commands are off: WARROOM_SLACK_SIGNING_SECRET is not set."
    if not timestamp or not signature:
        return "The request is not signed."
    try:
        sent = int(timestamp)
    except ValueError:
        return "The request's timestamp is not a number."
    moment = time.time() if now is None else now
    if abs(moment - sent) > REPLAY_WINDOW:
        return "The request's timestamp is more than 5 minutes away: a replay, or a clock far off."
    if not hmac.compare_digest(sign(body, timestamp, secret).encode(), signature.encode()):
        return "The request's signature is wrong."
    return ""
