"""Monitoring alerts: the sources that post them, the rules that route them, their groups and the alerts themselves."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from alerts.matchers import MatcherError, parse_matchers
from incidents.models import Incident, Severity


class AlertSource(models.Model):
    """Something that posts alerts (an Alertmanager, a Grafana), with its own bearer token, kept only as a hash."""

    name = models.SlugField(max_length=64, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False,
                                  help_text="SHA-256 of the token; the token itself is shown once and never stored")
    is_active = models.BooleanField(default=True, help_text="An inactive source's posts are refused (401)")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", editable=False)
    token_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    token_rotated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Action(models.TextChoices):
    OPEN_INCIDENT = "open_incident", "Open an incident (or add to the group's open one)"
    RECORD = "record", "Only record the alert"


class RoutingRuleQuerySet(models.QuerySet):
    def in_order(self):
        """First match wins: by position, the default rule last whatever its position."""
        return self.select_related("severity").order_by("is_default", "position", "pk")


class RoutingRule(models.Model):
    """Alert labels → what Warroom does: the severity, the service, and whether an incident opens."""

    position = models.PositiveIntegerField(default=100, help_text="Lower is tried first; the first match wins")
    name = models.CharField(max_length=100)
    matchers = models.TextField(
        blank=True,
        help_text='One per line, as Alertmanager writes them: severity="critical", team=~"db|infra", env!="dev", '
                  'job!~"test-.*". Regexes match the whole value. All must match; none matches every alert.',
    )
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=200, blank=True,
                               help_text="The service affected; empty takes the alert's 'service' label")
    action = models.CharField(max_length=20, choices=Action.choices, default=Action.OPEN_INCIDENT)
    is_default = models.BooleanField(default=False, help_text="Applies to what no other rule matches")

    objects = RoutingRuleQuerySet.as_manager()

    class Meta:
        ordering = ["is_default", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="alerts_one_default_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    def clean(self):
        try:
            parse_matchers(self.matchers)
        except MatcherError as exc:
            raise ValidationError({"matchers": str(exc)}) from exc


class AlertGroupQuerySet(models.QuerySet):
    def open(self):
        return self.filter(is_open=True)


class AlertGroup(models.Model):
    """One of a source's alert groups (Alertmanager's groupKey) and the one incident it opened, if any.

    At most one open row per (source, group key): the database holds that, so concurrent deliveries of a
    group share one row and so one incident. When people resolve the incident the row closes, and the
    group's next firing alert opens a new row (and a new incident).
    """

    source = models.ForeignKey(AlertSource, on_delete=models.PROTECT, related_name="groups")
    key_hash = models.CharField(max_length=64, help_text="SHA-256 of the group key: keys can be long")
    group_key = models.TextField()
    labels = models.JSONField(default=dict, blank=True)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_open = models.BooleanField(default=True)
    truncated_alerts = models.PositiveIntegerField(default=0, help_text="Alerts the sender left out, last delivery")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AlertGroupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key_hash"], condition=models.Q(is_open=True),
                                    name="alerts_one_open_group_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.group_key[:60]}"


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class AlertQuerySet(models.QuerySet):
    def for_list(self):
        """Firing first, then the most recently seen."""
        return self.select_related("source", "group__incident__severity").order_by(
            "status", "-last_seen", "-pk")  # "firing" sorts before "resolved"

    def for_incident(self, incident_id: int):
        return self.filter(group__incident_id=incident_id).select_related("source").order_by(
            "status", "-last_seen", "-pk")  # "firing" sorts before "resolved"


class Alert(models.Model):
    """One alert as its source sent it (raw kept), deduplicated by fingerprint while it fires."""

    source = models.ForeignKey(AlertSource, on_delete=models.PROTECT, related_name="alerts")
    group = models.ForeignKey(AlertGroup, on_delete=models.PROTECT, related_name="alerts")
    fingerprint = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True, help_text="The alertname label")
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.FIRING)
    severity = models.CharField(max_length=50, blank=True, help_text="The severity label, as the source sent it")
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    generator_url = models.TextField(blank=True)
    dashboard_url = models.TextField(blank=True)
    panel_url = models.TextField(blank=True)
    raw = models.JSONField(help_text="The alert exactly as the source sent it")
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "fingerprint"], condition=models.Q(status="firing"),
                                    name="alerts_one_firing_per_fingerprint"),
            models.UniqueConstraint(fields=["source", "fingerprint", "starts_at"], name="alerts_one_per_start"),
        ]
        indexes = [
            models.Index(fields=["status", "-last_seen", "-id"], name="alerts_list_order"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.fingerprint} ({self.status})"

    @property
    def summary(self) -> str:
        return self.annotations.get("summary", "")

    @property
    def description(self) -> str:
        return self.annotations.get("description", "")

    @property
    def runbook_url(self) -> str:
        return self.annotations.get("runbook_url", "")
