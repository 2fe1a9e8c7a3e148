"""Reading the audit log: the page's filters, each on an indexed column, newest first."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from audit.models import AuditEvent, AuditEventQuerySet


def _day_start(day: dt.date) -> dt.datetime | None:
    """Midnight in TIME_ZONE; None at the calendar's ends, where there is nothing before or after to leave out."""
    if day in (dt.date.min, dt.date.max):
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def events_filtered(*, actor: str = "", action: str = "", target_type: str = "", since: dt.date | None = None,
                    until: dt.date | None = None, ip: str = "") -> AuditEventQuerySet:
    """Events matching every filter given; `until` is a whole day, included."""
    events = AuditEvent.objects.all()
    if actor:
        events = events.filter(actor_name=actor)
    if action:
        events = events.filter(action=action)
    if target_type:
        events = events.filter(target_type=target_type.lower())
    if since and (start := _day_start(since)):
        events = events.filter(at__gte=start)
    if until and until < dt.date.max and (end := _day_start(until + dt.timedelta(days=1))):
        events = events.filter(at__lt=end)
    if ip:
        events = events.filter(ip=ip)
    return events
