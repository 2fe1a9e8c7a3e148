"""Incidents, their severities and their append-only timelines, as the runbook defines them."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.extensions import ENTRY_KINDS


class Severity(models.Model):
    """One of the runbook's SEV1–SEV4 levels; editable in the admin."""

    class Response(models.TextChoices):
        WITHIN = "within", "Within a fixed time"
        NEXT_BUSINESS_DAY = "next_business_day", "Next business day"

    name = models.CharField(max_length=8, unique=True, help_text="SEV1 … SEV4")
    level = models.PositiveSmallIntegerField(unique=True, help_text="1 is the most severe")
    label = models.CharField(max_length=40, help_text="Critical, High, …")
    definition = models.TextField()
    response = models.CharField(max_length=20, choices=Response.choices, default=Response.WITHIN)
    response_minutes = models.PositiveIntegerField(
        default=0, help_text="With 'within': minutes to acknowledge; 0 means immediate"
    )
    escalation = models.CharField(max_length=200, blank=True, help_text="Who is told, e.g. 'CTO, VP Engineering'")
    examples = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["level"]
        verbose_name_plural = "severities"

    def __str__(self) -> str:
        return f"{self.name} – {self.label}"

    @property
    def response_time_display(self) -> str:
        if self.response == self.Response.NEXT_BUSINESS_DAY:
            return "Next business day"
        if self.response_minutes == 0:
            return "Immediate"
        hours, minutes = divmod(self.response_minutes, 60)
        if minutes == 0:
            return f"{hours} hour{'s' if hours != 1 else ''}"
        if hours == 0:
            return f"{minutes} minutes"
        return f"{hours} h {minutes} min"


class Status(models.TextChoices):
    DETECTED = "detected", "Detected"
    TRIAGE = "triage", "Triage"
    INVESTIGATING = "investigating", "Investigating"
    MITIGATING = "mitigating", "Mitigating"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


class Source(models.TextChoices):
    """The runbook's three ways an incident is detected."""

    MONITORING_ALERT = "monitoring_alert", "Monitoring alert"
    USER_REPORT = "user_report", "User report"
    INTERNAL_DISCOVERY = "internal_discovery", "Internal discovery"


class Role(models.TextChoices):
    COMMANDER = "commander", "Incident commander"
    COMMUNICATIONS_LEAD = "communications_lead", "Communications lead"
    SCRIBE = "scribe", "Scribe"


OPEN_STATUSES = [s for s in Status.values if s != Status.RESOLVED]


class IncidentQuerySet(models.QuerySet):
    def open(self):
        # IN (…) uses the (status, declared_at) index; NOT = would scan every past incident.
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self):
        return self.filter(status=Status.RESOLVED)

    def with_people(self):
        return self.select_related("severity", "commander", "communications_lead", "scribe")

    def for_dashboard(self):
        """Open incidents, most severe first, then the oldest."""
        return self.open().select_related("severity", "commander").order_by("severity__level", "declared_at", "pk")

    def for_history(self):
        return self.with_people().order_by("-declared_at", "-pk")


class Incident(models.Model):
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT, related_name="incidents")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DETECTED)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.INTERNAL_DISCOVERY)
    users_affected = models.PositiveIntegerField(null=True, blank=True)
    service_affected = models.CharField(max_length=200, blank=True)

    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    communications_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scribe = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    war_room = models.CharField(max_length=40, unique=True, help_text="#incident-YYYYMMDD, -2 for the second that day")

    declared_at = models.DateTimeField(default=timezone.now)
    response_due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    investigating_at = models.DateTimeField(null=True, blank=True)
    mitigating_at = models.DateTimeField(null=True, blank=True)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set once, by the beat task, when an unacknowledged incident passes its due time.
    breach_recorded_at = models.DateTimeField(null=True, blank=True)

    # Bumped by every change (each one writes a timeline entry); open pages poll it.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-declared_at"]
        indexes = [
            models.Index(fields=["status", "declared_at"]),
            models.Index(fields=["-declared_at", "-id"]),
        ]
        permissions = [
            ("add_note", "Can add notes to an incident's timeline"),
            ("manage_incident", "Can declare and run incidents"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True)
                | models.Q(acknowledged_at__gte=models.F("declared_at")),
                name="incident_acknowledged_after_declared",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.RESOLVED

    @property
    def sla_breached(self) -> bool:
        """Late acknowledgement, or none yet and past due. Kept for good once true."""
        stopped = self.acknowledged_at or timezone.now()
        return stopped > self.response_due_at

    @property
    def ack_delay(self) -> timedelta | None:
        return self.acknowledged_at - self.declared_at if self.acknowledged_at else None

    @property
    def monitoring_remaining(self) -> timedelta:
        """What is left of the runbook's monitoring window; resolving earlier needs an override reason."""
        return self.monitoring_remaining_at(timezone.now())

    def monitoring_remaining_at(self, moment) -> timedelta:
        if self.status != Status.MONITORING or self.monitoring_at is None:
            return timedelta(0)
        window = self.monitoring_at + timedelta(minutes=settings.MONITORING_MINUTES)
        return max(timedelta(0), window - moment)

    @property
    def duration(self) -> timedelta:
        return (self.resolved_at or timezone.now()) - self.declared_at


class EntryQuerySet(models.QuerySet):
    def for_timeline(self):
        # The star rides along in the same query (a reverse one-to-one): no query per line.
        return self.select_related("author", "star", "star__by").order_by("created_at", "pk")

    def starred(self):
        return self.filter(star__isnull=False)


def entry_kinds() -> list[tuple[str, str]]:
    return [*Entry.Kind.choices, *ENTRY_KINDS.items()]


class Entry(models.Model):
    """One line of an incident's timeline. Append-only: never edited, never deleted."""

    class Kind(models.TextChoices):
        DECLARED = "declared", "Declared"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        STATUS = "status", "Status changed"
        SEVERITY = "severity", "Severity changed"
        ROLE = "role", "Role assigned"
        EDITED = "edited", "Details edited"
        NOTE = "note", "Note"
        SLA_BREACHED = "sla_breached", "Response SLA breached"
        STARRED = "starred", "Starred"
        UNSTARRED = "unstarred", "Star removed"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="entries")
    # Incidents' own kinds and those other apps register (incidents.extensions): a callable, so that
    # a plug-in's kind needs no migration here and incidents names none of them.
    kind = models.CharField(max_length=20, choices=entry_kinds)
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Empty for Warroom itself (e.g. the SLA clock)",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "timeline entry"
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["incident", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Timeline entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Timeline entries are append-only")


class Star(models.Model):
    """A responder's mark on a timeline line worth the post-mortem: one per entry, recorded on the timeline itself."""

    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="star")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"★ {self.entry}"
