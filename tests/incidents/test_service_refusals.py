"""Refusals and records the mutation run (make mutate) found unguarded: each of these once survived a mutant."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.models import Incident, Status
from incidents.services import TransitionError

pytestmark = pytest.mark.django_db


def test_acknowledging_keeps_the_commander_already_assigned(make_incident, commander, second_commander):
    incident = make_incident()
    services.incident_assign_role(incident=incident, role="commander", user=second_commander, by=commander)
    incident = services.incident_acknowledge(incident=Incident.objects.get(pk=incident.pk), by=commander)
    assert incident.commander == second_commander
    assert "took command" not in incident.entries.latest("pk").text


def test_a_resolved_incident_says_it_can_move_nowhere(make_incident, commander):
    incident = make_incident(status="resolved")
    with pytest.raises(TransitionError, match="from here: nothing: it is closed"):
        services.incident_transition(incident=incident, to="investigating", by=commander)


def _monitoring(make_incident):
    return make_incident(status="monitoring")


def test_the_timeline_calls_an_early_resolution_an_override(make_incident, commander):
    incident = services.incident_transition(incident=_monitoring(make_incident), to="resolved", by=commander,
                                            reason="Customer confirmed the fix")
    assert "Override: Customer confirmed the fix" in incident.entries.latest("pk").text


def test_the_timeline_calls_a_reason_after_the_window_a_reason(make_incident, commander):
    incident = _monitoring(make_incident)
    later = incident.monitoring_at + dt.timedelta(minutes=31)
    incident = services.incident_transition(incident=incident, to="resolved", by=commander, reason="All green",
                                            at=later)
    text = incident.entries.latest("pk").text
    assert "Reason: All green" in text and "Override" not in text


def test_an_unknown_role_is_refused_with_the_roles_there_are(make_incident, commander):
    incident = make_incident()
    with pytest.raises(ValidationError, match="Unknown role 'janitor'; choose one of commander"):
        services.incident_assign_role(incident=incident, role="janitor", user=commander, by=commander)


@pytest.mark.parametrize("field", ["status", "severity_id", "commander_id", "resolved_at"])
def test_details_edits_cannot_reach_other_fields(make_incident, commander, field):
    incident = make_incident()
    before = getattr(incident, field)
    with pytest.raises(ValidationError, match="cannot be edited"):
        services.incident_update(incident=incident, by=commander, **{field: None if field != "status" else
                                                                     Status.RESOLVED})
    assert getattr(Incident.objects.get(pk=incident.pk), field) == before


def test_a_note_of_exactly_ten_thousand_characters_is_kept_and_one_more_is_refused(make_incident, responder):
    incident = make_incident()
    services.timeline_note(incident=incident, by=responder, text="x" * 10_000)
    with pytest.raises(ValidationError, match="10"):
        services.timeline_note(incident=incident, by=responder, text="x" * 10_001)
    assert incident.entries.filter(kind="note").count() == 1
