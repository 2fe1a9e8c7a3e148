"""Each run of a check against a target (targets.Target), attached to an incident."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from diagnostics.checks.base import Verdict


class Run(models.Model):
    """One execution of one check against one target: written before it is queued, always ended."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        TIMED_OUT = "timed_out", "Timed out"

    Verdict = Verdict  # defined once, with the checks that reach it

    incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="runs")
    check_name = models.CharField(max_length=60)
    target = models.ForeignKey("targets.Target", on_delete=models.PROTECT, related_name="runs")
    params = models.JSONField(default=dict, blank=True)
    batch = models.CharField(max_length=60, blank=True, help_text="triage or playbook:<slug>, for grouping")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    columns = models.JSONField(default=list, blank=True)
    rows = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("run_check", "Can run diagnostic checks")]
        indexes = [models.Index(fields=["incident", "-created_at"]), models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.check_name} on {self.target}"

    @property
    def is_done(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None
