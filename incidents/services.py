"""Every change to an incident goes through here: views, the API, tasks and commands call these.

Each service locks the incident row, checks the rule, saves only the fields it
changed, and writes one timeline entry. Writing the entry bumps the incident's
version, which is what open pages poll to know that something changed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Field
from django.utils import timezone

from incidents import live
from incidents.extensions import NOTE_OPTIONS, Event, IncidentEvent, emit
from incidents.models import Entry, Incident, Role, Severity, Source, Star, Status, entry_kinds
from incidents.sla import response_due
from warroom import durations
from warroom.permissions import Perm, can, require

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class TransitionError(Exception):
    """A move the lifecycle does not allow right now; the message says why."""


ALLOWED_MOVES: dict[str, tuple[str, ...]] = {
    Status.DETECTED: (Status.TRIAGE,),
    Status.TRIAGE: (Status.INVESTIGATING,),
    Status.INVESTIGATING: (Status.MITIGATING,),
    Status.MITIGATING: (Status.MONITORING, Status.INVESTIGATING),
    Status.MONITORING: (Status.RESOLVED, Status.INVESTIGATING),
    Status.RESOLVED: (),
}
# The timestamp that records when the incident last entered each step.
STEP_FIELD: dict[str, str] = {
    Status.TRIAGE: "acknowledged_at",
    Status.INVESTIGATING: "investigating_at",
    Status.MITIGATING: "mitigating_at",
    Status.MONITORING: "monitoring_at",
    Status.RESOLVED: "resolved_at",
}


def next_step(status: str) -> str | None:
    """The forward move: the page's main button."""
    moves = ALLOWED_MOVES[status]
    return moves[0] if moves else None


def _lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().select_related("severity").get(pk=incident.pk)


def _record(incident: Incident, fields: list[str], *, kind: str, text: str, by: User | None,
            data: dict[str, Any] | None = None, at: dt.datetime | None = None) -> Entry:
    """Save the changed fields and append the timeline entry that explains them."""
    now = at or timezone.now()
    incident.version += 1
    incident.updated_at = now
    incident.save(update_fields=[*fields, "version", "updated_at"])
    live.publish_on_commit(incident.pk, incident.version)
    entry = Entry.objects.create(incident=incident, kind=kind, text=text, author=by, data=data or {}, created_at=now)
    emit(IncidentEvent(Event.ENTRY_ADDED, incident.pk, now, _id(by), entry_id=entry.pk, entry_kind=kind))
    return entry


def _display(user: User | None) -> str:
    return f"@{user.get_username()}" if user else "nobody"


def _id(user: User | None) -> int | None:
    return user.pk if user else None


def _war_room_base(moment: dt.datetime) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    return f"#incident-{local:%Y%m%d}"


def _create_with_war_room(incident: Incident) -> None:
    """Name the channel #incident-YYYYMMDD, then -2, -3 … for later incidents that day."""
    base = _war_room_base(incident.declared_at)
    taken = Incident.objects.filter(war_room__startswith=base).count()
    for n in range(taken + 1, taken + 50):
        incident.war_room = base if n == 1 else f"{base}-{n}"
        try:
            with transaction.atomic():
                incident.save(force_insert=True)
            return
        except IntegrityError:
            if Incident.objects.filter(war_room=incident.war_room).exists():
                continue  # another incident took that name a moment ago
            raise
    raise TransitionError(f"Could not name a war room for {base}: too many incidents declared at once")


def _column(name: str) -> Field:
    """Incident's column of that name; get_field also answers reverse relations, which no caller may edit."""
    field = Incident._meta.get_field(name)
    if not isinstance(field, Field):
        raise ValidationError({name: "This is not a field of an incident."})
    return field


def _check_columns(values: dict) -> None:
    """Refuse values their column cannot hold (e.g. users_affected past 2,147,483,647) with the column's message."""
    errors = {}
    for field, value in values.items():
        if value in (None, ""):
            continue
        try:
            _column(field).run_validators(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def incident_declare(
    *,
    by: User | None,
    title: str,
    severity: Severity,
    summary: str = "",
    source: str = Source.INTERNAL_DISCOVERY,
    users_affected: int | None = None,
    service_affected: str = "",
    acknowledge: bool = False,
    by_name: str = "",
) -> Incident:
    """Open an incident. A commander declaring in the browser may acknowledge in the same step.

    `by_name` names what declared it when no person did (e.g. "monitoring alert HighErrorRate from prometheus").
    """
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Give the incident a title."})
    _check_columns({"title": title, "users_affected": users_affected, "service_affected": service_affected})
    now = timezone.now()
    incident = Incident(
        title=title,
        summary=summary.strip(),
        severity=severity,
        source=source,
        users_affected=users_affected,
        service_affected=service_affected.strip(),
        declared_by=by,
        declared_at=now,
        updated_at=now,
        response_due_at=response_due(severity, now),
    )
    _create_with_war_room(incident)
    due = timezone.localtime(incident.response_due_at)
    Entry.objects.create(
        incident=incident,
        kind=Entry.Kind.DECLARED,
        author=by,
        created_at=now,
        text=(f"Declared {severity.name} by {by_name}. " if by is None and by_name else
              f"Declared {severity.name} by {_display(by)} ({incident.get_source_display().lower()}). ")
        + f"War room {incident.war_room}; acknowledge by {due:%Y-%m-%d %H:%M %Z}.",
        data={"severity": severity.name, "source": source},
    )
    emit(IncidentEvent(Event.DECLARED, incident.pk, now, _id(by)))
    live.publish_on_commit(incident.pk, incident.version)
    if acknowledge:
        incident = incident_acknowledge(incident=incident, by=by, at=now)
    return incident


@transaction.atomic
def incident_acknowledge(*, incident: Incident, by: User | None, at: dt.datetime | None = None) -> Incident:
    """Stop the response clock: the SLA is met or breached here, and kept either way."""
    incident = _lock(incident)
    if incident.status != Status.DETECTED:
        raise TransitionError(f"Already acknowledged: the incident is in {incident.get_status_display().lower()}.")
    now = at or timezone.now()
    incident.status, incident.acknowledged_at = Status.TRIAGE, now
    fields = ["status", "acknowledged_at"]
    text = f"Acknowledged by {_display(by)}; triage started."
    late = now - incident.response_due_at
    if late > dt.timedelta(0):
        text += f" Response SLA breached: {durations.minutes(late)} late."
        if incident.breach_recorded_at is None:
            incident.breach_recorded_at = now
            fields.append("breach_recorded_at")
    if incident.commander_id is None and by is not None:
        incident.commander = by
        fields.append("commander")
        text += f" {_display(by)} took command."
    _record(incident, fields, kind=Entry.Kind.ACKNOWLEDGED, text=text, by=by, at=now,
            data={"late_seconds": max(0, int(late.total_seconds()))})
    emit(IncidentEvent(Event.ACKNOWLEDGED, incident.pk, now, _id(by)))
    return incident


def _moved_meanwhile(incident: Incident, to: str, expected: str) -> TransitionError | None:
    """Two commanders at the same moment: the second one's move was decided on a status that is gone. Say who moved
    it, rather than stack a second move (or refuse a repeat of the same one with a riddle)."""
    if incident.status == expected or (not expected and incident.status != to):
        return None
    last = (incident.entries.filter(kind__in=[Entry.Kind.STATUS, Entry.Kind.ACKNOWLEDGED])
            .select_related("author").order_by("-created_at", "-pk").first())
    who = f" by {_display(last.author)} at {timezone.localtime(last.created_at):%H:%M:%S}" if last else ""
    now = Status(incident.status).label.lower()
    if incident.status == to:
        return TransitionError(f"Already {now}: moved{who}. Nothing was changed.")
    return TransitionError(f"Someone moved it first: it is {now} now (moved{who}), not "
                           f"{Status(expected).label.lower()}. Nothing was changed; look again and choose.")


@transaction.atomic
def incident_transition(
    *, incident: Incident, to: str, by: User | None, reason: str = "", at: dt.datetime | None = None,
    expected_status: str = "",
) -> Incident:
    """Move along triage → investigating → mitigating → monitoring → resolved (or back to investigating).

    `expected_status` is the status the person saw: a move decided on a status someone changed meanwhile is refused."""
    if to not in Status.values:
        raise ValidationError({"status": f"Unknown status {to!r}; choose one of {', '.join(Status.values)}."})
    if expected_status and expected_status not in Status.values:
        raise ValidationError({"expected_status": f"Unknown status {expected_status!r}; choose one of "
                                                  f"{', '.join(Status.values)}."})
    incident = _lock(incident)
    if conflict := _moved_meanwhile(incident, to, expected_status):
        raise conflict
    if incident.status == Status.DETECTED and to == Status.TRIAGE:
        return incident_acknowledge(incident=incident, by=by)
    current = Status(incident.status)
    if to not in ALLOWED_MOVES[current]:
        allowed = ", ".join(ALLOWED_MOVES[current]) or "nothing: it is closed"
        raise TransitionError(
            f"Cannot move from {current.label.lower()} to {Status(to).label.lower()}; from here: {allowed}."
        )
    now = at or timezone.now()
    reason = reason.strip()
    data = {"from": current.value, "to": to}
    if to == Status.RESOLVED:
        remaining = incident.monitoring_remaining_at(now)
        if remaining and not reason:
            raise TransitionError(
                f"Monitor for {settings.MONITORING_MINUTES} minutes before resolving "
                f"({durations.minutes_left(remaining)} to go), or give an override reason."
            )
        if remaining:
            data["override"] = reason
    incident.status = to
    setattr(incident, STEP_FIELD[to], now)
    text = f"{current.label} → {Status(to).label} by {_display(by)}."
    if reason:
        text += f" {'Override' if 'override' in data else 'Reason'}: {reason}"
        data["reason"] = reason
    _record(incident, ["status", STEP_FIELD[to]], kind=Entry.Kind.STATUS, text=text, by=by, data=data, at=now)
    if to == Status.RESOLVED:
        emit(IncidentEvent(Event.RESOLVED, incident.pk, now, _id(by)))
    return incident


def _refuse_if_resolved(incident: Incident) -> None:
    if incident.status == Status.RESOLVED:
        raise TransitionError("The incident is resolved; its details are closed. Add a note instead.")


@transaction.atomic
def incident_change_severity(*, incident: Incident, severity: Severity, by: User | None, reason: str = "") -> Incident:
    """Re-rate the incident; until someone acknowledges, the response clock follows the new severity."""
    incident = _lock(incident)
    _refuse_if_resolved(incident)
    old = incident.severity
    if old.pk == severity.pk:
        return incident
    incident.severity = severity
    fields = ["severity"]
    text = f"Severity {old.name} → {severity.name} by {_display(by)}."
    if incident.acknowledged_at is None:
        incident.response_due_at = response_due(severity, incident.declared_at)
        fields.append("response_due_at")
        text += f" Acknowledge by {timezone.localtime(incident.response_due_at):%Y-%m-%d %H:%M %Z}."
    if reason.strip():
        text += f" Reason: {reason.strip()}"
    _record(incident, fields, kind=Entry.Kind.SEVERITY, text=text, by=by,
            data={"from": old.name, "to": severity.name, "reason": reason.strip()})
    emit(IncidentEvent(Event.SEVERITY_CHANGED, incident.pk, incident.updated_at, _id(by),
                       old_severity_id=old.pk, new_severity_id=severity.pk))
    return incident


# What a person must be able to do to hold each role: a commander runs the incident, the others write on it.
ROLE_NEEDS = {
    Role.COMMANDER: Perm.MANAGE_INCIDENT,
    Role.COMMUNICATIONS_LEAD: Perm.ADD_NOTE,
    Role.SCRIBE: Perm.ADD_NOTE,
}
_ROLE_NEEDS_TEXT = {Perm.MANAGE_INCIDENT: "run incidents", Perm.ADD_NOTE: "add notes"}


@transaction.atomic
def incident_assign_role(*, incident: Incident, role: str, user: User | None, by: User | None) -> Incident:
    """Give a role to someone who can act in it (a commander manages, a scribe or comms lead notes), or clear it."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}; choose one of {', '.join(Role.values)}."})
    if user is not None and not can(user, Perm.VIEW_INCIDENT):
        raise ValidationError({"user": f"{user.get_username()} cannot see incidents, so cannot take a role."})
    needed = ROLE_NEEDS[Role(role)]
    if user is not None and not can(user, needed):
        raise ValidationError({"user": f"{user.get_username()} cannot {_ROLE_NEEDS_TEXT[needed]}, so cannot be "
                                       f"{Role(role).label.lower()}. Ask an admin to add them to a group that can."})
    incident = _lock(incident)
    _refuse_if_resolved(incident)
    if getattr(incident, f"{role}_id") == (user.pk if user else None):
        return incident
    setattr(incident, role, user)
    label = Role(role).label
    text = f"{label}: {_display(user)} (assigned by {_display(by)})." if user else f"{label} cleared by {_display(by)}."
    _record(incident, [role], kind=Entry.Kind.ROLE, text=text, by=by,
            data={"role": role, "user": user.get_username() if user else None})
    return incident


EDITABLE_FIELDS = ("title", "summary", "users_affected", "service_affected")


@transaction.atomic
def incident_update(*, incident: Incident, by: User | None, **changes: Any) -> Incident:
    """Edit what the incident is about (title, summary, impact); a resolved incident's record is closed."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: "This field cannot be edited." for field in unknown})
    if "title" in changes:
        changes["title"] = changes["title"].strip()
        if not changes["title"]:
            raise ValidationError({"title": "Give the incident a title."})
    _check_columns(changes)
    incident = _lock(incident)
    _refuse_if_resolved(incident)
    changed = [f for f, value in changes.items() if getattr(incident, f) != value]
    if not changed:
        return incident
    before = {f: getattr(incident, f) for f in changed}
    for field in changed:
        setattr(incident, field, changes[field])
    names = ", ".join(str(_column(f).verbose_name) for f in changed)
    _record(incident, changed, kind=Entry.Kind.EDITED, text=f"{_display(by)} edited {names}.", by=by,
            data={"before": before, "after": {f: changes[f] for f in changed}})
    return incident


@transaction.atomic
def timeline_note(*, incident: Incident, by: User | None, text: str, options: list[str] | None = None) -> Entry:
    """A responder's note; `options` are the note form's ticked checkboxes (extensions.register_note_option)."""
    unknown = sorted(set(options or ()) - set(NOTE_OPTIONS))
    if unknown:
        raise ValidationError({"options": f"Unknown note option {', '.join(unknown)}; "
                                          f"choose from {', '.join(NOTE_OPTIONS) or 'none'}."})
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write something in the note."})
    if len(text) > 10_000:
        raise ValidationError({"text": "Keep a note under 10,000 characters."})
    incident = _lock(incident)
    return _record(incident, [], kind=Entry.Kind.NOTE, text=text, by=by,
                   data={name: True for name in sorted(set(options or ()))})


@transaction.atomic
def timeline_record(*, incident: Incident, kind: str, text: str, by: User | None,
                    data: dict[str, Any] | None = None) -> Entry:
    """For other apps (diagnostics, mitigations): put what they did on the incident's timeline."""
    if kind not in dict(entry_kinds()):  # a typo'd or unregistered kind would show raw on every page
        raise ValueError(f"Unknown timeline entry kind {kind!r}: register it in incidents.extensions")
    return _record(_lock(incident), [], kind=kind, text=text, by=by, data=data)


STAR_KINDS = (Entry.Kind.STARRED, Entry.Kind.UNSTARRED)


def _quote(entry: Entry) -> str:
    text = " ".join(entry.text.split())
    return f"“{text[:80]}{'…' if len(text) > 80 else ''}”"


@transaction.atomic
def entry_star(*, entry: Entry, by: User) -> Star:
    """Mark a line for the post-mortem. Allowed after resolution too: that is when post-mortems are written.

    Starring a starred line changes nothing (a double click); the star's own lines cannot be starred.
    """
    require(by, Perm.ADD_NOTE)
    if entry.kind in STAR_KINDS:
        raise TransitionError("This line records a star; star the line it points at instead.")
    incident = _lock(entry.incident)  # two people starring at once: the second sees the first's star
    existing = Star.objects.filter(entry=entry).first()
    if existing is not None:
        return existing
    now = timezone.now()
    star = Star.objects.create(entry=entry, by=by, created_at=now)
    _record(incident, [], kind=Entry.Kind.STARRED, by=by, at=now, data={"entry": entry.pk},
            text=f"{_display(by)} starred {entry.get_kind_display().lower()} {_quote(entry)} for the post-mortem.")
    return star


@transaction.atomic
def entry_unstar(*, entry: Entry, by: User) -> None:
    """Take a star off (anyone who may star may unstar); a line without one is left as it is."""
    require(by, Perm.ADD_NOTE)
    incident = _lock(entry.incident)
    star = Star.objects.filter(entry=entry).select_related("by").first()
    if star is None:
        return
    starred_by = star.by
    star.delete()
    _record(incident, [], kind=Entry.Kind.UNSTARRED, by=by, data={"entry": entry.pk, "starred_by": starred_by.username},
            text=f"{_display(by)} removed {_display(starred_by)}'s star from {_quote(entry)}.")


def incident_touch(*, incident_id: int) -> None:
    """Something shown on the incident page changed (e.g. a check started): make open pages refresh."""
    Incident.objects.filter(pk=incident_id).update(version=F("version") + 1, updated_at=timezone.now())


def sla_breaches_record() -> int:
    """Put a breach on the timeline of each unacknowledged incident whose response time has passed."""
    now = timezone.now()
    recorded = 0
    overdue = Incident.objects.filter(
        status=Status.DETECTED, breach_recorded_at__isnull=True, response_due_at__lt=now
    ).values_list("pk", flat=True)
    for pk in overdue:
        with transaction.atomic():
            # The conditional update claims the incident, so two beats never record it twice.
            if not Incident.objects.filter(pk=pk, breach_recorded_at__isnull=True, status=Status.DETECTED).update(
                breach_recorded_at=now
            ):
                continue
            incident = _lock(Incident(pk=pk))
            escalate = f" Escalate to {incident.severity.escalation}." if incident.severity.escalation else ""
            _record(incident, [], kind=Entry.Kind.SLA_BREACHED, by=None, at=now,
                    text=f"Not acknowledged within {incident.severity.response_time_display.lower()}: "
                    f"response SLA breached.{escalate}")
            recorded += 1
    return recorded
