"""Mitigations: production changes the runbook prescribes, previewed, confirmed, approved and recorded."""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ScaleLimits(models.Model):
    """How far scaling may take a Kubernetes target, whoever asks: a mitigation setting, kept beside the target it
    bounds (edited inline on the target's admin page). A target without one gets the defaults."""

    DEFAULT_MIN, DEFAULT_MAX = 1, 20

    target = models.OneToOneField("targets.Target", on_delete=models.CASCADE, related_name="scale_limits")
    min_replicas = models.PositiveIntegerField(default=DEFAULT_MIN, help_text="Scaling never goes below this")
    max_replicas = models.PositiveIntegerField(default=DEFAULT_MAX, help_text="Scaling never goes above this")

    class Meta:
        verbose_name = verbose_name_plural = "scale limits"

    def __str__(self) -> str:
        return f"{self.target}: {self.min_replicas}–{self.max_replicas} replicas"

    @classmethod
    def of(cls, target) -> tuple[int, int]:
        """(min, max) replicas for this target: its own limits, else the defaults."""
        limits = getattr(target, "scale_limits", None)  # none stored: Django raises an AttributeError subclass
        return (limits.min_replicas, limits.max_replicas) if limits else (cls.DEFAULT_MIN, cls.DEFAULT_MAX)


class MaintenanceManifest(models.Model):
    """The maintenance-mode YAML kept with a target. Versions are appended, never edited."""

    target = models.ForeignKey("targets.Target", on_delete=models.PROTECT, related_name="manifests")
    version = models.PositiveIntegerField()
    yaml = models.TextField(help_text="What `kubectl apply -f k8s/maintenance-mode.yaml` would apply")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["target", "-version"]
        constraints = [models.UniqueConstraint(fields=["target", "version"], name="manifest_version_once")]

    def __str__(self) -> str:
        return f"{self.target} maintenance manifest v{self.version}"


def digest(action: str, target_id: int, params: dict) -> str:
    """What an approval is bound to: the exact action, target and parameters."""
    canonical = json.dumps({"action": action, "target": target_id, "params": params}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class MitigationStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed: waiting for confirmation"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# Module-level so that Meta's constraint (which cannot see the class body) uses the enum too.
ACTIVE = (MitigationStatus.QUEUED, MitigationStatus.RUNNING)
# Before a worker claims it; a running change is followed to its end.
CANCELLABLE = (MitigationStatus.PREVIEWED, MitigationStatus.QUEUED)


class Mitigation(models.Model):
    Status = MitigationStatus

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="mitigations")
    action = models.CharField(max_length=60)
    target = models.ForeignKey("targets.Target", on_delete=models.PROTECT, related_name="mitigations")
    params = models.JSONField(default=dict, blank=True)
    params_digest = models.CharField(max_length=64)
    manifest = models.ForeignKey(MaintenanceManifest, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    # One change at a time per deployment: the partial unique constraint below holds it. Empty for actions that
    # only read (following a rollout), which take no slot.
    lock_key = models.CharField(max_length=300, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    outcome = models.JSONField(default=dict, blank=True)
    rollout = models.JSONField(default=dict, blank=True, help_text="Latest rollout status: state, message, counts")
    error = models.TextField(blank=True)

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_digest = models.CharField(max_length=64, blank=True)
    approval_expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Who took it (the Celery task's id and the worker process): the same task id again while running means its worker
    # died mid-change, and the change is never made twice (services.mitigation_claim).
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("preview_mitigation", "Can preview mitigations"),
            ("execute_mitigation", "Can approve and execute mitigations"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lock_key"], condition=Q(status__in=ACTIVE) & ~Q(lock_key=""),
                                    name="one_active_mitigation_per_deployment"),
        ]
        indexes = [models.Index(fields=["incident", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} on {self.target}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def approval_expired(self, now) -> bool:
        """The one expiry rule: an approval is good strictly before approval_expires_at."""
        return self.approval_expires_at is None or self.approval_expires_at <= now

    def approval_valid_at(self, now) -> bool:
        """Approved, for exactly these parameters, and not expired at `now`."""
        return bool(self.approved_by_id and self.approved_digest == self.params_digest
                    and not self.approval_expired(now))

    @property
    def approval_valid(self) -> bool:
        return self.approval_valid_at(timezone.now())
