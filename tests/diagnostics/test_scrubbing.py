"""A secret a server echoes back, or a crash quotes, reaches no run field, timeline entry, API answer or log line.

The servers (fake_servers.py) are real sockets speaking just enough PostgreSQL, Redis or HTTP to echo the
password they were sent; nothing in the clients is patched.
"""

from __future__ import annotations

import json
import logging

import pytest

from diagnostics import services
from diagnostics.checks import REGISTRY, CheckError
from diagnostics.checks.base import Check, Result
from diagnostics.models import Run
from targets.models import Target
from targets.secrets import scrub
from tests.diagnostics.fake_servers import fake_http, fake_postgres, fake_redis

pytestmark = pytest.mark.django_db
SECRET = "hunter2-Zq9"  # what the target's environment variable holds
ENV = "WARROOM_TARGET_ECHO"


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv(ENV, SECRET)


@pytest.fixture
def incident(make_incident):
    return make_incident(title="Checkout slow", severity="SEV2", acknowledge=True)


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def run_through_services(incident, target: Target, check: str, by) -> Run:
    run = services.run_request(incident=incident, check=check, target=target, by=by)
    assert services.run_claim(run.pk)
    return services.run_execute(run.pk)


def assert_nowhere(run: Run, incident, api, by, logs) -> None:
    """The secret is in none of the places a person or a log collector could read it."""
    run.refresh_from_db()
    stored = json.dumps([run.error, run.summary, run.text, run.columns, run.rows])
    assert SECRET not in stored
    entries = list(incident.entries.filter(data__run=run.pk).values_list("text", "data"))
    assert entries and SECRET not in json.dumps(entries)
    answer = api(by).get(f"/api/runs/{run.pk}/")
    assert answer.status_code == 200 and SECRET not in answer.content.decode()
    listing = api(by).get(f"/api/incidents/{incident.pk}/runs/")
    assert listing.status_code == 200 and SECRET not in listing.content.decode()
    assert SECRET not in logs.text


def test_the_scrubber_masks_each_secret_and_any_url_password():
    text = f"login as {SECRET} failed; dsn postgres://app:other-pw@db:5432/shop and redis://:x1@cache/0"
    assert scrub(text, SECRET, None, "") == ("login as **** failed; dsn postgres://app:****@db:5432/shop and "
                                             "redis://:****@cache/0")


# --- PostgreSQL -------------------------------------------------------------------------------------------------------


def pg_target(port: int) -> Target:
    return Target.objects.create(name="echo-pg", kind="postgres", url=f"postgres://probe@127.0.0.1:{port}/shop",
                                 secret_env=ENV, timeout_seconds=3)


def test_a_postgres_login_error_echoing_the_password_is_masked_in_the_check_error():
    with fake_postgres() as server:
        target = Target(kind="postgres", url=f"postgres://probe@127.0.0.1:{server.server_address[1]}/shop",
                        secret_env=ENV, timeout_seconds=3)
        with pytest.raises(CheckError) as raised:
            REGISTRY["postgres.connections"].run(target, {"warn_percent": 80, "critical_percent": 95})
    assert server.received == [SECRET]  # the server did get it, and quoted it
    assert "denied the login" in str(raised.value) and 'got "****"' in str(raised.value)
    assert SECRET not in str(raised.value)


def test_a_postgres_error_echoing_the_password_is_nowhere(incident, responder, api, logs):
    with fake_postgres() as server:
        run = run_through_services(incident, pg_target(server.server_address[1]), "postgres.connections", responder)
    assert server.received == [SECRET]
    assert run.status == Run.Status.FAILED and 'got "****"' in run.error
    assert_nowhere(run, incident, api, responder, logs)


# --- Redis ------------------------------------------------------------------------------------------------------------


def test_a_redis_auth_error_echoing_the_password_is_masked_in_the_check_error():
    with fake_redis() as server:
        target = Target(kind="redis", url=f"redis://127.0.0.1:{server.server_address[1]}/0", secret_env=ENV,
                        timeout_seconds=3)
        with pytest.raises(CheckError) as raised:
            REGISTRY["redis.memory"].run(target, {})
    assert server.received[0][-1] == SECRET
    assert "denied access" in str(raised.value) and "got ****" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_a_redis_error_echoing_the_password_is_nowhere(incident, responder, api, logs):
    with fake_redis() as server:
        target = Target.objects.create(name="echo-redis", kind="redis", secret_env=ENV, timeout_seconds=3,
                                       url=f"redis://127.0.0.1:{server.server_address[1]}/0")
        run = run_through_services(incident, target, "redis.memory", responder)
    assert server.received[0][-1] == SECRET
    assert run.status == Run.Status.FAILED and "got ****" in run.error
    assert_nowhere(run, incident, api, responder, logs)


# --- HTTP -------------------------------------------------------------------------------------------------------------


def test_an_http_body_and_redirect_echoing_the_token_are_nowhere(incident, responder, api, logs):
    with fake_http() as server:
        target = Target.objects.create(name="echo-web", kind="http", secret_env=ENV, timeout_seconds=3,
                                       url=f"{server.url}/echo", extra_urls=f"{server.url}/redirect")
        run = run_through_services(incident, target, "http.health", responder)
    assert ("/echo", f"Bearer {SECRET}") in server.received  # the token was sent, and echoed back
    assert (f"/login?token={SECRET}", f"Bearer {SECRET}") in server.received
    assert run.status == Run.Status.SUCCEEDED
    rows = {row[0]: dict(zip(run.columns, row, strict=True)) for row in run.rows}
    assert rows[f"{server.url}/echo"]["body excerpt"] == "upstream refused Authorization: Bearer ****"
    assert rows[f"{server.url}/redirect"]["note"] == f"after 1 redirect to {server.url}/login?token=****"
    assert rows[f"{server.url}/redirect"]["body excerpt"] == "bad token ****"
    assert_nowhere(run, incident, api, responder, logs)


def test_the_token_is_not_sent_to_another_origin_on_redirect():
    with fake_http() as home, fake_http() as elsewhere:
        target = Target(kind="http", url=f"{home.url}/away?to={elsewhere.url}/steal", secret_env=ENV,
                        timeout_seconds=3)
        result = REGISTRY["http.health"].run(target, {})
    assert home.received == [(f"/away?to={elsewhere.url}/steal", f"Bearer {SECRET}")]
    assert elsewhere.received == [("/steal", "")]
    assert result.rows[0][1] == 200


# --- a check that crashes, or whose own message quotes the secret -----------------------------------------------------


class Crashing(Check):
    name, kind, title, runbook = "test.crash", "postgres", "Crashes", "-"

    def run(self, target, params: dict) -> Result:
        secret = target.secret()
        try:
            {}[secret]
        except KeyError as exc:
            raise RuntimeError(f"unexpected reply to password {secret}") from exc


class Leaky(Check):
    name, kind, title, runbook = "test.leaky", "postgres", "Leaks", "-"

    def run(self, target, params: dict) -> Result:
        raise CheckError(f"server said: bad password {target.secret()}")


@pytest.fixture
def test_checks():
    REGISTRY.update({"test.crash": Crashing(), "test.leaky": Leaky()})
    yield
    del REGISTRY["test.crash"], REGISTRY["test.leaky"]


def test_a_crashing_check_logs_a_scrubbed_traceback_and_stores_a_scrubbed_error(incident, responder, api, logs,
                                                                                  test_checks):
    target = Target.objects.create(name="pg", kind="postgres", url="postgres://app@127.0.0.1:1/x", secret_env=ENV)
    run = run_through_services(incident, target, "test.crash", responder)
    assert run.status == Run.Status.FAILED
    assert run.error == ("The check crashed (RuntimeError: unexpected reply to password ****); "
                         "the worker log has details.")
    [record] = [r for r in logs.records if r.name == "diagnostics.services"]
    assert record.levelno == logging.ERROR
    message = record.getMessage()
    assert message.startswith("check test.crash on target pg crashed:\nTraceback (most recent call last):")
    assert "KeyError: '****'" in message and message.endswith("RuntimeError: unexpected reply to password ****")
    assert_nowhere(run, incident, api, responder, logs)


def test_a_check_error_quoting_the_secret_is_scrubbed_when_stored(incident, responder, api, logs, test_checks):
    target = Target.objects.create(name="pg", kind="postgres", url="postgres://app@127.0.0.1:1/x", secret_env=ENV)
    run = run_through_services(incident, target, "test.leaky", responder)
    assert run.error == "server said: bad password ****"
    assert_nowhere(run, incident, api, responder, logs)
