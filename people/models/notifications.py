"""Who was told about which incident, by what channel, and how it went; and how each contact wants to be told.

A Notification is written before its task is queued, claimed once by a conditional UPDATE (queued → sending)
and always ended (sent / failed, or cancelled when acknowledgement stops the escalation before it goes out).
One row per (incident, event, contact, channel), so that no redelivery, beat overlap or race sends twice.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"


class NotificationQuerySet(models.QuerySet):
    def for_incident(self, incident_id: int) -> "NotificationQuerySet":
        return self.filter(incident_id=incident_id).select_related("contact").order_by("created_at", "pk")


class Notification(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    Channel = Channel

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="notifications")
    # people.escalation.event_key(): "SEV1:L1" (a level's first round), "SEV1:L1:R2" (its second repeat).
    event = models.CharField(max_length=40)
    severity = models.CharField(max_length=8, help_text="The incident's severity when this was decided")
    level = models.PositiveSmallIntegerField(help_text="The escalation level that named this contact")
    round = models.PositiveSmallIntegerField(default=0, help_text="0: the first time; 1…: a repeat")
    contact = models.ForeignKey("people.Contact", on_delete=models.PROTECT, related_name="notifications")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, help_text="Scrubbed of secrets before it is stored")
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now, help_text="Last put on the queue (first time or a retry)")
    not_before = models.DateTimeField(null=True, blank=True,
                                      help_text="Held for the contact's quiet hours until then (SEV3/SEV4 only)")
    started_at = models.DateTimeField(null=True, blank=True, help_text="The current attempt's claim")
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "event", "contact", "channel"], name="notification_once"),
            models.CheckConstraint(condition=Q(status__in=["queued", "sending"]) | Q(finished_at__isnull=False),
                                   name="notification_ended_has_end_time"),
        ]
        indexes = [models.Index(fields=["status", "queued_at"]), models.Index(fields=["incident", "created_at"])]

    def __str__(self) -> str:
        return f"{self.contact} by {self.get_channel_display()} about incident #{self.incident_id} ({self.event})"

    @property
    def is_done(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.SENDING)


class ContactChannels(models.Model):
    """How one contact is told; a contact without a row gets every channel Warroom has configured."""

    contact = models.OneToOneField("people.Contact", on_delete=models.CASCADE, related_name="channels")
    email = models.BooleanField(default=True, help_text="By email, to the contact's address")
    slack = models.BooleanField(default=True, help_text="On Slack: their own webhook below, or Warroom's")
    webhook = models.BooleanField(default=True, help_text="Through the outgoing webhook (a paging bridge)")
    quiet_from = models.TimeField(null=True, blank=True,
                                  help_text="Quiet hours start (their local time); never for SEV1/SEV2")
    quiet_until = models.TimeField(null=True, blank=True,
                                   help_text="Quiet hours end, e.g. 07:00; SEV3/SEV4 messages wait until then")
    # A Slack incoming-webhook URL carries its own token: it is never shown outside the admin, nor sent anywhere else.
    slack_webhook_url = models.URLField(blank=True, max_length=500,
                                        help_text="This person's own Slack incoming webhook (e.g. a DM); "
                                                  "blank: WARROOM_SLACK_WEBHOOK_URL")

    class Meta:
        verbose_name = "contact's channels"
        constraints = [
            models.CheckConstraint(condition=Q(quiet_from__isnull=True, quiet_until__isnull=True)
                                   | (Q(quiet_from__isnull=False, quiet_until__isnull=False)
                                      & ~Q(quiet_from=models.F("quiet_until"))),
                                   name="contact_channels_quiet_hours_both_or_neither"),
        ]
        verbose_name_plural = "contacts' channels"

    def __str__(self) -> str:
        return f"Channels of {self.contact}"
