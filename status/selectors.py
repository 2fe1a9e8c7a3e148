"""Reads: providers for pages and the API; the public status data, cached.

The public data is one dict of plain values (no model objects, no internal field), built by `public_data`
from the public tables only and kept in Django's cache for PUBLIC_TTL seconds. Public updates and component
edits delete it once they commit, so the page changes at once where they ran; other processes (a local-memory
cache is per process) see it within the TTL. Anonymous readers then cost no query at all.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone

from status.models import Component, ComponentStatus, Provider, PublicIncident, PublicStatus, PublicUpdate

VERSION_KEY = "status:public:version"  # every cached public thing is keyed by it; a change sets a new one
PUBLIC_TTL = 15  # seconds: bounds what another process's cache shows after an update
RESOLVED_DAYS = 14

COMPONENT_INDICATOR = {ComponentStatus.OPERATIONAL: "none", ComponentStatus.DEGRADED_PERFORMANCE: "minor",
                       ComponentStatus.PARTIAL_OUTAGE: "major", ComponentStatus.MAJOR_OUTAGE: "critical"}
INDICATORS = ["none", "minor", "major", "critical"]
DESCRIPTIONS = {"none": "All Systems Operational", "minor": "Minor Service Outage",
                "major": "Partial System Outage", "critical": "Major Service Outage"}


def providers() -> models.QuerySet[Provider]:
    return Provider.objects.all()


def page_name() -> str:
    return getattr(settings, "STATUS_PAGE_NAME", "Status")


def _incident(public: PublicIncident, component_ids: list[str]) -> dict:
    return {
        "id": str(public.pk), "name": public.title, "status": public.status, "impact": public.impact,
        "created_at": public.created_at, "updated_at": public.updated_at, "resolved_at": public.resolved_at,
        "components": component_ids,
        "incident_updates": [{"id": str(u.pk), "status": u.status, "body": u.body, "created_at": u.created_at}
                             for u in public.updates.all()],
    }


def public_data(now: dt.datetime | None = None) -> dict:
    """The public page's data from the public tables only: three queries whatever the number of incidents."""
    now = now or timezone.now()
    components = list(Component.objects.all())
    updates = Prefetch("updates", queryset=PublicUpdate.objects.only("pk", "status", "body", "created_at",
                                                                      "public_incident_id"))
    since = now - dt.timedelta(days=RESOLVED_DAYS)
    rows = list((PublicIncident.objects.current() | PublicIncident.objects.resolved_since(since))
                .only("pk", "title", "status", "impact", "created_at", "updated_at", "resolved_at")
                .prefetch_related(updates, Prefetch("components", queryset=Component.objects.only("pk"))))
    incidents = [_incident(p, [str(c.pk) for c in p.components.all()]) for p in rows]
    current = [i for i in incidents if i["status"] != PublicStatus.RESOLVED]
    resolved = sorted((i for i in incidents if i["status"] == PublicStatus.RESOLVED),
                      key=lambda i: i["resolved_at"], reverse=True)
    levels = [COMPONENT_INDICATOR[ComponentStatus(c.status)] for c in components]
    levels += [i["impact"] for i in current if i["impact"] in INDICATORS]
    indicator = max(levels, key=INDICATORS.index, default="none")
    if current and indicator == "none":
        indicator = "minor"  # an open public incident is never "all systems operational"
    names = {str(c.pk): c.name for c in components}
    for incident in incidents:
        incident["component_names"] = [names[i] for i in incident["components"] if i in names]
    updated = max([c.updated_at for c in components] + [i["updated_at"] for i in incidents], default=now)
    return {
        "page": {"name": page_name(), "updated_at": updated},
        "status": {"indicator": indicator, "description": DESCRIPTIONS[indicator]},
        "components": [{"id": str(c.pk), "name": c.name, "description": c.description, "status": c.status,
                        "status_label": c.get_status_display(), "position": c.position, "updated_at": c.updated_at}
                       for c in components],
        "incidents": current,
        "resolved": resolved,
        "generated_at": now,
    }


def _version() -> int:
    return int(cache.get_or_set(VERSION_KEY, time.time_ns, None) or 0)


def public_cached() -> dict:
    """The public data, from the cache when it is there (no query), else built and stored for PUBLIC_TTL s."""
    key = f"status:public:{_version()}:data"
    data = cache.get(key)
    if data is None:
        data = public_data()
        cache.set(key, data, PUBLIC_TTL)
    return data


def public_rendered(name: str, render: Callable[[dict], str]) -> str:
    """A rendered public document (the page, the JSON, the feed; `name` says which and for which host):
    rendering costs more than reading the cache, so it is cached too, under the same version as the data."""
    key = f"status:public:{_version()}:{name}"
    text = cache.get(key)
    if text is None:
        text = render(public_cached())
        cache.set(key, text, PUBLIC_TTL)
    return text


def public_forget() -> None:
    """After a public change commits: a new version, so every cached page, JSON and feed is built afresh."""
    cache.set(VERSION_KEY, time.time_ns(), None)
