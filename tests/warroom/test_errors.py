"""Errors Warroom answers itself: JSON in the API shape under /api/, pages elsewhere, no secrets on debug pages."""

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from incidents.models import Incident

pytestmark = pytest.mark.django_db
BOOM = "tests.warroom.boom_urls"


def _api_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].split(";")[0] in ("application/json", "application/vnd.oai.openapi+json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and len(body["detail"]) > 10
    return body


# --- 413: bodies past DATA_UPLOAD_MAX_MEMORY_SIZE ------------------------------------------------------------


@pytest.fixture
def small_bodies(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_api_body_past_the_limit_is_413_json(api, commander, small_bodies, fmt):
    payload = {"title": "x" * 2_000, "severity": "SEV2"}
    body = _api_error(api(commander).post("/api/incidents/", payload, format=fmt), 413)
    assert "larger than the 1,000 bytes" in body["detail"]
    assert not Incident.objects.exists()


def test_api_form_body_past_the_limit_is_413_json(api, commander, small_bodies):
    response = api(commander).post("/api/incidents/", "title=" + "x" * 2_000 + "&severity=SEV2",
                                   content_type="application/x-www-form-urlencoded")
    _api_error(response, 413)


def test_api_body_within_the_limit_is_read(api, commander, small_bodies):
    response = api(commander).post("/api/incidents/", {"title": "x" * 100, "severity": "SEV2"}, format="json")
    assert response.status_code == 201


def test_page_body_past_the_limit_is_a_413_page(client, commander, small_bodies):
    client.force_login(commander)
    response = client.post("/incidents/declare/", {"title": "x" * 2_000, "severity": "SEV2"})
    assert response.status_code == 413
    assert "text/html" in response["Content-Type"]
    assert "larger than the 1,000 bytes" in response.content.decode()
    assert not Incident.objects.exists()


# --- Django-level 400, 404, 500 -------------------------------------------------------------------------------


def test_unknown_api_url_is_404_json(api, viewer):
    body = _api_error(api(viewer).get("/api/no-such-thing/"), 404)
    assert body["errors"] == {}
    assert "/api/no-such-thing/" in body["detail"]


def test_unknown_api_url_is_404_json_without_logging_in(client):
    _api_error(client.get("/api/no-such-thing/"), 404)


def test_unknown_page_is_a_404_page(client, viewer):
    client.force_login(viewer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"] and "Not found" in response.content.decode()


def test_bad_host_under_api_is_400_json(client):
    _api_error(client.get("/api/incidents/", HTTP_HOST="evil.example"), 400)


def test_bad_host_on_a_page_is_a_400_page(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400 and "Bad request" in response.content.decode()


@pytest.mark.parametrize("url", ["/api/boom/", "/api/drf-boom/"])
def test_server_error_under_api_is_500_json(settings, commander, url):
    settings.ROOT_URLCONF = BOOM
    client = Client(raise_request_exception=False)
    client.force_login(commander)
    body = _api_error(client.get(url), 500)
    assert body["errors"] == {}
    assert "went wrong on our side" in body["detail"]


def test_server_error_on_a_page_is_a_500_page(settings, commander):
    settings.ROOT_URLCONF = BOOM
    client = Client(raise_request_exception=False)
    client.force_login(commander)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "text/html" in response["Content-Type"] and "Server error" in response.content.decode()


def test_field_errors_are_always_lists(settings, api, viewer):
    settings.ROOT_URLCONF = BOOM
    body = _api_error(api(viewer).get("/api/refuses/"), 400)
    assert body == {"detail": "target: No target called prod-db.", "errors": {"target": ["No target called prod-db."]}}


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [("get", "/api/incidents/", 401), ("put", "/api/severities/", 405), ("delete", "/api/incidents/1/", 405)],
)
def test_drf_errors_have_the_same_shape(api, viewer, method, url, status):
    client = api(None if status == 401 else viewer)
    body = _api_error(getattr(client, method)(url), status)
    assert body["errors"] == {}


def test_api_permission_refusal_has_the_same_shape(api, viewer):
    body = _api_error(api(viewer).post("/api/incidents/", {"title": "x", "severity": "SEV2"}, format="json"), 403)
    assert body == {"detail": "Your role does not allow this. Ask a commander.", "errors": {}}


def test_api_conflict_has_the_same_shape(api, commander, make_incident):
    incident = make_incident(status="resolved")
    body = _api_error(api(commander).patch(f"/api/incidents/{incident.pk}/", {"title": "new"}, format="json"), 409)
    assert body["errors"] == {}


# --- Debug pages never show credentials -------------------------------------------------------------------------


def test_debug_page_masks_credentials_in_urls(settings, commander):
    settings.DEBUG = True
    settings.ROOT_URLCONF = BOOM
    settings.CELERY_BROKER_URL = "redis://:brokersecret@redis.internal:6379/0"
    settings.WARROOM_EXAMPLE_TARGETS = {"db": ["postgres://app:targetsecret@db.internal/app"]}
    client = Client(raise_request_exception=False)
    client.force_login(commander)
    response = client.post("/boom/", {"target": "https://probe:localsecret@target.internal/health"},
                           DATABASE_URL="postgres://warroom:dbsecret@db.internal:5432/warroom",
                           HTTP_X_CALLBACK="https://hook:headersecret@hooks.internal/x")
    page = response.content.decode()
    assert response.status_code == 500 and "RuntimeError" in page  # the technical page, not ours
    for secret in ("brokersecret", "targetsecret", "dbsecret", "headersecret", "localsecret"):
        assert secret not in page, secret
    assert "redis://********************@redis.internal:6379/0" in page
    assert "postgres://********************@db.internal:5432/warroom" in page
    assert "target.internal/health" in page  # the URL is still shown, without its credentials


def test_debug_page_still_hides_sensitive_names(settings, commander):
    settings.DEBUG = True
    settings.ROOT_URLCONF = BOOM
    settings.WARROOM_API_TOKEN = "tokensecret"
    client = Client(raise_request_exception=False)
    client.force_login(commander)
    page = client.get("/boom/").content.decode()
    assert "tokensecret" not in page and "WARROOM_API_TOKEN" in page


# --- People without a role, and the API docs ------------------------------------------------------------------


def test_signed_in_without_a_role_sees_what_to_ask_for_and_how_to_log_out(client, outsider):
    client.force_login(outsider)
    response = client.get("/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "signed in as <strong>outsider</strong>, but you have no role in Warroom yet" in page
    for group, allows in [("commander", "Can declare and run incidents"),
                          ("responder", "Can add notes to an incident&#x27;s timeline"),
                          ("viewer", "Can view incident")]:
        assert f"<strong>{group}</strong>" in page and allows in page
    assert 'action="/accounts/logout/"' in page


def test_viewer_refused_an_action_sees_the_reason(client, viewer):
    client.force_login(viewer)
    response = client.get("/incidents/declare/")
    assert response.status_code == 403
    assert "Your role does not allow this. Ask a commander." in response.content.decode()


@pytest.mark.parametrize("url", ["/api/docs/", "/api/schema/"])
def test_api_docs_send_a_browser_without_a_session_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_api_schema_is_served_to_a_token(client, viewer):
    token = Token.objects.create(user=viewer)
    response = client.get("/api/schema/?format=json", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert "/api/incidents/{id}/transition/" in json.dumps(response.json())


def test_api_schema_with_a_bad_token_is_401_json(client):
    _api_error(client.get("/api/schema/", HTTP_AUTHORIZATION="Token not-a-token"), 401)
