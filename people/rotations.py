"""On-call arithmetic, as pure functions of a plan and an explicit time: no database, no clock.

Turn k (k = 0, 1, …) starts at the handoff time, as read on a wall clock in the rotation's zone, on
`start_date + k × length` days, and ends where turn k+1 starts. So a handoff stays at 09:00 local across
daylight-saving changes (that turn is an hour shorter or longer in real time). A handoff time that a
spring-forward skips happens at the same instant as the time an hour earlier would (09:00 never is; 02:30
becomes 03:30); one that a fall-back repeats happens at its first occurrence.

Who holds turn k (the rule for members joining and leaving):
- A member takes turns while active: from `joined_at` (blank: always) until `left_at` (blank: never).
- Each turn goes to the next active member, in position order, after the holder of the previous turn,
  wrapping round. So removing or adding someone never reshuffles the others: the order just continues.
- Who is active is read at the turn's start. A member who leaves during their own turn hands the rest of it
  to the next active member (an early start for them; they still take their own turn after it).
- Overrides (someone covers a period) are laid over the turns; where two overlap, the later one in the list wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

C = TypeVar("C")  # whatever stands for a person: a Contact in the app, a name in the tests


@dataclass(frozen=True)
class Member(Generic[C]):
    contact: C
    position: int
    joined_at: datetime | None = None
    left_at: datetime | None = None

    def active_at(self, at: datetime) -> bool:
        return (self.joined_at is None or self.joined_at <= at) and (self.left_at is None or at < self.left_at)


@dataclass(frozen=True)
class Cover(Generic[C]):
    contact: C
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Plan(Generic[C]):
    """A rotation as data: `length_days` per turn, handing off at `handoff` local time in `time_zone`."""

    start_date: date
    handoff: time
    time_zone: str
    length_days: int
    members: Sequence[Member[C]]
    overrides: Sequence[Cover[C]] = ()


@dataclass(frozen=True)
class Shift(Generic[C]):
    """Someone on call from `start` to `end` (UTC); `is_override` when they cover for the rotation's own turn."""

    contact: C
    start: datetime
    end: datetime
    is_override: bool = False


def turn_start(plan: Plan[Any], k: int) -> datetime:
    """When turn k starts, in UTC."""
    day = plan.start_date + timedelta(days=k * plan.length_days)
    local = datetime.combine(day, plan.handoff, tzinfo=ZoneInfo(plan.time_zone))  # fold=0: see the module doc
    return local.astimezone(UTC)


def turn_at(plan: Plan[Any], at: datetime) -> int:
    """The turn in progress at `at` (negative before the rotation starts)."""
    days = (at.astimezone(ZoneInfo(plan.time_zone)).date() - plan.start_date).days
    k = days // plan.length_days
    # The local date alone is off by one turn around a handoff on its first day; step to the right one.
    while turn_start(plan, k) > at:
        k -= 1
    while turn_start(plan, k + 1) <= at:
        k += 1
    return k


def _changes(plan: Plan[Any]) -> list[datetime]:
    return sorted({t for m in plan.members for t in (m.joined_at, m.left_at) if t is not None})


def _active(plan: Plan[C], at: datetime) -> list[Member[C]]:
    return sorted((m for m in plan.members if m.active_at(at)), key=lambda m: m.position)


def _next_after(active: list[Member[C]], position: int | None) -> int:
    """Index in `active` of the member after `position` in the order, wrapping round."""
    if position is None:
        return 0
    return next((i for i, m in enumerate(active) if m.position > position), 0)


def _holders(plan: Plan[C], first: int, last: int) -> dict[int, Member[C] | None]:
    """Who holds turns first..last (inclusive), walking from turn 0 one stretch of unchanged membership at a time."""
    found: dict[int, Member[C] | None] = {}
    if last < 0:
        return found
    # Stretches: turns whose starts fall between two membership changes have the same active members.
    bounds = {0, last + 1}
    for change in _changes(plan):
        k = turn_at(plan, change)
        bounds.add(max(0, k if turn_start(plan, k) == change else k + 1))  # the first turn starting at or after it
    ordered = sorted(b for b in bounds if b <= last + 1)
    previous: int | None = None  # position of the last holder
    for lo, hi in pairwise(ordered):  # turns lo..hi-1
        active = _active(plan, turn_start(plan, lo))
        if not active:
            for k in range(max(lo, first), hi):
                found[k] = None
            continue
        offset = _next_after(active, previous)
        if hi - 1 >= first:
            for k in range(max(lo, first), hi):
                found[k] = active[(offset + k - lo) % len(active)]
        previous = active[(offset + hi - 1 - lo) % len(active)].position
    return found


def _base(plan: Plan[C], start: datetime, end: datetime) -> list[Shift[C]]:
    """The rotation's own turns overlapping [start, end), whole, with a leaver's turn split at their leaving."""
    first, last = max(turn_at(plan, start), 0), turn_at(plan, end - timedelta(microseconds=1))
    shifts = []
    holders = _holders(plan, first, last)
    for k in range(first, last + 1):
        member, s, e = holders[k], turn_start(plan, k), turn_start(plan, k + 1)
        if member is None:
            continue
        if member.left_at is not None and s < member.left_at < e:
            shifts.append(Shift(member.contact, s, member.left_at))
            active = [m for m in _active(plan, member.left_at) if m is not member]
            if active:
                stand_in = active[_next_after(active, member.position)]
                shifts.append(Shift(stand_in.contact, member.left_at, e))
        else:
            shifts.append(Shift(member.contact, s, e))
    return shifts


def _lay(shifts: list[Shift[C]], cover: Cover[C]) -> list[Shift[C]]:
    """Cut `cover`'s period out of every shift and put the cover in it."""
    kept: list[Shift[C]] = []
    for shift in shifts:
        if shift.end <= cover.start or cover.end <= shift.start:
            kept.append(shift)
            continue
        if shift.start < cover.start:
            kept.append(replace(shift, end=cover.start))
        if cover.end < shift.end:
            kept.append(replace(shift, start=cover.end))
    kept.append(Shift(cover.contact, cover.start, cover.end, is_override=True))
    return sorted(kept, key=lambda s: (s.start, s.end))


def schedule(plan: Plan[C], start: datetime, end: datetime) -> list[Shift[C]]:
    """Every shift overlapping [start, end), in order, each whole (it may start before `start` or end after `end`)."""
    if end <= start:
        return []
    shifts = _base(plan, start, end)
    for cover in plan.overrides:
        shifts = _lay(shifts, cover)
    return [s for s in shifts if s.start < end and start < s.end]


def oncall_at(plan: Plan[C], at: datetime) -> Shift[C] | None:
    """The shift in progress at `at`, if anyone is on call."""
    shifts = schedule(plan, at, at + timedelta(microseconds=1))
    return shifts[0] if shifts else None


def next_after(plan: Plan[C], at: datetime) -> Shift[C] | None:
    """The shift that follows the one in progress at `at` (the first to start after `at`)."""
    horizon = timedelta(days=plan.length_days + 2)  # the next handoff is at most one turn (and a DST hour) away
    return next((s for s in schedule(plan, at, at + horizon) if s.start > at), None)
