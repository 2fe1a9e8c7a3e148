"""Sending notifications: written before they are queued, claimed once, always ended.

notifications_request writes one row per contact and channel (the unique constraint makes a second request of
the same step a no-op) and queues each new row on commit; the worker's send_notification task calls
notification_send, which claims the row (queued → sending, a conditional UPDATE), sends, and ends it (sent /
failed) or puts it back for a retry. Every attempt's outcome is a timeline entry. notifications_reap ends what a
lost worker left behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
import zoneinfo
from typing import TYPE_CHECKING

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from incidents.announcement import announcement_text
from incidents.services import incident_touch, timeline_record
from people import channels
from people.channels import Message, SendError
from people.models import Channel, Notification
from warroom.outbox import enqueue, held

if TYPE_CHECKING:
    from incidents.models import Incident
    from people.models import Contact

log = logging.getLogger(__name__)

NOTIFICATION_ENTRY = "notification"  # the kind of the timeline entries notifications write


def incident_url(incident_id: int) -> str:
    return settings.BASE_URL + reverse("incidents:detail", args=[incident_id])


def _queue(notification_id: int, *, eta: dt.datetime | None = None) -> None:
    from people.tasks import send_notification  # tasks import this module; import here to keep that one-way

    # eta: held for quiet hours, the broker keeps it until then.
    enqueue(send_notification, [notification_id], queue=settings.NOTIFY_QUEUE, eta=eta)


# Quiet hours never hold these back (the runbook's SEV1 and SEV2: immediate, 15 minutes).
ALWAYS_NOW_LEVEL = 2


def quiet_until(contact: Contact, at: dt.datetime) -> dt.datetime | None:
    """When the contact's quiet hours end, if `at` falls inside them (their own time zone); else None.

    The window includes its start and excludes its end, and may cross midnight (22:00–07:00)."""
    prefs = getattr(contact, "channels", None)
    if prefs is None or prefs.quiet_from is None or prefs.quiet_until is None:
        return None
    start, end = prefs.quiet_from, prefs.quiet_until
    zone = zoneinfo.ZoneInfo(contact.time_zone)
    local = at.astimezone(zone)
    now = local.time().replace(tzinfo=None)
    if start < end:
        inside, day = start <= now < end, local.date()
    else:  # across midnight
        inside = now >= start or now < end
        day = local.date() + dt.timedelta(days=1) if now >= start else local.date()
    if not inside:
        return None
    return dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC)


def notifications_request(*, incident: Incident, event: str, level: int, round: int, contacts: list[Contact],
                          now: dt.datetime) -> list[Notification]:
    """Write a queued row per contact and channel unless it exists; queue only the rows written here (a SEV3/SEV4
    one for someone in their quiet hours with the time they end: it is sent then)."""
    available = channels.configured()
    urgent = incident.severity.level <= ALWAYS_NOW_LEVEL
    created = []
    for contact in contacts:
        held = None if urgent else quiet_until(contact, now)
        for channel in channels.channels_for(contact, available):
            try:
                with transaction.atomic():
                    notification, new = Notification.objects.get_or_create(
                        incident=incident, event=event, contact=contact, channel=channel,
                        defaults={"severity": incident.severity.name, "level": level, "round": round,
                                  "created_at": now, "queued_at": now, "not_before": held})
            except IntegrityError:  # another beat tick wrote it between our look and our insert
                continue
            if new:
                created.append(notification)
                _queue(notification.pk, eta=held)
    if created:
        incident_touch(incident_id=incident.pk)
    return created


def notification_claim(notification_id: int, *, now: dt.datetime | None = None) -> bool:
    """Queued → sending, once: a redelivered message, an overlapping retry or a second worker finds nothing; one
    held for quiet hours is not taken before they end."""
    now = now or timezone.now()
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    return bool(Notification.objects.filter(due, pk=notification_id, status=Notification.Status.QUEUED).update(
        status=Notification.Status.SENDING, started_at=now, attempts=F("attempts") + 1))


def message_for(notification: Notification) -> Message:
    incident, contact = notification.incident, notification.contact
    url = incident_url(incident.pk)
    if notification.round:
        reason = (f"Reminder {notification.round}: nobody has acknowledged this incident yet "
                  f"(escalation level {notification.level}).")
    elif notification.level > 1:
        reason = f"Nobody has acknowledged this incident yet: you are escalation level {notification.level}."
    else:
        reason = f"You are on the {notification.severity} escalation (level {notification.level})."
    announcement = announcement_text(incident)
    payload = {
        "event": notification.event, "level": notification.level, "round": notification.round,
        "incident": {"id": incident.pk, "title": incident.title, "severity": incident.severity.name,
                     "status": incident.status, "war_room": incident.war_room, "url": url,
                     "declared_at": incident.declared_at.isoformat(),
                     "acknowledged_at": incident.acknowledged_at.isoformat() if incident.acknowledged_at else None},
        "contact": {"name": contact.name, "email": contact.email, "phone": contact.phone,
                    "slack_handle": contact.slack_handle},
        "text": f"{announcement}\n\n{reason}\n{url}",
    }
    return Message(subject=f"[{incident.severity.name}] Production Incident: {incident.title}",
                   announcement=announcement, reason=reason, url=url, payload=payload)


def deliver(notification: Notification, *, timestamp: int) -> None:
    """Send one notification on its channel; raises SendError."""
    message = message_for(notification)
    if notification.channel == Channel.EMAIL:
        channels.send_email(notification.contact, message)
    elif notification.channel == Channel.SLACK:
        channels.send_slack(notification.contact, message)
    else:
        channels.send_webhook(notification.contact, message, delivery=notification.pk, timestamp=timestamp)


def _secrets(notification: Notification) -> list[str]:
    return channels.secrets_in_use(channels.slack_url(notification.contact))


def notification_send(notification_id: int, *, final: bool = True) -> Notification:
    """The worker's half: claim, send, end. A transient failure before the `final` attempt puts the row back
    in the queue and raises the TransientSendError, for the task to retry after its backoff."""
    if not notification_claim(notification_id):
        return Notification.objects.get(pk=notification_id)  # another worker has it, or it ended
    notification = Notification.objects.select_related(
        "incident__severity", "incident__commander", "contact__channels").get(pk=notification_id)
    try:
        deliver(notification, timestamp=int(timezone.now().timestamp()))
    except SendError as exc:
        error = channels.scrub(str(exc), *_secrets(notification))
        if exc.transient and not final:
            notification_retry_later(notification, error=error)
            raise
        return notification_finish(notification, status=Notification.Status.FAILED, error=error)
    except SoftTimeLimitExceeded:
        return notification_finish(notification, status=Notification.Status.FAILED,
                                   error=f"Did not finish within {send_time_limit() - 5} s.")
    except Exception as exc:
        secrets = _secrets(notification)
        # Not log.exception: the traceback may quote what a server sent back, or a URL with its token.
        log.error("notification %s crashed:\n%s", notification_id,
                  channels.scrub(traceback.format_exc(), *secrets).rstrip())
        return notification_finish(notification, status=Notification.Status.FAILED,
                                   error=f"Sending crashed ({type(exc).__name__}); the worker log has details.")
    return notification_finish(notification, status=Notification.Status.SENT)


def _who(notification: Notification) -> str:
    return f"{notification.contact.name} by {notification.get_channel_display().lower()}"


def notification_retry_later(notification: Notification, *, error: str) -> bool:
    """Sending → queued after a transient failure: the task's retry claims it again."""
    now = timezone.now()
    with transaction.atomic():
        if not Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING).update(
                status=Notification.Status.QUEUED, last_error=error, queued_at=now):
            return False
        notification.refresh_from_db()
        timeline_record(
            incident=notification.incident, kind=NOTIFICATION_ENTRY, by=None,
            text=f"Could not notify {_who(notification)} (attempt {notification.attempts}): {error}. Trying again.",
            data=_data(notification))
    return True


def notification_finish(notification: Notification, *, status: str, error: str = "",
                        now: dt.datetime | None = None) -> Notification:
    """End a sending notification exactly once, with its timeline entry: sent, or failed and why."""
    with transaction.atomic():
        if not Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING).update(
                status=status, last_error=error[:500], finished_at=now or timezone.now()):
            return Notification.objects.get(pk=notification.pk)  # ended already (reaped, or a duplicate)
        notification.refresh_from_db()
        about = f"about {notification.severity} (level {notification.level}" + (
            f", reminder {notification.round})" if notification.round else ")")
        if status == Notification.Status.SENT:
            text = f"Notified {_who(notification)} {about}."
        else:
            tries = f" after {notification.attempts} attempts" if notification.attempts > 1 else ""
            text = f"Could not notify {_who(notification)} {about}{tries}: {error}"
        timeline_record(incident=notification.incident, kind=NOTIFICATION_ENTRY, by=None, text=text,
                        data=_data(notification))
    return notification


def _data(notification: Notification) -> dict:
    return {"notification": notification.pk, "event": notification.event, "channel": notification.channel,
            "contact": notification.contact.name, "status": notification.status, "attempt": notification.attempts}


def send_time_limit() -> int:
    """A send's hard limit on the worker: connecting and sending may each take the timeout."""
    return settings.NOTIFY_TIMEOUT * 3 + 10


def notifications_reap(*, now: dt.datetime | None = None) -> int:
    """Beat's sweep: end what a lost worker left sending, and what no worker took, so none stays open for ever."""
    now = now or timezone.now()
    reaped = 0
    lost = now - dt.timedelta(seconds=send_time_limit() + 30)
    for notification in Notification.objects.filter(status=Notification.Status.SENDING, started_at__lt=lost):
        notification_finish(notification, status=Notification.Status.FAILED, now=now,
                            error="The worker was lost while sending: it may or may not have arrived.")
        reaped += 1
    stale = now - dt.timedelta(seconds=settings.NOTIFY_QUEUE_TIMEOUT)
    from people.tasks import send_notification

    waiting = Notification.objects.filter(status=Notification.Status.QUEUED, queued_at__lt=stale).filter(
        Q(not_before__isnull=True) | Q(not_before__lt=stale)  # one held for quiet hours waits from their end
    ).exclude(pk__in=held(send_notification, since=stale))
    for pk in waiting.values_list("pk", flat=True):
        if Notification.objects.filter(pk=pk, status=Notification.Status.QUEUED).update(
                status=Notification.Status.SENDING, started_at=now):
            notification_finish(Notification.objects.get(pk=pk), status=Notification.Status.FAILED, now=now,
                                error=f"No worker sent this within {settings.NOTIFY_QUEUE_TIMEOUT} s: is a Celery "
                                f"worker consuming the {settings.NOTIFY_QUEUE!r} queue?")
            reaped += 1
    return reaped
