"""Timeline entry kinds: incidents' own in Entry.Kind, other apps' registered through incidents.extensions."""

import pytest

from incidents.extensions import ENTRY_KINDS, register_entry_kind
from incidents.models import Entry, entry_kinds
from incidents.services import timeline_record

pytestmark = pytest.mark.django_db


def test_plugins_register_their_kinds_with_labels():
    assert ENTRY_KINDS == {"check": "Check", "mitigation": "Mitigation", "notification": "Notification",
                           "postmortem": "Post-mortem", "alert": "Alert", "slack": "Slack",
                           "status_page": "Status page", "memory_watch": "Memory watch"}
    # incidents names none of its plug-ins' kinds
    assert {"check", "mitigation", "notification", "postmortem", "alert", "slack", "status_page",
            "memory_watch"}.isdisjoint(
        Entry.Kind.values)
    assert ("note", "Note") in entry_kinds()


def test_a_registered_kind_is_recorded_and_shows_its_label(make_incident, responder):
    entry = timeline_record(incident=make_incident(), kind="check", text="ran", by=responder)
    assert Entry.objects.get(pk=entry.pk).get_kind_display() == "Check"


def test_an_unregistered_kind_is_refused_and_nothing_is_written(make_incident, responder):
    incident = make_incident()
    before = incident.entries.count()
    with pytest.raises(ValueError, match="Unknown timeline entry kind 'chekc'"):
        timeline_record(incident=incident, kind="chekc", text="ran", by=responder)
    assert incident.entries.count() == before


def test_a_kind_cannot_be_registered_twice_with_different_labels():
    register_entry_kind("check", "Check")  # the same again: harmless (ready() may run twice in tests)
    with pytest.raises(ValueError):
        register_entry_kind("check", "Diagnostic")
    assert ENTRY_KINDS["check"] == "Check"
