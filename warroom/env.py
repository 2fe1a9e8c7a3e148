"""Typed readers for settings that come from the environment.

Every value is checked at start-up, so a typo stops the process with a message
that names the variable instead of failing later in a request.
"""

import datetime as dt
import ipaddress
import os
import zoneinfo
from pathlib import Path
from typing import overload
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    """A variable's value, or the contents of the file named by NAME_FILE (for secrets)."""
    value = os.environ.get(name)
    if value is not None:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc.strerror}") from exc
    return None


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    """The variable's text; with a str default the answer is never None, which the overloads tell mypy."""
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use true or false")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_pairs(name: str) -> list[tuple[str, str]]:
    """Name=value pairs separated by commas, e.g. API=https://grafana/d/abc,DB=https://grafana/d/def."""
    pairs = []
    for item in env_list(name, []):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name}: {item!r} is not Name=URL")
        pairs.append((key.strip(), value.strip()))
    return pairs


def env_timezone(name: str, default: str) -> str:
    value = env_str(name, default) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a known time zone (e.g. UTC, Europe/Berlin)") from None
    return value


def env_dates(name: str) -> list[dt.date]:
    """A comma-separated list of ISO dates, e.g. public holidays."""
    dates = []
    for item in env_list(name, []):
        try:
            dates.append(dt.date.fromisoformat(item))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not a date (YYYY-MM-DD)") from None
    return dates


def env_hours(name: str, default: str) -> tuple[dt.time, dt.time]:
    """A daily window such as 09:00-17:00."""
    value = env_str(name, default) or default
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a time window such as 09:00-17:00") from None
    if start >= end:
        raise ImproperlyConfigured(f"{name}={value!r}: the window must end after it starts")
    return start, end


DEFAULT_CONNECT_TIMEOUT = 3  # seconds; libpq's least useful value is 2. `?connect_timeout=N` in the URL overrides it.


def env_database(name: str, default: str) -> dict:
    """Django DATABASES['default'] from a URL: postgres://user:pass@host:port/db or sqlite:///path."""
    url = env_str(name, default) or default
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        # As dj-database-url reads it: sqlite:///relative.db, sqlite:////absolute/path.db
        path = unquote(parts.path)[1:]
        if not path:
            raise ImproperlyConfigured(f"{name}: a SQLite URL needs a file, e.g. sqlite:////abs/path/db.sqlite3")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            # The web server and the Celery worker write to the same file.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        if not parts.path.strip("/"):
            raise ImproperlyConfigured(f"{name}: the PostgreSQL URL names no database")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}: the port is not a number") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(port or ""),
            "CONN_MAX_AGE": int(options.pop("conn_max_age", 60)),
            # Health checks: a persistent connection the server dropped is replaced, not reused and failed on.
            "CONN_HEALTH_CHECKS": True,
            # A database that does not answer costs a request about this many seconds (a 503), never a hang.
            "OPTIONS": {"connect_timeout": DEFAULT_CONNECT_TIMEOUT, **options},
        }
    scheme = parts.scheme or "(none)"
    raise ImproperlyConfigured(f"{name}: unsupported scheme {scheme!r}; use postgres:// or sqlite:///")


def env_proxy_header(name: str) -> tuple[str, str] | None:
    """A header name such as X-Forwarded-Proto → Django's SECURE_PROXY_SSL_HEADER; empty or unset: none."""
    value = (env_str(name, "") or "").strip()
    if not value:
        return None
    if not all(part.isalnum() for part in value.split("-")):
        raise ImproperlyConfigured(f"{name}={value!r} is not a header name such as X-Forwarded-Proto")
    return ("HTTP_" + value.upper().replace("-", "_"), "https")


def env_url(name: str, default: str) -> str:
    """An http(s) URL, or empty for none."""
    value = (env_str(name, default) or "").strip()
    if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
        # Not the value itself: a webhook URL carries its token.
        raise ImproperlyConfigured(f"{name} is not an http:// or https:// URL")
    return value


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated addresses or networks (10.0.0.5, 172.16.0.0/12, ::1); empty or unset: none."""
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network such as 10.0.0.0/8") from None
    return networks
