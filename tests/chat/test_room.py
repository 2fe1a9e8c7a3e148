"""Declaring opens the war room in Slack: channel, topic, invitations, the announcement pinned; failures leave the
incident declared, say so on the timeline and keep a Retry."""

import datetime as dt

import pytest
from django.urls import reverse

from chat import services
from chat.models import Operation
from chat.services import SLACK_ENTRY
from incidents.models import Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def declare(make_incident, django_capture_on_commit_callbacks):
    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            incident = make_incident(**kwargs)
        return incident

    return run


def room_of(incident) -> Operation:
    return Operation.objects.rooms().get(incident=incident)


def slack_lines(incident) -> list[str]:
    return list(incident.entries.filter(kind=SLACK_ENTRY).order_by("pk").values_list("text", flat=True))


def test_declaring_opens_the_channel_sets_the_topic_invites_posts_and_pins(slack, declare, commander,
                                                                          notify_directory, notify_email):
    commander.email = "commander@example.com"
    commander.save(update_fields=["email"])
    slack.workspace.add_user("U0COMMAND", "commander@example.com")
    slack.workspace.add_user("U0ALICE", "alice@example.com")  # the on-call engineer SEV2 notifies, found by email
    incident = declare(title="Checkout API timing out", severity="SEV2", acknowledge=True)
    assert incident.notifications.exists()
    room = room_of(incident)
    assert room.status == Operation.Status.QUEUED

    services.operation_run(room.pk)

    room.refresh_from_db()
    assert room.status == Operation.Status.DONE and room.attempts == 1
    name = incident.war_room.lstrip("#")
    channel = slack.workspace.channel_named(name)
    assert channel and channel["topic"].startswith("Checkout API timing out — SEV2")
    assert channel["members"] == ["U0COMMAND", "U0ALICE"]
    [message] = slack.workspace.messages
    assert "*[SEV2] Production Incident*" in message["text"] and f"War Room*: {incident.war_room}" in message["text"]
    assert f"https://warroom.example.com/incidents/{incident.pk}/" in message["text"]
    assert slack.workspace.pins == [(room.channel_id, message["ts"])]
    assert slack.methods() == ["conversations.create", "conversations.setTopic", "users.lookupByEmail",
                               "users.lookupByEmail", "conversations.invite", "chat.postMessage", "pins.add"]
    assert slack_lines(incident) == [f"War room #{name} is open in Slack: topic set, announcement posted and pinned, "
                                     "2 people invited."]


def test_people_not_in_slack_are_named_and_a_slack_id_handle_needs_no_lookup(slack, declare, commander,
                                                                              notify_directory, notify_email):
    notify_directory.oncall.slack_handle = "@U0ONCALL"
    notify_directory.oncall.save(update_fields=["slack_handle"])
    incident = declare(acknowledge=True)  # the commander has no email: not found
    room = room_of(incident)
    services.operation_run(room.pk)
    channel = slack.workspace.channel_named(incident.war_room.lstrip("#"))
    assert channel["members"] == ["U0ONCALL"]
    assert "users.lookupByEmail" not in slack.methods()
    assert slack_lines(incident)[-1].endswith("1 person invited; not found in Slack: @commander.")


def test_slack_off_declares_without_a_room_and_the_panel_says_so(settings, declare, client, commander):
    settings.SLACK_BOT_TOKEN = ""
    incident = declare()
    assert not Operation.objects.exists()
    client.force_login(commander)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Slack is off" in page and "WARROOM_SLACK_BOT_TOKEN" in page


def test_a_taken_name_declares_anyway_says_so_and_retry_opens_it_once_freed(slack, declare, client, commander):
    incident = declare()
    name = incident.war_room.lstrip("#")
    slack.workspace.channels["CTAKEN"] = {"name": name, "topic": "", "members": []}
    room = room_of(incident)

    services.operation_run(room.pk)

    room.refresh_from_db()
    assert room.status == Operation.Status.FAILED and room.last_error.endswith("answered name_taken")
    [line] = slack_lines(incident)
    assert "Could not open the Slack war room" in line and "already exists" in line
    client.force_login(commander)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert reverse("chat:retry", args=[incident.pk]) in page

    del slack.workspace.channels["CTAKEN"]
    response = client.post(reverse("chat:retry", args=[incident.pk]))
    assert response.status_code == 302
    services.operation_run(room.pk)
    room.refresh_from_db()
    assert room.status == Operation.Status.DONE
    assert slack.methods().count("conversations.create") == 2  # the refused one, then the one that worked
    assert len(slack.workspace.channels) == 1


@pytest.mark.parametrize("code", ["restricted_action", "not_allowed_token_type", "missing_scope"])
def test_a_bot_not_allowed_fails_at_once_with_a_hint(slack, declare, code):
    incident = declare()
    slack.script["conversations.create"] = [code]
    room = room_of(incident)
    services.operation_run(room.pk, final=False)  # permanent: no retry even with attempts left
    room.refresh_from_db()
    assert room.status == Operation.Status.FAILED and code in room.last_error


def test_a_rate_limit_puts_the_room_back_until_retry_after_and_keeps_the_steps_done(slack, declare):
    incident = declare()
    room = room_of(incident)
    slack.script["chat.postMessage"] = [("ratelimited", 30)]
    from chat.slack import SlackError

    with pytest.raises(SlackError):
        services.operation_run(room.pk, final=False)
    room.refresh_from_db()
    assert room.status == Operation.Status.QUEUED and room.channel_id
    assert room.not_before is not None
    wait = (room.not_before - room.queued_at).total_seconds()
    assert wait == 30
    assert services.retry_countdown(room.pk, 0) >= 29
    assert not services.operation_claim(room.pk, now=room.not_before - dt.timedelta(microseconds=1))
    assert "Slack asked us to wait 30 s" in slack_lines(incident)[0]

    services.operation_run(room.pk, now=room.not_before)
    room.refresh_from_db()
    assert room.status == Operation.Status.DONE
    assert slack.methods().count("conversations.create") == 1
    assert slack.methods().count("conversations.setTopic") == 1


def test_slack_down_is_retried_and_the_last_attempt_fails_it(slack_server, settings, declare):
    settings.SLACK_BOT_TOKEN = "xoxb-test-bot-token-SECRET-0123456789"
    settings.SLACK_API_URL = "http://127.0.0.1:9/api/"  # nothing listens on the discard port
    settings.SLACK_TIMEOUT = 1
    settings.SLACK_QUEUE = "slack-unconsumed"
    incident = declare()
    room = room_of(incident)
    from chat.slack import SlackError

    with pytest.raises(SlackError) as raised:
        services.operation_run(room.pk, final=False)
    assert raised.value.transient and raised.value.retry_after is None
    services.operation_run(room.pk, final=True)
    room.refresh_from_db()
    assert room.status == Operation.Status.FAILED and "could not reach Slack" in room.last_error
    assert room.attempts == 2


def test_a_room_is_claimed_once_under_redelivery(slack, declare):
    incident = declare()
    room = room_of(incident)
    for _ in range(3):  # the same message delivered three times
        services.operation_run(room.pk)
    assert slack.methods().count("conversations.create") == 1
    assert slack.methods().count("chat.postMessage") == 1
    assert Operation.objects.get(pk=room.pk).attempts == 1


def test_declaring_twice_the_same_event_writes_one_room(slack, declare):
    incident = declare()
    assert services.room_request(incident_id=incident.pk) is None
    assert Operation.objects.rooms().filter(incident=incident).count() == 1


def test_the_reaper_ends_a_lost_run_and_an_untaken_one(slack, declare, settings):
    first, second = declare(), declare(title="Second")
    lost, untaken = room_of(first), room_of(second)
    now = lost.created_at
    assert services.operation_claim(lost.pk, now=now)
    limit = services.run_time_limit() + 30
    assert services.operations_reap(now=now + dt.timedelta(seconds=limit)) == 0
    later = now + dt.timedelta(seconds=max(limit, settings.SLACK_QUEUE_TIMEOUT) + 1)
    assert services.operations_reap(now=later) == 2
    lost.refresh_from_db()
    untaken.refresh_from_db()
    assert lost.status == untaken.status == Operation.Status.FAILED
    assert "worker was lost" in lost.last_error and "No worker took this" in untaken.last_error
    assert Entry.objects.filter(kind=SLACK_ENTRY).count() == 2


def test_retry_opens_a_room_for_an_incident_declared_while_slack_was_off(settings, slack, make_incident, client,
                                                                         commander, django_capture_on_commit_callbacks):
    settings.SLACK_BOT_TOKEN = ""
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident()
    assert not Operation.objects.exists()
    settings.SLACK_BOT_TOKEN = "xoxb-test-bot-token-SECRET-0123456789"
    client.force_login(commander)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("chat:retry", args=[incident.pk])).status_code == 302
    room = room_of(incident)
    services.operation_run(room.pk)
    room.refresh_from_db()
    assert room.status == Operation.Status.DONE
    assert "asked Slack for the war room" in slack_lines(incident)[0]
    response = client.post(reverse("chat:retry", args=[incident.pk]))  # nothing to retry now
    assert response.status_code == 409 and "nothing to retry" in response.content.decode()


def test_retry_with_slack_off_says_so_and_changes_nothing(settings, make_incident, client, commander):
    settings.SLACK_BOT_TOKEN = ""
    incident = make_incident()
    client.force_login(commander)
    response = client.post(reverse("chat:retry", args=[incident.pk]), follow=True)
    assert "Slack is off" in response.content.decode()
    assert not Operation.objects.exists() and not incident.entries.filter(kind=SLACK_ENTRY).exists()
