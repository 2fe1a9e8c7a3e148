"""The incident page's notifications section: who was told, how it went, who is next and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from incidents.models import Incident, Status
from people import channels, escalation
from people.models import Contact, Notification
from people.selectors import escalation_levels


@dataclass(frozen=True)
class Upcoming:
    step: escalation.Step
    contacts: list[Contact]
    left: dt.timedelta


def upcoming(incident: Incident, now: dt.datetime) -> Upcoming | None:
    """The next escalation step while nobody has acknowledged: its level, its people and the time left."""
    if incident.status != Status.DETECTED:  # acknowledged: nothing is next, and no query to find that out
        return None
    levels = escalation_levels(incident.severity)
    step = escalation.next_step(incident, levels, now)
    if step is None:
        return None
    contacts = escalation.step_contacts(step, now, first_level=levels[0].number)
    return Upcoming(step, contacts, step.due - now)


def notifications_for(incident_id: int) -> list[Notification]:
    return list(Notification.objects.for_incident(incident_id))


def context(request, incident) -> dict:
    now = timezone.now()
    rows = notifications_for(incident.pk)
    return {
        "notifications": rows,
        "failed": sum(1 for n in rows if n.status == Notification.Status.FAILED),
        "upcoming": upcoming(incident, now),
        "no_channel": not rows and not channels.configured(),
        "now": now,
    }
