"""Providers we depend on (their live state, read every minute) and the public status page's own data.

The public side (`Component`, `PublicIncident`, `PublicUpdate`) holds only what a commander wrote for the
public: it never points the page at an internal field; `PublicIncident.incident` links back for the commander.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from incidents.models import Incident


class ProviderKind(models.TextChoices):
    STATUSPAGE_V2 = "statuspage_v2", "Statuspage v2 JSON (/api/v2/summary.json)"
    FEED = "feed", "RSS or Atom feed"
    NONE = "none", "Link only (not read)"


class ProviderState(models.TextChoices):
    OPERATIONAL = "operational", "Operational"
    DEGRADED = "degraded", "Degraded"
    OUTAGE = "outage", "Outage"
    UNKNOWN = "unknown", "Unknown"  # the last read failed: see `error`
    NOT_READ = "not_read", "Not read"  # kind "none", or not read yet


DEGRADED_STATES = (ProviderState.DEGRADED, ProviderState.OUTAGE)


class ProviderQuerySet(models.QuerySet):
    def readable(self):
        return self.exclude(kind=ProviderKind.NONE)

    def degraded(self):
        return self.filter(state__in=DEGRADED_STATES).order_by("position", "name")


class Provider(models.Model):
    """One outside service the runbook checks (AWS, Stripe, SendGrid…): a row an admin edits."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=ProviderKind.choices, default=ProviderKind.NONE)
    url = models.URLField(max_length=500, blank=True,
                          help_text="What Warroom reads: the page's base URL for Statuspage v2 "
                                    "(…/api/v2/summary.json is added), the feed's URL for a feed")
    status_page_url = models.URLField(max_length=500, help_text="The page people open")
    support_contact = models.CharField(max_length=200, blank=True)
    components = models.JSONField(default=list, blank=True,
                                  help_text='Component names to watch (Statuspage v2), e.g. ["API", "Dashboard"]; '
                                            "empty: the page's overall indicator")
    timeout_seconds = models.PositiveSmallIntegerField(default=5)
    position = models.PositiveSmallIntegerField(default=0)
    # The last read: written only by services.provider_read, newest read wins (a conditional UPDATE).
    state = models.CharField(max_length=20, choices=ProviderState.choices, default=ProviderState.NOT_READ)
    description = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)  # {"components": [...], "incidents": [...], "items": [...]}
    error = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text="When the last stored read started")

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind="none") | ~models.Q(url=""), name="provider_read_has_url"),
            models.CheckConstraint(condition=models.Q(timeout_seconds__gte=1, timeout_seconds__lte=30),
                                   name="provider_timeout_1_30"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.components, list) or not all(isinstance(c, str) and c for c in self.components):
            raise ValidationError({"components": 'A list of component names, e.g. ["API", "Webhooks"].'})
        if self.kind != ProviderKind.NONE and not self.url:
            raise ValidationError({"url": "Give the URL to read, or choose “Link only”."})

    @property
    def is_degraded(self) -> bool:
        return self.state in DEGRADED_STATES


class ComponentStatus(models.TextChoices):
    """Statuspage v2's component statuses, so the JSON is theirs."""

    OPERATIONAL = "operational", "Operational"
    DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"


class Impact(models.TextChoices):
    NONE = "none", "None"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


class PublicStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


class Component(models.Model):
    """A part of the product the public sees ("Checkout", "Search"); admin-defined."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=30, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class PublicIncidentQuerySet(models.QuerySet):
    def current(self):
        return self.exclude(status=PublicStatus.RESOLVED)

    def resolved_since(self, since):
        return self.filter(status=PublicStatus.RESOLVED, resolved_at__gte=since)


class PublicIncident(models.Model):
    """What the public is told about one incident: only what the commander wrote for them."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="public")
    title = models.CharField(max_length=200)
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.MINOR)
    status = models.CharField(max_length=20, choices=PublicStatus.choices, default=PublicStatus.INVESTIGATING)
    components = models.ManyToManyField(Component, blank=True, related_name="public_incidents")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = PublicIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "resolved_at"])]

    def __str__(self) -> str:
        return self.title


class PublicUpdate(models.Model):
    """One public update (append-only); `by` is for the audit, never shown publicly."""

    public_incident = models.ForeignKey(PublicIncident, on_delete=models.PROTECT, related_name="updates")
    status = models.CharField(max_length=20, choices=PublicStatus.choices)
    body = models.TextField(max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.body[:60]}"
