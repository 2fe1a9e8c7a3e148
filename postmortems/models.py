"""Post-mortems in the runbook's template, their revisions and their action items.

The facts the incident recorded (date, duration, severity, commander) are read from the incident, never
copied: a post-mortem cannot disagree with its record. What people write (the prose sections, the impact
figures, the timeline table, the action items) lives here; each prose section keeps its Markdown source
beside the sanitised HTML rendered from it.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from incidents.models import Incident
from warroom.permissions import Perm, can

# The runbook template's prose sections, in its order; each is `name` (Markdown) and `name_html` (rendered).
SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "impact": "Impact",
    "root_cause": "Root Cause",
    "resolution": "Resolution",
    "lessons_learned": "Lessons Learned",
}


class PostMortemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


def readable_statuses(user) -> list[str] | None:
    """The one reading rule: writers read every post-mortem (None: no filter), people who only view incidents read
    the published ones, anyone else none. Post-mortems and their action items both filter by it."""
    if can(user, Perm.WRITE_POSTMORTEM):
        return None
    if can(user, Perm.VIEW_INCIDENT):
        return [PostMortemStatus.PUBLISHED]
    return []


class PostMortemQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=PostMortemStatus.PUBLISHED)

    def with_incident(self):
        return self.select_related("incident", "incident__severity", "incident__commander")

    def visible_to(self, user):
        """Writers see every post-mortem; people who only view incidents see the published ones."""
        statuses = readable_statuses(user)
        return self if statuses is None else self.filter(status__in=statuses)


class PostMortem(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="postmortem")
    status = models.CharField(max_length=20, choices=PostMortemStatus.choices, default=PostMortemStatus.DRAFT)
    title = models.CharField(max_length=200)
    service = models.CharField(max_length=200, blank=True, help_text="The service affected")

    # Impact, as the runbook's template lists it; the prose in `impact` says the rest.
    users_affected = models.PositiveIntegerField(null=True, blank=True)
    revenue_impact = models.CharField(max_length=100, blank=True, help_text="e.g. $12,000 (estimate)")
    downtime = models.DurationField(null=True, blank=True)

    summary = models.TextField(blank=True)
    summary_html = models.TextField(blank=True, editable=False)
    impact = models.TextField(blank=True)
    impact_html = models.TextField(blank=True, editable=False)
    root_cause = models.TextField(blank=True)
    root_cause_html = models.TextField(blank=True, editable=False)
    resolution = models.TextField(blank=True)
    resolution_html = models.TextField(blank=True, editable=False)
    lessons_learned = models.TextField(blank=True)
    lessons_learned_html = models.TextField(blank=True, editable=False)

    # The Timeline table: [{"at": ISO 8601, "event": text, "entry": Entry id or null}], oldest first.
    timeline = models.JSONField(default=list, blank=True)

    # Weighted full-text vector (PostgreSQL); kept up to date by the services, NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    revision = models.PositiveIntegerField(default=1, help_text="Bumped by every edit; each has a Revision row")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, help_text="First publication")

    objects = PostMortemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["service"]),
        ]
        permissions = [("write_postmortem", "Can write post-mortems and their action items")]

    def __str__(self) -> str:
        return f"Post-mortem of #{self.incident_id}: {self.title}"


class Revision(models.Model):
    """One saved state of a post-mortem: who changed it, when, and every section as it then read."""

    postmortem = models.ForeignKey(PostMortem, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=PostMortemStatus.choices)
    content = models.JSONField(help_text="Title, impact figures, every section's source and the timeline")
    change = models.CharField(max_length=200, blank=True, help_text="What this revision did, in words")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["postmortem", "number"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "number"], name="postmortem_revision_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.postmortem} · revision {self.number}"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class ActionItemQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ActionItemStatus.OPEN)

    def overdue(self, today):
        return self.open().filter(due_date__lt=today)

    def oldest_due_first(self):
        return self.order_by(models.F("due_date").asc(nulls_last=True), "created_at", "pk")

    def visible_to(self, user):
        """An action item is seen by whoever may see its post-mortem."""
        statuses = readable_statuses(user)
        return self if statuses is None else self.filter(postmortem__status__in=statuses)

    def for_lists(self):
        return self.select_related("owner", "postmortem", "postmortem__incident", "postmortem__incident__severity")


class ActionItem(models.Model):
    postmortem = models.ForeignKey(PostMortem, on_delete=models.PROTECT, related_name="action_items")
    description = models.CharField(max_length=500)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN)
    ticket_url = models.URLField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "created_at", "pk"]
        indexes = [models.Index(fields=["status", "due_date"]), models.Index(fields=["owner", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=ActionItemStatus.OPEN, done_at__isnull=True)
                | models.Q(status=ActionItemStatus.DONE, done_at__isnull=False),
                name="action_item_done_has_a_time",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    def is_overdue(self, today) -> bool:
        return self.status == ActionItemStatus.OPEN and self.due_date is not None and self.due_date < today

