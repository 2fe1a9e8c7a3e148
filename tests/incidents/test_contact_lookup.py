"""incidents.extensions.contacts_for_role: a plug-in point other apps answer (people registers one), so a panel can
say whom to call without importing the directory."""

import datetime as dt

import pytest

from incidents import extensions

AT = dt.datetime(2026, 12, 1, 21, 0, tzinfo=dt.UTC)


@pytest.fixture
def lookups(monkeypatch):
    monkeypatch.setattr(extensions, "CONTACT_LOOKUPS", [])
    return extensions.CONTACT_LOOKUPS


def test_no_lookup_no_contacts(lookups):
    assert extensions.contacts_for_role("DBA", AT) == []


def test_lookups_are_merged_normalised_and_registered_once(lookups):
    def directory(name, at):
        assert at == AT
        return [{"name": "Lena", "phone": "+1-555-0103", "extra": "dropped"}] if name == "DBA" else []

    def pager(name, at):
        return [{"name": "Lena", "phone": "+1-555-0103"}, {"name": "DBA pager", "slack": "@dba"}]

    extensions.register_contact_lookup(directory)
    extensions.register_contact_lookup(directory)
    extensions.register_contact_lookup(pager)
    assert len(lookups) == 2
    assert extensions.contacts_for_role("DBA", AT) == [
        {"name": "Lena", "phone": "+1-555-0103", "slack": "", "email": ""},
        {"name": "DBA pager", "phone": "", "slack": "@dba", "email": ""}]


@pytest.mark.django_db
def test_people_answers_with_the_roles_holders(runbook):
    from people.models import Contact, Role

    role, _ = Role.objects.get_or_create(name="DBA")
    role.holders.set([Contact.objects.create(name="Lena Fischer", phone="+1-555-0103", email="lena@example.com")])
    assert extensions.contacts_for_role("dba", AT) == [
        {"name": "Lena Fischer", "phone": "+1-555-0103", "slack": "", "email": "lena@example.com"}]
    role.holders.clear()
    role.slack_handle = "@dba"
    role.save(update_fields=["slack_handle"])
    assert extensions.contacts_for_role("DBA", AT) == [{"name": "DBA", "phone": "", "slack": "@dba", "email": ""}]
    assert extensions.contacts_for_role("Nobody", AT) == []
