"""Reads for the incident page's diagnostics panel and the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from diagnostics.models import Run
from incidents.models import Incident, Status
from targets.models import Target

PANEL_RUNS = 20


def runs_for_incident(incident_id: int) -> QuerySet:
    return Run.objects.filter(incident_id=incident_id).select_related("target", "requested_by")


def grafana_links(incident: Incident) -> list[tuple[str, str]]:
    """The team's dashboards, opened on the incident's window: 15 min before declaration until now/resolution."""
    start = incident.declared_at - timedelta(minutes=15)
    end = incident.resolved_at + timedelta(minutes=15) if incident.resolved_at else None
    window = f"from={int(start.timestamp() * 1000)}&to={int(end.timestamp() * 1000) if end else 'now'}"
    return [(name, f"{url}{'&' if '?' in url else '?'}{window}") for name, url in settings.GRAFANA_DASHBOARDS]


def triage_clock(incident: Incident) -> datetime | None:
    """The runbook gives triage five minutes from acknowledgement; None outside triage."""
    if incident.status != Status.TRIAGE or not incident.acknowledged_at:
        return None
    return incident.acknowledged_at + timedelta(minutes=settings.TRIAGE_MINUTES)


def enabled_targets() -> QuerySet:
    """With each one's scale limits (a Kubernetes target's bounds, for the "Scale up" solution): one query."""
    return Target.objects.filter(enabled=True).select_related("scale_limits").order_by("name")


def now() -> datetime:
    return timezone.now()
