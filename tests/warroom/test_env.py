"""Settings from the environment: good values parse, bad ones stop start-up naming the variable."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from warroom import env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def environ(monkeypatch):
    def set_(**values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)
    return set_


def test_postgres_url_becomes_django_settings(environ):
    environ(DATABASE_URL="postgres://app:s%40cret@db.internal:6543/warroom?sslmode=require")
    db = env.env_database("DATABASE_URL", "sqlite:///x")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "warroom", "app", "s@cret", "db.internal", "6543")
    assert db["OPTIONS"] == {"sslmode": "require", "connect_timeout": 3}  # a database that does not answer: a 503


def test_the_url_may_set_its_own_connect_timeout(environ):
    environ(DATABASE_URL="postgres://app@db.internal/warroom?connect_timeout=10")
    assert env.env_database("DATABASE_URL", "sqlite:///x")["OPTIONS"] == {"connect_timeout": "10"}


def test_sqlite_url_makes_its_folder(tmp_path, environ):
    environ(DATABASE_URL=f"sqlite:///{tmp_path}/sub/db.sqlite3")
    db = env.env_database("DATABASE_URL", "sqlite:///x")
    assert db["NAME"] == f"{tmp_path}/sub/db.sqlite3"
    assert (tmp_path / "sub").is_dir()


@pytest.mark.parametrize(
    ("name", "value", "reader", "message"),
    [
        ("DATABASE_URL", "mysql://x/y", lambda: env.env_database("DATABASE_URL", ""), "unsupported scheme"),
        ("DATABASE_URL", "postgres://host:port/db", lambda: env.env_database("DATABASE_URL", ""), "port"),
        ("DEBUG", "maybe", lambda: env.env_bool("DEBUG", False), "not a boolean"),
        ("TIME_ZONE", "Mars/Olympus", lambda: env.env_timezone("TIME_ZONE", "UTC"), "time zone"),
        ("WARROOM_HOLIDAYS", "2026-13-01", lambda: env.env_dates("WARROOM_HOLIDAYS"), "not a date"),
        ("WARROOM_BUSINESS_HOURS", "17:00-09:00", lambda: env.env_hours("WARROOM_BUSINESS_HOURS", "09:00-17:00"),
         "must end after"),
        ("WARROOM_MONITORING_MINUTES", "half", lambda: env.env_int("WARROOM_MONITORING_MINUTES", 30),
         "whole number"),
    ],
)
def test_bad_values_name_the_variable(environ, name, value, reader, message):
    environ(**{name: value})
    with pytest.raises(ImproperlyConfigured, match=message) as raised:
        reader()
    assert name in str(raised.value)


def test_secrets_can_come_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert env.env_str("SECRET_KEY") == "from-a-file"


def test_holidays_and_hours_parse(environ):
    environ(WARROOM_HOLIDAYS="2026-12-25, 2027-01-01", WARROOM_BUSINESS_HOURS="08:30-18:00")
    assert env.env_dates("WARROOM_HOLIDAYS") == [dt.date(2026, 12, 25), dt.date(2027, 1, 1)]
    assert env.env_hours("WARROOM_BUSINESS_HOURS", "09:00-17:00") == (dt.time(8, 30), dt.time(18, 0))


def _check(**environment) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL")}
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, **environment}, timeout=60)


def test_start_up_refuses_production_without_a_secret_key():
    result = _check(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_start_up_with_a_bad_value_names_it():
    result = _check(DEBUG="true", TIME_ZONE="Nowhere/Town")
    assert result.returncode != 0
    assert "TIME_ZONE='Nowhere/Town'" in result.stderr


def test_start_up_with_no_configuration_uses_sqlite_and_a_serverless_broker(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; django.setup(); from django.conf import settings as s; "
         "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")},
             "DEBUG": "true", "WARROOM_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "warroom.settings"},
    )
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"], result.stderr
