"""Every URL needs a login, except a short list: walked from the URL configuration, so a new URL is covered by itself.

Each pattern (the admin's and DRF's routers included, unnamed ones too) gets a path built from its converters, is
requested anonymously with GET and POST, and must send the browser to a login page (pages) or answer 401/403 (the
API). The allow-list is small and says why; the machines' endpoints must refuse a request without a valid token or
signature.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import resolve

from tests.urlwalk import sample_path, walk

pytestmark = pytest.mark.django_db

# Open to anyone, by design: signing in and out, the load balancer's probe, and the public status page (public data
# only, GET only: tests/status/test_public.py).
PUBLIC = {"login", "logout", "admin:login", "healthz", "status:page", "status:summary", "status:history_atom"}
# Authenticated by a token or signature in the request, never a session: without a valid one, refused.
# The calendar feeds (the token in the URL: 404), the alert webhooks (bearer token: 401), Slack (its signature: 401).
MACHINES = {"people:rotation_ics", "people:contact_ics", "alerts-api:alertmanager", "alerts-api:grafana",
            "chat:command", "chat:interactivity"}
# The API's schema and docs are for people (sent to log in) and scripts (a token): not public (warroom/urls.py).
LOGIN_PAGES = ("/accounts/login/", "/admin/login/")
WRONG_CREDENTIALS = {"HTTP_AUTHORIZATION": "Bearer not-a-token", "HTTP_X_SLACK_REQUEST_TIMESTAMP": "1",
                     "HTTP_X_SLACK_SIGNATURE": "v0=" + "0" * 64}


def _refused_as_anonymous(response, path: str) -> bool:
    if response.status_code == 302:
        return response["Location"].startswith(LOGIN_PAGES)
    return path.startswith("/api/") and response.status_code in (401, 403)


def leaks(urlconf: str | None = None) -> list[str]:
    """Every pattern's anonymous GET and POST that is neither refused nor on the allow-list, as readable lines."""
    found = []
    client = Client()
    for walked in walk(urlconf=urlconf):
        if walked.name in PUBLIC:
            continue
        path = sample_path(walked)
        assert resolve(path, urlconf=urlconf).route == walked.route, f"{path} does not reach {walked.route}"
        for method in ("get", "post"):
            if walked.name in MACHINES:
                for headers in ({}, WRONG_CREDENTIALS):
                    response = getattr(client, method)(path, **headers)
                    if not 400 <= response.status_code < 500:
                        found.append(f"{method.upper()} {path} ({walked.name}) with {headers or 'no credentials'}: "
                                     f"{response.status_code}")
                continue
            response = getattr(client, method)(path)
            if not _refused_as_anonymous(response, path):
                found.append(f"{method.upper()} {path} ({walked.name or walked.route}): {response.status_code} "
                             f"{response.get('Location', '')}")
    return found


def test_every_url_but_the_allow_list_needs_a_login():
    assert leaks() == []


def test_the_allow_lists_name_urls_that_exist():
    """A renamed URL must not leave a stale entry that would exempt the next one to take its name."""
    names = {w.name for w in walk()}
    assert names >= PUBLIC | MACHINES, (PUBLIC | MACHINES) - names


def test_the_public_urls_answer_anonymously(runbook):
    client = Client()
    for path in ("/accounts/login/", "/admin/login/", "/healthz", "/status/", "/status/api/v2/summary.json",
                 "/status/history.atom"):
        assert client.get(path).status_code == 200, path


def test_a_new_url_without_a_login_is_caught():
    """The walk bites: an open view added next to the real URLs is reported, GET and POST."""
    with override_settings(ROOT_URLCONF="tests.warroom.open_urls"):
        assert leaks("tests.warroom.open_urls") == [
            "GET /forgot-to-protect/1/ (open): 200 ", "POST /forgot-to-protect/1/ (open): 200 "]
