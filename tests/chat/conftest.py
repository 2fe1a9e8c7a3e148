"""The Slack tests' world: a fake Slack Web API, settings pointing at it, and signed requests from "Slack"."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from chat.slack import sign
from tests.chat.fake_slack import TOKEN, FakeSlack, fake_slack

SIGNING_SECRET = "slack-signing-secret-abcdef0123456789"


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlack]:
    with fake_slack() as server:
        yield server


@pytest.fixture
def slack(slack_server, settings) -> FakeSlack:
    """Slack on, pointed at the fake; tasks go to a queue nobody consumes (tests run the service themselves)."""
    slack_server.reset()
    settings.SLACK_BOT_TOKEN = TOKEN
    settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
    settings.SLACK_API_URL = slack_server.api_url
    settings.SLACK_TIMEOUT = 1
    settings.SLACK_QUEUE = f"slack-unconsumed-{os.getpid()}"
    settings.BASE_URL = "https://warroom.example.com"
    return slack_server


def signed(client, path: str, fields: dict[str, str], *, timestamp: int | None = None, secret: str = SIGNING_SECRET,
           signature: str | None = None):
    """POST form fields as Slack does: the body signed with the signing secret and the timestamp."""
    body = urlencode(fields).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return client.generic("POST", path, body, content_type="application/x-www-form-urlencoded",
                          HTTP_X_SLACK_REQUEST_TIMESTAMP=ts,
                          HTTP_X_SLACK_SIGNATURE=signature or sign(body, ts, secret))
