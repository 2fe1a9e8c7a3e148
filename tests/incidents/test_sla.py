"""The response clock from the runbook's severity table."""

import datetime as dt

import pytest

from incidents.sla import next_business_day_end, response_due

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_sev1_is_due_at_declaration(sev):
    assert response_due(sev["SEV1"], at(2026, 11, 27, 3, 0)) == at(2026, 11, 27, 3, 0)


def test_sev2_is_due_in_15_minutes(sev):
    assert response_due(sev["SEV2"], at(2026, 11, 27, 3, 0)) == at(2026, 11, 27, 3, 15)


def test_sev3_is_due_in_two_hours(sev):
    assert response_due(sev["SEV3"], at(2026, 11, 27, 23, 30)) == at(2026, 11, 28, 1, 30)


@pytest.mark.parametrize(
    ("declared", "due"),
    [
        (at(2026, 11, 23, 10, 0), at(2026, 11, 24, 17, 0)),  # Monday → Tuesday close
        (at(2026, 11, 27, 16, 0), at(2026, 11, 30, 17, 0)),  # Friday → over the weekend to Monday
        (at(2026, 11, 28, 12, 0), at(2026, 11, 30, 17, 0)),  # Saturday → Monday
        (at(2026, 11, 29, 23, 59), at(2026, 11, 30, 17, 0)),  # Sunday night → Monday
    ],
)
def test_sev4_is_due_at_close_of_next_business_day(sev, declared, due):
    assert response_due(sev["SEV4"], declared) == due


def test_sev4_skips_configured_holidays(sev, settings):
    settings.HOLIDAYS = [dt.date(2026, 12, 25)]
    # Thursday 24 Dec → Friday 25 is a holiday → Monday 28 Dec.
    assert response_due(sev["SEV4"], at(2026, 12, 24, 10, 0)) == at(2026, 12, 28, 17, 0)


def test_business_day_is_counted_in_the_configured_time_zone(settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # UTC+05:30
    # Friday 20:00 UTC is already Saturday 01:30 in Kolkata: next business day is Monday, 17:00 IST.
    assert next_business_day_end(at(2026, 11, 27, 20, 0)) == at(2026, 11, 30, 11, 30)


def test_business_hours_are_configurable(settings):
    settings.BUSINESS_HOURS = (dt.time(8, 0), dt.time(18, 30))
    assert next_business_day_end(at(2026, 11, 23, 10, 0)) == at(2026, 11, 24, 18, 30)


# --- Acknowledged just before and just after each deadline -----------------------------------------------------

SECOND = dt.timedelta(seconds=1)
RESPONSE_TIMES = {"SEV1": dt.timedelta(0), "SEV2": dt.timedelta(minutes=15), "SEV3": dt.timedelta(hours=2),
                  "SEV4": None}  # None: the close of the next business day
AROUND = [("just before", -SECOND, False), ("at", dt.timedelta(0), False), ("just after", SECOND, True)]


@pytest.mark.parametrize(
    ("severity", "when", "offset", "breached"),
    [
        (severity, when, offset, breached)
        for severity in RESPONSE_TIMES
        for when, offset, breached in AROUND
        # SEV1 is due at declaration: nobody can acknowledge before it.
        if not (severity == "SEV1" and offset < dt.timedelta(0))
    ],
)
def test_acknowledging_around_the_deadline(commander, sev, severity, when, offset, breached):
    from incidents import services
    from incidents.models import Entry

    incident = services.incident_declare(by=commander, title="Checkout down", severity=sev[severity])
    due = incident.response_due_at
    if RESPONSE_TIMES[severity] is None:
        assert due == next_business_day_end(incident.declared_at)
    else:
        assert due - incident.declared_at == RESPONSE_TIMES[severity]
    at = due + offset
    incident = services.incident_acknowledge(incident=incident, by=commander, at=at)
    assert incident.sla_breached is breached
    assert (incident.breach_recorded_at == at) is breached
    entry = incident.entries.get(kind=Entry.Kind.ACKNOWLEDGED)
    assert ("Response SLA breached" in entry.text) is breached
