"""The Slack war room's writes: request → claim → run → finish, with a retry and a reaper, like notifications.

room_request writes the incident's room row when it is declared and queues it on commit; post_request does the
same for one line. The worker's task calls operation_run: it claims the row (queued → running, a conditional
UPDATE), calls Slack, and ends it (done / failed) or puts it back with Slack's Retry-After for the task's retry.
The room's outcome is always a timeline entry; a post's only when it fails.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from typing import TYPE_CHECKING

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from chat import slack
from chat.models import ROOM_KEY, Operation
from chat.slack import SlackError
from incidents.announcement import announcement_text
from incidents.models import Entry, Incident, Status
from incidents.services import TransitionError, incident_touch, timeline_record
from people.models import Notification
from warroom import durations
from warroom.outbox import enqueue, held
from warroom.permissions import Perm, require

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)

SLACK_ENTRY = "slack"  # the kind of the timeline entries this app writes
SHARE_OPTION = "share"  # the note form's "Post to Slack" checkbox: data["share"] is True when ticked
POSTMORTEM_KIND = "postmortem"  # post-mortems' timeline lines carry data["postmortem"]: the summary links to it


def incident_url(incident_id: int) -> str:
    return settings.BASE_URL + reverse("incidents:detail", args=[incident_id])


def channel_name(incident: Incident) -> str:
    return incident.war_room.lstrip("#")


def _queue(operation_id: int) -> None:
    from chat.tasks import run_operation  # tasks import this module

    enqueue(run_operation, [operation_id], queue=settings.SLACK_QUEUE)


def _request(*, incident_id: int, kind: str, key: str, text: str = "", by_id: int | None = None,
             now: dt.datetime | None = None) -> Operation | None:
    """Write the row unless it exists, and queue it on commit; None when Slack is off or it was there already."""
    if not slack.configured():
        return None
    now = now or timezone.now()
    try:
        with transaction.atomic():
            operation, new = Operation.objects.get_or_create(
                incident_id=incident_id, key=key,
                defaults={"kind": kind, "text": text, "requested_by_id": by_id, "created_at": now, "queued_at": now})
    except IntegrityError:  # the same request at the same moment elsewhere
        return None
    if not new:
        return None
    _queue(operation.pk)
    return operation


def room_request(*, incident_id: int, by_id: int | None = None, now: dt.datetime | None = None) -> Operation | None:
    """On declaration: create the channel, set its topic, invite people, post the announcement and pin it."""
    return _request(incident_id=incident_id, kind=Operation.Kind.ROOM, key=ROOM_KEY, by_id=by_id, now=now)


def post_request(*, incident_id: int, key: str, text: str, by_id: int | None = None,
                 now: dt.datetime | None = None) -> Operation | None:
    """One line in the incident's channel (key: entry:<id>, summary:<n>), sent once."""
    return _request(incident_id=incident_id, kind=Operation.Kind.POST, key=key, text=text, by_id=by_id, now=now)


# --- what is posted -------------------------------------------------------------------------------------------------

POSTED_KINDS = {Entry.Kind.ACKNOWLEDGED, Entry.Kind.STATUS, Entry.Kind.SEVERITY, Entry.Kind.ROLE}
MITIGATION_KIND = "mitigation"  # mitigations' timeline lines; only the ones that say a mitigation ran are posted
EXECUTED_EVENTS = {"executed", "finished"}  # data["event"] of the lines that say a mitigation ran and how it ended


def entry_line(entry: Entry) -> str | None:
    """The line a timeline entry becomes in the channel, or None when it stays in Warroom."""
    data = entry.data if isinstance(entry.data, dict) else {}
    if entry.kind in POSTED_KINDS:
        pass
    elif entry.kind == MITIGATION_KIND:
        if str(data.get("event", "")) not in EXECUTED_EVENTS:
            return None
    elif entry.kind == Entry.Kind.NOTE:
        if data.get(SHARE_OPTION) is not True:
            return None
    else:
        return None
    text = " ".join(entry.text.split())
    if len(text) > 300:
        text = text[:299] + "…"
    return f"{_escape(text)} <{incident_url(entry.incident_id)}|Open in Warroom>"


def _escape(text: str) -> str:
    """Slack mrkdwn's three control characters; so a note cannot ping @channel or forge a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def entry_posted(*, entry_id: int) -> Operation | None:
    """After a timeline entry commits: post it to the channel if it is a kind the room hears of."""
    if not slack.configured():
        return None
    entry = Entry.objects.filter(pk=entry_id).first()
    if entry is None:
        return None
    line = entry_line(entry)
    if line is None:
        return None
    # No room asked for (Slack was off when it was declared), or the room failed: the timeline already says so
    # once; a failure line for every later change would bury it. Retry opens the room with a fresh announcement.
    if not Operation.objects.rooms().filter(incident_id=entry.incident_id).exclude(
            status=Operation.Status.FAILED).exists():
        return None
    return post_request(incident_id=entry.incident_id, key=f"entry:{entry.pk}", text=line, by_id=entry.author_id,
                        now=entry.created_at)


def postmortem_url(incident: Incident) -> str | None:
    """The post-mortem's page, from the line post-mortems write on the timeline when one is started."""
    entry = incident.entries.filter(kind=POSTMORTEM_KIND, data__has_key="postmortem").order_by("-pk").first()
    if entry is None:
        return None
    try:
        return settings.BASE_URL + reverse("postmortems:detail", args=[int(entry.data["postmortem"])])
    except (NoReverseMatch, TypeError, ValueError):
        return None


def summary_text(incident: Incident) -> str:
    took = durations.minutes(incident.duration)
    lines = [f"*Resolved*: [{incident.severity.name}] {_escape(incident.title)}",
             f"Declared {timezone.localtime(incident.declared_at):%Y-%m-%d %H:%M %Z}, resolved "
             f"{timezone.localtime(incident.resolved_at or timezone.now()):%Y-%m-%d %H:%M %Z}: {took}."]
    if incident.commander:
        lines.append(f"Incident Commander: @{incident.commander.get_username()}")
    pm = postmortem_url(incident)
    lines.append(f"Post-mortem: <{pm}|read it>" if pm else "Post-mortem: not written yet.")
    lines.append(f"<{incident_url(incident.pk)}|Open in Warroom>")
    return "\n".join(lines)


def check_summary(incident: Incident, by: User | None) -> None:
    """Who may post the summary, and when: a commander, once the incident is resolved and its room exists."""
    require(by, Perm.MANAGE_INCIDENT)
    if not slack.configured():
        raise TransitionError("Slack is off: set WARROOM_SLACK_BOT_TOKEN.")
    if incident.status != Status.RESOLVED:
        raise TransitionError("Post the summary once the incident is resolved.")
    if not Operation.objects.rooms().filter(incident=incident, status=Operation.Status.DONE).exists():
        raise TransitionError("The incident has no Slack channel yet: retry the war room first.")


@transaction.atomic
def summary_post(*, incident: Incident, by: User | None, now: dt.datetime | None = None) -> Operation:
    """"Post summary": the resolution with its duration and the post-mortem link; again once a post-mortem exists."""
    incident = Incident.objects.select_for_update(of=("self",)).select_related("severity", "commander").get(
        pk=incident.pk)
    check_summary(incident, by)
    pm = postmortem_url(incident)
    key = f"summary:{pm.rsplit('/', 2)[-2] if pm else 0}"
    if Operation.objects.filter(incident=incident, key=key).exists():
        raise TransitionError("The summary is already posted" + ("." if pm else "; post it again once there "
                                                                              "is a post-mortem."))
    operation = post_request(incident_id=incident.pk, key=key, text=summary_text(incident), by_id=by.pk if by else None,
                             now=now)
    if operation is None:  # written by someone else between the check and here
        raise TransitionError("The summary is already posted.")
    timeline_record(incident=incident, kind=SLACK_ENTRY, by=by, text=f"@{by.get_username() if by else '?'} posted "
                    f"the summary to Slack #{channel_name(incident)}.", data={"operation": operation.pk})
    return operation


# --- the worker's half ----------------------------------------------------------------------------------------------

def operation_claim(operation_id: int, *, now: dt.datetime | None = None) -> bool:
    """Queued → running, once; one waiting for Slack's Retry-After is not taken before then."""
    now = now or timezone.now()
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    return bool(Operation.objects.filter(due, pk=operation_id, status=Operation.Status.QUEUED).update(
        status=Operation.Status.RUNNING, started_at=now, attempts=F("attempts") + 1))


def not_before(operation_id: int) -> dt.datetime | None:
    return Operation.objects.filter(pk=operation_id, status=Operation.Status.QUEUED).values_list(
        "not_before", flat=True).first()


def operation_run(operation_id: int, *, final: bool = True, now: dt.datetime | None = None) -> Operation:
    """Claim, call Slack, end. A transient failure before the `final` attempt puts the row back and raises it."""
    if not operation_claim(operation_id, now=now):
        return Operation.objects.get(pk=operation_id)  # another worker has it, it waits, or it ended
    operation = Operation.objects.select_related("incident__severity", "incident__commander").get(pk=operation_id)
    try:
        summary = _run_room(operation) if operation.kind == Operation.Kind.ROOM else _run_post(operation)
    except SlackError as exc:
        if exc.transient and not final:
            operation_retry_later(operation, error=str(exc), retry_after=exc.retry_after)
            raise
        return operation_finish(operation, status=Operation.Status.FAILED, error=str(exc), code=exc.code)
    except SoftTimeLimitExceeded:
        return operation_finish(operation, status=Operation.Status.FAILED, error="Slack did not answer in time.")
    except Exception as exc:
        # Not log.exception: a traceback may quote a request's headers.
        log.error("Slack operation %s crashed:\n%s", operation_id, slack.scrub(traceback.format_exc()).rstrip())
        return operation_finish(operation, status=Operation.Status.FAILED,
                                error=f"Crashed ({type(exc).__name__}); the worker log has details.")
    return operation_finish(operation, status=Operation.Status.DONE, summary=summary)


def _progress(operation: Operation, **fields: object) -> None:
    """Keep a finished step at once, so that a retry after a lost worker does not repeat it."""
    for name, value in fields.items():
        setattr(operation, name, value)
    Operation.objects.filter(pk=operation.pk, status=Operation.Status.RUNNING).update(**fields)


def _step(operation: Operation, step: str) -> None:
    _progress(operation, steps=[*operation.steps, step])


def _slack_users(incident: Incident) -> tuple[list[str], list[str]]:
    """Slack ids of the commander and of the contacts told about the incident; and who could not be found."""
    wanted: list[tuple[str, str, str]] = []  # (who, Slack id or "", email)
    if incident.commander is not None:
        wanted.append((f"@{incident.commander.get_username()}", "", incident.commander.email))
    seen = set()
    for notification in Notification.objects.for_incident(incident.pk):
        contact = notification.contact
        if contact.pk in seen:
            continue
        seen.add(contact.pk)
        handle = contact.slack_handle.lstrip("@")
        wanted.append((contact.name, handle if slack.SLACK_USER_ID.match(handle) else "", contact.email))
    ids, missing = [], []
    for who, user_id, email in wanted:
        if not user_id and email:
            try:
                user_id = str(slack.call("users.lookupByEmail", email=email).get("user", {}).get("id", ""))
            except SlackError as exc:
                if exc.transient:
                    raise
        if user_id:
            if user_id not in ids:
                ids.append(user_id)
        else:
            missing.append(who)
    return ids, missing


def _run_room(operation: Operation) -> str:
    incident = operation.incident
    name = channel_name(incident)
    if not operation.channel_id:
        created = slack.call("conversations.create", name=name, is_private=False)
        _progress(operation, channel_id=str(created.get("channel", {}).get("id", "")))
        if not operation.channel_id:
            raise SlackError("Slack's conversations.create answered without a channel id")
    channel = operation.channel_id
    if Operation.Step.TOPIC not in operation.steps:
        slack.call("conversations.setTopic", channel=channel,
                   topic=f"{incident.title} — {incident.severity.name} ({incident.severity.label})"[:250])
        _step(operation, Operation.Step.TOPIC)
    invited, missing = 0, list[str]()
    if Operation.Step.INVITED not in operation.steps:
        ids, missing = _slack_users(incident)
        if ids:
            try:
                slack.call("conversations.invite", channel=channel, users=",".join(ids))
            except SlackError as exc:
                if exc.code not in ("already_in_channel", "cant_invite_self"):
                    raise
        invited = len(ids)
        _step(operation, Operation.Step.INVITED)
    if not operation.message_ts:
        text = announcement_text(incident).replace("**", "*") + f"\n<{incident_url(incident.pk)}|Open in Warroom>"
        posted = slack.call("chat.postMessage", channel=channel, text=text)
        _progress(operation, message_ts=str(posted.get("ts", "")))
    if Operation.Step.PINNED not in operation.steps:
        try:
            slack.call("pins.add", channel=channel, timestamp=operation.message_ts)
        except SlackError as exc:
            if exc.code != "already_pinned":
                raise
        _step(operation, Operation.Step.PINNED)
    text = f"War room #{name} is open in Slack: topic set, announcement posted and pinned"
    if invited:
        text += f", {invited} {'person' if invited == 1 else 'people'} invited"
    if missing:
        text += f"; not found in Slack: {', '.join(missing)}"
    return text + "."


def _run_post(operation: Operation) -> str:
    room = Operation.objects.rooms().filter(incident_id=operation.incident_id).first()
    if room is None or not room.channel_id:
        if room is not None and not room.is_done:
            raise SlackError("the war room is not created yet", transient=True, retry_after=5)
        raise SlackError("the incident has no Slack channel (retry the war room on the incident page)")
    posted = slack.call("chat.postMessage", channel=room.channel_id, text=operation.text)
    _progress(operation, message_ts=str(posted.get("ts", "")))
    return ""


def _hint(code: str) -> str:
    return {
        "name_taken": " A channel of that name already exists: rename or archive it in Slack, then Retry.",
        "restricted_action": " The workspace does not let the bot do this: ask a Slack admin, then Retry.",
        "not_allowed_token_type": " WARROOM_SLACK_BOT_TOKEN must be a bot token (xoxb-…).",
        "missing_scope": " The Slack app needs the channels:manage, chat:write, pins:write and users:read.email "
                         "scopes.",
        "invalid_auth": " WARROOM_SLACK_BOT_TOKEN is not accepted by Slack.",
    }.get(code, "")


def operation_retry_later(operation: Operation, *, error: str, retry_after: int | None = None) -> bool:
    """Running → queued after a transient failure; not claimed again before Slack's Retry-After."""
    now = timezone.now()
    wait = retry_after if retry_after is not None else 0
    with transaction.atomic():
        if not Operation.objects.filter(pk=operation.pk, status=Operation.Status.RUNNING).update(
                status=Operation.Status.QUEUED, last_error=error[:500], queued_at=now,
                not_before=now + dt.timedelta(seconds=wait) if wait else None):
            return False
        if operation.kind == Operation.Kind.ROOM:
            timeline_record(incident=operation.incident, kind=SLACK_ENTRY, by=None,
                            text=f"Slack war room, attempt {operation.attempts}: {error}. Trying again.",
                            data={"operation": operation.pk, "status": Operation.Status.QUEUED})
    return True


def retry_countdown(operation_id: int, attempt: int) -> int:
    """Seconds until the task's next try: Slack's Retry-After when it gave one, else exponential backoff."""
    backoff = min(settings.SLACK_RETRY_BACKOFF * 2 ** attempt, 300)
    when = not_before(operation_id)
    if when is None:
        return backoff
    return max(1, int((when - timezone.now()).total_seconds()) + 1)


def operation_finish(operation: Operation, *, status: str, error: str = "", code: str = "", summary: str = "",
                     now: dt.datetime | None = None) -> Operation:
    """End a running operation exactly once: the room's outcome on the timeline, and a post's failure."""
    now = now or timezone.now()
    error = slack.scrub(error)
    with transaction.atomic():
        if not Operation.objects.filter(pk=operation.pk, status=Operation.Status.RUNNING).update(
                status=status, last_error=error[:500], finished_at=now):
            return Operation.objects.get(pk=operation.pk)  # ended already (reaped, or a duplicate)
        operation.refresh_from_db()
        data = {"operation": operation.pk, "status": status}
        if operation.kind == Operation.Kind.ROOM:
            if status == Operation.Status.DONE:
                text = summary
            else:
                text = (f"Could not open the Slack war room #{channel_name(operation.incident)}: {error}."
                        f"{_hint(code)} The incident goes on without it; Retry on the Slack panel.")
            timeline_record(incident=operation.incident, kind=SLACK_ENTRY, by=None, text=text, data=data)
        elif status == Operation.Status.FAILED:
            timeline_record(incident=operation.incident, kind=SLACK_ENTRY, by=None, data=data,
                            text=f"Could not post to Slack ({operation.key}): {error}.")
        else:
            incident_touch(incident_id=operation.incident_id)
    return operation


@transaction.atomic
def room_retry(*, incident: Incident, by: User | None, now: dt.datetime | None = None) -> Operation:
    """The panel's Retry: a failed room goes back on the queue, keeping the steps it finished; Slack turned on
    after the declaration gets its room now."""
    require(by, Perm.MANAGE_INCIDENT)
    if not slack.configured():
        raise TransitionError("Slack is off: set WARROOM_SLACK_BOT_TOKEN.")
    now = now or timezone.now()
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    room = Operation.objects.rooms().filter(incident=incident).first()
    if room is None:
        room = room_request(incident_id=incident.pk, by_id=by.pk if by else None, now=now)
        if room is None:
            raise TransitionError("The war room was requested a moment ago.")
    elif room.status != Operation.Status.FAILED:
        raise TransitionError(f"The war room is {room.get_status_display().lower()}: nothing to retry.")
    elif Operation.objects.filter(pk=room.pk, status=Operation.Status.FAILED).update(
            status=Operation.Status.QUEUED, attempts=0, queued_at=now, not_before=None, finished_at=None,
            started_at=None, requested_by=by):
        _queue(room.pk)
    else:
        raise TransitionError("Someone retried the war room a moment ago.")
    timeline_record(incident=incident, kind=SLACK_ENTRY, by=by, data={"operation": room.pk},
                    text=f"@{by.get_username() if by else '?'} asked Slack for the war room "
                         f"#{channel_name(incident)} again.")
    return room


def queue_timeout() -> int:
    return settings.SLACK_QUEUE_TIMEOUT


def run_time_limit() -> int:
    """A run's hard limit: a room makes a handful of calls, each within the timeout."""
    return settings.SLACK_TIMEOUT * 12 + 10


def operations_reap(*, now: dt.datetime | None = None) -> int:
    """Beat's sweep: end what a lost worker left running, and what no worker took, so none stays open for ever."""
    now = now or timezone.now()
    reaped = 0
    lost = now - dt.timedelta(seconds=run_time_limit() + 30)
    for operation in Operation.objects.filter(status=Operation.Status.RUNNING, started_at__lt=lost):
        operation_finish(operation, status=Operation.Status.FAILED, now=now,
                         error="The worker was lost while talking to Slack")
        reaped += 1
    stale = now - dt.timedelta(seconds=queue_timeout())
    from chat.tasks import run_operation

    waiting = Operation.objects.filter(status=Operation.Status.QUEUED, queued_at__lt=stale).filter(
        Q(not_before__isnull=True) | Q(not_before__lt=stale)).exclude(pk__in=held(run_operation, since=stale))
    for pk in waiting.values_list("pk", flat=True):
        if Operation.objects.filter(pk=pk, status=Operation.Status.QUEUED).update(
                status=Operation.Status.RUNNING, started_at=now):
            operation_finish(Operation.objects.get(pk=pk), status=Operation.Status.FAILED, now=now,
                             error=f"No worker took this within {queue_timeout()} s: is a Celery worker running?")
            reaped += 1
    return reaped

