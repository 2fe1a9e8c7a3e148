"""What an incident says about itself: open or closed, and when its response is due."""

import datetime as dt

import pytest

from incidents import sla
from incidents.models import Status

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["investigating", "mitigating", "monitoring", "resolved"])
def test_only_a_resolved_incident_is_closed(make_incident, status):
    assert make_incident(status=status).is_open is (status != Status.RESOLVED)


def test_a_new_incident_is_open(make_incident):
    assert make_incident().is_open is True


def test_a_calendar_with_no_business_day_is_refused_not_looped_over(settings):
    settings.BUSINESS_DAYS = []
    with pytest.raises(ValueError, match="No business day in the next year"):
        sla.next_business_day_end(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))


def test_the_monitoring_window_runs_only_while_monitoring(make_incident, commander):
    from incidents import services

    incident = make_incident(status="monitoring")
    assert incident.monitoring_remaining_at(incident.monitoring_at) == dt.timedelta(minutes=30)
    incident = services.incident_transition(incident=incident, to="investigating", by=commander,
                                            reason="The fix did not hold")
    assert incident.monitoring_at is not None  # kept from the first visit
    assert incident.monitoring_remaining_at(incident.monitoring_at) == dt.timedelta(0)
