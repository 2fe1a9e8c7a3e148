"""The notification settings: URLs must be http(s) (and a bad one is refused without echoing it, since a webhook
URL carries its token); a webhook needs its signing secret; the SMTP password may come from a file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from warroom import env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["ftp://hooks.example.com/x", "hooks.slack.com/services/T/B/token", "https:///no-host/token"])
def test_a_webhook_url_that_is_not_http_is_refused_without_quoting_it(monkeypatch, value):
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK_URL", value)
    with pytest.raises(ImproperlyConfigured, match="WARROOM_SLACK_WEBHOOK_URL is not an http") as raised:
        env.env_url("WARROOM_SLACK_WEBHOOK_URL", "")
    assert value not in str(raised.value)


def test_http_and_https_urls_and_none_are_accepted(monkeypatch):
    monkeypatch.setenv("WARROOM_NOTIFY_WEBHOOK_URL", "https://pager.example.com/hook?x=1")
    assert env.env_url("WARROOM_NOTIFY_WEBHOOK_URL", "") == "https://pager.example.com/hook?x=1"
    monkeypatch.delenv("WARROOM_NOTIFY_WEBHOOK_URL")
    assert env.env_url("WARROOM_NOTIFY_WEBHOOK_URL", "") == ""


def _settings(**environment) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WARROOM_NOTIFY", "EMAIL_"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; "
         "print(s.EMAIL_HOST_PASSWORD, s.NOTIFY_WEBHOOK_URL)"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "warroom.settings", **environment})


@pytest.mark.parametrize(("secret", "starts"), [("", False), ("x" * 15, False), ("x" * 16, True)])
def test_the_webhook_needs_a_signing_secret_of_sixteen_characters(secret, starts):
    result = _settings(WARROOM_NOTIFY_WEBHOOK_URL="https://pager.example.com/hook",
                       WARROOM_NOTIFY_WEBHOOK_SECRET=secret)
    assert (result.returncode == 0) is starts, result.stderr
    if not starts:
        assert "WARROOM_NOTIFY_WEBHOOK_SECRET (at least 16 characters) must be set" in result.stderr


def test_the_smtp_password_can_come_from_a_file(tmp_path):
    secret = tmp_path / "smtp"
    secret.write_text("from-a-file\n")
    result = _settings(EMAIL_HOST_PASSWORD_FILE=str(secret))
    assert result.stdout.split() == ["from-a-file"], result.stderr
