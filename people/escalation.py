"""Who is told about an incident, and when: the severity's escalation levels played against the clock.

Every decision is a function of the incident and `now`:
- level 1 (with whoever is on call now) is told when the incident is declared, and the new severity's level 1
  when it changes, acknowledged or not — no one twice for the same incident's first rounds;
- while nobody has acknowledged, each later level is told `after` its delay since declaration (a
  next-business-day level on that day's morning), and every level again each `repeat_every`, `max_repeats` times;
- acknowledging or resolving stops it: what was still queued for a later level or a repeat is cancelled.
Beat calls escalations_tick() every 30 s; the incident events call escalation_run() and escalation_stop().
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.extensions import Event
from incidents.models import Incident, Status
from incidents.services import timeline_record
from incidents.sla import is_business_day
from people.models import Contact, Notification, Rotation
from people.notifications import NOTIFICATION_ENTRY, notifications_request
from people.selectors import Level, escalation_levels, oncall_now, role_contacts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One level's first telling (round 0) or one of its repeats, and when it is due."""

    level: Level
    round: int
    due: dt.datetime

    @property
    def is_first(self) -> bool:
        return self.round == 0

    def describe(self) -> str:
        if self.is_first:
            return f"level {self.level.number}"
        return f"level {self.level.number}, reminder {self.round} of {self.level.max_repeats}"


def event_key(severity: str, level: int, round: int = 0) -> str:
    """The `event` of a Notification: unique per incident, contact and channel, so each step is sent once."""
    return f"{severity}:L{level}" + (f":R{round}" if round else "")


def next_business_morning(moment: dt.datetime) -> dt.datetime:
    """The start of business hours on the first business day after moment's local date (TIME_ZONE)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    day = moment.astimezone(zone).date() + dt.timedelta(days=1)
    for _ in range(366):
        if is_business_day(day):
            return dt.datetime.combine(day, settings.BUSINESS_HOURS[0], tzinfo=zone).astimezone(dt.UTC)
        day += dt.timedelta(days=1)
    raise ValueError("No business day in the next year: check WARROOM_BUSINESS_DAYS and WARROOM_HOLIDAYS")


def level_start(incident: Incident, level: Level) -> dt.datetime:
    start = incident.declared_at + level.after
    return next_business_morning(start) if level.next_business_day else start


def steps(incident: Incident, levels: list[Level]) -> Iterator[Step]:
    """Every step of the levels, each level's rounds in order."""
    for level in levels:
        start = level_start(incident, level)
        yield Step(level, 0, start)
        if level.repeat_every:
            for n in range(1, level.max_repeats + 1):
                yield Step(level, n, start + n * level.repeat_every)


def _escalating(incident: Incident) -> bool:
    return incident.status == Status.DETECTED


def due_steps(incident: Incident, levels: list[Level], now: dt.datetime) -> list[Step]:
    """What should have been told by `now`: only level 1's first round once someone has acknowledged."""
    escalating = _escalating(incident)
    return [s for s in steps(incident, levels)
            if s.due <= now and (escalating or (s.level.number == levels[0].number and s.is_first))]


def next_step(incident: Incident, levels: list[Level], now: dt.datetime) -> Step | None:
    """The next step still to come, while nobody has acknowledged (the incident page's "next" line)."""
    if not _escalating(incident):
        return None
    upcoming = [s for s in steps(incident, levels) if s.due > now]
    return min(upcoming, key=lambda s: (s.due, s.level.number), default=None)


def oncall_contacts(at: dt.datetime) -> list[Contact]:
    """Whoever every rotation has on call at `at`."""
    shifts = (oncall_now(rotation, at) for rotation in Rotation.objects.all())
    return [shift.contact for shift in shifts if shift is not None]


def step_contacts(step: Step, at: dt.datetime, *, first_level: int) -> list[Contact]:
    """The step's contacts at `at`, once each (level 1 with the people on call)."""
    found: dict[int, Contact] = {}
    candidates = [c for role in step.level.roles for c in role_contacts(role, at)]
    if step.level.number == first_level:
        candidates = oncall_contacts(at) + candidates
    for contact in candidates:
        found.setdefault(contact.pk, contact)
    return list(found.values())


def _told_first(incident: Incident) -> set[int]:
    """Contacts already told in some level's first round of this incident (whatever its severity then)."""
    return set(Notification.objects.filter(incident=incident, round=0).values_list("contact_id", flat=True))


@transaction.atomic
def escalation_run(*, incident_id: int, now: dt.datetime) -> list[Notification]:
    """Request every notification due by `now` that is not yet written; returns the new ones (queued on commit)."""
    incident = Incident.objects.select_related("severity").get(pk=incident_id)
    if not incident.is_open:
        return []
    levels = escalation_levels(incident.severity)
    due = due_steps(incident, levels, now)
    if not levels:  # no policy for this severity: the people on call are still told
        due = [Step(Level(1, dt.timedelta(0), None, 0, [], ""), 0, incident.declared_at)]
    first_level = levels[0].number if levels else 1
    told = _told_first(incident)
    created: list[Notification] = []
    for step in due:
        contacts = step_contacts(step, now, first_level=first_level)
        if step.is_first:
            contacts = [c for c in contacts if c.pk not in told]
            told |= {c.pk for c in contacts}
        new = notifications_request(incident=incident, event=event_key(incident.severity.name, step.level.number,
                                                                        step.round),
                                    level=step.level.number, round=step.round, contacts=contacts, now=now)
        if new:
            names = ", ".join(sorted({n.contact.name for n in new}))
            why = "" if step.is_first and step.level.number == first_level else " Not acknowledged yet."
            held = sorted({f"{n.contact.name} until {_local(n.not_before, n.contact)}" for n in new if n.not_before})
            if held:
                why += f" Held for quiet hours: {', '.join(held)}."
            timeline_record(incident=incident, kind=NOTIFICATION_ENTRY, by=None,
                            text=f"{incident.severity.name} escalation {step.describe()}: telling {names}.{why}",
                            data={"event": "escalated", "level": step.level.number, "round": step.round,
                                  "notifications": [n.pk for n in new]})
        created += new
    return created


def _local(moment: dt.datetime, contact: Contact) -> str:
    return f"{moment.astimezone(zoneinfo.ZoneInfo(contact.time_zone)):%H:%M} {contact.time_zone}"


def escalations_tick(*, now: dt.datetime | None = None) -> int:
    """Beat's step: every unacknowledged open incident gets what is due by `now`. Returns how many were queued."""
    now = now or timezone.now()
    queued = 0
    for pk in Incident.objects.filter(status=Status.DETECTED).values_list("pk", flat=True):
        try:
            queued += len(escalation_run(incident_id=pk, now=now))
        except Exception:  # one incident's broken escalation must not hold back every other's
            log.exception("escalation of incident %s failed", pk)
    return queued


@transaction.atomic
def escalation_stop(*, incident_id: int, event: Event, now: dt.datetime) -> int:
    """Acknowledged or resolved: cancel later levels and repeats still queued, and say on the timeline what stops."""
    incident = Incident.objects.select_related("severity").get(pk=incident_id)
    # Later levels, reminders, and whatever still waits for someone's quiet hours to end.
    pending = Notification.objects.filter(incident=incident, status=Notification.Status.QUEUED).filter(
        Q(level__gt=1) | Q(round__gt=0) | Q(not_before__gt=now))
    cancelled = pending.update(status=Notification.Status.CANCELLED, finished_at=now,
                               last_error=f"Not sent: the incident was {event.value} first.")
    upcoming = []
    if event == Event.ACKNOWLEDGED:  # once acknowledged, nothing later was going to run anyway at resolution
        upcoming = [s for s in steps(incident, escalation_levels(incident.severity)) if s.due > now]
    started = Notification.objects.filter(incident=incident).exists()
    if cancelled or (started and upcoming):
        what = f"{cancelled} queued notification{'s' if cancelled != 1 else ''} cancelled" if cancelled else ""
        later = f"{len(upcoming)} later step{'s' if len(upcoming) != 1 else ''} will not run" if upcoming else ""
        timeline_record(incident=incident, kind=NOTIFICATION_ENTRY, by=None,
                        text=f"Escalation stopped: {event.value}. " + "; ".join(filter(None, [what, later])) + ".",
                        data={"event": "stopped", "cancelled": cancelled})
    return cancelled
