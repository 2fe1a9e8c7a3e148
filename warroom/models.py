"""The outbox: work for the Celery workers, written in the same transaction as the request it serves."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Outbox(models.Model):
    """One task message. Published on commit; while the broker is unreachable it waits here, and the workers'
    relay (warroom.outbox.relay) publishes it once the broker is back. Kept a day after it was sent."""

    task = models.CharField(max_length=200)  # the Celery task's name, e.g. diagnostics.tasks.execute_run
    args = models.JSONField(default=list)
    queue = models.CharField(max_length=200, blank=True)  # "" → the task's default queue
    eta = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # failed publishes
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="outbox_unsent", condition=Q(sent_at__isnull=True)),
            models.Index(fields=["task", "sent_at"], name="outbox_task_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
