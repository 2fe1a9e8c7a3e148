"""Updates flow to the channel: status, severity, roles, acknowledgement and mitigations run, one line each with a
link back; notes only when "Post to Slack" is ticked. "Post summary" once resolved."""

import logging

import pytest
from django.urls import reverse

from chat import services
from chat.models import Operation
from incidents import services as incident_services
from incidents.models import Entry
from tests.chat.fake_slack import TOKEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            result = change()
        return result

    return run


@pytest.fixture
def incident(slack, make_incident, committed):
    incident = committed(lambda: make_incident(acknowledge=True))
    room = Operation.objects.rooms().get(incident=incident)
    services.operation_run(room.pk)
    run_posts()  # the acknowledgement's line
    slack.workspace.messages.clear()
    return incident


def run_posts() -> list[Operation]:
    posts = list(Operation.objects.filter(kind=Operation.Kind.POST, status=Operation.Status.QUEUED))
    for post in posts:
        services.operation_run(post.pk)
    return posts


def channel_texts(slack) -> list[str]:
    return [m["text"] for m in slack.workspace.messages]


def test_status_severity_and_role_changes_are_posted_once_each_with_a_link(slack, incident, committed, commander,
                                                                            responder, sev):
    committed(lambda: incident_services.incident_transition(incident=incident, to="investigating", by=commander))
    committed(lambda: incident_services.incident_change_severity(incident=incident, severity=sev["SEV1"],
                                                                 by=commander))
    committed(lambda: incident_services.incident_assign_role(incident=incident, role="scribe", user=responder,
                                                             by=commander))
    committed(lambda: incident_services.incident_update(incident=incident, by=commander, summary="details"))
    assert len(run_posts()) == 3
    link = f"<https://warroom.example.com/incidents/{incident.pk}/|Open in Warroom>"
    assert channel_texts(slack) == [
        f"Triage → Investigating by @commander. {link}",
        f"Severity SEV2 → SEV1 by @commander. {link}",
        f"Scribe: @responder (assigned by @commander). {link}",
    ]
    assert run_posts() == []  # each sent once


def test_a_note_is_posted_only_when_shared_from_the_page(slack, incident, committed, client, responder):
    client.force_login(responder)
    url = reverse("incidents:timeline", args=[incident.pk])
    committed(lambda: client.post(url, {"text": "kept in Warroom"}))
    committed(lambda: client.post(url, {"text": "<!channel> shared <http://evil|x>", "options": ["share"]}))
    run_posts()
    assert len(channel_texts(slack)) == 1
    text = channel_texts(slack)[0]
    assert text.startswith("&lt;!channel&gt; shared &lt;http://evil|x&gt; <https://")  # no ping, no forged link
    shared = Entry.objects.get(kind=Entry.Kind.NOTE, text__contains="shared")
    assert shared.data == {"share": True}
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'name="options" value="share"' in page and "Post to Slack" in page


def test_a_note_can_be_shared_through_the_api_and_an_unknown_option_is_refused(slack, incident, committed, api,
                                                                             responder):
    url = f"/api/incidents/{incident.pk}/timeline/"
    response = committed(lambda: api(responder).post(url, {"text": "via API", "options": ["share"]}, format="json"))
    assert response.status_code == 201
    bad = api(responder).post(url, {"text": "x", "options": ["broadcast"]}, format="json")
    assert bad.status_code == 400 and "options" in bad.json()["errors"]
    run_posts()
    assert channel_texts(slack)[0].startswith("via API")


def test_an_executed_mitigation_is_posted_and_its_preview_is_not(slack, incident, committed, commander):
    committed(lambda: incident_services.timeline_record(incident=incident, kind="mitigation", by=commander,
                                                        text="@commander previewed a rollback.",
                                                        data={"event": "previewed"}))
    committed(lambda: incident_services.timeline_record(incident=incident, kind="mitigation", by=None,
                                                        text="Executed: rolled back to revision 3.",
                                                        data={"event": "executed"}))
    run_posts()
    assert [t.split(" <")[0] for t in channel_texts(slack)] == ["Executed: rolled back to revision 3."]


def test_nothing_is_posted_while_the_room_has_failed_and_a_post_whose_room_fails_says_so(
        slack, make_incident, committed, commander):
    incident = committed(lambda: make_incident())
    room = Operation.objects.rooms().get(incident=incident)
    committed(lambda: incident_services.incident_acknowledge(incident=incident, by=commander))  # room still queued
    slack.script["conversations.create"] = ["name_taken"]
    services.operation_run(room.pk)
    committed(lambda: incident_services.incident_transition(incident=incident, to="investigating", by=commander))
    [post] = run_posts()  # the acknowledgement's, asked for while the room was on its way; none for the status
    post.refresh_from_db()
    assert post.status == Operation.Status.FAILED and post.key.startswith("entry:")
    assert incident.entries.filter(kind="slack", text__startswith="Could not post to Slack").count() == 1


def test_a_post_waits_for_its_room(slack, make_incident, committed, commander):
    from chat.slack import SlackError

    incident = committed(lambda: make_incident())
    room = Operation.objects.rooms().get(incident=incident)
    committed(lambda: incident_services.incident_acknowledge(incident=incident, by=commander))
    post = Operation.objects.get(kind=Operation.Kind.POST)
    with pytest.raises(SlackError):
        services.operation_run(post.pk, final=False)
    post.refresh_from_db()
    assert post.status == Operation.Status.QUEUED and post.not_before is not None
    services.operation_run(room.pk)
    services.operation_run(post.pk, now=post.not_before)
    post.refresh_from_db()
    assert post.status == Operation.Status.DONE
    assert slack.workspace.messages[-1]["text"].startswith("Acknowledged by @commander")


def test_post_summary_once_resolved_with_duration_and_the_post_mortem_link(slack, incident, committed, client,
                                                                           commander):
    client.force_login(commander)
    url = reverse("chat:summary", args=[incident.pk])
    assert client.post(url).status_code == 409  # not resolved yet
    for step in ("investigating", "mitigating", "monitoring", "resolved"):
        committed(lambda step=step: incident_services.incident_transition(incident=incident, to=step, by=commander,
                                                                          reason="test"))
    run_posts()
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert url in page
    assert committed(lambda: client.post(url)).status_code == 302
    run_posts()
    summary = channel_texts(slack)[-1]
    assert summary.startswith("*Resolved*: [SEV2] Checkout API timing out")
    assert "Post-mortem: not written yet." in summary and "min" in summary
    assert client.post(url).status_code == 409  # already posted

    committed(lambda: incident_services.timeline_record(incident=incident, kind="postmortem", by=commander,
                                                        text="Post-mortem started.", data={"postmortem": 7}))
    assert committed(lambda: client.post(url)).status_code == 302  # again, now with its link
    run_posts()
    assert "Post-mortem: <https://warroom.example.com/postmortems/7/|read it>" in channel_texts(slack)[-1]


def test_summary_and_retry_need_a_commander(slack, incident, client, responder):
    client.force_login(responder)
    assert client.post(reverse("chat:summary", args=[incident.pk])).status_code == 403
    assert client.post(reverse("chat:retry", args=[incident.pk])).status_code == 403


def test_the_bot_token_is_never_in_a_page_the_api_the_timeline_or_the_log(slack, make_incident, committed, client,
                                                                          commander, api, caplog):
    caplog.set_level(logging.DEBUG)  # slack_sdk logs each request's headers at DEBUG
    incident = committed(lambda: make_incident(acknowledge=True))
    room = Operation.objects.rooms().get(incident=incident)
    slack.script["conversations.create"] = ["echo"]  # the answer quotes the token: slack_sdk logs it at DEBUG
    services.operation_run(room.pk)
    client.force_login(commander)
    committed(lambda: client.post(reverse("chat:retry", args=[incident.pk])))
    services.operation_run(room.pk)
    assert slack.calls[0].headers["Authorization"] == f"Bearer {TOKEN}"  # it was sent, to Slack only
    texts = [
        client.get(reverse("incidents:detail", args=[incident.pk])).content.decode(),
        api(commander).get(f"/api/incidents/{incident.pk}/timeline/").content.decode(),
        api(commander).get(f"/api/incidents/{incident.pk}/").content.decode(),
        " ".join(incident.entries.values_list("text", flat=True)),
        " ".join(str(d) for d in incident.entries.values_list("data", flat=True)),
        " ".join(Operation.objects.values_list("last_error", flat=True)),
        caplog.text,
    ]
    assert "Sending a request" in caplog.text and "got Authorization: Bearer ****" in caplog.text
    for text in texts:
        assert TOKEN not in text


def test_with_slack_off_the_note_form_offers_no_post_to_slack_box(settings, make_incident, client, responder):
    settings.SLACK_BOT_TOKEN = ""
    incident = make_incident(acknowledge=True)
    client.force_login(responder)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Post to Slack" not in page and 'value="share"' not in page
