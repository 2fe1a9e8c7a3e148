"""The audit log: who did what, when and from where. Append-only: in the model, and in the database (a trigger)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

APPEND_ONLY = "The audit log is append-only"


class Action(models.TextChoices):
    LOGIN = "auth.login", "Signed in"
    LOGIN_FAILED = "auth.login_failed", "Sign-in refused"
    LOGIN_LOCKED = "auth.login_locked", "Sign-in refused: too many failures (password not checked)"
    LOGOUT = "auth.logout", "Signed out"
    ADMIN_ADD = "admin.add", "Admin: added"
    ADMIN_CHANGE = "admin.change", "Admin: changed"
    ADMIN_DELETE = "admin.delete", "Admin: deleted"
    ADMIN_ACTION = "admin.action", "Admin: action run"
    MITIGATION_PREPARE = "mitigation.prepare", "Mitigation prepared"
    MITIGATION_CHANGE = "mitigation.change", "Mitigation parameters changed"
    MITIGATION_APPROVE = "mitigation.approve", "Mitigation approved"
    MITIGATION_EXECUTE = "mitigation.execute", "Mitigation confirmed for execution"
    MITIGATION_CANCEL = "mitigation.cancel", "Mitigation cancelled"
    ALERT_SOURCE_CREATE = "alerts.source_create", "Alert source created (manage.py)"
    ALERT_SOURCE_ROTATE = "alerts.source_rotate", "Alert source token replaced (manage.py)"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValueError(f"{APPEND_ONLY}: update refused")

    def delete(self):
        raise ValueError(f"{APPEND_ONLY}: delete refused")


class AuditEvent(models.Model):
    """One thing someone did. Names are copied, not only linked: a user renamed or deleted later stays as they were."""

    at = models.DateTimeField(default=timezone.now)
    # No database constraint and nothing done on delete: deleting a user must not touch (or be stopped by) the log.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
                              null=True, blank=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)  # for a refused sign-in: the name tried
    action = models.CharField(max_length=40, choices=Action.choices)
    target_type = models.CharField(max_length=100, blank=True)  # "app_label.model"
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
            models.Index(fields=["actor_name", "-at"], name="audit_actor_at"),
            models.Index(fields=["target_type", "-at"], name="audit_target_at"),
            models.Index(fields=["ip", "-at"], name="audit_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or 'Warroom'} {self.action} {self.target_repr}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(f"{APPEND_ONLY}: update refused")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{APPEND_ONLY}: delete refused")
