"""Running the runbook's checks: a Run row is written first, a worker executes it, and it always ends.

Requests come from pages, the API and playbooks; execution happens in a Celery
worker (tasks.execute_run) or in-process for `manage.py healthcheck`.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from diagnostics.apps import CHECK_ENTRY
from diagnostics.checks import REGISTRY, CheckError, ParamError, Result, get_check
from diagnostics.models import Run
from diagnostics.playbooks import PLAYBOOKS, TRIAGE, Playbook, Step
from incidents.services import incident_touch, timeline_record
from targets.errors import TargetError
from targets.models import Target
from warroom.durations import human_seconds
from warroom.outbox import enqueue, held

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from incidents.models import Incident

log = logging.getLogger(__name__)


def _target(name_or_target: Target | str) -> Target:
    if isinstance(name_or_target, Target):
        return name_or_target
    try:
        return Target.objects.get(name=name_or_target)
    except Target.DoesNotExist:
        raise ParamError(f"Unknown target {name_or_target!r}") from None


def _queue(run: Run) -> None:
    from diagnostics.tasks import execute_run  # tasks import services; import here to keep that one-way

    enqueue(execute_run, [run.pk], queue=settings.DIAGNOSTICS_QUEUE)


@transaction.atomic
def run_request(*, incident: Incident | None, check: str, target: Target | str, params: dict | None = None,
                by: User | None, batch: str = "") -> Run:
    """Validate, write the run and queue it once the transaction commits.

    The timeline hears of it once, when it ends (run_finish); until then the panel shows its progress."""
    spec = get_check(check)
    target = _target(target)
    if target.kind != spec.kind:
        raise ParamError(f"{check} runs on {spec.kind} targets; {target.name} is a {target.kind} target")
    if not target.enabled:
        raise ParamError(f"Target {target.name} is disabled")
    run = Run.objects.create(incident=incident, check_name=check, target=target, params=spec.clean_params(params),
                             batch=batch, requested_by=by)
    if incident is not None:
        incident_touch(incident_id=incident.pk)  # open pages show the queued run
    _queue(run)
    return run


def _plan(steps: tuple[Step, ...], targets: list[Target]) -> list[tuple[Step, Target]]:
    """Each step on every enabled target of its kind."""
    return [(step, t) for step in steps for t in targets if t.kind == REGISTRY[step.check].kind]


def _request_all(*, incident: Incident | None, steps: tuple[Step, ...], by: User | None, batch: str,
                 target: Target | str | None = None) -> list[Run]:
    targets = [_target(target)] if target else list(Target.objects.filter(enabled=True))
    plan = _plan(steps, targets)
    if not plan:
        raise ParamError("No enabled target fits these checks: add targets in the admin (Targets → Targets)")
    with transaction.atomic():
        return [run_request(incident=incident, check=step.check, target=t, params=step.params, by=by, batch=batch)
                for step, t in plan]


def triage_start(*, incident: Incident | None, by: User | None) -> list[Run]:
    """The runbook's triage, all at once: the runs go to the workers in parallel."""
    return _request_all(incident=incident, steps=TRIAGE, by=by, batch=f"triage:{uuid.uuid4().hex[:8]}")


def playbook_start(*, incident: Incident | None, slug: str, by: User | None) -> tuple[Playbook, list[Run]]:
    try:
        playbook = PLAYBOOKS[slug]
    except KeyError:
        raise ParamError(f"Unknown playbook {slug!r}; choose one of {', '.join(PLAYBOOKS)}") from None
    runs = _request_all(incident=incident, steps=playbook.steps, by=by, batch=f"playbook:{slug}")
    return playbook, runs


# A run whose worker dies is tried this many times in all: a check only reads, so one more try is safe, and a
# check that kills its worker every time (out of memory on a huge answer) must not loop for ever.
RUN_ATTEMPTS = 2


def run_claim(run_id: int, *, task_id: str = "", worker: str = "") -> bool:
    """Queued → running, once: a redelivered message finds nothing to claim.

    Except its own: the same task id again while the run is running means the worker that took it died before
    acknowledging the message (killed, out of memory), and the broker handed it on. The run is tried once more;
    a second loss ends it as failed, saying so."""
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(
        status=Run.Status.RUNNING, started_at=now, task_id=task_id, worker=worker, attempts=1)
    if not claimed and task_id:
        mine = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, task_id=task_id)
        lost = mine.values_list("worker", flat=True).first()
        claimed = mine.filter(attempts__lt=RUN_ATTEMPTS).update(started_at=now, worker=worker,
                                                                 attempts=F("attempts") + 1)
        if claimed:
            log.warning("run %s: its worker (%s) was lost; trying it again on %s", run_id, lost, worker)
        elif lost is not None:
            run_finish(Run.objects.get(pk=run_id), status=Run.Status.FAILED,
                       error=f"The worker was lost again ({lost}: killed, or out of memory) on try "
                       f"{RUN_ATTEMPTS} of {RUN_ATTEMPTS}; not tried again.")
    if claimed:
        incident_id = Run.objects.filter(pk=run_id).values_list("incident_id", flat=True).first()
        if incident_id:
            incident_touch(incident_id=incident_id)
    return bool(claimed)


def _scrubbed(result: Result, target: Target) -> Result:
    """A check's result with the target's secret masked wherever a server could have echoed it."""
    def clean(value: Any) -> Any:
        return target.scrub(value) if isinstance(value, str) else value

    return Result(result.verdict, clean(result.summary), [clean(c) for c in result.columns],
                  [[clean(v) for v in row] for row in result.rows], clean(result.text))


def execute(check: str, target: Target, params: dict) -> tuple[str, Result | None, str]:
    """Run one check here and now: (status, result, error). Never raises for a target's failure, and nothing it
    returns or logs carries the target's secret."""
    try:
        return Run.Status.SUCCEEDED, _scrubbed(REGISTRY[check].run(target, params), target), ""
    except (CheckError, TargetError) as exc:  # the target's own failures (secret, cluster) are failures too
        return Run.Status.FAILED, None, target.scrub(str(exc))
    except Exception as exc:
        # Not log.exception: the traceback quotes the exception, which may quote what the server sent back.
        log.error("check %s on target %s crashed:\n%s", check, target.name,
                  target.scrub(traceback.format_exc()).rstrip())
        message = " ".join(target.scrub(str(exc)).split())[:300]
        return Run.Status.FAILED, None, (f"The check crashed ({type(exc).__name__}{': ' if message else ''}"
                                         f"{message}); the worker log has details.")


def run_execute(run_id: int) -> Run:
    """The worker's half: run the claimed check and record its end."""
    run = Run.objects.select_related("target").get(pk=run_id)
    status, result, error = execute(run.check_name, run.target, run.params)
    return run_finish(run, status=status, result=result, error=error)


def run_finish(run: Run, *, status: str, result: Result | None = None, error: str = "") -> Run:
    """End a running run exactly once, and put the one timeline entry for it: who ran what, and how it went."""
    fields = {"status": status, "finished_at": timezone.now(), "error": error[:2000]}
    if result is not None:
        fields.update(verdict=result.verdict, summary=result.summary[:300], columns=result.columns,
                      rows=result.rows, text=result.text)
    else:
        fields.update(verdict=Run.Verdict.ERROR, summary=error.splitlines()[0][:300] if error else status)
    with transaction.atomic():
        if not Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).update(**fields):
            return Run.objects.get(pk=run.pk)  # ended already (reaped, or a duplicate)
        run.refresh_from_db()
        if run.incident is not None:
            timeline_record(
                incident=run.incident, kind=CHECK_ENTRY, by=run.requested_by, text=ran_text(run),
                data={"run": run.pk, "check": run.check_name, "target": run.target.name, "event": "finished",
                      "status": run.status, "verdict": run.verdict})
    return run


def ran_text(run: Run) -> str:
    """'@alice ran postgres.locks on prod-db: critical — 3 sessions waiting (12 s after asking)'."""
    who = f"@{run.requested_by.get_username()}" if run.requested_by else "Warroom"
    outcome = "timed out" if run.status == Run.Status.TIMED_OUT else run.get_verdict_display().lower()
    after = human_seconds(((run.finished_at or timezone.now()) - run.created_at).total_seconds())  # so far, if running
    summary = f" — {run.summary}" if run.summary and run.summary != run.status else ""
    retried = "; tried again after its worker was lost" if run.attempts > 1 else ""
    return f"{who} ran {run.check_name} on {run.target.name}: {outcome}{summary} ({after} after asking{retried})"


def runs_reap(*, now: datetime | None = None) -> int:
    """Beat's sweep: end runs whose worker died or never came, so none stays queued or running for ever."""
    now = now or timezone.now()
    reaped = 0
    lost = timedelta(seconds=settings.DIAGNOSTICS_RUN_HARD_LIMIT + settings.WORKER_LOST_GRACE)
    for run in Run.objects.filter(status=Run.Status.RUNNING, started_at__lt=now - lost).select_related("target"):
        where = f" ({run.worker})" if run.worker else ""
        run_finish(run, status=Run.Status.TIMED_OUT,
                   error=f"No result within {settings.DIAGNOSTICS_RUN_TIME_LIMIT} s: the worker{where} was lost "
                   "or stuck.")
        reaped += 1
    wait = timedelta(seconds=settings.DIAGNOSTICS_QUEUE_TIMEOUT)
    from diagnostics.tasks import execute_run

    stale = Run.objects.filter(status=Run.Status.QUEUED, created_at__lt=now - wait).exclude(
        pk__in=held(execute_run, since=now - wait)).values_list("pk", flat=True)
    for pk in stale:
        if Run.objects.filter(pk=pk, status=Run.Status.QUEUED).update(status=Run.Status.RUNNING, started_at=now):
            run_finish(Run.objects.get(pk=pk), status=Run.Status.FAILED,
                       error=f"No worker picked this up within {settings.DIAGNOSTICS_QUEUE_TIMEOUT} s: "
                       "is the Celery worker running?")
            reaped += 1
    return reaped
