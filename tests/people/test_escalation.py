"""The escalation engine against a fixed clock: who is told on declaration, on a severity change, when a level's
time passes, each repeat, and that acknowledging stops it. Sending here is by email into Django's locmem outbox."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from incidents import services
from people import escalation
from people.escalation import escalations_tick
from people.models import ContactChannels, Notification
from people.notifications import notification_send
from tests.people.notify_fixtures import MINUTE

pytestmark = pytest.mark.django_db


@pytest.fixture
def declare(make_incident, notify_directory, notify_email, django_capture_on_commit_callbacks):
    """Declare, then run what the commit would run (the incident events' listeners). The sends they queue on
    commit never leave this test's transaction: the tests send by calling the service."""
    def run(**kwargs):
        with django_capture_on_commit_callbacks() as callbacks:
            incident = make_incident(**kwargs)
        for callback in callbacks:
            callback()
        return incident

    return run


def committed(django_capture_on_commit_callbacks, change):
    with django_capture_on_commit_callbacks() as callbacks:
        result = change()
    for callback in callbacks:
        callback()
    return result


def told(incident, event=None) -> list[str]:
    rows = Notification.objects.filter(incident=incident)
    if event:
        rows = rows.filter(event=event)
    return sorted(rows.values_list("contact__name", flat=True))


def test_declaring_a_sev1_tells_the_oncall_and_level_one_once_each(declare, notify_directory):
    incident = declare(severity="SEV1")
    assert told(incident) == ["Alice", "Carol", "Dave"]
    assert set(Notification.objects.values_list("event", "channel", "status")) == {("SEV1:L1", "email", "queued")}
    assert incident.entries.filter(kind="notification", text__contains="telling Alice, Carol, Dave").exists()


def test_the_oncall_who_holds_a_level_role_too_is_told_once(declare, notify_directory):
    notify_directory.roles["cto"].holders.add(notify_directory.oncall)
    incident = declare(severity="SEV1")
    assert told(incident) == ["Alice", "Carol", "Dave"]


def test_a_sent_email_is_the_runbook_announcement_with_the_incidents_link(declare, notify_directory):
    incident = declare(severity="SEV1", title="Site down")
    for pk in Notification.objects.values_list("pk", flat=True):
        assert notification_send(pk).status == "sent"
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "carol@example.com", "dave@example.com"]
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == "[SEV1] Production Incident: Site down"
    assert "[SEV1] Production Incident" in body and "- What: Site down" in body
    assert f"- War Room: {incident.war_room}" in body and "- Status: Detected" in body
    assert f"https://warroom.example.com/incidents/{incident.pk}/" in body
    assert incident.entries.filter(kind="notification", text__startswith="Notified Alice by email").count() == 1


def test_raising_the_severity_tells_only_the_new_people(declare, notify_directory, commander, sev,
                                                         django_capture_on_commit_callbacks):
    incident = declare(severity="SEV2")
    assert told(incident) == ["Alice"]
    committed(django_capture_on_commit_callbacks,
              lambda: services.incident_change_severity(incident=incident, severity=sev["SEV1"], by=commander))
    assert told(incident, "SEV1:L1") == ["Carol", "Dave"]
    assert told(incident) == ["Alice", "Carol", "Dave"]


def test_lowering_the_severity_tells_nobody_new(declare, notify_directory, commander, sev,
                                                django_capture_on_commit_callbacks):
    incident = declare(severity="SEV1")
    committed(django_capture_on_commit_callbacks,
              lambda: services.incident_change_severity(incident=incident, severity=sev["SEV2"], by=commander))
    assert Notification.objects.filter(incident=incident).count() == 3


def test_a_raise_after_acknowledgement_still_tells_the_new_severitys_first_level(
        declare, notify_directory, commander, sev, django_capture_on_commit_callbacks):
    incident = declare(severity="SEV3", acknowledge=True)
    committed(django_capture_on_commit_callbacks,
              lambda: services.incident_change_severity(incident=incident, severity=sev["SEV1"], by=commander))
    assert told(incident) == ["Alice", "Carol", "Dave"]


def test_once_acknowledged_only_a_first_level_is_told_however_late_it_is(declare, notify_directory, commander):
    incident = declare(severity="SEV2")
    services.incident_acknowledge(incident=incident, by=commander)
    assert escalation.escalation_run(incident_id=incident.pk, now=incident.declared_at + 60 * MINUTE) == []
    assert told(incident) == ["Alice"]


def test_the_next_level_is_told_when_its_time_has_come_not_a_moment_before(declare, notify_directory):
    incident = declare(severity="SEV2")
    due = incident.declared_at + 15 * MINUTE
    escalations_tick(now=due - timezone.timedelta(microseconds=1))
    assert "Bob" not in told(incident)
    escalations_tick(now=due)
    assert told(incident, "SEV2:L2") == ["Bob"]
    assert incident.entries.filter(text__contains="SEV2 escalation level 2: telling Bob. Not acknowledged yet").exists()


def test_two_ticks_for_the_same_moment_write_each_notification_once(declare, notify_directory):
    incident = declare(severity="SEV2")
    later = incident.declared_at + 15 * MINUTE
    assert escalations_tick(now=later) == 3  # level 1's two reminders and level 2
    assert escalations_tick(now=later) == 0
    assert Notification.objects.filter(incident=incident).count() == 4


def test_a_level_repeats_every_interval_up_to_its_maximum(declare, notify_directory):
    incident = declare(severity="SEV2")
    start = incident.declared_at
    escalations_tick(now=start + 5 * MINUTE - timezone.timedelta(microseconds=1))
    assert told(incident) == ["Alice"]
    escalations_tick(now=start + 5 * MINUTE)
    assert told(incident, "SEV2:L1:R1") == ["Alice"]
    escalations_tick(now=start + 10 * MINUTE)
    assert told(incident, "SEV2:L1:R2") == ["Alice"]
    escalations_tick(now=start + 60 * MINUTE)
    assert not Notification.objects.filter(event="SEV2:L1:R3").exists()
    assert Notification.objects.filter(incident=incident, contact__name="Alice").count() == 3


def test_acknowledging_stops_the_escalation_and_cancels_what_was_still_queued(declare, notify_directory, commander,
                                                                            django_capture_on_commit_callbacks):
    incident = declare(severity="SEV2")
    escalations_tick(now=incident.declared_at + 5 * MINUTE)
    reminder = Notification.objects.get(event="SEV2:L1:R1")
    committed(django_capture_on_commit_callbacks,
              lambda: services.incident_acknowledge(incident=incident, by=commander))
    reminder.refresh_from_db()
    assert reminder.status == "cancelled" and reminder.finished_at
    assert notification_send(reminder.pk).status == "cancelled"  # its queued task finds nothing to send
    assert Notification.objects.get(event="SEV2:L1").status == "queued"  # the first telling still goes
    escalations_tick(now=incident.declared_at + 20 * MINUTE)
    assert "Bob" not in told(incident)
    stopped = incident.entries.get(kind="notification", data__event="stopped")
    assert "Escalation stopped: acknowledged" in stopped.text and "1 queued notification cancelled" in stopped.text


def test_resolving_stops_it_too(declare, notify_directory, commander, django_capture_on_commit_callbacks):
    incident = declare(severity="SEV2")
    escalations_tick(now=incident.declared_at + 5 * MINUTE)

    def acknowledge_and_resolve():
        current = services.incident_acknowledge(incident=incident, by=commander)
        for step in ("investigating", "mitigating", "monitoring", "resolved"):
            current = services.incident_transition(incident=current, to=step, by=commander, reason="fixed")
        return current

    committed(django_capture_on_commit_callbacks, acknowledge_and_resolve)
    escalations_tick(now=incident.declared_at + 60 * MINUTE)
    assert told(incident) == ["Alice", "Alice"]
    assert escalation.escalation_run(incident_id=incident.pk, now=incident.declared_at + 60 * MINUTE) == []


def test_declaring_and_acknowledging_at_once_still_tells_level_one(declare, notify_directory):
    incident = declare(severity="SEV1", acknowledge=True)
    assert told(incident) == ["Alice", "Carol", "Dave"]
    escalations_tick(now=incident.declared_at + 30 * MINUTE)
    assert Notification.objects.filter(incident=incident).count() == 3


def test_a_severity_without_a_policy_still_tells_whoever_is_on_call(declare, notify_directory):
    incident = declare(severity="SEV4")
    assert told(incident) == ["Alice"]


def test_a_next_business_day_level_waits_for_the_teams_morning_whatever_each_persons_zone(
        declare, notify_directory, sev, settings):
    """The morning is 09:00 in TIME_ZONE (New York here) for everyone, even for Bob in Tokyo."""
    from people.models import EscalationLevel, EscalationPolicy

    settings.TIME_ZONE, settings.BUSINESS_HOURS = "America/New_York", (dt.time(9), dt.time(17))
    settings.BUSINESS_DAYS, settings.HOLIDAYS = [0, 1, 2, 3, 4], []
    notify_directory.manager.time_zone = "Asia/Tokyo"
    notify_directory.manager.save(update_fields=["time_zone"])
    policy = EscalationPolicy.objects.create(severity=sev["SEV4"])
    level = EscalationLevel.objects.create(policy=policy, number=1, next_business_day=True)
    level.roles.add(notify_directory.roles["manager"])
    incident = declare(severity="SEV4")
    incident.declared_at = dt.datetime(2026, 12, 4, 22, 0, tzinfo=dt.UTC)  # Friday 17:00 in New York
    incident.save(update_fields=["declared_at"])
    assert told(incident) == []  # SEV4's only level waits for the morning
    monday_nine_in_new_york = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)
    assert escalation.next_business_morning(incident.declared_at) == monday_nine_in_new_york
    escalations_tick(now=monday_nine_in_new_york - dt.timedelta(seconds=1))
    assert told(incident) == []
    escalations_tick(now=monday_nine_in_new_york)
    assert told(incident) == ["Alice", "Bob"]


def test_a_contact_is_told_only_on_the_channels_they_have_and_want(declare, notify_directory):
    notify_directory.vp.email = ""
    notify_directory.vp.save(update_fields=["email"])
    ContactChannels.objects.create(contact=notify_directory.cto, email=False)
    incident = declare(severity="SEV1")
    assert told(incident) == ["Alice"]


def test_the_next_step_is_the_soonest_one_to_come_while_nobody_has_acknowledged(declare, notify_directory):
    incident = declare(severity="SEV2")
    levels = escalation.escalation_levels(incident.severity)
    at = incident.declared_at + 12 * MINUTE
    step = escalation.next_step(incident, levels, at)
    assert (step.level.number, step.round, step.due) == (2, 0, incident.declared_at + 15 * MINUTE)
    assert escalation.next_step(incident, levels, incident.declared_at + 15 * MINUTE) is None
    incident.status = "triage"
    assert escalation.next_step(incident, levels, at) is None



def test_one_incidents_broken_escalation_does_not_hold_back_the_others(make_incident, notify_directory,
                                                                      notify_email, sev, caplog):
    from people.models import EscalationPolicy

    carol = notify_directory.cto
    carol.time_zone = "Nowhere/Town"  # saved past the form's validation, by a script
    carol.save(update_fields=["time_zone"])
    ContactChannels.objects.create(contact=carol, quiet_from=timezone.datetime.min.time().replace(hour=22),
                                   quiet_until=timezone.datetime.min.time().replace(hour=7))
    EscalationPolicy.objects.get(severity=sev["SEV3"]).levels.get().roles.add(notify_directory.roles["cto"])
    broken = make_incident(severity="SEV3", title="First")  # quiet hours are looked up: the zone breaks it
    fine = make_incident(severity="SEV2", title="Second")  # SEV2 never waits, so never looks
    assert escalations_tick(now=fine.declared_at + 15 * MINUTE) > 0
    assert told(fine, "SEV2:L2") == ["Bob"] and told(broken) == []
    assert f"escalation of incident {broken.pk} failed" in caplog.text
