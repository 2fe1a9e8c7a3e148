"""Celery tasks: take an id, claim it, call the service."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from diagnostics import services
from diagnostics.models import Run
from warroom.celery import worker_label
from warroom.outbox import enqueue


# reject_on_worker_lost: a worker process killed mid-run gives the message back at once (not an hour later, at the
# broker's visibility timeout); run_claim recognises its own task id and tries the run once more.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=settings.DIAGNOSTICS_RUN_TIME_LIMIT,
             time_limit=settings.DIAGNOSTICS_RUN_HARD_LIMIT)
def execute_run(self, run_id: int) -> None:
    if not services.run_claim(run_id, task_id=self.request.id or "", worker=worker_label(self.request)):
        return  # another worker has it, or it already ended
    try:
        services.run_execute(run_id)
    except SoftTimeLimitExceeded:
        services.run_finish(Run.objects.get(pk=run_id), status=Run.Status.TIMED_OUT,
                            error=f"Did not finish within {settings.DIAGNOSTICS_RUN_TIME_LIMIT} s.")


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def reap_runs() -> int:
    return services.runs_reap()


@shared_task(acks_late=True, soft_time_limit=settings.DIAGNOSTICS_RUN_TIME_LIMIT,
             time_limit=settings.DIAGNOSTICS_RUN_HARD_LIMIT)
def sample_watch(watch_id: int) -> None:
    """One sample of a memory watch; the one that claimed its slot schedules the next (diagnostics.watches)."""
    from django.utils import timezone

    from diagnostics.watches import watch_sample

    watch = watch_sample(watch_id)
    if watch is not None and watch.is_active and watch.next_sample_at is not None:
        delay = max((watch.next_sample_at - timezone.now()).total_seconds(), 0)
        enqueue(sample_watch, [watch_id], countdown=delay)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def reap_watches() -> int:
    from diagnostics.watches import watches_reap

    return watches_reap()
