"""Celery tasks: take an id, claim it, call the service."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from diagnostics import services
from diagnostics.models import Run


@shared_task(acks_late=True, soft_time_limit=settings.DIAGNOSTICS_RUN_TIME_LIMIT,
             time_limit=settings.DIAGNOSTICS_RUN_TIME_LIMIT + 5)
def execute_run(run_id: int) -> None:
    if not services.run_claim(run_id):
        return  # another worker has it, or it already ended
    try:
        services.run_execute(run_id)
    except SoftTimeLimitExceeded:
        services.run_finish(Run.objects.get(pk=run_id), status=Run.Status.TIMED_OUT,
                            error=f"Did not finish within {settings.DIAGNOSTICS_RUN_TIME_LIMIT} s.")


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def reap_runs() -> int:
    return services.runs_reap()
