"""Celery tasks for notifications and escalation: take an id (or nothing), call the service."""

import datetime as dt

from celery import shared_task
from django.conf import settings

from people import escalation, notifications
from people.channels import TransientSendError


@shared_task(bind=True, acks_late=True, autoretry_for=(TransientSendError,), max_retries=settings.NOTIFY_MAX_RETRIES,
             retry_backoff=settings.NOTIFY_RETRY_BACKOFF, retry_backoff_max=60, retry_jitter=False,
             soft_time_limit=notifications.send_time_limit() - 5, time_limit=notifications.send_time_limit())
def send_notification(self, notification_id: int) -> None:
    """Claimed once; a transient failure raises TransientSendError for a retry, the last attempt ends it as failed."""
    notifications.notification_send(notification_id, final=self.request.retries >= self.max_retries)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def escalate_incident(incident_id: int, at: str) -> int:
    """One incident's escalation as of `at` (ISO 8601): safe twice, each notification's key is claimed once."""
    return len(escalation.escalation_run(incident_id=incident_id, now=dt.datetime.fromisoformat(at)))


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def escalate() -> int:
    return escalation.escalations_tick()


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def reap_notifications() -> int:
    return notifications.notifications_reap()
