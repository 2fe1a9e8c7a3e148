"""`/incident` and the "Add to timeline" shortcut: only Slack's signed requests, within the replay window, as the
Slack user's Warroom user, with the page's permissions."""

import json
import time

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from chat import services
from chat.models import Operation
from incidents.models import Entry, Incident, Status
from tests.chat.conftest import signed

pytestmark = pytest.mark.django_db
COMMAND = "/slack/commands/"
INTERACTIVITY = "/slack/interactivity/"


@pytest.fixture
def room(slack, make_incident, django_capture_on_commit_callbacks):
    """An incident with its war room open in the fake Slack."""
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident()
    operation = Operation.objects.rooms().get(incident=incident)
    services.operation_run(operation.pk)
    operation.refresh_from_db()
    return operation


def mapped(slack, user: User, slack_id: str) -> str:
    user.email = f"{user.username}@example.com"
    user.save(update_fields=["email"])
    slack.workspace.add_user(slack_id, user.email)
    return slack_id


def command(client, text, *, user_id, channel_id="CNONE", **kwargs):
    return signed(client, COMMAND, {"command": "/incident", "text": text, "user_id": user_id,
                                    "channel_id": channel_id, "team_id": "T1"}, **kwargs)


def test_the_urls_are_where_the_readme_says():
    assert reverse("chat:command") == COMMAND and reverse("chat:interactivity") == INTERACTIVITY


def test_a_valid_signature_is_answered(client, slack, commander):
    response = command(client, "declare SEV2 Checkout errors", user_id=mapped(slack, commander, "U1"))
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral" and body["text"].startswith("Declared SEV2")
    incident = Incident.objects.get()
    assert incident.title == "Checkout errors" and incident.declared_by == commander


def test_a_wrong_signature_is_refused_and_changes_nothing(client, slack, commander):
    response = command(client, "declare SEV2 Forged", user_id=mapped(slack, commander, "U1"),
                       secret="not-the-signing-secret")
    assert response.status_code == 401 and "signature is wrong" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_a_tampered_body_is_refused(client, slack, commander):
    mapped(slack, commander, "U1")
    from urllib.parse import urlencode

    from chat.slack import sign
    from tests.chat.conftest import SIGNING_SECRET

    ts = str(int(time.time()))
    good = sign(urlencode({"text": "status", "user_id": "U1"}).encode(), ts, SIGNING_SECRET)
    response = command(client, "declare SEV1 Tampered", user_id="U1", timestamp=int(ts), signature=good)
    assert response.status_code == 401 and not Incident.objects.exists()


@pytest.mark.parametrize(("age", "accepted"), [(290, True), (310, False), (-290, True), (-310, False),
                                                (86_400, False)])
def test_a_replayed_request_outside_the_window_is_refused(client, slack, commander, age, accepted):
    """Through the view, on the real clock (the exact boundaries: test_verify_with_a_fixed_clock)."""
    uid = mapped(slack, commander, "U1")
    response = command(client, "declare SEV3 Window", user_id=uid, timestamp=int(time.time()) - age)
    assert (response.status_code == 200) is accepted, response.content
    assert Incident.objects.exists() is accepted


def test_verify_with_a_fixed_clock():
    from django.test import override_settings

    from chat.slack import sign, verify

    body, ts = b"text=status", "1700000000"
    with override_settings(SLACK_SIGNING_SECRET="s3cret"):
        good = sign(body, ts, "s3cret")
        assert verify(body, ts, good, now=1700000000 + 300) == ""
        assert "5 minutes" in verify(body, ts, good, now=1700000000 + 301)
        assert "5 minutes" in verify(body, ts, good, now=1700000000 - 301)
        other = good[:-1] + ("0" if good[-1] != "0" else "1")
        assert verify(body, ts, other, now=1700000000) == "The request's signature is wrong."
        assert verify(body, None, good, now=1700000000) == "The request is not signed."
        assert verify(body, "soon", good, now=1700000000) == "The request's timestamp is not a number."
    with override_settings(SLACK_SIGNING_SECRET=""):
        assert "off" in verify(body, ts, good, now=1700000000)


def test_unsigned_and_get_requests_are_refused(client, slack):
    assert client.post(COMMAND, {"text": "status"}).status_code == 401
    assert client.get(COMMAND).status_code == 405


def test_an_unmapped_slack_user_gets_a_clear_ephemeral_reply(client, slack, commander):
    slack.workspace.add_user("U9", "stranger@example.com")
    response = command(client, "declare SEV2 Who am I", user_id="U9")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "not mapped to a Warroom user" in body["text"] and "stranger@example.com" in body["text"]
    assert not Incident.objects.exists()


def test_an_unknown_slack_user_is_told_too(client, slack):
    body = command(client, "status", user_id="UNOBODY").json()
    assert "Could not ask Slack who you are" in body["text"]


def test_status_ack_and_note_in_the_incident_channel(client, slack, commander, room):
    uid = mapped(slack, commander, "U1")
    body = command(client, "status", user_id=uid, channel_id=room.channel_id).json()
    assert "*Detected*" in body["text"] and "SEV2" in body["text"]
    body = command(client, "ack", user_id=uid, channel_id=room.channel_id).json()
    assert body["text"].startswith("Acknowledged")
    assert Incident.objects.get().status == Status.TRIAGE
    body = command(client, "note Restarted the pods", user_id=uid, channel_id=room.channel_id).json()
    assert body["text"].startswith("Noted")
    note = Entry.objects.get(kind=Entry.Kind.NOTE)
    assert note.text == "Restarted the pods" and note.author == commander
    assert "Already acknowledged" in command(client, "ack", user_id=uid, channel_id=room.channel_id).json()["text"]


def test_status_outside_an_incident_channel_says_where_to_run_it(client, slack, commander):
    body = command(client, "status", user_id=mapped(slack, commander, "U1"), channel_id="CRANDOM").json()
    assert "not an incident's war room channel" in body["text"]


def test_permissions_are_the_pages(client, slack, viewer, responder, room):
    v, r = mapped(slack, viewer, "UV"), mapped(slack, responder, "UR")
    assert "Ask a commander" in command(client, "ack", user_id=v, channel_id=room.channel_id).json()["text"]
    assert "Ask a commander" in command(client, "note hi", user_id=v, channel_id=room.channel_id).json()["text"]
    assert "Ask a commander" in command(client, "declare SEV1 No", user_id=r).json()["text"]
    assert "*Detected*" in command(client, "status", user_id=v, channel_id=room.channel_id).json()["text"]
    assert command(client, "note seen", user_id=r, channel_id=room.channel_id).json()["text"].startswith("Noted")
    assert Incident.objects.get().status == Status.DETECTED
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("text", ["", "help", "declare", "declare SEV9 x", "declare SEV2", "note"])
def test_bad_commands_get_help_not_an_error(client, slack, commander, room, text):
    response = command(client, text, user_id=mapped(slack, commander, "U1"), channel_id=room.channel_id)
    assert response.status_code == 200 and response.json()["text"]
    assert Incident.objects.count() == 1


def shortcut(client, payload, **kwargs):
    return signed(client, INTERACTIVITY, {"payload": json.dumps(payload)}, **kwargs)


def test_add_to_timeline_turns_a_message_into_a_note(client, slack, responder, room):
    uid = mapped(slack, responder, "UR")
    response = shortcut(client, {"type": "message_action", "callback_id": "add_to_timeline",
                                 "user": {"id": uid}, "channel": {"id": room.channel_id},
                                 "message": {"text": "p99 back under 200 ms", "ts": "1.2"}})
    assert response.status_code == 200 and response.json()["text"].startswith("Added")
    note = Entry.objects.get(kind=Entry.Kind.NOTE)
    assert note.text == "From Slack: p99 back under 200 ms" and note.author == responder
    [told] = slack.workspace.ephemeral  # a shortcut's HTTP answer is not shown: the person is told in the channel
    assert told["user"] == uid and told["channel"] == room.channel_id and told["text"].startswith("Added")


def test_an_unmapped_user_of_the_shortcut_is_told_privately(client, slack, room):
    slack.workspace.add_user("U9", "stranger@example.com")
    shortcut(client, {"type": "message_action", "callback_id": "add_to_timeline", "user": {"id": "U9"},
                      "channel": {"id": room.channel_id}, "message": {"text": "x"}})
    [told] = slack.workspace.ephemeral
    assert told["user"] == "U9" and "not mapped to a Warroom user" in told["text"]
    assert not Entry.objects.filter(kind=Entry.Kind.NOTE).exists()


def test_the_shortcut_is_signed_and_checks_its_payload(client, slack, responder, room):
    payload = {"type": "message_action", "callback_id": "add_to_timeline", "user": {"id": "UR"},
               "channel": {"id": room.channel_id}, "message": {"text": "x"}}
    assert shortcut(client, payload, secret="wrong").status_code == 401
    assert signed(client, INTERACTIVITY, {"payload": "not json"}).status_code == 400
    assert signed(client, INTERACTIVITY, {"payload": "[1]"}).status_code == 400
    assert "does not know" in shortcut(client, {**payload, "callback_id": "other"}).json()["text"]
    assert not Entry.objects.filter(kind=Entry.Kind.NOTE).exists()


def test_slack_gets_its_answer_within_three_seconds_even_when_users_info_hangs(client, slack, commander):
    slack.script["users.info"] = ["hang"]
    started = time.monotonic()
    body = command(client, "declare SEV2 Slow Slack", user_id=mapped(slack, commander, "U1")).json()
    assert time.monotonic() - started < 3
    assert "Could not ask Slack who you are" in body["text"]
    assert not Incident.objects.exists()
