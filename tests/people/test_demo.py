"""manage.py demo fills the runbook's placeholders and puts the demo users on the on-call rotation, once."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from people import selectors
from people.demo import seed_people
from people.models import Contact, Role

pytestmark = pytest.mark.django_db


def test_demo_names_the_roles_and_rotates_the_demo_users(settings, runbook, capsys):
    settings.DEBUG = True
    call_command("demo")
    assert "rotates between the demo users" in capsys.readouterr().out
    assert [c.name for c in Role.objects.get(name="CTO").holders.all()] == ["Daniel Okafor"]
    assert not Contact.objects.filter(roles__isnull=False, name="Name").exists()
    rotation = Role.objects.get(name="On-Call Engineer").rotation
    assert [m.contact.user.username for m in rotation.members.select_related("contact__user")] == [
        "commander", "responder", "viewer"]
    assert selectors.oncall_now(rotation, timezone.now()) is not None


def test_demo_again_keeps_what_an_admin_changed(settings, runbook):
    settings.DEBUG = True
    call_command("demo", stdout=io.StringIO())
    cto = Contact.objects.get(roles__name="CTO")
    cto.name = "Real CTO"
    cto.save(update_fields=["name"])
    seed_people(io.StringIO())
    cto.refresh_from_db()
    assert cto.name == "Real CTO"
    assert Role.objects.get(name="On-Call Engineer").rotation.members.count() == 3
