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
    # Who took it (the Celery task's id and the worker process), and how many times: the same task id again while
    # running means its worker died before acknowledging the message (services.run_claim).
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

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


class WatchStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Watching"
    FINISHED = "finished", "Finished"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


WATCH_ACTIVE = (WatchStatus.QUEUED, WatchStatus.RUNNING)


class MemoryWatch(models.Model):
    """`kubectl top pods` every interval for a while, for one deployment: the web's answer to `node --inspect`.

    Written before it is queued, its first sample claims it (queued → running), every sample claims its slot
    (next_sample_at), and it always ends: by its duration, a cancel, the incident's resolution, or the reaper."""

    Status = WatchStatus

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="memory_watches")
    target = models.ForeignKey("targets.Target", on_delete=models.PROTECT, related_name="memory_watches")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    interval_seconds = models.PositiveIntegerField()
    duration_seconds = models.PositiveIntegerField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    next_sample_at = models.DateTimeField(null=True, blank=True)
    last_sample_at = models.DateTimeField(null=True, blank=True)
    samples_taken = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0, help_text="Samples in a row that could not be read")
    finished_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["target"], condition=models.Q(status__in=WATCH_ACTIVE),
                                    name="one_memory_watch_per_deployment"),
        ]
        indexes = [models.Index(fields=["incident", "-created_at"]), models.Index(fields=["status", "next_sample_at"])]

    def __str__(self) -> str:
        return f"memory watch of {self.target}"

    @property
    def is_active(self) -> bool:
        return self.status in WATCH_ACTIVE


class MemorySample(models.Model):
    """One pod's memory at one sample, with its request and limit then (kept with the incident, for the
    post-mortem)."""

    watch = models.ForeignKey(MemoryWatch, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField()
    pod = models.CharField(max_length=253)
    memory_bytes = models.BigIntegerField()
    request_bytes = models.BigIntegerField(null=True, blank=True)
    limit_bytes = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["watch", "pod", "at"]
        constraints = [models.UniqueConstraint(fields=["watch", "pod", "at"], name="one_sample_per_pod_and_time")]

    def __str__(self) -> str:
        return f"{self.pod} {self.memory_bytes} B at {self.at:%H:%M:%S}"
