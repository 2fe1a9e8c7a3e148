"""Hand-made incidents and action items with known timestamps, for the metrics tests."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from incidents.models import Incident, Severity, Status
from postmortems.models import ActionItem, ActionItemStatus, PostMortem

UTC = dt.UTC
_numbers = itertools.count(1)


def at(text: str) -> dt.datetime:
    """An aware moment from ISO 8601 (UTC unless it says otherwise)."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def incident(severity: str, declared: dt.datetime | str, *, ack: float | None = None,
             resolve: float | None = None, due: float = 900) -> Incident:
    """An incident declared at `declared`, acknowledged `ack` and resolved `resolve` seconds later, due `due`
    seconds after it was declared. Written directly: these tests are about reading, not the lifecycle."""
    declared = at(declared) if isinstance(declared, str) else declared
    n = next(_numbers)
    return Incident.objects.create(
        title=f"Incident {n}", severity=Severity.objects.get(name=severity), war_room=f"#incident-metrics-{n}",
        status=Status.RESOLVED if resolve is not None else Status.TRIAGE if ack is not None else Status.DETECTED,
        declared_at=declared, response_due_at=declared + dt.timedelta(seconds=due),
        acknowledged_at=None if ack is None else declared + dt.timedelta(seconds=ack),
        resolved_at=None if resolve is None else declared + dt.timedelta(seconds=resolve),
    )


def action_item(owner, *, created: str, done: str | None = None, due: dt.date | None = None) -> ActionItem:
    postmortem = PostMortem.objects.filter(title="Metrics").first() or PostMortem.objects.create(
        incident=incident("SEV4", "2000-01-01T00:00:00", ack=1, resolve=2), title="Metrics",
        created_by=owner, updated_by=owner)
    return ActionItem.objects.create(
        postmortem=postmortem, description="Do it", owner=owner, due_date=due,
        status=ActionItemStatus.DONE if done else ActionItemStatus.OPEN, done_at=at(done) if done else None,
        created_by=owner, updated_by=owner, created_at=at(created), updated_at=timezone.now())
