"""Reading a provider's public status: Statuspage v2's summary.json, or an RSS/Atom feed.

Pure functions over the bytes (`parse_summary`, `parse_feed`) and one bounded fetch (`fetch`): a short
timeout, no redirects to follow forever, at most MAX_BYTES read. Feeds are untrusted XML: defusedxml.

The feed rule (feeds say nothing machine-readable about state, so we decide): a provider is **degraded**
when an item was published or updated within the last FEED_WINDOW (3 hours) and its title does not say it
is over ("resolved", "operating normally", "completed", "restored"); otherwise **operational**. AWS's
health feed titles an item "Service is operating normally: [RESOLVED] …" once it is over.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import urllib3
from defusedxml import ElementTree  # type: ignore[import-untyped]  # no stubs published
from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped]
from urllib3 import exceptions as http_errors

from status.models import ProviderState
from warroom.redact import mask_url_credentials

MAX_BYTES = 1_000_000
FEED_WINDOW = dt.timedelta(hours=3)
OVER = re.compile(r"\b(resolved|operating normally|completed|restored)\b", re.IGNORECASE)
LIST_LIMIT = 5  # components, incidents or items kept per provider

INDICATOR_STATE = {"none": ProviderState.OPERATIONAL, "maintenance": ProviderState.OPERATIONAL,
                   "minor": ProviderState.DEGRADED, "major": ProviderState.OUTAGE, "critical": ProviderState.OUTAGE}
COMPONENT_STATE = {"operational": ProviderState.OPERATIONAL, "under_maintenance": ProviderState.OPERATIONAL,
                   "degraded_performance": ProviderState.DEGRADED, "partial_outage": ProviderState.DEGRADED,
                   "major_outage": ProviderState.OUTAGE}
RANK = [ProviderState.OPERATIONAL, ProviderState.DEGRADED, ProviderState.OUTAGE]


class ReadError(Exception):
    """Why a provider could not be read, in a sentence for the dashboard (never a secret: see `scrubbed`)."""


@dataclass
class Reading:
    state: ProviderState
    description: str
    detail: dict = field(default_factory=dict)


def scrubbed(text: str, url: str = "") -> str:
    """An error for a page: credentials in URLs masked, the provider URL's query (tokens) dropped, bounded."""
    text = mask_url_credentials(str(text))
    if url and "?" in url:
        text = text.replace(url.split("?", 1)[1], "****")
    return text[:400]


def summary_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/api/v2/summary.json") else f"{base}/api/v2/summary.json"


def fetch(url: str, *, timeout: float) -> bytes:
    """GET url with a total timeout; at most MAX_BYTES; 2xx only."""
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=timeout))
    try:
        response = http.request("GET", url, preload_content=False, redirect=False,
                                headers={"User-Agent": "Warroom status reader", "Accept": "application/json, "
                                         "application/atom+xml, application/rss+xml, application/xml, */*"})
    except http_errors.NewConnectionError:  # a subclass of ConnectTimeoutError in urllib3 2: first
        raise ReadError("cannot connect: connection refused") from None
    except http_errors.NameResolutionError:
        raise ReadError("cannot connect: host name does not resolve") from None
    except (http_errors.TimeoutError, TimeoutError):
        raise ReadError(f"no answer within {timeout:g} s") from None
    except http_errors.HTTPError as exc:
        raise ReadError(f"cannot connect: {type(exc).__name__}") from None
    try:
        if not 200 <= response.status < 300:
            raise ReadError(f"HTTP {response.status}")
        body = response.read(MAX_BYTES + 1)
    except (http_errors.TimeoutError, TimeoutError):
        raise ReadError(f"no answer within {timeout:g} s") from None
    except http_errors.HTTPError as exc:
        raise ReadError(f"read failed: {type(exc).__name__}") from None
    finally:
        response.release_conn()
    if len(body) > MAX_BYTES:
        raise ReadError(f"answer larger than {MAX_BYTES:,} bytes")
    return body


def worst(states: list[ProviderState]) -> ProviderState:
    return max(states, key=RANK.index) if states else ProviderState.OPERATIONAL


def parse_summary(body: bytes, *, watch: list[str]) -> Reading:
    """Statuspage v2 summary.json → state: the watched components' worst, or the page's indicator."""
    try:
        data = json.loads(body)
        indicator = data["status"]["indicator"]
        description = str(data["status"].get("description", ""))[:300]
        components = [{"name": str(c["name"]), "status": str(c["status"])} for c in data.get("components", [])]
        incidents = [{"name": str(i["name"]), "status": str(i.get("status", "")), "impact": str(i.get("impact", ""))}
                     for i in data.get("incidents", []) if i.get("status") not in ("resolved", "postmortem")]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReadError(f"not a Statuspage v2 summary: {type(exc).__name__}") from None
    if indicator not in INDICATOR_STATE:
        raise ReadError(f"unknown indicator {str(indicator)[:40]!r}")
    detail: dict = {"indicator": indicator, "incidents": incidents[:LIST_LIMIT]}
    if watch:
        watched = [c for c in components if c["name"] in watch]
        detail["components"] = watched[:LIST_LIMIT * 4]
        missing = sorted(set(watch) - {c["name"] for c in watched})
        if missing:
            detail["missing"] = missing
        states = [COMPONENT_STATE.get(c["status"], ProviderState.DEGRADED) for c in watched]
        state = worst(states)
        bad = [c["name"] for c in watched if COMPONENT_STATE.get(c["status"]) != ProviderState.OPERATIONAL]
        description = f"{', '.join(bad)} affected" if bad else "Watched components operational"
        return Reading(state, description, detail)
    detail["components"] = [c for c in components if c["status"] != "operational"][:LIST_LIMIT * 4]
    return Reading(INDICATOR_STATE[indicator], description, detail)


ATOM = "{http://www.w3.org/2005/Atom}"


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    text = text.strip()
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def parse_feed(body: bytes, *, now: dt.datetime) -> Reading:
    """RSS 2.0 or Atom → degraded when a recent item does not say it is over (see the module's docstring)."""
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise ReadError(f"not a feed: {type(exc).__name__}") from None
    items = []
    if root.tag == "rss":
        for item in root.iter("item"):
            items.append((item.findtext("title") or "", _when(item.findtext("pubDate"))))
    elif root.tag == f"{ATOM}feed":
        for entry in root.iter(f"{ATOM}entry"):
            items.append((entry.findtext(f"{ATOM}title") or "",
                          _when(entry.findtext(f"{ATOM}updated") or entry.findtext(f"{ATOM}published"))))
    else:
        raise ReadError("not a feed: neither RSS nor Atom")
    recent = [(title.strip()[:200], when) for title, when in items if when and now - FEED_WINDOW <= when <= now
              + dt.timedelta(minutes=5)]
    open_items = [title for title, _ in recent if not OVER.search(title)]
    detail = {"items": [{"title": t, "at": w.isoformat()} for t, w in sorted(recent, key=lambda r: r[1],
                                                                           reverse=True)][:LIST_LIMIT]}
    if open_items:
        return Reading(ProviderState.DEGRADED, open_items[0][:300], detail)
    return Reading(ProviderState.OPERATIONAL, "No open items in the last 3 hours", detail)
