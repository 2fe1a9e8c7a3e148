"""Sources post with their own token only: missing, wrong, rotated-away or inactive → 401, and nothing stored."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from alerts import services
from alerts.models import Alert, AlertGroup, AlertSource
from incidents.models import Entry, Incident
from tests.alerts.conftest import AM_URL, GRAFANA_URL, am_payload

pytestmark = pytest.mark.django_db


def _post(authorization=None, url=AM_URL, client=None):
    client = client or APIClient()
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return client.post(url, am_payload(), format="json", **headers)


def _nothing_stored():
    return not (Alert.objects.exists() or AlertGroup.objects.exists() or Incident.objects.exists()
                or Entry.objects.exists())


@pytest.mark.parametrize("url", [AM_URL, GRAFANA_URL])
@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Bearer wrong-token", "Token {token}", "Basic dXNlcjpwYXNz", "Bearer {token}x",
    "Bearer {token} extra", "bearer {upper}",
])
def test_without_the_sources_token_401_and_nothing_stored(source, url, authorization):
    if authorization is not None:
        authorization = authorization.format(token=source.token, upper=source.token.upper())
    response = _post(authorization, url)
    assert response.status_code == 401, response.content
    assert set(response.json()) == {"detail", "errors"}
    assert response["WWW-Authenticate"] == 'Bearer realm="warroom-alerts"'
    assert _nothing_stored()


def test_the_token_works_and_its_scheme_is_case_insensitive(source):
    assert _post(f"bearer {source.token}").status_code == 200
    assert Alert.objects.get().source == source


def test_only_the_tokens_hash_is_stored(source):
    stored = AlertSource.objects.get()
    assert source.token not in str(stored.__dict__)
    assert stored.token_hash == services.token_hash(source.token) and len(stored.token_hash) == 64


def test_a_rotated_token_replaces_the_old_one(source):
    new = services.source_rotate_token(source=source, by=None)
    assert _post(f"Bearer {source.token}").status_code == 401
    assert _post(f"Bearer {new}").status_code == 200


def test_an_inactive_source_is_refused(source):
    AlertSource.objects.filter(pk=source.pk).update(is_active=False)
    assert _post(f"Bearer {source.token}").status_code == 401
    assert _nothing_stored()


def test_a_persons_session_is_no_source(client, commander):
    """A commander signed in (even with a CSRF-free API client) is not a source: 401."""
    api = APIClient()
    api.force_login(commander)
    assert _post(client=api).status_code == 401
    assert _nothing_stored()


def test_one_sources_alerts_are_its_own(source, runbook):
    other, token = services.source_create(name="grafana", by=None)
    _post(f"Bearer {token}")
    assert Alert.objects.get().source == other


def test_the_webhook_needs_no_csrf_token(source):
    client = APIClient(enforce_csrf_checks=True)
    assert _post(f"Bearer {source.token}", client=client).status_code == 200


def test_other_methods_are_405_for_anyone(source):
    client = APIClient()
    assert client.get(AM_URL).status_code == 405
    assert client.get(AM_URL, HTTP_AUTHORIZATION=f"Bearer {source.token}").status_code == 405


# --- the command --------------------------------------------------------------------------------------------------

def test_the_command_prints_the_token_once_and_stores_its_hash(runbook, capsys):
    call_command("alert_source", "am-prod")
    token = capsys.readouterr().out.strip()
    assert token.startswith("wra_") and len(token) > 40
    assert AlertSource.objects.get(name="am-prod").token_hash == services.token_hash(token)
    assert _post(f"Bearer {token}").status_code == 200


def test_the_command_refuses_an_existing_name_without_rotate(source):
    with pytest.raises(CommandError, match="--rotate"):
        call_command("alert_source", source.name)


def test_the_command_rotates(source, capsys):
    call_command("alert_source", source.name, "--rotate")
    token = capsys.readouterr().out.strip()
    assert _post(f"Bearer {source.token}").status_code == 401
    assert _post(f"Bearer {token}").status_code == 200


def test_the_command_cannot_rotate_a_source_that_does_not_exist(runbook):
    with pytest.raises(CommandError, match="no source"):
        call_command("alert_source", "nope", "--rotate")


# --- the admin ------------------------------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "admin@example.com", "admin-password")
    client.force_login(admin)
    return client


def test_the_admin_shows_a_new_sources_token_once(admin_client, runbook):
    response = admin_client.post("/admin/alerts/alertsource/add/", {"name": "grafana-prod"})
    assert response.status_code == 200
    token = response.context["token"]
    assert token in response.content.decode()
    source = AlertSource.objects.get(name="grafana-prod")
    assert source.token_hash == services.token_hash(token) and source.created_by.username == "admin"
    page = admin_client.get(f"/admin/alerts/alertsource/{source.pk}/change/")
    assert token not in page.content.decode()
    assert _post(f"Bearer {token}").status_code == 200


def test_the_admin_rotates_one_source_and_shows_the_new_token(admin_client, source):
    response = admin_client.post("/admin/alerts/alertsource/", {"action": "rotate_token",
                                                                 "_selected_action": [source.pk]})
    token = response.context["token"]
    assert _post(f"Bearer {source.token}").status_code == 401
    assert _post(f"Bearer {token}").status_code == 200
