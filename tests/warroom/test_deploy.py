"""`manage.py check --deploy` is clean with the documented production settings, and so is the API schema."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client

from warroom import env

ROOT = Path(__file__).resolve().parents[2]
# README, "Production": the variables a deployment behind TLS sets.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-production-secret-for-the-deploy-check-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "warroom.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://warroom.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
}
# The test session sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment does not.
SECURITY = [*PRODUCTION, "SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE"]


def _deploy_check(**environment) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SECURITY}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          capture_output=True, text=True, env={**clean, **environment}, timeout=120)


def test_deploy_check_is_clean_with_the_production_settings():
    result = _deploy_check(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD"])
def test_deploy_check_warns_without_each_setting(missing):
    result = _deploy_check(**{k: v for k, v in PRODUCTION.items() if k != missing})
    assert result.returncode != 0
    assert "security.W" in result.stderr


def test_the_production_settings_send_every_security_header():
    """Under the production settings (a real process, as deployed), over HTTPS as the proxy says; /healthz needs no
    collected static files."""
    script = (
        "import django, os; django.setup();"
        "from django.test import Client; from django.conf import settings;"
        "r = Client().get('/healthz', HTTP_HOST='warroom.example.com', HTTP_X_FORWARDED_PROTO='https');"
        "print(r.status_code); [print(k + ': ' + r.get(k, '')) for k in ("
        "'Strict-Transport-Security', 'X-Frame-Options', 'Referrer-Policy', 'X-Content-Type-Options',"
        "'Content-Security-Policy', 'Cross-Origin-Opener-Policy')];"
        "print('cookies', settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
        " settings.SESSION_COOKIE_HTTPONLY)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in SECURITY}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**clean, **PRODUCTION, "DJANGO_SETTINGS_MODULE": "warroom.settings"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] in ("200", "503")  # /healthz: whatever the database says, the headers are there
    assert "Strict-Transport-Security: max-age=31536000; includeSubDomains; preload" in lines
    assert "X-Frame-Options: DENY" in lines and "Referrer-Policy: same-origin" in lines
    assert "X-Content-Type-Options: nosniff" in lines and "Cross-Origin-Opener-Policy: same-origin" in lines
    csp = next(line for line in lines if line.startswith("Content-Security-Policy: "))
    assert "script-src 'self'" in csp and "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert lines[-1] == "cookies True True True"


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any drf-spectacular warning (an enum name collision, a view without a serializer) into
    # an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    for name in ("IncidentStatusEnum:", "RunStatusEnum:", "MitigationStatusEnum:"):
        assert name in schema


def test_proxy_header_setting(monkeypatch):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto")
    assert env.env_proxy_header("SECURE_PROXY_SSL_HEADER") == ("HTTP_X_FORWARDED_PROTO", "https")
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", "")
    assert env.env_proxy_header("SECURE_PROXY_SSL_HEADER") is None
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https")
    with pytest.raises(ImproperlyConfigured, match=r"SECURE_PROXY_SSL_HEADER.*not a header name"):
        env.env_proxy_header("SECURE_PROXY_SSL_HEADER")


@pytest.mark.django_db
def test_ssl_redirect_spares_the_health_check(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()  # a new client loads the security middleware with these settings
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/healthz").status_code == 200
