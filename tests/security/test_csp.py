"""Every answer carries the Content-Security-Policy (no inline script, no eval, nothing from elsewhere), X-Frame-Options
DENY and a Referrer-Policy: pages, the API, the admin, the API docs, the login page and the error pages.

tests/browser/test_csp.py walks the pages in Chromium and checks that nothing is refused and everything still works.
"""

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
BOOM = "tests.warroom.boom_urls"
POLICY = {
    "default-src": "'self'", "img-src": "'self' data:", "connect-src": "'self'", "frame-ancestors": "'none'",
    "form-action": "'self'", "base-uri": "'self'", "object-src": "'none'", "script-src": "'self'",
}


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.status_code} {response.get('Content-Type')}: no Content-Security-Policy"
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def _assert_protected(response) -> None:
    policy = _policy(response)
    for directive, value in POLICY.items():
        assert policy.get(directive) == value, (directive, policy)
    assert "unsafe" not in policy["script-src"] and "unsafe" not in policy["style-src"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", ["/", "/people/escalation/", "/api/incidents/", "/api/docs/", "/api/docs/?script=",
                                 "/admin/", "/admin/auth/user/", "/incidents/999999/", "/api/incidents/999999/"])
def test_signed_in_answers_carry_the_policy(client, commander, url, settings):
    commander.is_staff = commander.is_superuser = True
    commander.save()
    client.force_login(commander)
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    _assert_protected(response)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/", "/healthz", "/nothing-here/", "/status/"])
def test_anonymous_answers_carry_the_policy(client, url):
    _assert_protected(client.get(url))


@pytest.mark.parametrize("url, status", [("/boom/", 500), ("/api/boom/", 500), ("/database-gone/", 503),
                                         ("/api/database-gone/", 503)])
def test_error_pages_carry_the_policy(settings, commander, url, status):
    settings.ROOT_URLCONF = BOOM
    client = Client(raise_request_exception=False)
    client.force_login(commander)
    response = client.get(url) if "api" not in url else client.get(url.replace("/api/database-gone/",
                                                                              "/database-gone/"))
    assert response.status_code == status
    _assert_protected(response)


def test_the_error_pages_one_inline_style_is_allowed_by_its_hash_and_nothing_else_inline():
    """templates/500.html and 503.html load nothing (whatever broke may break that too): their <style> is allowed by
    its hash, which must follow any edit of it."""
    allowed = django_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]
    for name in ("500.html", "503.html"):
        styles = re.findall(r"<style>(.*?)</style>", (ROOT / "templates" / name).read_text(), re.S)
        assert len(styles) == 1
        digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, f"{name}: its <style> changed; put its new hash in style-src"
    assert [v for v in allowed if v.startswith("'sha256-")] == [f"'sha256-{digest}'"]


class _Inline(HTMLParser):
    """Inline scripts, styles and handlers in a template's markup (the policy would refuse them)."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, _ in attrs:
            if name.startswith("on") or name.startswith("hx-on") or name == "style":
                self.found.append(f"<{tag} {name}=…>")
        if tag == "script" and not dict(attrs).get("src"):
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")


def test_no_template_of_ours_has_an_inline_script_handler_or_style():
    templates = [p for p in ROOT.glob("*/templates/**/*.html") if ".venv" not in p.parts] + \
        list((ROOT / "templates").glob("**/*.html"))
    assert len(templates) > 40
    found = {}
    for path in templates:
        parser = _Inline()
        parser.feed(path.read_text())
        if parser.found and path.name not in ("500.html", "503.html"):
            found[str(path.relative_to(ROOT))] = parser.found
    assert found == {}


def test_htmx_runs_without_eval_and_adds_no_style_of_its_own(client, viewer):
    client.force_login(viewer)
    page = client.get("/").content.decode()
    assert '"allowEval":false' in page and '"includeIndicatorStyles":false' in page
