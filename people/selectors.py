"""Reads of the people directory that pages, the API, feeds and the notifications share. Every one takes `at`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from incidents.models import Severity
from people import rotations
from people.models import Contact, EscalationLevel, EscalationPolicy, Override, Role, Rotation, RotationMember
from people.rotations import Shift
from warroom.durations import span

__all__ = [
    "Level",
    "RoleRow",
    "RotationSummary",
    "SeverityRow",
    "Shift",
    "contacts_for_directory",
    "escalation_levels",
    "escalation_table",
    "oncall_now",
    "repeat_text",
    "role_contacts",
    "rotation_summaries",
    "rotations_for_schedule",
    "schedule",
    "shifts_of_contact",
    "when_text",
]

# A whole turn overlapping a window reaches at most one turn beyond it: fetch the overrides that could cut one
# (turns up to ten weeks long; an override is a few rows, so a generous margin costs nothing).
_MARGIN = timedelta(days=72)


@dataclass(frozen=True)
class Level:
    """One escalation step, as the notifications and the table read it."""

    number: int
    after: timedelta
    repeat_every: timedelta | None
    max_repeats: int
    roles: list[Role]
    how: str
    next_business_day: bool = False


@dataclass(frozen=True)
class RoleRow:
    role: Role
    contacts: list[Contact]


def when_text(level: Level) -> str:
    """When a level is told, as the table and the API write it."""
    if level.next_business_day:
        return f"Next business day, {settings.BUSINESS_HOURS[0]:%H:%M} {settings.TIME_ZONE}"
    if not level.after:
        return "Immediately"
    return f"After {span(level.after.total_seconds())}"


def repeat_text(level: Level) -> str:
    if level.repeat_every is None:
        return ""
    times = "once" if level.max_repeats == 1 else f"{level.max_repeats} times"
    return f"Again every {span(level.repeat_every.total_seconds())} until acknowledged, up to {times}"


@dataclass(frozen=True)
class LevelRow:
    level: Level
    roles: list[RoleRow]

    @property
    def when(self) -> str:
        return when_text(self.level)

    @property
    def repeats(self) -> str:
        return repeat_text(self.level)


@dataclass(frozen=True)
class SeverityRow:
    severity: Severity
    note: str
    levels: list[LevelRow] = field(default_factory=list)


@dataclass(frozen=True)
class RotationSummary:
    rotation: Rotation
    now: Shift[Contact] | None
    next: Shift[Contact] | None
    upcoming: list[Shift[Contact]]


def _members_prefetch(prefix: str = "") -> Prefetch:
    return Prefetch(f"{prefix}members", queryset=RotationMember.objects.select_related("contact"))


def _overrides_prefetch(start: datetime, end: datetime, prefix: str = "") -> Prefetch:
    rows = Override.objects.filter(end__gt=start - _MARGIN, start__lt=end + _MARGIN).select_related("contact")
    return Prefetch(f"{prefix}overrides", queryset=rows.order_by("created_at", "pk"))


def rotations_for_schedule(start: datetime, end: datetime) -> QuerySet[Rotation]:
    """Rotations with what their schedule between `start` and `end` needs, in three queries whatever their number."""
    return Rotation.objects.prefetch_related(_members_prefetch(), _overrides_prefetch(start, end))


def _plan(rotation: Rotation, start: datetime, end: datetime) -> rotations.Plan[Contact]:
    cache = getattr(rotation, "_prefetched_objects_cache", {})
    members = cache["members"] if "members" in cache else rotation.members.select_related("contact")
    if "overrides" in cache:
        overrides = list(cache["overrides"])
    else:
        overrides = list(rotation.overrides.filter(end__gt=start - _MARGIN, start__lt=end + _MARGIN)
                         .select_related("contact").order_by("created_at", "pk"))
    span = timedelta(days=rotation.length_days + 2)
    return rotations.Plan(
        start_date=rotation.start_date, handoff=rotation.handoff_time, time_zone=rotation.time_zone,
        length_days=rotation.length_days,
        members=[rotations.Member(m.contact, m.position, m.joined_at, m.left_at) for m in members],
        overrides=[rotations.Cover(o.contact, o.start, o.end) for o in overrides
                   if o.end > start - span and o.start < end + span],
    )


def schedule(rotation: Rotation, start: datetime, end: datetime) -> list[Shift[Contact]]:
    """Who is on call between `start` and `end`: whole shifts overlapping it, in order, overrides laid over."""
    return rotations.schedule(_plan(rotation, start, end), start, end)


def oncall_now(rotation: Rotation, at: datetime) -> Shift[Contact] | None:
    """The shift in progress at `at` (None when the rotation has not started or has nobody)."""
    return rotations.oncall_at(_plan(rotation, at, at + timedelta(microseconds=1)), at)


def role_contacts(role: Role, at: datetime) -> list[Contact]:
    """Who holds `role` at `at`: its fixed holders, or whoever its rotation has on call then."""
    if role.kind == Role.Kind.ROTATION:
        if role.rotation is None:
            return []
        shift = oncall_now(role.rotation, at)
        return [shift.contact] if shift else []
    return list(role.holders.all())


def _level(row: EscalationLevel) -> Level:
    return Level(number=row.number, after=row.after, repeat_every=row.repeat_every, max_repeats=row.max_repeats,
                 roles=list(row.roles.all()), how=row.how, next_business_day=row.next_business_day)


def _role_prefetches(at: datetime, prefix: str = "") -> list[str | Prefetch]:
    """What resolving roles (reached through `prefix`) at `at` needs: their holders, or their rotation's shifts."""
    return [f"{prefix}holders", f"{prefix}rotation", _members_prefetch(f"{prefix}rotation__"),
            _overrides_prefetch(at, at, f"{prefix}rotation__")]


def escalation_levels(severity: Severity | int) -> list[Level]:
    """The severity's escalation levels in order (none when it has no policy)."""
    roles = Role.objects.order_by("position", "name").select_related("rotation").prefetch_related("holders")
    rows = (EscalationLevel.objects.filter(policy__severity=severity).order_by("number")
            .prefetch_related(Prefetch("roles", queryset=roles)))
    return [_level(row) for row in rows]


def escalation_table(at: datetime) -> list[SeverityRow]:
    """Every severity with its levels and each level's roles resolved to contacts at `at`, in constant queries."""
    levels = Prefetch("escalation_policy__levels", queryset=EscalationLevel.objects.order_by("number"))
    roles = Prefetch("escalation_policy__levels__roles", queryset=Role.objects.order_by("position", "name"))
    severities = (Severity.objects.order_by("level").select_related("escalation_policy")
                  .prefetch_related(levels, roles, *_role_prefetches(at, "escalation_policy__levels__roles__")))
    table = []
    for severity in severities:
        policy: EscalationPolicy | None = getattr(severity, "escalation_policy", None)
        rows = []
        for row in (policy.levels.all() if policy else []):
            level = _level(row)
            rows.append(LevelRow(level, [RoleRow(role, role_contacts(role, at)) for role in level.roles]))
        table.append(SeverityRow(severity, policy.note if policy else "", rows))
    return table


def contacts_for_directory(at: datetime) -> list[RoleRow]:
    """Every role with whoever holds it at `at` (the contacts page and the API)."""
    rows = Role.objects.order_by("position", "name").prefetch_related(*_role_prefetches(at))
    return [RoleRow(role, role_contacts(role, at)) for role in rows]


def rotation_summaries(at: datetime, days: int = 14) -> list[RotationSummary]:
    """Each rotation: who is on call at `at`, who is next, and the shifts of the next `days` days."""
    end = at + timedelta(days=days)
    summaries = []
    for rotation in rotations_for_schedule(at, end):
        plan = _plan(rotation, at, end + timedelta(days=rotation.length_days + 2))
        summaries.append(RotationSummary(rotation, rotations.oncall_at(plan, at), rotations.next_after(plan, at),
                                         rotations.schedule(plan, at, end)))
    return summaries


def shifts_of_contact(contact: Contact, start: datetime, end: datetime) -> list[tuple[Rotation, Shift[Contact]]]:
    """A person's shifts in every rotation between `start` and `end` (their calendar feed)."""
    found = []
    for rotation in rotations_for_schedule(start, end):
        found += [(rotation, s) for s in schedule(rotation, start, end) if s.contact.pk == contact.pk]
    return found
