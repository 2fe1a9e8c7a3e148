"""Celery tasks for mitigations: claim by id, call the service. Never retried: a change is not repeated blindly."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from mitigations import services
from mitigations.models import Mitigation


@shared_task(acks_late=True, soft_time_limit=settings.MITIGATION_ROLLOUT_SECONDS + 60,
             time_limit=settings.MITIGATION_ROLLOUT_SECONDS + 90)
def execute_mitigation(mitigation_id: int) -> None:
    if not services.mitigation_claim(mitigation_id):
        return  # a redelivered message, or it already ended
    try:
        services.mitigation_execute(mitigation_id)
    except SoftTimeLimitExceeded:
        services.mitigation_finish(Mitigation.objects.get(pk=mitigation_id), status=Mitigation.Status.FAILED,
                                     error="Ran past its time limit; check the deployment by hand.",
                                     text="Mitigation ran past its time limit; check the deployment by hand.")


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def reap_mitigations() -> int:
    return services.mitigations_reap()
