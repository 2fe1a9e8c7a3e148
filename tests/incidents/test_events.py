"""incidents.extensions' events: fired once the change commits (never for a rolled-back one), with ids and the
old and new severity, and a failing listener neither fails the change nor silences the others."""

import pytest
from django.db import transaction

from incidents import extensions, services
from incidents.extensions import Event, IncidentEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every event, as a listener registered for all of them hears it (unregistered afterwards)."""
    events: list[IncidentEvent] = []
    listener = events.append
    for event in Event:
        extensions.register_listener(event, listener)
    yield events
    for event in Event:
        extensions.LISTENERS[event].remove(listener)


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
