"""`/incident` and the "Add to timeline" shortcut: what a signed request from Slack asks, done as its Slack user's
Warroom user (matched by email), with the same permissions and services as the incident page.

Each answer is an ephemeral reply (only the person who typed it sees it). Everything here is database work plus
one users.info call with a short timeout, so that Slack gets its answer within its 3 seconds; the channel work a
declaration starts goes to the worker like any other.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from chat import services, slack
from chat.models import Operation
from chat.slack import SlackError
from incidents.models import Incident, Severity, Source
from incidents.services import TransitionError, incident_acknowledge, incident_declare, timeline_note
from warroom.permissions import Perm, can

if TYPE_CHECKING:
    from django.contrib.auth.models import User

LOOKUP_TIMEOUT = 2  # seconds for users.info: Slack waits 3 for the whole answer
ADD_TO_TIMELINE = "add_to_timeline"  # the message shortcut's callback id, as set up in the Slack app

HELP = ("Usage: `/incident declare <SEV1-4> <title>` · `/incident status` · `/incident ack` · "
        "`/incident note <text>` (status, ack and note in an incident's channel).")


@dataclass(frozen=True)
class Reply:
    text: str

    def body(self) -> dict[str, Any]:
        return {"response_type": "ephemeral", "text": self.text}


class Refused(Exception):
    """Ends a command with this sentence to the person who typed it."""


def warroom_user(slack_user_id: str) -> User:
    """The active Warroom user with the Slack user's email; Refused when there is none (or Slack cannot say)."""
    if not slack_user_id:
        raise Refused("Slack did not say who you are.")
    try:
        profile = slack.call("users.info", user=slack_user_id, timeout=LOOKUP_TIMEOUT).get("user", {}).get(
            "profile", {})
    except SlackError as exc:
        raise Refused(f"Could not ask Slack who you are ({exc}). Try again, or use Warroom's page.") from None
    email = str(profile.get("email") or "").strip()
    if not email:
        raise Refused("Your Slack profile shows no email, so Warroom cannot tell who you are. Use Warroom's page.")
    users = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2])
    if len(users) != 1:
        why = "no Warroom user has" if not users else "more than one Warroom user has"
        raise Refused(f"You are not mapped to a Warroom user: {why} the email {email}. Ask an admin to set it "
                      "on your Warroom account.")
    return users[0]


def _need(user: User, perm: Perm) -> None:
    if not can(user, perm):
        raise Refused(perm.refusal)


def incident_for_channel(channel_id: str) -> Incident:
    room = Operation.objects.for_channel(channel_id).select_related("incident__severity", "incident__commander")\
        .first() if channel_id else None
    if room is None:
        raise Refused("This is not an incident's war room channel: run it in the incident's channel "
                      "(#incident-YYYYMMDD), or `/incident declare <SEV> <title>` anywhere.")
    return room.incident


def _link(incident: Incident) -> str:
    return f"<{services.incident_url(incident.pk)}|#{incident.pk} {slack_escape(incident.title)}>"


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slash_command(*, text: str, channel_id: str, user_id: str) -> Reply:
    verb, _, rest = text.strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if verb not in ("declare", "status", "ack", "note"):
        return Reply(HELP)
    try:
        user = warroom_user(user_id)
        if verb == "declare":
            return _declare(user, rest)
        incident = incident_for_channel(channel_id)
        if verb == "status":
            _need(user, Perm.VIEW_INCIDENT)
            return Reply(_status(incident))
        if verb == "ack":
            _need(user, Perm.MANAGE_INCIDENT)
            incident_acknowledge(incident=incident, by=user)
            return Reply(f"Acknowledged {_link(incident)}; triage started.")
        _need(user, Perm.ADD_NOTE)
        timeline_note(incident=incident, by=user, text=rest)
        return Reply(f"Noted on {_link(incident)}'s timeline.")
    except Refused as exc:
        return Reply(str(exc))
    except TransitionError as exc:
        return Reply(str(exc))
    except ValidationError as exc:
        return Reply(" ".join(exc.messages))


def _declare(user: User, rest: str) -> Reply:
    _need(user, Perm.MANAGE_INCIDENT)
    name, _, title = rest.partition(" ")
    severity = Severity.objects.filter(name__iexact=name).first() if name else None
    if severity is None:
        names = ", ".join(Severity.objects.values_list("name", flat=True))
        raise Refused(f"Say the severity first ({names}), then the title: `/incident declare SEV2 Checkout errors`.")
    incident = incident_declare(by=user, title=title, severity=severity, source=Source.INTERNAL_DISCOVERY)
    room = "its war room is being opened" if slack.configured() else "Slack rooms are off"
    return Reply(f"Declared {severity.name} {_link(incident)}: {incident.war_room} ({room}).")


def _status(incident: Incident) -> str:
    commander = f"@{incident.commander.get_username()}" if incident.commander else "no commander yet"
    sla = " · response SLA breached" if incident.sla_breached else ""
    return (f"{_link(incident)}: *{incident.get_status_display()}* · {incident.severity.name} · {commander}{sla}")


def tell(payload: dict[str, Any], reply: Reply, *, started: float) -> None:
    """A shortcut's answer is not shown from the HTTP response: say it with chat.postEphemeral, in what is left of
    Slack's 3 seconds (best effort: the note, or the refusal, stands either way)."""
    left = 2.5 - (time.monotonic() - started)
    channel, user = (payload.get("channel") or {}).get("id"), (payload.get("user") or {}).get("id")
    if left < 0.5 or not channel or not user or not slack.configured():
        return
    with contextlib.suppress(SlackError):
        slack.call("chat.postEphemeral", channel=str(channel), user=str(user), text=reply.text, timeout=left)


def add_to_timeline(payload: dict[str, Any]) -> Reply:
    """The message shortcut: the message's text becomes a note, written by whoever used the shortcut."""
    if payload.get("type") != "message_action" or payload.get("callback_id") != ADD_TO_TIMELINE:
        return Reply("Warroom does not know this action.")
    message = payload.get("message") or {}
    text = str(message.get("text") or "").strip() if isinstance(message, dict) else ""
    try:
        user = warroom_user(str((payload.get("user") or {}).get("id") or ""))
        incident = incident_for_channel(str((payload.get("channel") or {}).get("id") or ""))
        _need(user, Perm.ADD_NOTE)
        timeline_note(incident=incident, by=user, text=f"From Slack: {text}" if text else "")
    except Refused as exc:
        return Reply(str(exc))
    except (TransitionError, ValidationError) as exc:
        return Reply(" ".join(getattr(exc, "messages", [str(exc)])))
    return Reply(f"Added to {_link(incident)}'s timeline.")
