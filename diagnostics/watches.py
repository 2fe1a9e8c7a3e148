"""Watch memory grow: the services of a memory watch (start, sample, cancel, end, reap) and what the page reads
(each pod's series, its chart and its trend).

Scheduling (README, "Watch memory"): each sample is a Celery task that, once it has taken its sample, schedules the
next one for next_sample_at. A sample first *claims its slot* with a conditional UPDATE (next_sample_at ≤ now →
now + interval), so a redelivered or duplicated message finds nothing to do and, not having claimed, schedules
nothing: there is never more than one chain. A lost message would end the chain; beat's reaper (reap_watches)
restarts a stalled one and ends whatever outlived its duration, so every watch ends. Chosen over a beat-driven
sampler because beat ticks would add up to a tick of jitter to every 15 s sample and tie each watch's pace to
beat's, and a watch's chain stops by itself on cancel without beat scanning every active watch every tick.

Every function takes `now=` so tests drive the clock; nothing here sleeps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.safestring import SafeString

from diagnostics.apps import WATCH_ENTRY
from diagnostics.charts import memory_svg
from diagnostics.checks import CheckError, ParamError
from diagnostics.models import WATCH_ACTIVE, MemorySample, MemoryWatch
from diagnostics.trend import Growth, Thresholds, assess
from incidents.services import incident_touch, timeline_record
from targets.errors import TargetError
from targets.models import Target
from warroom.outbox import enqueue, held
from warroom.permissions import Perm, require

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from incidents.models import Incident

FAILURES_TO_GIVE_UP = 3  # samples in a row the cluster would not answer


class WatchError(Exception):
    """Refused in the current state (409): already watching this deployment, already ended, incident resolved."""


def _who(user: User | None) -> str:
    return f"@{user.get_username()}" if user else "Warroom"


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes else f"{round(seconds)} s"


def _note(watch: MemoryWatch, text: str, by: User | None, **data: object) -> None:
    timeline_record(incident=watch.incident, kind=WATCH_ENTRY, by=by, text=text,
                    data={"watch": watch.pk, "target": watch.target.name, **data})


def clean_duration(minutes: object) -> int:
    """Seconds from a number of minutes: between 1 and the configured maximum."""
    high = settings.DIAGNOSTICS_WATCH_MAX_SECONDS // 60
    if minutes is None or minutes == "":
        return settings.DIAGNOSTICS_WATCH_SECONDS
    if isinstance(minutes, bool) or not isinstance(minutes, int | str) or not str(minutes).strip().isdigit():
        raise ParamError(f"minutes must be a whole number between 1 and {high}")
    value = int(str(minutes).strip())
    if not 1 <= value <= high:
        raise ParamError(f"minutes must be between 1 and {high} (got {value})")
    return value * 60


def watch_start(*, incident: Incident, target: Target | str, by: User, minutes: object = None,
                interval_seconds: int | None = None, now: datetime | None = None) -> MemoryWatch:
    """Write the watch, then queue its first sample once committed. One active watch per deployment (the database
    holds it: one_memory_watch_per_deployment)."""
    from diagnostics.tasks import sample_watch  # tasks import this module

    require(by, Perm.RUN_CHECK)
    if not incident.is_open:
        raise WatchError("The incident is resolved; watches run on open incidents.")
    if isinstance(target, str):
        found = Target.objects.filter(name=target).first()
        if found is None:
            raise ParamError(f"Unknown target {target!r}")
        target = found
    if target.kind != Target.Kind.KUBERNETES or not target.deployment:
        raise ParamError(f"{target.name} is not a Kubernetes deployment target")
    if not target.enabled:
        raise ParamError(f"Target {target.name} is disabled")
    interval = settings.DIAGNOSTICS_WATCH_INTERVAL if interval_seconds is None else interval_seconds
    if not 1 <= interval <= 300:
        raise ParamError("interval_seconds must be between 1 and 300")
    watch = MemoryWatch(incident=incident, target=target, requested_by=by, interval_seconds=interval,
                        duration_seconds=clean_duration(minutes), created_at=now or timezone.now())
    with transaction.atomic():
        try:
            with transaction.atomic():
                watch.save()
        except IntegrityError:
            busy = (MemoryWatch.objects.filter(target=target, status__in=WATCH_ACTIVE)
                    .select_related("requested_by", "incident").first())
            what = (f"@{busy.requested_by.get_username()} started one at "
                    f"{timezone.localtime(busy.created_at):%H:%M:%S} (incident #{busy.incident_id})"
                    if busy else "another watch is active")
            raise WatchError(f"{target.deployment} is already watched: {what}. One watch per deployment.") from None
        _note(watch, f"{_who(by)} started watching the memory of {target.deployment}: every {interval} s for "
              f"{_minutes(watch.duration_seconds)}.", by, event="started")
        enqueue(sample_watch, [watch.pk])
    return watch


def _claim(watch_id: int, now: datetime) -> bool:
    """Queued → running on the first sample; then this sample's slot, once."""
    first = MemoryWatch.objects.filter(pk=watch_id, status=MemoryWatch.Status.QUEUED).values_list(
        "duration_seconds", flat=True).first()
    if first is not None:
        MemoryWatch.objects.filter(pk=watch_id, status=MemoryWatch.Status.QUEUED).update(
            status=MemoryWatch.Status.RUNNING, started_at=now, ends_at=now + timedelta(seconds=first),
            next_sample_at=now)
    watch = MemoryWatch.objects.filter(pk=watch_id).values("interval_seconds").first()
    if watch is None:
        return False
    return bool(MemoryWatch.objects.filter(pk=watch_id, status=MemoryWatch.Status.RUNNING,
                                           next_sample_at__lte=now).update(
        next_sample_at=now + timedelta(seconds=watch["interval_seconds"])))


def watch_sample(watch_id: int, *, now: datetime | None = None) -> MemoryWatch | None:
    """The worker's half: take one sample if it is due, or end the watch if its time is up or its incident is
    resolved. None when there was nothing to do (not due, or already ended): the caller schedules nothing then."""
    from diagnostics.checks.kubernetes import memory_usage

    now = now or timezone.now()
    if not _claim(watch_id, now):
        return None
    watch = MemoryWatch.objects.select_related("target", "incident").get(pk=watch_id)
    if not watch.incident.is_open:
        return watch_finish(watch, reason="the incident was resolved", now=now)
    if watch.ends_at and now >= watch.ends_at:
        return watch_finish(watch, reason=f"watched for {_minutes(watch.duration_seconds)}", now=now)
    try:
        usage = memory_usage(watch.target)
    except (CheckError, TargetError) as exc:
        failures = watch.failures + 1
        MemoryWatch.objects.filter(pk=watch.pk).update(failures=failures, error=watch.target.scrub(str(exc))[:2000])
        if failures >= FAILURES_TO_GIVE_UP:
            return watch_finish(watch, reason=f"{failures} samples in a row failed: {watch.target.scrub(str(exc))}",
                                status=MemoryWatch.Status.FAILED, now=now)
        watch.refresh_from_db()
        return watch
    MemorySample.objects.bulk_create(
        [MemorySample(watch=watch, at=now, pod=u.pod, memory_bytes=u.bytes, request_bytes=u.request,
                      limit_bytes=u.limit) for u in usage], ignore_conflicts=True)
    MemoryWatch.objects.filter(pk=watch.pk).update(samples_taken=watch.samples_taken + 1, last_sample_at=now,
                                                   failures=0, error="")
    incident_touch(incident_id=watch.incident_id)
    watch.refresh_from_db()
    return watch


def watch_finish(watch: MemoryWatch, *, reason: str, now: datetime | None = None, by: User | None = None,
                 status: str = MemoryWatch.Status.FINISHED) -> MemoryWatch:
    """End an active watch once (the sampler, a cancel, the incident's resolution and the reaper may race: the
    first wins), and put on the timeline what it found: each pod's trend, for the post-mortem."""
    now = now or timezone.now()
    with transaction.atomic():
        if not MemoryWatch.objects.filter(pk=watch.pk, status__in=WATCH_ACTIVE).update(
                status=status, finished_at=now, end_reason=reason[:300], cancelled_by=by,
                next_sample_at=None):
            return MemoryWatch.objects.select_related("target", "incident").get(pk=watch.pk)
        watch = MemoryWatch.objects.select_related("target", "incident").get(pk=watch.pk)
        report = watch_report(watch)
        found = "; ".join(p.growth.sentence for p in report if p.growth.steady) or "no steady growth"
        verb = "cancelled" if status == MemoryWatch.Status.CANCELLED else status
        _note(watch, f"Memory watch of {watch.target.deployment} {verb} ({reason}; {watch.samples_taken} samples): "
              f"{found}.", by, event="ended", status=status,
              growth=[{"pod": p.pod, "slope_mib_per_min": p.growth.slope_mib_per_min, "r2": p.growth.r2,
                       "minutes_to_limit": p.growth.minutes_to_limit, "steady": p.growth.steady} for p in report])
    incident_touch(incident_id=watch.incident_id)
    return watch


def watch_cancel(*, watch: MemoryWatch, by: User, now: datetime | None = None) -> MemoryWatch:
    require(by, Perm.RUN_CHECK)
    if not watch.is_active:
        raise WatchError(f"It already ended ({watch.get_status_display().lower()}): nothing to cancel.")
    ended = watch_finish(watch, reason=f"cancelled by {_who(by)}", now=now, by=by,
                         status=MemoryWatch.Status.CANCELLED)
    if ended.cancelled_by_id != by.pk:
        raise WatchError(f"It already ended ({ended.get_status_display().lower()}): nothing to cancel.")
    return ended


def watches_end_for_incident(*, incident_id: int, now: datetime | None = None) -> int:
    """The incident resolved: its watches end now (incidents.extensions listener). How many were active."""
    active = list(MemoryWatch.objects.filter(incident_id=incident_id, status__in=WATCH_ACTIVE).select_related(
        "target", "incident"))
    for watch in active:
        watch_finish(watch, reason="the incident was resolved", now=now)
    return len(active)


def watches_reap(*, now: datetime | None = None) -> int:
    """Beat's sweep: every watch ends. Unclaimed ones fail, overdue ones finish, resolved incidents' ones end, and
    a running one whose chain of samples broke (a lost message) gets a new first link."""
    from diagnostics.tasks import sample_watch

    now = now or timezone.now()
    reaped = 0
    wait = timedelta(seconds=settings.DIAGNOSTICS_QUEUE_TIMEOUT)
    for watch in MemoryWatch.objects.filter(status=MemoryWatch.Status.QUEUED, created_at__lt=now - wait).exclude(
            pk__in=held(sample_watch, since=now - wait)).select_related("target", "incident"):
        watch_finish(watch, reason=f"no worker picked it up within {settings.DIAGNOSTICS_QUEUE_TIMEOUT} s: is the "
                     "Celery worker running?", status=MemoryWatch.Status.FAILED, now=now)
        reaped += 1
    for watch in MemoryWatch.objects.filter(status=MemoryWatch.Status.RUNNING).select_related("target", "incident"):
        grace = timedelta(seconds=2 * watch.interval_seconds + settings.DIAGNOSTICS_RUN_TIME_LIMIT)
        if not watch.incident.is_open:
            watch_finish(watch, reason="the incident was resolved", now=now)
        elif watch.ends_at and now > watch.ends_at + grace:
            watch_finish(watch, reason=f"watched for {_minutes(watch.duration_seconds)} (ended by the reaper: its "
                         "last sample never came)", now=now)
        elif watch.next_sample_at and now > watch.next_sample_at + grace:
            enqueue(sample_watch, [watch.pk])  # harmless if the chain was only late: one of the two claims the slot
        else:
            continue
        reaped += 1
    return reaped


# --- reading: each pod's series, chart and trend ----------------------------------------------------------------------

@dataclass
class PodSeries:
    pod: str
    samples: list[tuple[float, int]]  # seconds since the watch started, bytes
    request: int | None
    limit: int | None
    growth: Growth
    present: bool  # in the latest sample; False once the pod was replaced or is gone

    @property
    def chart(self) -> SafeString:
        return memory_svg(self.pod, self.samples, self.request, self.limit)


def thresholds() -> Thresholds:
    return Thresholds(min_slope_mib_per_min=settings.DIAGNOSTICS_GROWTH_MIB_PER_MIN,
                      min_r2=settings.DIAGNOSTICS_GROWTH_MIN_R2)


def series_of(samples: list[MemorySample], started: datetime | None) -> list[PodSeries]:
    """Samples grouped per pod, oldest first; a pod replaced mid-watch is a series that stops, its replacement a
    new one."""
    if not samples:
        return []
    origin = started or min(s.at for s in samples)
    latest = max(s.at for s in samples)
    per_pod: dict[str, list[MemorySample]] = defaultdict(list)
    for s in sorted(samples, key=lambda s: (s.pod, s.at)):
        per_pod[s.pod].append(s)
    out = []
    limits = thresholds()
    for pod, rows in sorted(per_pod.items()):
        points = [((s.at - origin).total_seconds(), s.memory_bytes) for s in rows]
        last = rows[-1]
        out.append(PodSeries(pod, points, last.request_bytes, last.limit_bytes,
                             assess(pod, points, last.limit_bytes, limits), last.at == latest))
    return out


def watch_report(watch: MemoryWatch) -> list[PodSeries]:
    """Uses watch.samples.all(): prefetch it (watches_for_incident does) to keep a page's queries constant."""
    return series_of(list(watch.samples.all()), watch.started_at)


PANEL_WATCHES = 3


def watches_for_incident(incident_id: int, *, limit: int | None = PANEL_WATCHES) -> list[MemoryWatch]:
    """The incident's latest watches (all of them with limit=None) with their samples: two queries whatever their
    number."""
    found = (MemoryWatch.objects.filter(incident_id=incident_id).select_related("target", "requested_by")
             .prefetch_related(Prefetch("samples", queryset=MemorySample.objects.order_by("pod", "at")))
             .order_by("-created_at", "-pk"))
    return list(found if limit is None else found[:limit])
