"""What Warroom asks of Slack, one row per operation: the incident's war room, and each line posted to it.

An Operation is written before its task is queued, claimed once by a conditional UPDATE (queued → running) and
always ended (done / failed), or put back in the queue for a retry; the reaper ends what a lost worker left.
One row per (incident, key) — "room", "entry:<id>", "summary:<n>" — so that no redelivery posts twice.
A room remembers each step it finished (channel created, topic, invitations, announcement, pin), so that a
retry picks up where the last attempt stopped and never creates the channel twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

ROOM_KEY = "room"


class OperationQuerySet(models.QuerySet):
    def rooms(self) -> "OperationQuerySet":
        return self.filter(kind=Operation.Kind.ROOM)

    def for_channel(self, channel_id: str) -> "OperationQuerySet":
        return self.rooms().filter(channel_id=channel_id)


class Operation(models.Model):
    class Kind(models.TextChoices):
        ROOM = "room", "War room"
        POST = "post", "Line posted"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Step(models.TextChoices):
        TOPIC = "topic", "Topic set"
        INVITED = "invited", "People invited"
        PINNED = "pinned", "Announcement pinned"

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="slack_operations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=60, help_text="room, entry:<id> or summary:<n>: one row each")
    text = models.TextField(blank=True, help_text="A post's line (Slack mrkdwn)")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    channel_id = models.CharField(max_length=40, blank=True, help_text="The room's Slack channel, once created")
    message_ts = models.CharField(max_length=40, blank=True, help_text="The posted message's ts")
    steps = models.JSONField(default=list, blank=True, help_text="The room's steps already done")
    last_error = models.CharField(max_length=500, blank=True, help_text="Scrubbed of secrets before it is stored")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now, help_text="Last put on the queue (first time or a retry)")
    not_before = models.DateTimeField(null=True, blank=True, help_text="Slack's Retry-After: not claimed before")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OperationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "key"], name="slack_operation_once"),
            models.CheckConstraint(condition=Q(status__in=["queued", "running"]) | Q(finished_at__isnull=False),
                                   name="slack_operation_ended_has_end_time"),
        ]
        indexes = [models.Index(fields=["status", "queued_at"]), models.Index(fields=["channel_id"])]

    def __str__(self) -> str:
        return f"Slack {self.get_kind_display().lower()} of incident #{self.incident_id} ({self.key})"

    @property
    def is_done(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.RUNNING)
