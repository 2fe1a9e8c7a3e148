"""incidents.extensions' events: fired once the change commits (never for a rolled-back one), with ids and the
old and new severity, and a failing listener neither fails the change nor silences the others."""

import pytest
from django.db import transaction

from incidents import extensions, services
from incidents.extensions import Event, IncidentEvent

pytestmark = pytest.mark.django_db


LIFECYCLE = [event for event in Event if event != Event.ENTRY_ADDED]


def _hear(events):
    heard: list[IncidentEvent] = []
    for event in events:
        extensions.register_listener(event, heard.append)
    yield heard
    for event in events:
        extensions.LISTENERS[event].remove(heard.append)


@pytest.fixture
def heard():
    """Every lifecycle event, as a listener registered for all of them hears it (unregistered afterwards)."""
    yield from _hear(LIFECYCLE)


@pytest.fixture
def entries_heard():
    yield from _hear([Event.ENTRY_ADDED])


def test_each_timeline_line_after_the_declaration_is_heard_with_its_id_and_kind_after_it_commits(
        entries_heard, make_incident, commander, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(acknowledge=True)
        note = services.timeline_note(incident=incident, by=commander, text="seen")
        assert entries_heard == []
    ack = incident.entries.get(kind="acknowledged")
    assert [(e.entry_id, e.entry_kind, e.by_id) for e in entries_heard] == [
        (ack.pk, "acknowledged", commander.pk), (note.pk, "note", commander.pk)]
    assert entries_heard[1].at == note.created_at


def test_each_lifecycle_change_is_heard_after_it_commits(heard, make_incident, commander, sev,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(severity="SEV3")
        assert heard == []  # not before the commit
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_change_severity(incident=incident, severity=sev["SEV1"], by=commander)
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_acknowledge(incident=incident, by=commander)
    with django_capture_on_commit_callbacks(execute=True):
        for step in ("investigating", "mitigating", "monitoring", "resolved"):
            incident = services.incident_transition(incident=incident, to=step, by=commander, reason="done")

    assert [e.event for e in heard] == [Event.DECLARED, Event.SEVERITY_CHANGED, Event.ACKNOWLEDGED, Event.RESOLVED]
    assert {e.incident_id for e in heard} == {incident.pk} and {e.by_id for e in heard} == {commander.pk}
    changed = heard[1]
    assert (changed.old_severity_id, changed.new_severity_id) == (sev["SEV3"].pk, sev["SEV1"].pk)
    assert heard[0].at == incident.declared_at and heard[2].at == incident.acknowledged_at
    assert heard[3].at == incident.resolved_at


def test_declaring_and_acknowledging_in_one_step_is_heard_as_both_in_order(heard, make_incident,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(acknowledge=True)
    assert [e.event for e in heard] == [Event.DECLARED, Event.ACKNOWLEDGED]


def test_a_change_that_rolls_back_is_never_heard(heard, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                make_incident()
                raise RuntimeError("the request failed after declaring")
        except RuntimeError:
            pass
    assert heard == []


def test_unchanged_severity_and_other_moves_are_not_events(heard, make_incident, commander, sev,
                                                           django_capture_on_commit_callbacks):
    incident = make_incident(severity="SEV2", acknowledge=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_change_severity(incident=incident, severity=sev["SEV2"], by=commander)
        services.incident_transition(incident=incident, to="investigating", by=commander)
    assert heard == []


def test_a_failing_listener_is_logged_and_the_others_still_hear(heard, make_incident, caplog,
                                                               django_capture_on_commit_callbacks):
    def broken(event):
        raise RuntimeError("listener bug")

    extensions.LISTENERS[Event.DECLARED].insert(0, broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            incident = make_incident()
    finally:
        extensions.LISTENERS[Event.DECLARED].remove(broken)
    assert incident.pk and [e.event for e in heard] == [Event.DECLARED]
    assert "listener bug" in caplog.text


def test_registering_a_listener_twice_calls_it_once(heard, make_incident, django_capture_on_commit_callbacks):
    extensions.register_listener(Event.DECLARED, heard.append)
    with django_capture_on_commit_callbacks(execute=True):
        make_incident()
    assert len(heard) == 1
