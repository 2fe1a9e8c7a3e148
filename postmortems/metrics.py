"""Incident metrics over a date range: counts, MTTA, MTTR, response-SLA breaches and action items, by month.

The database groups and counts (a constant number of queries, whatever the range holds); Python only sorts
each group's durations for its median and p90. Months are calendar months in settings.TIME_ZONE, and an
incident belongs to the month (and the range) it was declared in.

Definitions (the page and the API show them beside the numbers):
- MTTA: declared → acknowledged. MTTR: declared → resolved. An incident not yet acknowledged (resolved) is
  left out of MTTA (MTTR) and counted as such.
- median: the middle value of the sorted durations, or the mean of the two middle ones for an even count.
- p90 (nearest rank): the value at position ⌈0.9 × n⌉ of the n durations sorted ascending.
- breach: acknowledged after the response deadline, or not acknowledged and past it (Incident.sla_breached).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, DateField, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncMonth

from incidents.models import Incident, Severity
from postmortems.models import ActionItem

DEFINITIONS: dict[str, str] = {
    "mtta": "Time to acknowledge (MTTA), shown as its median and p90: declared → acknowledged. "
            "Incidents not yet acknowledged are left out and counted as such.",
    "mttr": "Time to resolve (MTTR), shown as its median and p90: declared → resolved. "
            "Incidents not yet resolved are left out and counted as such.",
    "median": "The middle value of the sorted durations; for an even count, the mean of the two middle ones.",
    "p90": "Nearest rank: the value at position ⌈0.9 × n⌉ of the n durations sorted from shortest to longest "
           "(9 of 10 incidents took at most this long).",
    "breach": "Acknowledged after the severity's response deadline, or not acknowledged and already past it. "
              "Acknowledged exactly at the deadline is on time.",
    "month": "Incidents count in the calendar month (in the server's time zone) they were declared in.",
    "action_items": "Opened: created in that month. Done: marked done in that month. "
                    "Overdue now: open with a due date before today, whatever the range.",
}

MAX_YEARS = 5
DEFAULT_MONTHS = 12
# Dates the page and API accept: wide enough for any incident, narrow enough for safe date arithmetic.
EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(9998, 12, 31)


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar date of a moment in settings.TIME_ZONE."""
    return moment.astimezone(zone()).date()


# ---------------------------------------------------------------------------------------------- arithmetic


def median(values: Sequence[float]) -> float | None:
    """The middle of the sorted values; the mean of the two middle ones for an even count; None if empty."""
    return _median_of_sorted(sorted(values))


def nearest_rank(values: Sequence[float], percent: int) -> float | None:
    """The value at position ⌈percent/100 × n⌉ (1-based) of the sorted values; None if empty."""
    if not 0 < percent <= 100:
        raise ValueError("percent must be in (0, 100]")
    return _rank_of_sorted(sorted(values), percent)


def _median_of_sorted(ordered: Sequence[float]) -> float | None:
    n = len(ordered)
    if n == 0:
        return None
    middle = n // 2
    if n % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _rank_of_sorted(ordered: Sequence[float], percent: int) -> float | None:
    if not ordered:
        return None
    rank = -(-percent * len(ordered) // 100)  # ⌈percent × n / 100⌉ in integers: no float error at exact ranks
    return float(ordered[rank - 1])


@dataclass(frozen=True)
class Durations:
    """One measure (MTTA or MTTR) over a group of incidents, in seconds."""

    measured: int  # incidents that have the measure
    excluded: int  # incidents left out: not yet acknowledged (MTTA) or resolved (MTTR)
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: Sequence[float], total: int) -> Durations:
        ordered = sorted(seconds)
        return cls(measured=len(ordered), excluded=total - len(ordered),
                   median=_median_of_sorted(ordered), p90=_rank_of_sorted(ordered, 90))


@dataclass(frozen=True)
class Cell:
    """Incidents of one severity (or all) in one month (or the whole range)."""

    count: int
    breaches: int
    mtta: Durations
    mttr: Durations


@dataclass(frozen=True)
class Month:
    month: dt.date  # the first day of the month
    by_severity: dict[str, Cell]  # by severity name, every severity present
    total: Cell  # all severities together
    actions_opened: int
    actions_done: int

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")


@dataclass(frozen=True)
class Metrics:
    start: dt.date
    end: dt.date
    today: dt.date
    severities: list[str]  # names, most severe first
    months: list[Month]
    by_severity: dict[str, Cell]  # the whole range
    total: Cell
    actions_opened: int
    actions_done: int
    actions_overdue: int  # now, whatever the range
    definitions: dict[str, str] = field(default_factory=lambda: dict(DEFINITIONS))


# ---------------------------------------------------------------------------------------------- the range


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every calendar month from start's to end's, both included."""
    months, current = [], start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year - years, day=28)


def default_start(end: dt.date) -> dt.date:
    """Twelve calendar months up to `end`'s, that one included: the first of the month eleven months before."""
    start = end.replace(day=1)
    for _ in range(DEFAULT_MONTHS - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return start


def parse_range(raw_from: str | None, raw_to: str | None, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """`from` and `to` as YYYY-MM-DD, both included; `to` defaults to today, `from` to twelve months before it.

    Refused (ValidationError by field): a date that does not parse or lies outside 1970–9998, `from` after
    `to`, and a range longer than five years (`from` earlier than the same day five years before `to`).
    """
    errors: dict[str, list[str]] = {}

    def parse(name: str, raw: str | None) -> dt.date | None:
        if raw is None or not raw.strip():
            return None
        try:
            day = dt.date.fromisoformat(raw.strip())
        except ValueError:
            errors[name] = [f"“{raw[:40]}” is not a date: use YYYY-MM-DD."]
            return None
        if not EARLIEST <= day <= LATEST:
            errors[name] = [f"Dates run from {EARLIEST.isoformat()} to {LATEST.isoformat()}."]
            return None
        return day

    start, end = parse("from", raw_from), parse("to", raw_to)
    if errors:
        raise ValidationError(errors)
    end = end or today
    start = start or default_start(end)
    if start > end:
        raise ValidationError({"from": [f"The range starts ({start.isoformat()}) after it ends ({end.isoformat()})."]})
    earliest = years_before(end, MAX_YEARS)
    if start < earliest:
        raise ValidationError({"from": [f"The range can span at most {MAX_YEARS} years: "
                                        f"from {earliest.isoformat()} at the earliest for this end date."]})
    return start, end


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the project's time zone."""
    tz = zone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


# ---------------------------------------------------------------------------------------------- the queries


def _month(expression: str) -> TruncMonth:
    return TruncMonth(expression, output_field=DateField(), tzinfo=zone())


def incident_metrics(*, start: dt.date, end: dt.date, now: dt.datetime) -> Metrics:
    """Every number of the metrics page and API, in six queries whatever the range holds.

    `now` decides which unacknowledged incidents are already breached and which action items are overdue
    (those due before today's date in settings.TIME_ZONE).
    """
    today = local_date(now)
    low, high = _bounds(start, end)
    severities = list(Severity.objects.order_by("level").values_list("pk", "name"))  # 1
    names = dict(severities)
    in_range = Incident.objects.filter(declared_at__gte=low, declared_at__lt=high).order_by()

    late = Q(acknowledged_at__gt=F("response_due_at")) | Q(acknowledged_at__isnull=True, response_due_at__lt=now)
    counts = (in_range.annotate(month=_month("declared_at"))  # 2: counts and breaches, grouped in SQL
              .values("month", "severity_id")
              .annotate(count=Count("pk"), breaches=Count("pk", filter=late)))
    count_of: dict[tuple[dt.date, int], tuple[int, int]] = {
        (row["month"], row["severity_id"]): (row["count"], row["breaches"]) for row in counts
    }

    # 3: one row per measured incident, the durations computed by the database; sorted per group below.
    delays = (in_range.filter(Q(acknowledged_at__isnull=False) | Q(resolved_at__isnull=False))
              .annotate(month=_month("declared_at"),
                        tta=ExpressionWrapper(F("acknowledged_at") - F("declared_at"), output_field=DurationField()),
                        ttr=ExpressionWrapper(F("resolved_at") - F("declared_at"), output_field=DurationField()))
              .values_list("month", "severity_id", "tta", "ttr"))
    tta: dict[tuple[dt.date, int], list[float]] = defaultdict(list)
    ttr: dict[tuple[dt.date, int], list[float]] = defaultdict(list)
    for month, severity_id, acknowledged, resolved in delays:
        if acknowledged is not None:
            tta[month, severity_id].append(acknowledged.total_seconds())
        if resolved is not None:
            ttr[month, severity_id].append(resolved.total_seconds())
    for groups in (tta, ttr):  # sorted once: a wider group joins sorted runs, which sorts in linear time
        for values in groups.values():
            values.sort()

    items = ActionItem.objects.order_by()
    opened = dict(items.filter(created_at__gte=low, created_at__lt=high)  # 4
                  .annotate(month=_month("created_at")).values("month")
                  .annotate(n=Count("pk")).values_list("month", "n"))
    done = dict(items.filter(done_at__gte=low, done_at__lt=high)  # 5
                .annotate(month=_month("done_at")).values("month")
                .annotate(n=Count("pk")).values_list("month", "n"))
    overdue = ActionItem.objects.overdue(today).count()  # 6

    def cell(keys: list[tuple[dt.date, int]]) -> Cell:
        count = sum(count_of.get(k, (0, 0))[0] for k in keys)
        return Cell(count=count, breaches=sum(count_of.get(k, (0, 0))[1] for k in keys),
                    mtta=Durations.of([s for k in keys for s in tta.get(k, ())], count),
                    mttr=Durations.of([s for k in keys for s in ttr.get(k, ())], count))

    calendar = months_between(start, end)
    months = [
        Month(month=m, by_severity={name: cell([(m, pk)]) for pk, name in severities},
              total=cell([(m, pk) for pk in names]),
              actions_opened=opened.get(m, 0), actions_done=done.get(m, 0))
        for m in calendar
    ]
    return Metrics(
        start=start, end=end, today=today, severities=[name for _, name in severities], months=months,
        by_severity={name: cell([(m, pk) for m in calendar]) for pk, name in severities},
        total=cell([(m, pk) for m in calendar for pk in names]),
        actions_opened=sum(opened.values()), actions_done=sum(done.values()), actions_overdue=overdue,
    )
