"""Everything is edited in the admin; an override remembers who entered it; a calendar secret is never shown."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from people import services
from people.models import Override, Rotation

pytestmark = pytest.mark.django_db

MODELS = ["contact", "role", "rotation", "override", "escalationpolicy", "calendartoken"]


@pytest.fixture
def admin_client(client, runbook):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "root-password"))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_model_has_an_admin_list(admin_client, model):
    assert admin_client.get(reverse(f"admin:people_{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["contact", "role", "rotation", "override"])
def test_the_add_pages_open(admin_client, model):
    assert admin_client.get(reverse(f"admin:people_{model}_add")).status_code == 200


def test_the_policy_page_edits_its_levels(admin_client):
    from people.models import EscalationPolicy

    policy = EscalationPolicy.objects.get(severity__name="SEV2")
    html = admin_client.get(reverse("admin:people_escalationpolicy_change", args=[policy.pk])).content.decode()
    assert "levels-0-after" in html and "levels-1-roles" in html


def test_an_override_added_in_the_admin_records_who(admin_client, make_contact):
    rotation, zed = Rotation.objects.get(name="Primary on-call"), make_contact("Zed")
    response = admin_client.post(reverse("admin:people_override_add"), {
        "rotation": rotation.pk, "contact": zed.pk, "start_0": "2026-03-04", "start_1": "09:00:00",
        "end_0": "2026-03-05", "end_1": "09:00:00", "reason": "swap"})
    assert response.status_code == 302, response.content[:500]
    assert Override.objects.get().created_by.username == "root"


def test_the_calendar_token_admin_never_shows_the_secret(admin_client, viewer):
    token = services.calendar_token_regenerate(by=viewer)
    listing = admin_client.get(reverse("admin:people_calendartoken_changelist")).content.decode()
    page = admin_client.get(reverse("admin:people_calendartoken_change", args=[token.pk])).content.decode()
    assert "viewer" in listing and token.token not in listing and token.token not in page
