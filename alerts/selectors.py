"""Reads the alerts page and the incident panel share."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q, Window
from django.db.models.fields.json import KeyTextTransform

from alerts.models import Alert, AlertQuerySet, AlertSource, AlertStatus

PANEL_ALERTS = 50  # the incident page shows the most recent; the alerts page has them all


def alerts_filtered(*, source: AlertSource | None = None, state: str = "", severity: str = "",
                    label: tuple[str, str] | None = None) -> AlertQuerySet:
    """The alerts page: firing first, then the most recently seen."""
    alerts = Alert.objects.for_list()
    if source is not None:
        alerts = alerts.filter(source=source)
    if state:
        alerts = alerts.filter(status=state)
    if severity:
        alerts = alerts.filter(severity=severity)
    if label is not None:
        if connection.vendor == "postgresql":  # @> uses the GIN index (migration 0002)
            alerts = alerts.filter(labels__contains={label[0]: label[1]})
        else:
            alerts = alerts.alias(_label=KeyTextTransform(label[0], "labels")).filter(_label=label[1])
    return alerts


def alerts_for_incident(incident_id: int) -> tuple[list[Alert], int, int]:
    """The incident's most recent alerts, how many it has, and how many still fire: one query (window counts)."""
    alerts = list(Alert.objects.for_incident(incident_id).annotate(
        total=Window(Count("pk")), firing=Window(Count("pk", filter=Q(status=AlertStatus.FIRING))),
    )[:PANEL_ALERTS])
    if not alerts:
        return [], 0, 0
    return alerts, alerts[0].total, alerts[0].firing
