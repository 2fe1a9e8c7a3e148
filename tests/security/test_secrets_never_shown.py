"""Every configured secret set to a known string, then every output Warroom can produce scanned for it.

The secrets: target passwords and tokens (environment variable and file references, and a password left in an old
row's URL), a kubeconfig token, an alert source's token, Slack's bot token, signing secret and incoming webhook,
the notification webhook's URL and signing secret, the SMTP password, the passwords in DATABASE_URL and
CELERY_BROKER_URL, SECRET_KEY, another person's calendar token and another person's API token.

The outputs: every GET page and API answer of the URL configuration as a commander, a viewer and a superuser
(the admin's changelist and change form of every registered model included), the schema, /healthz and the
public status page; checks against servers that echo the password back; notifications, Slack calls and the
webhook against peers whose error bodies quote what they were sent; 400, 404 and 500 pages with DEBUG off; and
every log record of every logger at DEBUG level, with its traceback. Each secret is looked for as it is, URL-encoded
and in base64. The one secret shown on purpose — a person's own calendar token, to that person — is checked to be
shown to them and to nobody else.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse
from rest_framework.authtoken.models import Token

from alerts import services as alert_services
from chat import services as chat_services
from chat.models import Operation
from diagnostics import services as run_services
from diagnostics.models import Run
from incidents.models import Entry
from mitigations.services import MitigationError, mitigation_request
from people import services as people_services
from people.models import Notification
from people.notifications import notification_send, notifications_request
from targets.models import Target
from tests.diagnostics.fake_servers import fake_postgres, fake_redis
from tests.serving import serving
from tests.test_permission_matrix import EXEMPT, MATRIX, Row, _memory_watch, _postmortem_world, _recorded_alert, _url
from tests.urlwalk import sample_path, walk

pytestmark = pytest.mark.django_db

# Distinct and recognisable; letters, digits and dashes only, so that HTML and URL escaping leave them as they are.
SECRETS = {
    "target_pg": "S3CRET-target-pg-pass-7Qx1",
    "target_redis": "S3CRET-target-redis-pass-8Rw2",
    "target_http": "S3CRET-target-http-token-9Sv3",
    "target_file": "S3CRET-target-file-pass-1Tu4",
    "target_url": "S3CRET-target-url-pass-2Ut5",
    "kube_token": "S3CRET-kubeconfig-token-3Vs6",
    "alert_token": "",  # made by the app: set below
    "slack_bot": "xoxb-S3CRET-slack-bot-4Wr7",
    "slack_signing": "S3CRET-slack-signing-5Xq8",
    "slack_webhook": "S3CRET-slack-webhook-6Yp9",
    "notify_webhook_url": "S3CRET-notify-webhook-path-7Zo0",
    "notify_webhook_secret": "S3CRET-notify-webhook-secret-8An1",
    "smtp": "S3CRET-smtp-pass-9Bm2",
    "database": "S3CRET-database-pass-0Cl3",
    "broker": "S3CRET-broker-pass-1Dk4",
    "secret_key": "S3CRET-secret-key-2Ej5-long-enough-for-django-0123456789",
    "calendar": "",  # the responder's calendar token: set below
    "drf_token": "",  # the responder's API token: set below
}


def forms(secret: str) -> set[str]:
    """The secret as it is, URL-encoded and in base64 (at each of the three alignments inside a longer string)."""
    found = {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode().rstrip("=")}
    for pad in (1, 2):
        encoded = base64.b64encode(b"\0" * pad + secret.encode()).decode()
        found.add(encoded[4:-4])  # the part that depends on the secret alone
    return {f for f in found if len(f) >= 12}


class Scan:
    """What the test saw, by where it saw it; `leaks()` names each secret found and where."""

    def __init__(self) -> None:
        self.outputs: list[tuple[str, str]] = []
        self.allowed: dict[str, set[str]] = {}  # secret name -> the places where showing it is the point

    def add(self, where: str, text: Any) -> None:
        self.outputs.append((where, text if isinstance(text, str) else repr(text)))

    def response(self, where: str, response) -> None:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        self.add(where, body.decode(errors="replace"))
        self.add(f"{where} headers", "\n".join(f"{k}: {v}" for k, v in response.headers.items()))

    def leaks(self, secrets: dict[str, str]) -> list[str]:
        found = []
        for name, secret in secrets.items():
            for form in forms(secret):
                for where, text in self.outputs:
                    if form in text and where not in self.allowed.get(name, set()):
                        found.append(f"{name} ({form!r}) in {where}: …{_around(text, form)}…")
        return found


def _around(text: str, form: str) -> str:
    i = text.index(form)
    return text[max(0, i - 120):i + len(form) + 60]


class _Capture(logging.Handler):
    def __init__(self, scan: Scan) -> None:
        super().__init__(logging.DEBUG)
        self.scan = scan
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.scan.add(f"log {record.name}", self.format(record))
        self.scan.add(f"log {record.name} (record)", {k: v for k, v in vars(record).items() if k != "exc_info"})


LOGGERS = ("", "django", "django.request", "django.server", "django.security", "celery", "kombu", "kubernetes",
           "urllib3", "slack_sdk", "psycopg", "redis", "asyncio", "mail", "warroom")


@pytest.fixture
def scan() -> Iterator[Scan]:
    """Every log record of every logger, at DEBUG, for the whole test (a handler on the root and on the named ones,
    in case one stops propagating)."""
    seen = Scan()
    handler = _Capture(seen)
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate, logger.disabled))
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if name:
            logger.propagate = False
        logger.addHandler(handler)
    yield seen
    for logger, level, propagate, disabled in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled


class _EchoHandler(BaseHTTPRequestHandler):
    """Any method, any path: a 500 (or the status the path asks for) whose body quotes everything it was sent."""

    def _echo(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(f"{self.command} {self.path}\n{self.headers}\n{body.decode(errors='replace')}")
        status = 404 if "/hook" in self.path or "/services" in self.path else 500
        text = json.dumps({"ok": False, "error": "invalid_auth",
                           "echo": f"{self.command} {self.path}\n{self.headers}\n{body.decode(errors='replace')}"})
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _echo

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def echo_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    server.received = []  # type: ignore[attr-defined]
    with serving(server, release=threading.Event()):
        yield server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def secrets(settings, monkeypatch, tmp_path, scan, commander, responder, viewer) -> dict[str, str]:
    """Every secret configured with its known string; the people and the objects the pages show."""
    values = dict(SECRETS)
    settings.SECRET_KEY = values["secret_key"]
    settings.EMAIL_HOST_PASSWORD = values["smtp"]
    settings.SLACK_BOT_TOKEN = values["slack_bot"]
    settings.SLACK_SIGNING_SECRET = values["slack_signing"]
    settings.SLACK_WEBHOOK_URL = f"https://hooks.slack.invalid/services/T0/B0/{values['slack_webhook']}"
    settings.NOTIFY_WEBHOOK_URL = f"https://hooks.example.invalid/hook/{values['notify_webhook_url']}"
    settings.NOTIFY_WEBHOOK_SECRET = values["notify_webhook_secret"]
    settings.CELERY_BROKER_URL = f"redis://:{values['broker']}@127.0.0.1:{_free_port()}/7"
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", values["database"])
    monkeypatch.setitem(settings.DATABASES["default"], "PASSWORD", values["database"])
    settings.DATABASE_URL = f"postgres://postgres:{values['database']}@127.0.0.1:5432/warroom"

    monkeypatch.setenv("WARROOM_TARGET_PG_PASS", values["target_pg"])
    monkeypatch.setenv("WARROOM_TARGET_REDIS_PASS", values["target_redis"])
    monkeypatch.setenv("WARROOM_TARGET_HTTP_TOKEN", values["target_http"])
    settings.TARGETS_SECRET_DIR = tmp_path
    (tmp_path / "shop-db-pass").write_text(values["target_file"])
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: prod\n"
        "clusters: [{name: prod, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        f"users: [{{name: ops, user: {{token: {values['kube_token']}}}}}]\n"
        "contexts: [{name: prod, context: {cluster: prod, user: ops, namespace: shop}}]\n")
    Target.objects.create(name="shop-db", kind="postgres", url="postgres://app@db.internal:5432/shop",
                          secret_env="WARROOM_TARGET_PG_PASS")
    Target.objects.create(name="shop-cache", kind="redis", url="redis://cache.internal:6379/0",
                          secret_env="WARROOM_TARGET_REDIS_PASS")
    Target.objects.create(name="shop-web", kind="http", url="https://shop.example.com/healthz",
                          secret_env="WARROOM_TARGET_HTTP_TOKEN")
    Target.objects.create(name="shop-replica", kind="postgres", url="postgres://app@replica.internal:5432/shop",
                          secret_file="shop-db-pass")
    # A row from before the "no password in the URL" rule (clean() refuses it now; the row is still there).
    Target.objects.create(name="legacy-db", kind="postgres",
                          url=f"postgres://app:{values['target_url']}@legacy.internal:5432/shop")
    Target.objects.create(name="shop-k8s", kind="kubernetes", kubeconfig=str(kubeconfig), namespace="shop",
                          deployment="shop-api")

    _source, values["alert_token"] = alert_services.source_create(name="prometheus", by=commander)
    values["calendar"] = people_services.calendar_token_regenerate(by=responder).token
    values["drf_token"] = Token.objects.create(user=responder).key
    # The commander's own calendar token is theirs to see; it is only checked not to leak to others.
    own_calendar = people_services.calendar_token_regenerate(by=commander).token
    values["commander_calendar"] = own_calendar
    return values


def _world(make_incident, commander, responder) -> dict[str, Any]:
    """The objects the permission matrix's URLs point at (its `world`, without the Kubernetes API server)."""
    incident = make_incident(acknowledge=True)
    target = Target.objects.get(name="shop-db")
    objects: dict[str, Any] = {
        "incident": incident.pk, "detected": make_incident(title="Unacknowledged").pk, "playbook": "api-timeout",
        "name": "SEV1", "run": Run.objects.create(incident=incident, check_name="postgres.connections",
                                                  target=target).pk}
    objects["watch"] = _memory_watch(incident, responder).pk
    objects |= _postmortem_world(incident, make_incident, commander)
    objects["alert"] = _recorded_alert().pk
    return objects


def _get_everything(client, scan: Scan, who: str, world: dict[str, Any]) -> int:
    """Every GET row of the permission matrix, every exempt URL that takes no argument, and the public pages."""
    seen = 0
    rows = [(name, row) for name, rows in MATRIX.items() for row in rows if row.method == "get" and not row.cluster]
    rows += [(name, Row("view", "get")) for name in sorted(EXEMPT - {"logout", "people:rotation_ics",
                                                                     "people:contact_ics"})]
    for name, row in rows:
        if name.endswith("_stream"):
            continue  # a stream never ends; its events carry what the _live partials do (fetched here)
        url = _url(name, row, world)
        response = client.get(url)
        assert response.status_code < 500, f"{who} GET {url}: {response.status_code}"
        scan.response(f"{who} GET {url}", response)
        seen += 1
    return seen


def _admin_everything(client, scan: Scan) -> int:
    """The changelist, the add form and the change form of every model registered in the admin."""
    seen = 0
    for model, _model_admin in admin.site._registry.items():
        meta = model._meta
        urls = [reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")]
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        for obj in model._default_manager.all()[:5]:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk]))
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 403), f"superuser GET {url}: {response.status_code}"
            scan.response(f"superuser GET {url}", response)
            seen += 1
    return seen


def _walked(client, scan: Scan, who: str) -> None:
    """Every pattern of the URL configuration at its sample path (ids "1" or "x", DRF's .json suffixes, the
    admin's own pages): whatever each answers, never a 500 and never a secret."""
    for walked in walk():
        if "stream" in walked.name or walked.name.endswith("logout"):
            continue
        path = sample_path(walked)
        response = client.get(path)
        assert response.status_code < 500, f"{who} GET {path}: {response.status_code}"
        scan.response(f"{who} GET {path}", response)


def assert_no_leak(scan: Scan, secrets: dict[str, str]) -> None:
    leaks = scan.leaks(secrets)
    assert not leaks, "\n".join(leaks[:20])


def test_no_page_api_answer_or_admin_form_shows_a_secret(client, secrets, scan, make_incident, commander, responder,
                                                         viewer):
    world = _world(make_incident, commander, responder)
    seen = 0
    for who, user in (("commander", commander), ("viewer", viewer)):
        client.force_login(user)
        seen += _get_everything(client, scan, who, world)
        _walked(client, scan, who)
    # The commander's own calendar token is on their own contacts page, on purpose.
    client.force_login(commander)
    own = client.get(reverse("people:contacts"))
    assert secrets["commander_calendar"] in own.content.decode()
    scan.allowed["commander_calendar"] = {f"commander GET {reverse('people:contacts')}"}

    root = User.objects.create_superuser(username="root", password="root-password", email="root@example.com")
    client.force_login(root)
    seen += _admin_everything(client, scan)
    client.logout()
    for url in ("/healthz", reverse("status:page"), reverse("status:summary"), "/accounts/login/"):
        scan.response(f"anonymous GET {url}", client.get(url))
    assert seen > 150  # the walk really walked
    assert_no_leak(scan, secrets)


@pytest.fixture
def incident(make_incident):
    return make_incident(title="Checkout slow", severity="SEV1", acknowledge=True)


def _run(incident, target: Target, check: str, by) -> Run:
    run = run_services.run_request(incident=incident, check=check, target=target, by=by)
    assert run_services.run_claim(run.pk)
    return run_services.run_execute(run.pk)


def test_failing_checks_notifications_and_slack_calls_quote_no_secret(client, secrets, scan, incident, responder,
                                                                      commander, notify_directory, settings, api,
                                                                      tmp_path):
    # Checks against servers that echo the password they were sent.
    with fake_postgres() as pg, fake_redis() as redis_server, echo_server() as http:
        port = pg.server_address[1]
        pg_target = Target.objects.create(name="echo-pg", kind="postgres", url=f"postgres://probe@127.0.0.1:{port}/x",
                                          secret_env="WARROOM_TARGET_PG_PASS", timeout_seconds=3)
        file_target = Target.objects.create(name="echo-pg-file", kind="postgres", secret_file="shop-db-pass",
                                            url=f"postgres://probe@127.0.0.1:{port}/x", timeout_seconds=3)
        redis_target = Target.objects.create(name="echo-redis", kind="redis", secret_env="WARROOM_TARGET_REDIS_PASS",
                                             url=f"redis://127.0.0.1:{redis_server.server_address[1]}/0",
                                             timeout_seconds=3)
        http_target = Target.objects.create(name="echo-http", kind="http", url=f"{http.url}/healthz",
                                            secret_env="WARROOM_TARGET_HTTP_TOKEN", timeout_seconds=3)
        legacy = Target.objects.create(name="echo-legacy", kind="postgres", timeout_seconds=3,
                                       url=f"postgres://probe:{secrets['target_url']}@127.0.0.1:{port}/x")
        runs = [_run(incident, pg_target, "postgres.connections", responder),
                _run(incident, file_target, "postgres.connections", responder),
                _run(incident, redis_target, "redis.memory", responder),
                _run(incident, http_target, "http.health", responder),
                _run(incident, legacy, "postgres.connections", responder)]
        assert secrets["target_pg"] in pg.received and secrets["target_file"] in pg.received

        # A cluster whose API server quotes the kubeconfig's bearer token back: a check and a mitigation's preview.
        kubeconfig = tmp_path / "echo-kubeconfig"
        kubeconfig.write_text((tmp_path / "kubeconfig").read_text().replace("http://127.0.0.1:9", http.url))
        cluster = Target.objects.create(name="echo-k8s", kind="kubernetes", kubeconfig=str(kubeconfig),
                                        namespace="shop", deployment="shop-api", timeout_seconds=3)
        runs.append(_run(incident, cluster, "kubernetes.pods", responder))
        with pytest.raises(MitigationError) as refused:
            mitigation_request(incident=incident, action="kubernetes.rollout_undo", target=cluster, params={},
                               by=commander)
        scan.add("mitigation preview error", str(refused.value))
        assert "Preview failed" in str(refused.value)
        assert redis_server.received and redis_server.received[0][-1] == secrets["target_redis"]

        # Notifications: Slack's incoming webhook, the signed webhook and email, each failing with its secret quoted.
        settings.SLACK_WEBHOOK_URL = f"{http.url}/services/T0/B0/{secrets['slack_webhook']}"
        settings.NOTIFY_WEBHOOK_URL = f"{http.url}/hook/{secrets['notify_webhook_url']}"
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER = "127.0.0.1", _free_port(), "warroom"
        settings.NOTIFY_TIMEOUT = 2
        notifications_request(incident=incident, event="SEV1:L1", level=1, round=0, contacts=[notify_directory.cto],
                              now=incident.declared_at)
        sent = Notification.objects.filter(incident=incident)
        assert {n.channel for n in sent} >= {"slack", "webhook", "email"}
        for notification in sent:
            assert notification_send(notification.pk, final=True).status == "failed"

        # Slack's Web API answering with the bot token (sent in the Authorization header) quoted back.
        settings.SLACK_API_URL = f"{http.url}/api/"
        settings.SLACK_TIMEOUT = 2
        chat_services.room_request(incident_id=incident.pk, by_id=commander.pk)
        for operation in Operation.objects.filter(incident=incident):
            chat_services.operation_run(operation.pk, final=True)
        assert Operation.objects.filter(incident=incident).exclude(last_error="").exists()
        # Each peer really was sent its secret, and so really could quote it back.
        sent = "\n".join(http.received)
        for name in ("target_http", "slack_webhook", "notify_webhook_url", "slack_bot", "kube_token"):
            assert secrets[name] in sent, name

    for run in runs:
        run.refresh_from_db()
        # The HTTP check runs and reports the 500 it got (quoting the token back) as unhealthy; the others fail.
        assert run.status == (Run.Status.SUCCEEDED if run.check_name == "http.health" else Run.Status.FAILED)
        scan.add(f"run {run.pk}", [run.error, run.summary, run.text, run.columns, run.rows])
    for entry in Entry.objects.all():
        scan.add(f"entry {entry.pk}", [entry.text, entry.data])
    for notification in Notification.objects.all():
        scan.add(f"notification {notification.pk}", notification.last_error)
    for operation in Operation.objects.all():
        scan.add(f"operation {operation.pk}", vars(operation))
    for who in (commander, responder):
        client.force_login(who)
        for url in (reverse("incidents:detail", args=[incident.pk]), f"/api/incidents/{incident.pk}/timeline/",
                    f"/api/incidents/{incident.pk}/runs/", f"/api/incidents/{incident.pk}/notifications/",
                    *[f"/api/runs/{run.pk}/" for run in runs]):
            response = client.get(url)
            assert response.status_code == 200, url
            scan.response(f"{who} GET {url}", response)
    assert_no_leak(scan, secrets)


@pytest.mark.urls("tests.warroom.boom_urls")
def test_error_pages_show_no_secret(client, secrets, scan, commander, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    client.force_login(commander)
    legacy_url = f"postgres://app:{secrets['target_url']}@db.internal/shop"
    for method, path, data in (("post", "/boom/", {"target": legacy_url}), ("get", "/api/boom/", None),
                               ("get", "/api/drf-boom/", None), ("get", "/no-such-page/", None),
                               ("get", "/api/refuses/", None)):
        response = getattr(client, method)(path, data) if data else getattr(client, method)(path)
        assert response.status_code in (400, 404, 500), (path, response.status_code)
        scan.response(f"{method} {path}", response)
    bad_host = client.get("/", HTTP_HOST="evil.invalid")  # DisallowedHost: a 400
    assert bad_host.status_code == 400
    scan.response("bad host", bad_host)
    assert_no_leak(scan, secrets)


@pytest.mark.django_db(transaction=True)
def test_a_real_workers_log_at_debug_quotes_no_secret(secrets, scan, make_incident, responder, notify_directory,
                                                     settings, tmp_path):
    """The worker runs a check against a server echoing the password and sends notifications to peers quoting
    their secrets, at LOG_LEVEL=DEBUG with every secret in its environment; its whole log is scanned."""
    from tests.workers import poll, start_worker

    queue = f"secrets-{tmp_path.name}"
    settings.DIAGNOSTICS_QUEUE = settings.NOTIFY_QUEUE = settings.SLACK_QUEUE = queue
    settings.SLACK_BOT_TOKEN = ""  # no Slack room from this process: only the worker's notifications
    with fake_postgres() as pg, fake_redis() as redis_server, echo_server() as http:
        slack_hook = f"{http.url}/services/T0/B0/{secrets['slack_webhook']}"
        hook = f"{http.url}/hook/{secrets['notify_webhook_url']}"
        settings.SLACK_WEBHOOK_URL, settings.NOTIFY_WEBHOOK_URL, settings.EMAIL_HOST = slack_hook, hook, ""
        env = {"LOG_LEVEL": "DEBUG", "SECRET_KEY": secrets["secret_key"], "EMAIL_HOST": "",
               "EMAIL_HOST_PASSWORD": secrets["smtp"], "WARROOM_SLACK_WEBHOOK_URL": slack_hook,
               "WARROOM_NOTIFY_WEBHOOK_URL": hook, "WARROOM_NOTIFY_WEBHOOK_SECRET": secrets["notify_webhook_secret"],
               "WARROOM_SLACK_SIGNING_SECRET": secrets["slack_signing"], "WARROOM_DIAGNOSTICS_QUEUE": queue,
               "WARROOM_NOTIFY_QUEUE": queue, "WARROOM_SLACK_QUEUE": queue, "WARROOM_SECRET_DIR": str(tmp_path)}
        # The worker's DATABASE_URL carries the database password (the server trusts local logins and ignores it).
        worker = start_worker(tmp_path, env=env, queue=queue, concurrency=1, loglevel="DEBUG")
        try:
            incident = make_incident(title="Checkout slow", severity="SEV1", acknowledge=True)
            target = Target.objects.create(name="echo-pg", kind="postgres", timeout_seconds=3,
                                           url=f"postgres://probe@127.0.0.1:{pg.server_address[1]}/x",
                                           secret_env="WARROOM_TARGET_PG_PASS")
            run = run_services.run_request(incident=incident, check="postgres.connections", target=target,
                                           by=responder)
            cache = Target.objects.create(name="echo-redis", kind="redis", secret_env="WARROOM_TARGET_REDIS_PASS",
                                          url=f"redis://127.0.0.1:{redis_server.server_address[1]}/0",
                                          timeout_seconds=3)
            redis_run = run_services.run_request(incident=incident, check="redis.memory", target=cache, by=responder)
            notifications_request(incident=incident, event="SEV1:L1", level=1, round=0,
                                  contacts=[notify_directory.cto], now=incident.declared_at)
            poll(lambda: Run.objects.filter(pk__in=[run.pk, redis_run.pk], status=Run.Status.FAILED).count() == 2,
                 timeout=30, what="the checks failed")
            poll(lambda: not Notification.objects.filter(incident=incident, finished_at__isnull=True).exists(),
                 timeout=30, what="the notifications ended")
        finally:
            worker.terminate()
            worker.wait(timeout=20)
        assert secrets["target_pg"] in pg.received and redis_server.received[0][-1] == secrets["target_redis"]
        assert secrets["slack_webhook"] in "\n".join(http.received)
    log = (tmp_path / "celery-worker.log").read_text()
    # It was the worker that ran them, logging at DEBUG: redis-py's own DEBUG line quoting the server is there,
    # masked.
    assert "execute_run" in log and "invalid username-password pair: got ****" in log
    scan.add("worker log", log)
    for each in Run.objects.all():
        scan.add(f"run {each.pk}", vars(each))
    for notification in Notification.objects.all():
        scan.add(f"notification {notification.pk}", notification.last_error)
    assert_no_leak(scan, secrets)
