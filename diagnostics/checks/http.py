"""Checks for HTTP targets: the runbook's "npm run health-check", one row per health URL."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3 import exceptions as http_errors

from diagnostics.checks.base import CRITICAL, OK, WARN, Check, CheckError, Result, Verdict, register, worst
from warroom.redact import mask_url_password

if TYPE_CHECKING:
    from targets.models import Target

MAX_REDIRECTS = 3
SLOW_MS = 1000
EXCERPT = 200
READ_BYTES = 8192  # enough for an excerpt; a health URL that streams megabytes must not stall the check
REDIRECTS = {301, 302, 303, 307, 308}


def _why(exc: Exception, timeout: float) -> str:
    """Why a URL could not be read, in the words an on-call engineer would use."""
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(exc, http_errors.NameResolutionError):
        return "host name does not resolve"
    if isinstance(exc, http_errors.NewConnectionError):
        return "connection refused" if "refused" in str(exc).lower() else f"cannot connect: {exc}"
    if isinstance(exc, http_errors.ConnectTimeoutError):
        return f"connect timed out after {timeout:g} s"
    if isinstance(exc, http_errors.ReadTimeoutError | TimeoutError):
        return f"no response within {timeout:g} s"
    if isinstance(exc, http_errors.SSLError):
        return f"TLS error: {exc}"
    if isinstance(exc, http_errors.ProtocolError):
        return f"connection dropped: {exc}"
    return f"{type(exc).__name__}: {exc}"


@dataclass
class Probe:
    url: str
    status: int | None = None
    latency_ms: int | None = None
    verdict: Verdict = OK
    excerpt: str = ""
    note: str = ""

    @property
    def unreachable(self) -> bool:
        return self.status is None

    def describe(self) -> str:
        return ", ".join(filter(None, [str(self.status or ""), self.note]))

    def row(self) -> list:
        return [mask(self.url), self.status, self.latency_ms, self.verdict, self.excerpt, self.note]


def mask(url: str) -> str:
    return mask_url_password(url)


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def probe(pool: urllib3.PoolManager, url: str, timeout: float, token: str | None = None) -> Probe:
    """GET one URL, following at most MAX_REDIRECTS http(s) redirects, all within one timeout.

    The token goes as a bearer token to the URL's own origin only: a redirect elsewhere does not carry it."""
    result = Probe(url)
    if urlsplit(url).scheme not in ("http", "https"):
        result.verdict, result.note = CRITICAL, "not an http(s) URL"
        return result
    start = time.monotonic()
    current, hops = url, 0
    while True:
        remaining = timeout - (time.monotonic() - start)
        if remaining <= 0:
            result.verdict, result.note = CRITICAL, f"no response within {timeout:g} s"
            return result
        try:
            auth = {"Authorization": f"Bearer {token}"} if token and _origin(current) == _origin(url) else {}
            response = pool.request("GET", current, headers={**pool.headers, **auth}, redirect=False, retries=False,
                                    preload_content=False, timeout=urllib3.Timeout(total=remaining))
        except (http_errors.HTTPError, OSError) as exc:
            result.status, result.verdict, result.note = None, CRITICAL, _why(exc, timeout)
            result.latency_ms = round((time.monotonic() - start) * 1000)
            return result
        try:
            result.latency_ms = round((time.monotonic() - start) * 1000)
            location = response.headers.get("Location")
            if response.status in REDIRECTS and location and hops < MAX_REDIRECTS:
                target = urljoin(current, location)
                if urlsplit(target).scheme in ("http", "https"):
                    current, hops = target, hops + 1
                    continue
            result.status = response.status
            try:
                body = response.read(READ_BYTES, decode_content=True)
            except (http_errors.HTTPError, OSError) as exc:
                body, result.note = b"", f"body unreadable: {_why(exc, timeout)}"
            result.excerpt = " ".join(body.decode("utf-8", "replace").split())[:EXCERPT]
        finally:
            response.close()
        break
    if hops:
        result.note = f"after {hops} redirect{'s' if hops > 1 else ''} to {mask(current)}"
    if result.status in REDIRECTS:
        result.note = f"still redirecting after {MAX_REDIRECTS} redirects" if hops else "redirect without Location"
    status, slow = result.status or 0, (result.latency_ms or 0) >= SLOW_MS
    result.verdict = (CRITICAL if status >= 500 else
                      WARN if status >= 400 or status in REDIRECTS or slow else OK)
    if slow:
        result.note = "; ".join(filter(None, [result.note, f"slow: {result.latency_ms} ms"]))
    return result


@register
class Health(Check):
    """Every health URL of a service, in parallel: status, latency and what the body says."""

    name = "http.health"
    kind = "http"
    title = "Health URLs"
    runbook = "npm run health-check"

    def run(self, target: Target, params: dict) -> Result:
        urls = [url for url in target.health_urls if url]
        if not urls:
            raise CheckError(f"{target} has no health URL to check")
        timeout = float(target.timeout_seconds)
        token = target.secret()
        pool = urllib3.PoolManager(headers={"User-Agent": "warroom-health-check"})
        try:
            with ThreadPoolExecutor(max_workers=min(8, len(urls))) as executor:
                probes = list(executor.map(lambda url: probe(pool, url, timeout, token), urls))
        finally:
            pool.clear()
        if all(p.unreachable for p in probes):
            reasons = "; ".join(f"{mask(p.url)}: {p.note}" for p in probes)
            where = target.display_url + (f" and {len(urls) - 1} more" if len(urls) > 1 else "")
            raise CheckError(f"{where} unreachable: {reasons}")
        verdict = worst(*(p.verdict for p in probes))
        counts = {v: sum(p.verdict == v for p in probes) for v in (OK, WARN, CRITICAL)}
        bad = [p for p in probes if p.verdict != OK]
        summary = (f"{len(probes)} URL{'s' if len(probes) > 1 else ''}: "
                   + ", ".join(f"{n} {v}" for v, n in counts.items() if n)
                   + (f"; {mask(bad[0].url)}: {bad[0].describe()}" if bad else ""))
        columns = ["url", "status", "latency ms", "verdict", "body excerpt", "note"]
        return Result(verdict, summary, columns, [p.row() for p in probes])
