"""Celery tasks for the Slack war room: take an id, call the service. Retried with backoff, or Slack's Retry-After."""

from celery import shared_task
from django.conf import settings

from chat import services
from chat.slack import SlackError


@shared_task(bind=True, acks_late=True, max_retries=settings.SLACK_MAX_RETRIES,
             soft_time_limit=services.run_time_limit() - 5, time_limit=services.run_time_limit())
def run_operation(self, operation_id: int) -> None:
    """Claimed once; a transient failure puts the row back and retries after Retry-After (or the backoff)."""
    try:
        services.operation_run(operation_id, final=self.request.retries >= self.max_retries)
    except SlackError as exc:
        raise self.retry(countdown=services.retry_countdown(operation_id, self.request.retries), exc=exc) from None


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def reap_operations() -> int:
    return services.operations_reap()
