"""Hostile input reaches every app: the alert source and the fake Slack of those apps' tests, shared."""

from tests.alerts.conftest import source  # noqa: F401  (fixtures)
from tests.chat.conftest import slack, slack_server  # noqa: F401
