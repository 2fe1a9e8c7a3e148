"""Who to call: contacts, the roles they hold, on-call rotations and each severity's escalation policy."""

import secrets
import zoneinfo
from datetime import time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


def validate_time_zone(value: str) -> None:
    """A zoneinfo name ("Europe/London", "Asia/Kolkata", "UTC"), so wall-clock times convert correctly."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a time zone name, e.g. 'Europe/London' or 'UTC'.") from None


def is_placeholder(value: str) -> bool:
    """The runbook's blanks ("Name", "+1-XXX") that an admin still has to fill in."""
    return value in {"", "Name", "Rotating"} or "XXX" in value


class Contact(models.Model):
    """A person to call. Roles name the contacts who hold them (or a rotation); a contact may hold several."""

    name = models.CharField(max_length=100)
    phone = models.CharField(max_length=40, blank=True, help_text="International format, e.g. +1-555-0100")
    slack_handle = models.CharField(max_length=80, blank=True, help_text="e.g. @manager")
    email = models.EmailField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone],
                                 help_text="Where this person is (a zoneinfo name, e.g. Asia/Kolkata)")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="contact", help_text="Their Warroom account, if they have one")

    class Meta:
        ordering = ["name", "pk"]
        permissions = [("view_contacts", "Can read contacts, on-call rotations and the escalation table")]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_filling_in(self) -> bool:
        return is_placeholder(self.name) or is_placeholder(self.phone)


class LengthUnit(models.TextChoices):
    DAYS = "days", "Days"
    WEEKS = "weeks", "Weeks"


class Rotation(models.Model):
    """Members take turns in order; each turn lasts `length` and hands off at a local wall-clock time.

    The first turn starts on `start_date` at `handoff_time` in `time_zone`. See people/rotations.py for the
    arithmetic and for what happens when members join or leave.
    """

    name = models.CharField(max_length=80, unique=True)
    length = models.PositiveSmallIntegerField(default=1, help_text="How many days or weeks one turn lasts")
    length_unit = models.CharField(max_length=5, choices=LengthUnit.choices, default=LengthUnit.WEEKS)
    handoff_time = models.TimeField(default=time(9, 0), help_text="Local time in the rotation's time zone")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone],
                                 help_text="A zoneinfo name; handoffs follow its daylight-saving changes")
    start_date = models.DateField(help_text="The first turn starts on this day at the handoff time")

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(length__gte=1), name="rotation_length_positive")]

    def __str__(self) -> str:
        return self.name

    @property
    def length_days(self) -> int:
        return self.length * (7 if self.length_unit == LengthUnit.WEEKS else 1)

    @property
    def length_display(self) -> str:
        unit = "week" if self.length_unit == LengthUnit.WEEKS else "day"
        return f"{self.length} {unit}{'s' if self.length != 1 else ''}"


class RotationMember(models.Model):
    """A contact's place in a rotation's order. Leaving is a date (`left_at`), so past turns stay as they were."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="memberships")
    position = models.PositiveSmallIntegerField(help_text="Order of turns: lowest first")
    joined_at = models.DateTimeField(
        null=True, blank=True, help_text="Takes turns from the first handoff at or after this; blank: from the start")
    left_at = models.DateTimeField(null=True, blank=True,
                                   help_text="Leaves at this moment; a turn in progress passes to the next member")

    class Meta:
        ordering = ["rotation", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rotation", "position"], name="rotation_member_position_once"),
            models.CheckConstraint(condition=Q(joined_at__isnull=True) | Q(left_at__isnull=True)
                                   | Q(left_at__gt=F("joined_at")), name="rotation_member_leaves_after_joining"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} in {self.rotation} (#{self.position})"


class Override(models.Model):
    """Someone covers a period of a rotation (a swap, a holiday); the latest override wins where two overlap."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="overrides")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="overrides")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rotation", "start", "pk"]
        indexes = [models.Index(fields=["rotation", "end"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="override_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.contact} covers {self.rotation} {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M} UTC"


class Role(models.Model):
    """A part someone plays in an incident (CTO, DBA …): held by fixed contacts, or by a rotation's on-call person."""

    class Kind(models.TextChoices):
        FIXED = "fixed", "Fixed contacts"
        ROTATION = "rotation", "On-call rotation"

    name = models.CharField(max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the contacts page")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FIXED)
    holders = models.ManyToManyField(Contact, blank=True, related_name="roles",
                                     help_text="With 'fixed contacts': who holds this role")
    rotation = models.ForeignKey(Rotation, null=True, blank=True, on_delete=models.PROTECT, related_name="roles",
                                 help_text="With 'on-call rotation': the rotation whose on-call person holds it")
    phone = models.CharField(max_length=40, blank=True, help_text="A shared line for the role, if any (a pager)")
    slack_handle = models.CharField(max_length=80, blank=True, help_text="A shared handle, if any, e.g. @oncall")

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="fixed", rotation__isnull=True) | Q(kind="rotation", rotation__isnull=False),
                name="role_fixed_or_rotation"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == self.Kind.ROTATION and self.rotation_id is None:
            raise ValidationError({"rotation": "A role held by a rotation needs its rotation."})
        if self.kind == self.Kind.FIXED and self.rotation_id is not None:
            raise ValidationError({"rotation": "A role held by fixed contacts has no rotation; clear it."})


class EscalationPolicy(models.Model):
    """Who is told about an incident of one severity, and when: ordered levels."""

    severity = models.OneToOneField("incidents.Severity", on_delete=models.CASCADE, related_name="escalation_policy")
    note = models.CharField(max_length=200, blank=True, help_text="Shown under the severity on the escalation table")

    class Meta:
        ordering = ["severity__level"]
        verbose_name_plural = "escalation policies"

    def __str__(self) -> str:
        return f"Escalation for {self.severity.name}"


class EscalationLevel(models.Model):
    """One step of a policy: these roles, this long after declaration, repeated until acknowledged."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField(help_text="1 is told first")
    after = models.DurationField(
        default=timedelta(0),
        help_text="Since the incident was declared, as HH:MM:SS (00:15:00 is 15 minutes; 0 is immediately)")
    next_business_day = models.BooleanField(
        default=False,
        help_text="Wait instead for the start of business hours (WARROOM_BUSINESS_HOURS) on the next business day, "
                  "in the team's time zone (TIME_ZONE): the same moment for everyone, whatever their own zone")
    repeat_every = models.DurationField(
        null=True, blank=True,
        help_text="Tell them again this often until acknowledged, as HH:MM:SS (00:05:00 is 5 minutes)")
    max_repeats = models.PositiveSmallIntegerField(default=0, help_text="How many times to repeat (0 with no repeat)")
    roles = models.ManyToManyField(Role, related_name="escalation_levels")
    how = models.CharField(max_length=200, blank=True, help_text="How they are reached, e.g. 'Phone call and Slack'")

    class Meta:
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="escalation_level_number_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="escalation_level_number_positive"),
            models.CheckConstraint(condition=Q(after__gte=timedelta(0)), name="escalation_level_after_not_negative"),
            models.CheckConstraint(
                condition=Q(repeat_every__isnull=True, max_repeats=0)
                # IS NOT NULL too: a CHECK that is NULL (an interval compared with nothing) would pass.
                | Q(repeat_every__gt=timedelta(0), max_repeats__gte=1, repeat_every__isnull=False),
                name="escalation_level_repeats_need_an_interval"),
        ]

    def __str__(self) -> str:
        return f"{self.policy.severity.name} level {self.number}"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarToken(models.Model):
    """The secret in a person's calendar-feed URLs; regenerating it cuts off every copied link."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token")
    token = models.CharField(max_length=64, default=new_calendar_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar token of {self.user}"  # never the token itself
