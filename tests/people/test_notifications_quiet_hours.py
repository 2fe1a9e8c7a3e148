"""Quiet hours, per contact and in their own time zone: a SEV3/SEV4 message waits until they end (not claimable a
moment before, sent at the moment); SEV1/SEV2 never wait; acknowledging first cancels what waits."""

import datetime as dt

import pytest

from incidents import services
from incidents.extensions import Event
from people import escalation
from people.models import ContactChannels, Notification
from people.notifications import (
    notification_claim,
    notification_send,
    notifications_reap,
    notifications_request,
    quiet_until,
)
from tests.workers import messages_sent

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def night_owl(notify_directory, notify_email):
    """Carol, in Kolkata (UTC+5:30), quiet from 22:00 to 07:00 her time."""
    carol = notify_directory.cto
    carol.time_zone = "Asia/Kolkata"
    carol.save(update_fields=["time_zone"])
    ContactChannels.objects.create(contact=carol, quiet_from=dt.time(22, 0), quiet_until=dt.time(7, 0))
    return carol


def at_kolkata(hour: int, minute: int = 0, day: int = 2) -> dt.datetime:
    """That wall-clock time in Kolkata on 2026-12-<day>, in UTC."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))
                       ).astimezone(UTC)


@pytest.mark.parametrize(("when", "until"), [
    (at_kolkata(21, 59), None),
    (at_kolkata(22, 0), at_kolkata(7, 0, day=3)),  # the start is inside
    (at_kolkata(3, 0), at_kolkata(7, 0)),  # after midnight, the same morning
    (at_kolkata(6, 59), at_kolkata(7, 0)),
    (at_kolkata(7, 0), None),  # the end is outside
])
def test_quiet_hours_across_midnight_in_the_contacts_own_zone(night_owl, when, until):
    assert quiet_until(night_owl, when) == until


def test_a_window_within_one_day_and_none_at_all(notify_directory, notify_email):
    bob = notify_directory.manager
    assert quiet_until(bob, dt.datetime(2026, 12, 2, 13, tzinfo=UTC)) is None  # no row: never quiet
    ContactChannels.objects.create(contact=bob, quiet_from=dt.time(12, 0), quiet_until=dt.time(14, 0))
    bob = type(bob).objects.get(pk=bob.pk)
    assert quiet_until(bob, dt.datetime(2026, 12, 2, 13, tzinfo=UTC)) == dt.datetime(2026, 12, 2, 14, tzinfo=UTC)
    assert quiet_until(bob, dt.datetime(2026, 12, 2, 14, tzinfo=UTC)) is None


def _request(incident, contact, now):
    return notifications_request(incident=incident, event=f"{incident.severity.name}:L1:q", level=1, round=0,
                                 contacts=[contact], now=now)


@pytest.mark.parametrize(("severity", "held"), [("SEV1", False), ("SEV2", False), ("SEV3", True), ("SEV4", True)])
def test_only_sev3_and_sev4_wait_for_quiet_hours_to_end(make_incident, night_owl, severity, held):
    incident = make_incident(severity=severity)
    [row] = _request(incident, night_owl, at_kolkata(23, 0))
    assert row.not_before == (at_kolkata(7, 0, day=3) if held else None)


def test_a_held_message_is_not_sent_a_moment_before_the_end_and_is_at_the_end(make_incident, night_owl):
    incident = make_incident(severity="SEV3")
    [row] = _request(incident, night_owl, at_kolkata(23, 0))
    morning = at_kolkata(7, 0, day=3)
    assert not notification_claim(row.pk, now=morning - dt.timedelta(microseconds=1))
    assert notification_claim(row.pk, now=morning)


def test_a_held_message_is_sent_by_its_task_once_due(make_incident, night_owl):
    incident = make_incident(severity="SEV3")
    [row] = _request(incident, night_owl, dt.datetime.now(UTC) - dt.timedelta(hours=30))  # long over by now
    assert notification_send(row.pk).status == "sent"


def test_the_reaper_counts_a_held_message_from_the_end_of_quiet_hours(make_incident, night_owl, settings):
    incident = make_incident(severity="SEV3")
    [row] = _request(incident, night_owl, at_kolkata(22, 0))
    messages_sent(at_kolkata(22, 0))
    wait = dt.timedelta(seconds=settings.NOTIFY_QUEUE_TIMEOUT)
    assert notifications_reap(now=at_kolkata(7, 0, day=3) + wait) == 0
    assert notifications_reap(now=at_kolkata(7, 0, day=3) + wait + dt.timedelta(seconds=1)) == 1
    assert Notification.objects.get(pk=row.pk).status == "failed"


def test_acknowledging_cancels_a_first_message_still_held(make_incident, night_owl, commander):
    incident = make_incident(severity="SEV3")
    [row] = _request(incident, night_owl, at_kolkata(23, 0))
    services.incident_acknowledge(incident=incident, by=commander)
    escalation.escalation_stop(incident_id=incident.pk, event=Event.ACKNOWLEDGED, now=at_kolkata(23, 30))
    assert Notification.objects.get(pk=row.pk).status == "cancelled"


def test_the_escalation_says_who_is_held_and_until_when(make_incident, night_owl, notify_directory, sev):
    from people.models import EscalationPolicy

    EscalationPolicy.objects.get(severity=sev["SEV3"]).levels.get().roles.add(notify_directory.roles["cto"])
    incident = make_incident(severity="SEV3")
    # Declared just before, on the test's fixed day (not today's date, which moves): the first level is due.
    type(incident).objects.filter(pk=incident.pk).update(declared_at=at_kolkata(22, 59))
    escalation.escalation_run(incident_id=incident.pk, now=at_kolkata(23, 0))
    entry = incident.entries.filter(kind="notification").last()
    assert entry.text.endswith("Held for quiet hours: Carol until 07:00 Asia/Kolkata.")


def test_quiet_hours_need_both_ends_and_differ(notify_directory):
    from django.db import IntegrityError, transaction

    for start, end in ((dt.time(22), None), (dt.time(7), dt.time(7))):
        with pytest.raises(IntegrityError), transaction.atomic():
            ContactChannels.objects.create(contact=notify_directory.vp, quiet_from=start, quiet_until=end)
