"""Targets: what a saved target may reference and contain, checked when saved and again when a run reads it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from diagnostics import services
from diagnostics.models import Run
from targets.models import Target
from targets.secrets import SecretRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret_dir(tmp_path, settings):
    """The configured secret directory, holding one secret; a file beside it that must stay out of reach."""
    fence = tmp_path / "secrets"
    fence.mkdir()
    (fence / "db-password").write_text("inside-s3cret\n")
    (tmp_path / "outside").write_text("outside-s3cret")
    (tmp_path / "secrets-evil").mkdir()  # shares the fence's name as a string prefix
    (tmp_path / "secrets-evil" / "key").write_text("evil-s3cret")
    settings.TARGETS_SECRET_DIR = fence
    return fence


def pg(**fields) -> Target:
    return Target(**{"name": "prod-db", "kind": "postgres", "url": "postgres://app@127.0.0.1:5432/shop", **fields})


def errors_of(target: Target) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        target.full_clean()
    return raised.value.message_dict


# --- secret_env ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["WARROOM_TARGET_PROD_DB", "WARROOM_TARGET_x1"])
def test_secret_env_with_the_prefix_is_accepted(name):
    pg(secret_env=name).full_clean()


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "WARROOM_TARGET_", "WARROOM_TARGETS_DB",
                                  "warroom_target_db", "XWARROOM_TARGET_DB", "WARROOM_TARGET_DB\nSECRET_KEY"])
def test_secret_env_without_the_prefix_is_refused_when_saved(name):
    assert errors_of(pg(secret_env=name))["secret_env"] == [
        f"{name!r} is not allowed: a target's secret must be in an environment variable named WARROOM_TARGET_…"]


def test_secret_env_stored_before_the_rule_is_refused_when_read(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "the-django-secret-key")
    monkeypatch.setenv("WARROOM_TARGET_DB", "db-password")
    assert pg(secret_env="WARROOM_TARGET_DB").secret() == "db-password"
    with pytest.raises(SecretRefused, match="secret_env 'SECRET_KEY' is not allowed"):
        pg(secret_env="SECRET_KEY").secret()


# --- secret_file ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["db-password", "{fence}/db-password", "{fence}/./db-password"])
def test_secret_file_inside_the_directory_is_accepted_and_read(secret_dir, path):
    target = pg(secret_file=path.format(fence=secret_dir))
    target.full_clean()
    assert target.secret() == "inside-s3cret"


@pytest.mark.parametrize("path", ["../outside", "{fence}/../outside", "{fence}-evil/key", "{tmp}/outside",
                                  "/etc/passwd", "link-out", ".", "{fence}"])
def test_secret_file_outside_the_directory_is_refused_when_saved_and_when_read(secret_dir, path):
    (secret_dir / "link-out").symlink_to(secret_dir.parent / "outside")  # a symlink escaping the fence
    target = pg(secret_file=path.format(fence=secret_dir, tmp=secret_dir.parent))
    [message] = errors_of(target)["secret_file"]
    assert message.endswith(f"is not allowed: a target's secret file must be inside {secret_dir}")
    with pytest.raises(SecretRefused, match="must be inside"):
        target.secret()  # a row stored before the rule is refused too


def test_a_symlink_inside_the_directory_to_a_file_inside_is_fine(secret_dir):
    (secret_dir / "alias").symlink_to(secret_dir / "db-password")
    target = pg(secret_file="alias")
    target.full_clean()
    assert target.secret() == "inside-s3cret"


def test_an_unreadable_secret_file_says_so(secret_dir):
    with pytest.raises(SecretRefused, match="secret_file 'missing' cannot be read: No such file or directory"):
        pg(secret_file="missing").secret()


def test_a_run_on_a_target_stored_before_the_rule_fails_without_reading_the_secret(make_incident, responder,
                                                                                     monkeypatch):
    monkeypatch.setenv("DATABASE_URL_COPY", "postgres://app:db-hunter2@db/shop")
    target = Target.objects.create(name="old", kind="postgres", url="postgres://postgres@127.0.0.1:5432/postgres",
                                   secret_env="DATABASE_URL_COPY")  # create() does not clean: as an old row
    incident = make_incident(acknowledge=True)
    run = services.run_request(incident=incident, check="postgres.connections", target=target, by=responder)
    services.run_claim(run.pk)
    run = services.run_execute(run.pk)
    assert run.status == Run.Status.FAILED
    assert run.error == ("secret_env 'DATABASE_URL_COPY' is not allowed: a target's secret must be in an environment "
                         "variable named WARROOM_TARGET_…")
    assert "hunter2" not in run.error + run.summary + incident.entries.latest("pk").text


# --- URLs ----------------------------------------------------------------------------------------------------------


def web(url: str = "https://shop.example.com/health", extra: str = "") -> Target:
    return Target(name="shop", kind="http", url=url, extra_urls=extra)


def test_good_health_urls_are_accepted():
    web("http://127.0.0.1:8000/healthz", "https://shop.example.com/ready\n\n  http://10.0.0.1/health  ").full_clean()


@pytest.mark.parametrize(("url", "message"), [
    ("https://probe:hunter2@shop.example.com/health",
     "Do not put a password in the URL: name it in secret_env or secret_file."),
    ("https://token@shop.example.com/health",
     "Do not put credentials in a health URL: name the token in secret_env or secret_file."),
    ("ftp://shop.example.com/health", "A health URL must start with http:// or https://."),
    ("shop.example.com/health", "A health URL must start with http:// or https://."),
])
def test_bad_main_health_urls_are_refused(url, message):
    assert errors_of(web(url))["url"] == [message]


@pytest.mark.parametrize(("line", "message"), [
    ("https://probe:hunter2@shop.example.com/ready",
     "https://probe:****@shop.example.com/ready: Do not put a password in the URL: name it in secret_env or "
     "secret_file."),
    ("https://token@shop.example.com/ready",
     "https://token@shop.example.com/ready: Do not put credentials in a health URL: name the token in secret_env "
     "or secret_file."),
    ("file:///etc/passwd", "file:///etc/passwd: A health URL must start with http:// or https://."),
])
def test_bad_extra_health_urls_are_refused_without_echoing_a_password(line, message):
    errors = errors_of(web(extra=f"https://shop.example.com/ready\n{line}"))
    assert errors == {"extra_urls": [message]}
    assert "hunter2" not in str(errors)


def test_a_user_without_password_is_fine_for_a_database():
    pg().full_clean()
    assert errors_of(pg(url="postgres://app:hunter2@db/shop"))["url"] == [
        "Do not put a password in the URL: name it in secret_env or secret_file."]


# --- where targets are edited ----------------------------------------------------------------------------------------

NO_SCALE_LIMITS = {"scale_limits-TOTAL_FORMS": "0", "scale_limits-INITIAL_FORMS": "0"}  # the mitigations inline


def test_the_admin_refuses_a_secret_outside_the_fence(client, secret_dir):
    admin = User.objects.create_superuser("root", password="root-password")
    client.force_login(admin)
    form = {"name": "prod-db", "kind": "postgres", "url": "postgres://app@db/shop", "timeout_seconds": 5,
            "namespace": "default", "enabled": "on", **NO_SCALE_LIMITS,
            "secret_env": "SECRET_KEY"}
    response = client.post("/admin/targets/target/add/", form)
    assert response.status_code == 200
    assert "is not allowed: a target&#x27;s secret must be in an environment variable named WARROOM_TARGET_" in (
        response.content.decode())
    assert not Target.objects.exists()

    response = client.post("/admin/targets/target/add/", {**form, "secret_env": "WARROOM_TARGET_PROD_DB"})
    assert response.status_code == 302 and Target.objects.get().secret_env == "WARROOM_TARGET_PROD_DB"


def test_targets_cannot_be_written_over_the_api(api, commander):
    response = api(commander).post("/api/targets/", {"name": "x", "kind": "postgres", "url": "postgres://db/x",
                                                     "secret_env": "SECRET_KEY"}, format="json")
    assert response.status_code == 405 and not Target.objects.exists()
