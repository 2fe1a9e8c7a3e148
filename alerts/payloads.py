"""Reading a webhook body: Alertmanager's (version 4) and Grafana unified alerting's, into one shape.

Checked by hand rather than with nested serializers: an error names the exact place
(`alerts[3].startsAt`), and a delivery of hundreds of alerts is read in well under a millisecond each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

MAX_ALERTS = 1000  # per delivery; Alertmanager's max_alerts truncates before this, Grafana's payloads are smaller
MAX_LABELS = 100
MAX_TEXT = 10_000  # a label value, an annotation or a URL
STATUSES = ("firing", "resolved")


@dataclass
class IncomingAlert:
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    generator_url: str
    dashboard_url: str
    panel_url: str
    fingerprint: str
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")[:200]


@dataclass
class Delivery:
    group_key: str
    status: str
    group_labels: dict[str, str]
    common_labels: dict[str, str]
    common_annotations: dict[str, str]
    truncated_alerts: int
    alerts: list[IncomingAlert] = field(default_factory=list)

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(self.group_key.encode()).hexdigest()


class _Errors:
    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, where: str, message: str) -> None:
        self.found.setdefault(where, []).append(message)

    def raise_any(self) -> None:
        if self.found:
            raise ValidationError(self.found)


def _text(value: Any, where: str, errors: _Errors, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        errors.add(where, "Must be a string." if value is not None else "This field is required.")
        return ""
    if "\x00" in value:
        errors.add(where, "Must not contain NUL characters.")
        return ""
    if len(value) > MAX_TEXT:
        errors.add(where, f"At most {MAX_TEXT:,} characters.")
        return ""
    if required and not value:
        errors.add(where, "Must not be empty.")
    return value


def _labels(value: Any, where: str, errors: _Errors, *, required: bool = False) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        errors.add(where, "Must be an object of string values." if value is not None else "This field is required.")
        return {}
    if len(value) > MAX_LABELS:
        errors.add(where, f"At most {MAX_LABELS} entries.")
        return {}
    out = {}
    for key, item in value.items():
        if "\x00" in key or len(key) > 200:
            errors.add(where, f"{key[:40]!r} is not a usable name.")
            continue
        out[key] = _text(item, f"{where}.{key}", errors, required=False) if item is not None else ""
    return out


def _time(value: Any, where: str, errors: _Errors, *, required: bool) -> dt.datetime | None:
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str):
        errors.add(where, "Must be an RFC 3339 date and time." if value is not None else "This field is required.")
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        errors.add(where, f"{value[:40]!r} is not an RFC 3339 date and time.")
        return None
    if moment.tzinfo is None:
        errors.add(where, "Give a time zone (e.g. Z).")
        return None
    if moment.year <= 1:  # Go's zero time: Alertmanager's endsAt of an alert still firing
        return None
    return moment.astimezone(dt.UTC)


def _fingerprint(labels: dict[str, str]) -> str:
    """For a sender that gives none: the same labels, the same alert (as Alertmanager's own fingerprint)."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def _alert(raw: Any, where: str, errors: _Errors) -> IncomingAlert | None:
    if not isinstance(raw, dict):
        errors.add(where, "Each alert must be an object.")
        return None
    status = raw.get("status")
    if status not in STATUSES:
        errors.add(f"{where}.status", f"Must be one of {', '.join(STATUSES)}.")
    labels = _labels(raw.get("labels"), f"{where}.labels", errors, required=True)
    fingerprint = _text(raw.get("fingerprint"), f"{where}.fingerprint", errors)
    if len(fingerprint) > 64:
        errors.add(f"{where}.fingerprint", "At most 64 characters.")
    alert = IncomingAlert(
        status=status if status in STATUSES else "firing",
        labels=labels,
        annotations=_labels(raw.get("annotations"), f"{where}.annotations", errors),
        starts_at=_time(raw.get("startsAt"), f"{where}.startsAt", errors, required=True),  # type: ignore[arg-type]
        ends_at=_time(raw.get("endsAt"), f"{where}.endsAt", errors, required=False),
        generator_url=_text(raw.get("generatorURL"), f"{where}.generatorURL", errors),
        dashboard_url=_text(raw.get("dashboardURL"), f"{where}.dashboardURL", errors),
        panel_url=_text(raw.get("panelURL"), f"{where}.panelURL", errors),
        fingerprint=fingerprint or _fingerprint(labels),
        raw=raw,
    )
    return alert


def _unstorable(value: Any, where: str) -> str | None:
    """The first place holding text PostgreSQL's jsonb refuses (NUL, a lone surrogate), or None."""
    if isinstance(value, str):
        return where if "\x00" in value or not _encodes(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if "\x00" in key or not _encodes(key):
                return inner[:200]
            if found := _unstorable(item, inner):
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            if found := _unstorable(item, f"{where}[{n}]"):
                return found
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_storable(body: dict) -> None:
    """The raw payload is stored as is: one dump finds what jsonb would refuse, a walk says where."""
    dumped = json.dumps(body, ensure_ascii=False)  # a NUL comes out escaped, as \u0000
    if "\\u0000" not in dumped and _encodes(dumped):
        return
    where = _unstorable(body, "")
    if where is None:
        return  # the text "\u0000" itself (a backslash, then u0000), which is fine
    shown = where.encode("utf-8", "backslashreplace").decode()  # the error must be printable too
    raise ValidationError({shown: ["Holds a NUL character or text that is not valid Unicode (a lone surrogate)."]})


def parse(body: Any, *, grafana: bool = False) -> Delivery:
    """The delivery, or a ValidationError naming each field that is wrong (nothing is stored then)."""
    errors = _Errors()
    if not isinstance(body, dict):
        raise ValidationError({"non_field_errors": ["The body must be a JSON object (an Alertmanager or Grafana "
                                                    "webhook payload)."]})
    _check_storable(body)
    if not grafana and body.get("version") not in (None, "4"):
        errors.add("version", f"Version {body.get('version')!r} is not supported; Alertmanager sends \"4\".")
    raw_alerts = body.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        errors.add("alerts", "Must be a non-empty list of alerts.")
        raw_alerts = []
    elif len(raw_alerts) > MAX_ALERTS:
        errors.add("alerts", f"At most {MAX_ALERTS:,} alerts in one delivery (got {len(raw_alerts):,}).")
        raw_alerts = []
    group_labels = _labels(body.get("groupLabels"), "groupLabels", errors)
    group_key = _text(body.get("groupKey"), "groupKey", errors, required=not grafana)
    if not group_key and grafana:  # older Grafana versions send no groupKey: the group labels are the group
        group_key = "grafana:" + json.dumps(group_labels, sort_keys=True)
    status = body.get("status", "firing")
    if status not in STATUSES:
        errors.add("status", f"Must be one of {', '.join(STATUSES)}.")
    truncated = body.get("truncatedAlerts", 0) or 0
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        errors.add("truncatedAlerts", "Must be a whole number, 0 or more.")
        truncated = 0
    delivery = Delivery(
        group_key=group_key,
        status=status if status in STATUSES else "firing",
        group_labels=group_labels,
        common_labels=_labels(body.get("commonLabels"), "commonLabels", errors),
        common_annotations=_labels(body.get("commonAnnotations"), "commonAnnotations", errors),
        truncated_alerts=truncated,
    )
    for n, raw in enumerate(raw_alerts):
        alert = _alert(raw, f"alerts[{n}]", errors)
        if alert is not None:
            delivery.alerts.append(alert)
    errors.raise_any()
    seen: dict[str, int] = {}
    for n, alert in enumerate(delivery.alerts):
        if alert.fingerprint in seen:
            errors.add(f"alerts[{n}].fingerprint", f"The same as alerts[{seen[alert.fingerprint]}]'s: one alert, "
                                                   "sent twice in one delivery.")
        seen.setdefault(alert.fingerprint, n)
    errors.raise_any()
    return delivery
