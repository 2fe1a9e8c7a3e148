"""The lifecycle rules, as services enforce them for every caller."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import services
from incidents.models import Entry, Incident, Source, Status
from incidents.services import TransitionError


def kinds(incident):
    return list(incident.entries.order_by("pk").values_list("kind", flat=True))


def test_declare_opens_detected_incident_with_war_room_and_clock(commander, sev):
    incident = services.incident_declare(by=commander, title="  Site down ", severity=sev["SEV2"],
                                         source=Source.MONITORING_ALERT, users_affected=5000)
    assert incident.status == Status.DETECTED
    assert incident.title == "Site down"
    assert incident.war_room == f"#incident-{timezone.localtime(incident.declared_at):%Y%m%d}"
    assert incident.response_due_at == incident.declared_at + dt.timedelta(minutes=15)
    assert incident.acknowledged_at is None
    assert kinds(incident) == [Entry.Kind.DECLARED]
    assert incident.entries.get().author == commander


def test_second_and_third_incident_that_day_get_numbered_war_rooms(make_incident):
    rooms = [make_incident(title=f"Incident {n}").war_room for n in range(3)]
    assert rooms[1] == rooms[0] + "-2"
    assert rooms[2] == rooms[0] + "-3"


def test_declare_without_title_is_refused(commander, sev):
    with pytest.raises(ValidationError):
        services.incident_declare(by=commander, title="   ", severity=sev["SEV3"])
    assert not Incident.objects.exists()


def test_sev1_declared_and_acknowledged_in_one_step_meets_the_sla(commander, sev):
    incident = services.incident_declare(by=commander, title="DB corruption", severity=sev["SEV1"], acknowledge=True)
    assert incident.status == Status.TRIAGE
    assert incident.acknowledged_at == incident.declared_at == incident.response_due_at
    assert incident.sla_breached is False
    assert incident.commander == commander
    assert kinds(incident) == [Entry.Kind.DECLARED, Entry.Kind.ACKNOWLEDGED]


def test_sev1_opened_without_acknowledging_is_overdue_at_once(commander, sev):
    incident = services.incident_declare(by=commander, title="Site down", severity=sev["SEV1"])
    assert incident.status == Status.DETECTED
    assert incident.sla_breached is True


def test_acknowledge_stops_the_clock_and_takes_command(make_incident, responder, commander):
    incident = make_incident(severity="SEV2")
    incident = services.incident_acknowledge(incident=incident, by=commander)
    assert incident.status == Status.TRIAGE
    assert incident.acknowledged_at is not None
    assert incident.sla_breached is False
    assert incident.commander == commander


def test_acknowledge_after_deadline_marks_breach_for_good(make_incident, commander):
    incident = make_incident(severity="SEV2")
    Incident.objects.filter(pk=incident.pk).update(
        declared_at=timezone.now() - dt.timedelta(minutes=40), response_due_at=timezone.now() - dt.timedelta(minutes=25)
    )
    incident = services.incident_acknowledge(incident=incident, by=commander)
    assert incident.sla_breached is True
    assert incident.breach_recorded_at is not None
    entry = incident.entries.get(kind=Entry.Kind.ACKNOWLEDGED)
    assert "breached" in entry.text and entry.data["late_seconds"] >= 25 * 60
    # Later steps do not un-breach it.
    incident = services.incident_transition(incident=incident, to="investigating", by=commander)
    assert Incident.objects.get(pk=incident.pk).sla_breached is True


def test_acknowledge_twice_is_refused(make_incident, commander):
    incident = make_incident(acknowledge=True)
    with pytest.raises(TransitionError, match="Already acknowledged"):
        services.incident_acknowledge(incident=incident, by=commander)


def test_full_lifecycle_records_each_step(make_incident, commander):
    incident = make_incident(acknowledge=True)
    for step in ("investigating", "mitigating", "monitoring"):
        incident = services.incident_transition(incident=incident, to=step, by=commander)
        assert incident.status == step
        assert getattr(incident, services.STEP_FIELD[step]) is not None
    Incident.objects.filter(pk=incident.pk).update(monitoring_at=timezone.now() - dt.timedelta(minutes=31))
    incident = services.incident_transition(incident=incident, to="resolved", by=commander)
    assert incident.status == Status.RESOLVED and incident.resolved_at is not None
    assert kinds(incident) == ["declared", "acknowledged", "status", "status", "status", "status"]
    assert incident.version == 6


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("detected", "investigating"),
        ("triage", "mitigating"),
        ("triage", "resolved"),
        ("investigating", "monitoring"),
        ("investigating", "triage"),
        ("monitoring", "mitigating"),
        ("resolved", "investigating"),
    ],
)
def test_moves_outside_the_lifecycle_are_refused_with_a_message(make_incident, commander, start, to):
    incident = make_incident(status=None if start in ("detected", "triage") else start, acknowledge=start != "detected")
    before = kinds(incident)
    with pytest.raises(TransitionError, match="Cannot move from"):
        services.incident_transition(incident=incident, to=to, by=commander)
    assert Incident.objects.get(pk=incident.pk).status == start
    assert kinds(incident) == before


def test_unknown_status_is_a_validation_error(make_incident, commander):
    with pytest.raises(ValidationError):
        services.incident_transition(incident=make_incident(), to="exploded", by=commander)


@pytest.mark.parametrize("start", ["mitigating", "monitoring"])
def test_back_to_investigating_when_a_fix_fails(make_incident, commander, start):
    incident = make_incident(status=start)
    incident = services.incident_transition(incident=incident, to="investigating", by=commander,
                                            reason="Rollback did not help")
    assert incident.status == Status.INVESTIGATING
    entry = incident.entries.latest("pk")
    assert entry.data == {"from": start, "to": "investigating", "reason": "Rollback did not help"}


def test_resolving_before_30_minutes_of_monitoring_needs_a_reason(make_incident, commander):
    incident = make_incident(status="monitoring")
    with pytest.raises(TransitionError, match="Monitor for 30 minutes"):
        services.incident_transition(incident=incident, to="resolved", by=commander)
    incident = services.incident_transition(incident=incident, to="resolved", by=commander,
                                            reason="Customer confirmed the fix")
    assert incident.status == Status.RESOLVED
    assert incident.entries.latest("pk").data["override"] == "Customer confirmed the fix"


def test_detected_to_triage_through_transition_acknowledges(make_incident, commander):
    incident = services.incident_transition(incident=make_incident(), to="triage", by=commander)
    assert incident.status == Status.TRIAGE and incident.acknowledged_at is not None


def test_severity_change_before_acknowledging_moves_the_deadline(make_incident, commander, sev):
    incident = make_incident(severity="SEV3")
    incident = services.incident_change_severity(incident=incident, severity=sev["SEV1"], by=commander,
                                                 reason="Spreading to all regions")
    assert incident.severity == sev["SEV1"]
    assert incident.response_due_at == incident.declared_at
    entry = incident.entries.latest("pk")
    assert entry.kind == Entry.Kind.SEVERITY and entry.data["from"] == "SEV3" and entry.data["to"] == "SEV1"


def test_severity_change_after_acknowledging_keeps_the_stopped_clock(make_incident, commander, sev):
    incident = make_incident(severity="SEV3", acknowledge=True)
    due = incident.response_due_at
    incident = services.incident_change_severity(incident=incident, severity=sev["SEV1"], by=commander)
    assert incident.response_due_at == due
    assert incident.sla_breached is False


def test_roles_are_assigned_and_cleared(make_incident, commander, responder, second_commander):
    incident = make_incident()
    incident = services.incident_assign_role(incident=incident, role="scribe", user=second_commander, by=commander)
    incident = services.incident_assign_role(incident=incident, role="communications_lead", user=responder,
                                             by=commander)
    assert incident.scribe == second_commander and incident.communications_lead == responder
    incident = services.incident_assign_role(incident=incident, role="scribe", user=None, by=commander)
    assert Incident.objects.get(pk=incident.pk).scribe is None
    assert kinds(incident).count(Entry.Kind.ROLE) == 3


def test_role_for_someone_who_cannot_see_incidents_is_refused(make_incident, commander, outsider):
    with pytest.raises(ValidationError, match="cannot see incidents"):
        services.incident_assign_role(incident=make_incident(), role="commander", user=outsider, by=commander)


def test_resolved_incident_refuses_changes_but_takes_notes(make_incident, commander, sev):
    incident = make_incident(status="resolved")
    with pytest.raises(TransitionError, match="resolved"):
        services.incident_change_severity(incident=incident, severity=sev["SEV1"], by=commander)
    entry = services.timeline_note(incident=incident, by=commander, text="Post-mortem scheduled")
    assert entry.kind == Entry.Kind.NOTE


def test_update_records_what_changed(make_incident, commander):
    incident = make_incident()
    incident = services.incident_update(incident=incident, by=commander, users_affected=1200, title="Checkout down")
    entry = incident.entries.latest("pk")
    assert entry.kind == Entry.Kind.EDITED
    assert entry.data["before"]["users_affected"] is None and entry.data["after"]["users_affected"] == 1200


def test_every_change_bumps_the_version_pages_poll(make_incident, commander):
    incident = make_incident()
    version = incident.version
    services.timeline_note(incident=incident, by=commander, text="Looking at Grafana")
    assert Incident.objects.get(pk=incident.pk).version == version + 1


def test_timeline_entries_cannot_be_edited_or_deleted(make_incident, commander):
    entry = services.timeline_note(incident=make_incident(), by=commander, text="first")
    entry.text = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    assert Entry.objects.get(pk=entry.pk).text == "first"


def test_empty_note_is_refused(make_incident, commander):
    with pytest.raises(ValidationError):
        services.timeline_note(incident=make_incident(), by=commander, text="   ")


def test_sla_breach_is_recorded_once_for_unacknowledged_incidents(make_incident):
    late = make_incident(severity="SEV2")
    on_time = make_incident(severity="SEV3")
    Incident.objects.filter(pk=late.pk).update(response_due_at=timezone.now() - dt.timedelta(minutes=1))
    assert services.sla_breaches_record() == 1
    assert services.sla_breaches_record() == 0
    entry = late.entries.get(kind=Entry.Kind.SLA_BREACHED)
    assert entry.author is None and "Engineering Manager" in entry.text
    assert not on_time.entries.filter(kind=Entry.Kind.SLA_BREACHED).exists()


# --- A resolved incident's record is closed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [{"title": "Renamed"}, {"summary": "Rewritten"}, {"users_affected": 5}, {"service_affected": "billing"}],
)
def test_resolved_incident_refuses_edits_to_its_record(make_incident, commander, changes):
    incident = make_incident(status="resolved", users_affected=1, service_affected="payments")
    version = Incident.objects.get(pk=incident.pk).version
    with pytest.raises(TransitionError, match="resolved; its details are closed"):
        services.incident_update(incident=incident, by=commander, **changes)
    after = Incident.objects.get(pk=incident.pk)
    assert (after.title, after.summary, after.users_affected, after.service_affected) == (
        incident.title, incident.summary, 1, "payments")
    assert after.version == version


def test_open_incident_in_monitoring_still_takes_edits(make_incident, commander):
    incident = services.incident_update(incident=make_incident(status="monitoring"), by=commander, title="Renamed")
    assert incident.title == "Renamed"


# --- Only people who can act in a role are given it --------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "person", "allowed"),
    [
        ("commander", "commander", True),
        ("commander", "responder", False),
        ("commander", "viewer", False),
        ("scribe", "responder", True),
        ("scribe", "viewer", False),
        ("communications_lead", "responder", True),
        ("communications_lead", "viewer", False),
        ("scribe", "commander", True),
    ],
)
def test_roles_go_only_to_people_who_can_act_in_them(make_incident, people, commander, role, person, allowed):
    incident = make_incident()
    user = people[person]
    if allowed:
        incident = services.incident_assign_role(incident=incident, role=role, user=user, by=commander)
        assert getattr(Incident.objects.get(pk=incident.pk), role) == user
        return
    with pytest.raises(ValidationError, match=f"{person} cannot (run incidents|add notes), so cannot be"):
        services.incident_assign_role(incident=incident, role=role, user=user, by=commander)
    assert getattr(Incident.objects.get(pk=incident.pk), f"{role}_id") in (None, commander.pk)


def test_a_person_given_the_permission_directly_can_take_the_role(make_incident, commander, viewer):
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="add_note"))
    viewer = type(viewer).objects.get(pk=viewer.pk)  # a fresh user: permissions are cached per object
    incident = services.incident_assign_role(incident=make_incident(), role="scribe", user=viewer, by=commander)
    assert incident.scribe == viewer


def test_assignable_users_are_those_who_can_act_in_each_role(people, second_commander, django_user_model):
    from django.contrib.auth.models import Permission

    from incidents.selectors import assignable_users

    direct = django_user_model.objects.create_user("direct")
    direct.user_permissions.add(Permission.objects.get(codename="add_note"))
    django_user_model.objects.create_superuser("root", password="x")
    names = lambda role=None: [u.username for u in assignable_users(role)]  # noqa: E731
    assert names("commander") == ["commander", "deputy", "root"]
    assert names("scribe") == ["commander", "deputy", "direct", "responder", "root"]
    assert names("communications_lead") == names("scribe")
    assert names() == names("scribe")  # viewers and outsiders can take no role


# --- Boundaries of the monitoring gate ---------------------------------------------------------------------------


def _monitoring_since(make_incident, commander):
    incident = make_incident(status="monitoring")
    return Incident.objects.get(pk=incident.pk)


def test_resolving_a_second_before_30_minutes_of_monitoring_is_refused(make_incident, commander):
    incident = _monitoring_since(make_incident, commander)
    just_before = incident.monitoring_at + dt.timedelta(minutes=30) - dt.timedelta(seconds=1)
    with pytest.raises(TransitionError, match="Monitor for 30 minutes before resolving"):
        services.incident_transition(incident=incident, to="resolved", by=commander, at=just_before)
    assert Incident.objects.get(pk=incident.pk).status == Status.MONITORING


def test_resolving_at_exactly_30_minutes_of_monitoring_needs_no_reason(make_incident, commander):
    incident = _monitoring_since(make_incident, commander)
    at_30 = incident.monitoring_at + dt.timedelta(minutes=30)
    incident = services.incident_transition(incident=incident, to="resolved", by=commander, at=at_30)
    assert incident.status == Status.RESOLVED and incident.resolved_at == at_30
    assert "override" not in incident.entries.latest("pk").data


def test_the_monitoring_window_follows_the_setting(make_incident, commander, settings):
    settings.MONITORING_MINUTES = 10
    incident = _monitoring_since(make_incident, commander)
    with pytest.raises(TransitionError, match="Monitor for 10 minutes"):
        services.incident_transition(incident=incident, to="resolved", by=commander,
                                     at=incident.monitoring_at + dt.timedelta(minutes=9, seconds=59))
    services.incident_transition(incident=incident, to="resolved", by=commander,
                                 at=incident.monitoring_at + dt.timedelta(minutes=10))
