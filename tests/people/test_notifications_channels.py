"""Each channel against a real local peer: email to an SMTP server (aiosmtpd), Slack and the webhook to an HTTP
server. Sending is called here in the test's process; tests/people/test_notifications_worker.py goes through a
worker. Failures: transient ones go back to the queue for a retry, permanent ones and the last attempt end as
failed, and no message that reaches the timeline, the row or the API carries a secret."""

import hashlib
import hmac
import json
import socket

import pytest

from people.channels import TransientSendError, sign
from people.models import ContactChannels, Notification
from people.notifications import notification_send, notifications_request
from tests.people.notify_fixtures import (
    SLACK_TOKEN_PATH,
    WEBHOOK_SECRET,
    hook_server,
    received_on,
    smtp_port,
    smtp_server,
)

pytestmark = pytest.mark.django_db

SMTP_PASSWORD = "smtp-password-s3cret"


@pytest.fixture
def incident(make_incident, notify_directory):
    return make_incident(severity="SEV1", title="Checkout down", users_affected=1200, service_affected="checkout")


@pytest.fixture
def http():
    with hook_server() as server:
        yield server


@pytest.fixture
def channels(settings, http):
    """Only Slack and the webhook, both at the local server; email off unless a test turns it on."""
    settings.EMAIL_HOST = ""
    settings.SLACK_WEBHOOK_URL = http.url + SLACK_TOKEN_PATH
    settings.NOTIFY_WEBHOOK_URL = http.url + "/hook"
    settings.NOTIFY_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.NOTIFY_TIMEOUT = 1
    settings.BASE_URL = "https://warroom.example.com"
    return settings


def request_one(incident, contact, channel) -> Notification:
    notifications_request(incident=incident, event="SEV1:L1", level=1, round=0, contacts=[contact],
                          now=incident.declared_at)
    return Notification.objects.get(incident=incident, contact=contact, channel=channel)


def secret_free(incident, *secrets):
    texts = [e.text + json.dumps(e.data) for e in incident.entries.all()]
    texts += [n.last_error for n in Notification.objects.all()]
    for secret in secrets:
        assert not any(secret in t for t in texts), secret


# --- email ----------------------------------------------------------------------------------------------------

def test_email_reaches_a_real_smtp_server(settings, incident, notify_directory):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.SLACK_WEBHOOK_URL = settings.NOTIFY_WEBHOOK_URL = ""
    settings.DEFAULT_FROM_EMAIL, settings.BASE_URL = "warroom@example.com", "https://warroom.example.com"
    with smtp_server() as smtp:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_port(smtp)
        notification = request_one(incident, notify_directory.cto, "email")
        assert notification_send(notification.pk).status == "sent"
        [envelope] = smtp.handler.messages
    assert envelope.mail_from == "warroom@example.com" and envelope.rcpt_tos == ["carol@example.com"]
    content = envelope.content.decode()
    assert "Subject: [SEV1] Production Incident: Checkout down" in content
    assert "- Impact: 1,200 users affected (checkout)" in content
    assert f"https://warroom.example.com/incidents/{incident.pk}/" in content
    notification.refresh_from_db()
    assert (notification.attempts, notification.last_error) == (1, "") and notification.finished_at
    assert incident.entries.get(kind="notification").text == "Notified Carol by email about SEV1 (level 1)."


def test_an_smtp_server_that_is_down_is_retried_then_fails_naming_it_but_never_the_password(settings, incident,
                                                                                         notify_directory):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.SLACK_WEBHOOK_URL = settings.NOTIFY_WEBHOOK_URL = ""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "warroom", SMTP_PASSWORD
    notification = request_one(incident, notify_directory.cto, "email")

    with pytest.raises(TransientSendError):
        notification_send(notification.pk, final=False)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("queued", 1)
    assert f"could not reach the mail server 127.0.0.1:{port}" in notification.last_error

    assert notification_send(notification.pk, final=True).status == "failed"
    notification.refresh_from_db()
    assert notification.attempts == 2
    texts = list(incident.entries.filter(kind="notification").values_list("text", flat=True))
    assert texts[0].startswith("Could not notify Carol by email (attempt 1)") and texts[0].endswith("Trying again.")
    assert texts[1].startswith("Could not notify Carol by email about SEV1 (level 1) after 2 attempts")
    secret_free(incident, SMTP_PASSWORD)


# --- Slack ----------------------------------------------------------------------------------------------------

def test_slack_gets_the_announcement_mentioning_the_person_with_a_link(channels, http, incident, notify_directory):
    notification = request_one(incident, notify_directory.cto, "slack")
    assert notification_send(notification.pk).status == "sent"
    [hit] = received_on(http, SLACK_TOKEN_PATH)
    text = hit.json()["text"]
    assert text.startswith("@carol *[SEV1] Production Incident*")
    assert f"<https://warroom.example.com/incidents/{incident.pk}/|Open the incident>" in text


def test_a_contacts_own_slack_webhook_is_used_instead_of_warroom_s(channels, http, incident, notify_directory):
    ContactChannels.objects.create(contact=notify_directory.cto,
                                   slack_webhook_url=http.url + "/carol-dm/secret-dm-token")
    notification_send(request_one(incident, notify_directory.cto, "slack").pk)
    assert received_on(http, "/carol-dm/secret-dm-token") and not received_on(http, SLACK_TOKEN_PATH)


def test_a_slack_error_quoting_the_webhook_token_is_stored_scrubbed(channels, http, incident, notify_directory):
    http.script[SLACK_TOKEN_PATH] = [(404, f"no_service for {SLACK_TOKEN_PATH} ({WEBHOOK_SECRET})")]
    notification = notification_send(request_one(incident, notify_directory.cto, "slack").pk, final=False)
    assert notification.status == "failed"  # a 404 is not worth retrying
    assert notification.last_error.startswith(f"HTTP 404 from 127.0.0.1:{http.server_address[1]}: no_service for ")
    assert "****" in notification.last_error
    secret_free(incident, "slack-secret-token-XYZ", "/slack/T0000", WEBHOOK_SECRET)


# --- the webhook ----------------------------------------------------------------------------------------------

def test_the_webhook_body_is_signed_with_hmac_sha256_and_timestamped(channels, http, incident, notify_directory):
    notification = request_one(incident, notify_directory.cto, "webhook")
    assert notification_send(notification.pk).status == "sent"
    [hit] = received_on(http, "/hook")
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), hit.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hit.headers["X-Warroom-Signature"], expected)
    assert sign(hit.body, "another secret") != expected
    body = hit.json()
    assert str(body["timestamp"]) == hit.headers["X-Warroom-Timestamp"]
    assert body["delivery"] == notification.pk == int(hit.headers["X-Warroom-Delivery"])
    assert body["event"] == "SEV1:L1" and body["contact"]["email"] == "carol@example.com"
    assert body["incident"]["url"] == f"https://warroom.example.com/incidents/{incident.pk}/"
    assert body["incident"]["severity"] == "SEV1" and "[SEV1] Production Incident" in body["text"]
    assert WEBHOOK_SECRET not in hit.body.decode()


def test_a_webhook_answering_503_goes_back_to_the_queue_for_a_retry(channels, http, incident, notify_directory):
    http.script["/hook"] = [503]
    notification = request_one(incident, notify_directory.cto, "webhook")
    with pytest.raises(TransientSendError):
        notification_send(notification.pk, final=False)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("queued", 1)
    assert notification_send(notification.pk, final=False).status == "sent"
    assert len(received_on(http, "/hook")) == 2
    assert Notification.objects.get(pk=notification.pk).attempts == 2


def test_a_webhook_answering_400_fails_at_once(channels, http, incident, notify_directory):
    http.script["/hook"] = [(400, "bad payload")]
    notification = notification_send(request_one(incident, notify_directory.cto, "webhook").pk, final=False)
    assert (notification.status, notification.attempts) == ("failed", 1)
    assert notification.last_error.endswith(": bad payload")


def test_a_webhook_that_never_answers_times_out(channels, http, incident, notify_directory):
    http.script["/hook"] = ["hang"]
    notification = notification_send(request_one(incident, notify_directory.cto, "webhook").pk)
    assert notification.status == "failed"
    assert notification.last_error == f"no answer from 127.0.0.1:{http.server_address[1]} within 1 s"


def test_a_redirect_is_not_followed(channels, http, incident, notify_directory):
    http.script["/hook"] = [(302, "elsewhere", {"Location": "/elsewhere"})]
    notification = notification_send(request_one(incident, notify_directory.cto, "webhook").pk, final=False)
    assert notification.status == "failed" and "HTTP 302" in notification.last_error
    assert [r.path for r in http.received] == ["/hook"]  # the body and its signature went nowhere else


def test_nothing_is_sent_twice_for_the_same_step(channels, http, incident, notify_directory):
    first = notifications_request(incident=incident, event="SEV1:L1", level=1, round=0, contacts=[notify_directory.cto],
                                  now=incident.declared_at)
    again = notifications_request(incident=incident, event="SEV1:L1", level=1, round=0, contacts=[notify_directory.cto],
                                  now=incident.declared_at)
    assert len(first) == 2 and again == []  # Slack and the webhook, once
    for n in first:
        notification_send(n.pk)
        notification_send(n.pk)  # a redelivered message
    assert len(http.received) == 2
