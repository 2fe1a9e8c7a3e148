"""Slack's settings: the token and signing secret from the environment or *_FILE, the API URL defaulting to
Slack's; unset is off."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings(**environment) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_SLACK")}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; "
         "from chat import slack; print(repr(s.SLACK_BOT_TOKEN), repr(s.SLACK_SIGNING_SECRET), s.SLACK_API_URL, "
         "slack.configured(), slack.commands_configured())"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "warroom.settings", **environment})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


def test_unset_is_off_and_the_api_is_slacks():
    assert _settings() == ["''", "''", "https://slack.com/api/", "False", "False"]


def test_the_secrets_may_come_from_files_and_the_api_url_from_the_environment(tmp_path):
    (tmp_path / "token").write_text("xoxb-from-a-file\n")
    (tmp_path / "secret").write_text("signing-from-a-file\n")
    assert _settings(WARROOM_SLACK_BOT_TOKEN_FILE=str(tmp_path / "token"),
                     WARROOM_SLACK_SIGNING_SECRET_FILE=str(tmp_path / "secret"),
                     WARROOM_SLACK_API_URL="http://127.0.0.1:9999/api") == [
        "'xoxb-from-a-file'", "'signing-from-a-file'", "http://127.0.0.1:9999/api/", "True", "True"]
