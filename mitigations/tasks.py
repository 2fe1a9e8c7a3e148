"""Celery tasks for mitigations: claim by id, call the service. Never retried: a change is not repeated blindly."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from mitigations import services
from mitigations.models import Mitigation
from warroom.celery import worker_label


# reject_on_worker_lost: a worker process killed mid-change gives the message back at once; mitigation_claim
# recognises its own task id and ends it as "outcome unknown" instead of changing the cluster a second time.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=settings.MITIGATION_TIME_LIMIT,
             time_limit=settings.MITIGATION_HARD_LIMIT)
def execute_mitigation(self, mitigation_id: int) -> None:
    if not services.mitigation_claim(mitigation_id, task_id=self.request.id or "", worker=worker_label(self.request)):
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
