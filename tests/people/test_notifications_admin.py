"""A contact's own Slack webhook URL is write-only in the admin: never shown back, kept when left blank."""

import pytest
from django.contrib.auth.models import User

from people.models import ContactChannels

pytestmark = pytest.mark.django_db

URL = "https://hooks.slack.com/services/T000/B000/own-secret-token"


@pytest.fixture
def admin_client(client, notify_directory):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "root-password"))
    return client


def test_the_webhook_url_is_never_shown_and_blank_keeps_it(admin_client, notify_directory):
    channels = ContactChannels.objects.create(contact=notify_directory.cto, slack_webhook_url=URL)
    url = f"/admin/people/contactchannels/{channels.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "own-secret-token" not in page and "hooks.slack.com" not in page

    form = {"contact": notify_directory.cto.pk, "email": "on", "slack": "on", "slack_webhook_url": ""}
    assert admin_client.post(url, form).status_code == 302
    channels.refresh_from_db()
    assert channels.slack_webhook_url == URL and channels.webhook is False

    assert admin_client.post(url, {**form, "clear_slack_webhook": "on"}).status_code == 302
    channels.refresh_from_db()
    assert channels.slack_webhook_url == ""


def test_notifications_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/people/notification/add/").status_code == 403
