"""manage.py demo: development users and sample incidents, never in production."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from incidents.models import Incident

pytestmark = pytest.mark.django_db


def test_demo_refuses_when_debug_is_off(settings, runbook):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo")
    assert not User.objects.exists()


def test_demo_creates_users_once_and_prints_their_passwords_once(settings, runbook, capsys):
    settings.DEBUG = True
    call_command("demo")
    first = capsys.readouterr().out
    assert all(name in first for name in ("commander", "responder", "viewer"))
    commander = User.objects.get(username="commander")
    assert commander.has_perm("incidents.manage_incident")
    assert not User.objects.get(username="viewer").has_perm("incidents.add_note")
    assert Incident.objects.count() == 5  # the four here and post-mortems' resolved one (tests/postmortems)
    assert set(Incident.objects.values_list("status", flat=True)) == {"investigating", "detected", "monitoring",
                                                                       "resolved"}

    call_command("demo")
    second = capsys.readouterr().out
    assert "exist already" in second
    assert Incident.objects.count() == 5
    password = next(line.split()[1] for line in first.splitlines() if line.strip().startswith("commander"))
    assert password not in second and User.objects.get(username="commander").check_password(password)
